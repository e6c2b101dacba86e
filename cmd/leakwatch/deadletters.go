package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/stream"
)

func init() {
	register(command{name: "deadletters", summary: "list the dead-letter topic by stage and reason, and feed records back once fixed", run: runDeadLetters})
}

// runDeadLetters reads the dead-letter topic from its oldest retained record to its end. The
// live page only counts dead letters; the reasons are in the records' headers, which no
// Kafka tool of a leakwatch install shows.
func runDeadLetters(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "deadletters", "[--config FILE] [--stage S] [--reason TEXT] [--list N] [--json] [--refeed]")
	cfgPath := fs.String("config", "", "leakwatch config file (its kafka section); default: the local Kafka")
	stage := fs.String("stage", "", "only dead letters of this stage (extract, detect, correlate, sink, alert-<receiver>, …)")
	reason := fs.String("reason", "", "only dead letters whose reason contains this text")
	list := fs.Int("list", 10, "how many dead letters to list after the counts, oldest first (0: none)")
	asJSON := fs.Bool("json", false, "print every selected dead letter as a JSON line instead (value as text, or value_base64)")
	refeed := fs.Bool("refeed", false, "write the selected dead letters back to the topics they came from, with their own headers, for their stage to take again once the cause is fixed (needs --stage)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *refeed && *stage == "" {
		return fmt.Errorf("%w: --refeed needs --stage: feeding back every stage's dead letters at once is rarely what the fix was for", errUsage)
	}
	c, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	scfg := c.Kafka
	if err := scfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	topic := scfg.Topics.DeadLetter
	ranges, exists, err := stream.TopicState(ctx, scfg, topic)
	if err != nil {
		return err
	}
	if !exists {
		fmt.Fprintf(e.stdout, "no dead letters: topic %s does not exist\n", topic)
		return nil
	}
	var sel []stream.DeadLetter
	for _, part := range slices.Sorted(maps.Keys(ranges)) {
		r := ranges[part]
		err := stream.ReadPartition(ctx, scfg, topic, part, r.First, r.End, func(recs []stream.Record) error {
			for _, rec := range recs {
				d, err := stream.ParseDeadLetter(rec)
				if err != nil {
					return err
				}
				if (*stage == "" || d.Stage == *stage) && strings.Contains(d.Reason, *reason) {
					sel = append(sel, d)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	sort.SliceStable(sel, func(i, j int) bool { return sel[i].At.Before(sel[j].At) })
	if *asJSON {
		return writeDeadLetterLines(e.stdout, sel)
	}
	printDeadLetters(e.stdout, topic, stream.Count(ranges), sel, *list)
	if !*refeed {
		return nil
	}
	return refeedDeadLetters(ctx, e.stdout, scfg, sel)
}

// printDeadLetters writes the counts by stage and reason, then the first n dead letters.
func printDeadLetters(w io.Writer, topic string, total int64, sel []stream.DeadLetter, n int) {
	fmt.Fprintf(w, "%s: %d dead letters, %d selected\n", topic, total, len(sel))
	type group struct {
		stage, reason string
		n             int
		first, last   time.Time
	}
	groups := map[[2]string]*group{}
	for _, d := range sel {
		k := [2]string{d.Stage, reasonShape(d.Reason)}
		g := groups[k]
		if g == nil {
			g = &group{stage: d.Stage, reason: k[1], first: d.At}
			groups[k] = g
		}
		g.n++
		g.last = d.At
	}
	gs := make([]*group, 0, len(groups))
	for _, g := range groups {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool {
		if gs[i].n != gs[j].n {
			return gs[i].n > gs[j].n
		}
		return gs[i].stage+gs[i].reason < gs[j].stage+gs[j].reason
	})
	if len(gs) > 0 {
		fmt.Fprintf(w, "  by stage and reason (names, numbers and times in a reason shown as #):\n")
	}
	for _, g := range gs {
		fmt.Fprintf(w, "  %8d  %-14s %s  (%s to %s)\n", g.n, g.stage, g.reason, stampSecond(g.first), stampSecond(g.last))
	}
	if n > len(sel) {
		n = len(sel)
	}
	if n > 0 {
		fmt.Fprintf(w, "  the first %d:\n", n)
	}
	for _, d := range sel[:n] {
		fmt.Fprintf(w, "    %s  %-14s %s  %s\n", stampSecond(d.At), d.Stage, d.Where(), d.Reason)
	}
}

// reasonShape is a reason with what varies from record to record (numbers, times, quoted
// values, object keys) written as #, so one cause is one line of the counts.
func reasonShape(r string) string {
	r = quoted.ReplaceAllString(r, "#")
	r = objectKey.ReplaceAllString(r, "#")
	r = account.ReplaceAllString(r, "by # at")
	r = hexID.ReplaceAllString(r, "#")
	r = digits.ReplaceAllString(r, "#")
	if len(r) > 160 {
		r = r[:157] + "..."
	}
	return r
}

var (
	quoted    = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	objectKey = regexp.MustCompile(`\b[a-z_]+:[^\s,;]+`)
	account   = regexp.MustCompile(`\bby (?:\(no account\)|[^\s,;:]+)(?: in (?:\(no post\)|[^\s,;]+))? at\b`) // "mention of X by ACCOUNT in POST at T", not "refused by receiver"
	hexID     = regexp.MustCompile(`\b[0-9a-f]{12,}\b`)                                                       // alert ids (24 hex digits), hashes
	// Numbers standing alone (offsets, partitions, times, status codes), not the digits of a
	// name: a topic "qa4-posts" or "leakwatch.posts.v1" must read as the operator wrote it.
	digits = regexp.MustCompile(`\b[0-9]+(?:[-:.T][0-9]+)*Z?\b`)
)

func stampSecond(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// deadLetterLine is a dead letter as --json writes it.
type deadLetterLine struct {
	At          time.Time `json:"at"`
	Stage       string    `json:"stage"`
	Reason      string    `json:"reason"`
	Topic       string    `json:"topic,omitempty"`
	Partition   int       `json:"partition"`
	Offset      int64     `json:"offset"`
	Ref         string    `json:"ref,omitempty"`
	Key         string    `json:"key,omitempty"`
	Value       string    `json:"value,omitempty"`
	ValueBase64 string    `json:"value_base64,omitempty"`
}

func writeDeadLetterLines(w io.Writer, sel []stream.DeadLetter) error {
	enc := json.NewEncoder(w)
	for _, d := range sel {
		l := deadLetterLine{At: d.At, Stage: d.Stage, Reason: d.Reason, Topic: d.Topic, Partition: d.Partition, Offset: d.Offset, Ref: d.Ref, Key: string(d.Key)}
		if utf8.Valid(d.Value) {
			l.Value = string(d.Value)
		} else {
			l.ValueBase64 = base64.StdEncoding.EncodeToString(d.Value)
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// refeedDeadLetters writes each dead letter's original record back to its topic. Those
// from outside Kafka (a collector's unreadable line) have no topic to go back to.
func refeedDeadLetters(ctx context.Context, w io.Writer, scfg stream.Config, sel []stream.DeadLetter) error {
	var msgs []stream.Message
	skipped := 0
	for _, d := range sel {
		if d.Topic == "" {
			skipped++
			continue
		}
		msgs = append(msgs, stream.Message{Topic: d.Topic, Key: d.Key, Value: d.Value, Headers: d.Headers})
	}
	if len(msgs) > 0 {
		wr, err := stream.NewWriter(scfg, "deadletters", nil)
		if err != nil {
			return err
		}
		defer wr.Close()
		if err := wr.Write(ctx, msgs...); err != nil {
			return fmt.Errorf("refeed: %w", err)
		}
	}
	fmt.Fprintf(w, "fed back %d records to their topics", len(msgs))
	if skipped > 0 {
		fmt.Fprintf(w, "; %d came from outside Kafka (a file's line) and have no topic to go back to", skipped)
	}
	fmt.Fprintln(w, "; the dead letters stay in the topic (this command reads it whole each time)")
	return nil
}
