// Package eval scores detections against a scenario's truth: precision and recall of the
// coordinated accounts, and per operation how soon a burst on its objects began, whether its
// leak was reported and when.
//
// It is pure: it takes bytes and values and returns values, and must not import collectors,
// stream, warehouse or any client library.
package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
)

// ParseDetections reads a detections file (one leakwatch.Signal a line); an error names the line.
func ParseDetections(b []byte) ([]leakwatch.Signal, error) {
	var out []leakwatch.Signal
	for i, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var s leakwatch.Signal
		if err := json.Unmarshal(line, &s); err != nil {
			return nil, fmt.Errorf("detections line %d: %w", i+1, err)
		}
		if err := s.Complete(); err != nil {
			return nil, fmt.Errorf("detections line %d: %w", i+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Options tune how detections are matched to operations.
type Options struct {
	// LeakBefore and LeakAfter bound how far a leak detection's onset may be from the
	// expected onset and still be that leak.
	LeakBefore time.Duration `yaml:"leak_before"`
	LeakAfter  time.Duration `yaml:"leak_after"`
	// BurstBefore bounds how long before an operation's onset a burst on its objects may
	// begin and still time it; one beginning after the operation's end does not either. The
	// operation's objects (a paste site's domain, a popular hashtag) can burst for organic
	// reasons days apart: the earliest of those is not the operation's onset.
	BurstBefore time.Duration `yaml:"burst_before"`
	// MaxListed caps the false positives and missed accounts listed by id (all are counted).
	MaxListed int `yaml:"max_listed"`
}

// DefaultOptions accepts a leak reported from one hour before to a day after the truth's onset.
func DefaultOptions() Options {
	return Options{LeakBefore: time.Hour, LeakAfter: 24 * time.Hour, BurstBefore: time.Hour, MaxListed: 20}
}

// Report is a scored run.
type Report struct {
	Scenario   string             `json:"scenario,omitempty"`
	Seed       uint64             `json:"seed"`
	Detections Counts             `json:"detections"`
	Accounts   AccountScore       `json:"accounts"`
	Operations []OperationScore   `json:"operations"`
	Groups     []GroupAttribution `json:"groups"`
	// OtherLeaks are the leak incidents no expected leak explains (none of the operations'
	// leaks would take them, by window, object or evidence): the false alarms a monitor of
	// this campaign would have raised, or a dump the truth does not know.
	OtherLeaks []OtherLeak `json:"other_leaks"`
}

// OtherLeak is a leak incident no operation explains.
type OtherLeak struct {
	Object     string    `json:"object"`
	Start      time.Time `json:"start"`
	Evidence   []string  `json:"evidence,omitempty"`
	Candidates []string  `json:"candidates,omitempty"`
}

// Counts are the detections by kind.
type Counts struct {
	Bursts int `json:"bursts"`
	Edges  int `json:"edges"`
	Groups int `json:"groups"`
	Leaks  int `json:"leaks"`
}

// AccountScore compares the accounts in detected groups with the true coordinated accounts.
type AccountScore struct {
	True          int     `json:"true"`     // coordinated accounts in the truth
	Detected      int     `json:"detected"` // distinct accounts in detected groups
	TruePositives int     `json:"true_positives"`
	Precision     float64 `json:"precision"` // 0 when nothing was detected
	Recall        float64 `json:"recall"`
	F1            float64 `json:"f1"`
	// FalsePositives are detected accounts that are not coordinated (organic or unknown),
	// Missed the coordinated accounts in no group; both capped at Options.MaxListed.
	FalsePositives      []string `json:"false_positives,omitempty"`
	FalsePositivesTotal int      `json:"false_positives_total"`
	Missed              []string `json:"missed,omitempty"`
	MissedTotal         int      `json:"missed_total"`
}

// GroupAttribution says which operation each detected group's accounts belong to.
type GroupAttribution struct {
	ID         string         `json:"id"`
	Accounts   int            `json:"accounts"`
	Kinds      []string       `json:"object_kinds"`
	First      time.Time      `json:"first"`
	Operations map[string]int `json:"operations,omitempty"` // operation id -> accounts of it
	Organic    int            `json:"organic"`
	Unknown    int            `json:"unknown"` // in neither list of the truth
}

// OperationScore is how one operation was detected.
type OperationScore struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	Onset    time.Time `json:"onset"`
	Accounts int       `json:"accounts"`
	Found    int       `json:"found"` // of its accounts, in some group
	Recall   float64   `json:"recall"`
	Groups   []string  `json:"groups,omitempty"`
	// GroupFirst is the earliest first co-share of a group holding its accounts, which may
	// be a chance co-share days before the operation; GroupFormed the earliest time such a
	// group became coordinated (Group.Formed): how soon the network could be told.
	GroupFirst  *time.Time `json:"group_first,omitempty"`
	GroupFormed *time.Time `json:"group_formed,omitempty"`
	// Burst is the earliest minute burst on its objects. Slow (hour-scale) bursts are left
	// out: their onset is to the hour, so one would read as up to an hour early.
	Burst *Match `json:"burst,omitempty"`
	// Leak is set when the truth expects a leak detection.
	Leak *LeakScore `json:"leak,omitempty"`
}

// Match is a detection matched to an operation, with its delay after the true onset.
type Match struct {
	Object string    `json:"object"`
	Onset  time.Time `json:"onset"`
	DelayS float64   `json:"delay_s"`
}

// LeakScore is whether the expected leak was reported, and its timing.
type LeakScore struct {
	Found          bool    `json:"found"`
	Match          *Match  `json:"match,omitempty"`
	InSilence      bool    `json:"in_silence,omitempty"`
	Silence        string  `json:"silence,omitempty"`
	HoursToSilence float64 `json:"hours_to_silence,omitempty"`
	// ExpectedInSilence and ExpectedHoursToSilence are the truth's figures, to compare with
	// the detection's.
	ExpectedInSilence      bool    `json:"expected_in_silence,omitempty"`
	ExpectedHoursToSilence float64 `json:"expected_hours_to_silence,omitempty"`
	TimingScore            float64 `json:"timing_score,omitempty"`
	// Amplifiers counts the operation's accounts in the groups the incident lists: whether
	// the network that passed the dump round was found as part of the leak, not only apart.
	Amplifiers int `json:"amplifiers"`
	// Elsewhere is, for a missed leak, the leak record on its objects or evidence nearest the
	// expected onset outside the window: detections of another run of the same seed (another
	// --leak-at) have the accounts and the window of the truth and pass the same-data check,
	// and without it read as a detector that missed the dump.
	Elsewhere *Match `json:"elsewhere,omitempty"`
}

// Score compares detections with the truth.
func Score(truth Truth, sigs []leakwatch.Signal, opt Options) Report {
	if opt.MaxListed <= 0 {
		opt.MaxListed = DefaultOptions().MaxListed
	}
	r := Report{Scenario: truth.Scenario, Seed: truth.Seed}
	var bursts []*leakwatch.Burst
	var groups []*leakwatch.Group
	var leaks []*leakwatch.Leak
	for _, s := range sigs {
		switch {
		case s.Kind == leakwatch.SignalBurst && s.Burst != nil:
			bursts = append(bursts, s.Burst)
		case s.Kind == leakwatch.SignalEdge && s.Edge != nil:
			r.Detections.Edges++
		case s.Kind == leakwatch.SignalGroup && s.Group != nil:
			groups = append(groups, s.Group)
		case s.Kind == leakwatch.SignalLeak && s.Leak != nil:
			leaks = append(leaks, s.Leak)
		}
	}
	r.Detections.Bursts, r.Detections.Groups, r.Detections.Leaks = len(bursts), len(groups), len(leaks)

	coordinated := truth.CoordinatedAccounts()
	organic := make(map[string]bool, len(truth.OrganicAccounts))
	for _, a := range truth.OrganicAccounts {
		organic[a] = true
	}
	opOf := map[string][]string{}
	for _, op := range truth.Operations {
		for _, a := range op.Accounts {
			opOf[a] = append(opOf[a], op.ID)
		}
	}

	detected := map[string]bool{}
	for _, g := range groups {
		ga := GroupAttribution{ID: g.ID, Accounts: len(g.Accounts), First: g.First, Operations: map[string]int{}}
		for _, k := range g.ObjectKinds {
			ga.Kinds = append(ga.Kinds, string(k))
		}
		for _, a := range g.Accounts {
			detected[a] = true
			switch {
			case coordinated[a]:
				for _, id := range opOf[a] {
					ga.Operations[id]++
				}
			case organic[a]:
				ga.Organic++
			default:
				ga.Unknown++
			}
		}
		r.Groups = append(r.Groups, ga)
	}
	sort.Slice(r.Groups, func(i, j int) bool {
		if r.Groups[i].Accounts != r.Groups[j].Accounts {
			return r.Groups[i].Accounts > r.Groups[j].Accounts
		}
		return r.Groups[i].ID < r.Groups[j].ID
	})

	acc := &r.Accounts
	acc.True, acc.Detected = len(coordinated), len(detected)
	var fps, missed []string
	for a := range detected {
		if coordinated[a] {
			acc.TruePositives++
		} else {
			fps = append(fps, a)
		}
	}
	for a := range coordinated {
		if !detected[a] {
			missed = append(missed, a)
		}
	}
	acc.Precision = ratio(acc.TruePositives, acc.Detected)
	acc.Recall = ratio(acc.TruePositives, acc.True)
	if acc.Precision+acc.Recall > 0 {
		acc.F1 = 2 * acc.Precision * acc.Recall / (acc.Precision + acc.Recall)
	}
	acc.FalsePositivesTotal, acc.MissedTotal = len(fps), len(missed)
	acc.FalsePositives, acc.Missed = capSorted(fps, opt.MaxListed), capSorted(missed, opt.MaxListed)

	for _, op := range truth.Operations {
		r.Operations = append(r.Operations, scoreOp(op, groups, bursts, leaks, opt))
	}
	r.OtherLeaks = []OtherLeak{}
	for _, l := range leaks {
		if !explained(l, truth.Operations, opt) {
			r.OtherLeaks = append(r.OtherLeaks, OtherLeak{Object: l.Object, Start: began(l), Evidence: l.Evidence, Candidates: l.Candidates})
		}
	}
	sort.Slice(r.OtherLeaks, func(i, j int) bool { return r.OtherLeaks[i].Start.Before(r.OtherLeaks[j].Start) })
	return r
}

// explained says whether some operation's expected leak would take l: within its window, on
// one of its objects or naming its evidence (scoreOp's rule).
func explained(l *leakwatch.Leak, ops []Operation, opt Options) bool {
	for _, op := range ops {
		if op.Leak != nil && op.Leak.takes(l, opt) {
			return true
		}
	}
	return false
}

// takes says whether leak record l is this expected leak: it began between LeakBefore
// before and LeakAfter after the onset, and leakMatches.
func (exp *ExpectedLeak) takes(l *leakwatch.Leak, opt Options) bool {
	if began(l).Before(exp.Onset.Add(-opt.LeakBefore)) || began(l).After(exp.Onset.Add(opt.LeakAfter)) {
		return false
	}
	return leakMatches(l, exp.Objects, exp.Evidence)
}

// nearest is the leak record on the expected objects or evidence whose start is nearest the
// expected onset, whatever the window; nil when there is none.
func (exp *ExpectedLeak) nearest(leaks []*leakwatch.Leak) *Match {
	var m *Match
	var best time.Duration
	for _, l := range leaks {
		if !leakMatches(l, exp.Objects, exp.Evidence) {
			continue
		}
		if d := began(l).Sub(exp.Onset); m == nil || d.Abs() < best {
			m, best = &Match{Object: l.Object, Onset: began(l), DelayS: d.Seconds()}, d.Abs()
		}
	}
	return m
}

func scoreOp(op Operation, groups []*leakwatch.Group, bursts []*leakwatch.Burst, leaks []*leakwatch.Leak, opt Options) OperationScore {
	s := OperationScore{ID: op.ID, Kind: op.Kind, Onset: op.Onset, Accounts: len(op.Accounts)}
	mine := map[string]bool{}
	for _, a := range op.Accounts {
		mine[a] = true
	}
	found := map[string]bool{}
	for _, g := range groups {
		hit := false
		for _, a := range g.Accounts {
			if mine[a] {
				found[a], hit = true, true
			}
		}
		if hit {
			s.Groups = append(s.Groups, g.ID)
			if s.GroupFirst == nil || g.First.Before(*s.GroupFirst) {
				first := g.First
				s.GroupFirst = &first
			}
			if formed := g.CoordinatedAt(); s.GroupFormed == nil || formed.Before(*s.GroupFormed) {
				s.GroupFormed = &formed
			}
		}
	}
	sort.Strings(s.Groups)
	s.Found = len(found)
	s.Recall = ratio(s.Found, s.Accounts)

	objects := map[string]bool{}
	for _, o := range op.Objects {
		objects[o] = true
	}
	last := op.End
	if last.Before(op.Onset) { // no end recorded
		last = op.Onset.Add(opt.LeakAfter)
	}
	for _, b := range bursts {
		if b.Slow || b.Onset.Before(op.Onset.Add(-opt.BurstBefore)) || b.Onset.After(last) {
			continue
		}
		if objects[b.Object] && (s.Burst == nil || b.Onset.Before(s.Burst.Onset)) {
			s.Burst = &Match{Object: b.Object, Onset: b.Onset, DelayS: b.Onset.Sub(op.Onset).Seconds()}
		}
	}

	if exp := op.Leak; exp != nil {
		ls := &LeakScore{ExpectedInSilence: exp.InSilence, ExpectedHoursToSilence: exp.HoursToSilence}
		var best *leakwatch.Leak
		for _, l := range leaks {
			if !exp.takes(l, opt) {
				continue
			}
			if best == nil || began(l).Before(began(best)) {
				best = l
			}
		}
		if best == nil {
			ls.Elsewhere = exp.nearest(leaks)
		} else {
			ls.Found = true
			ls.Match = &Match{Object: best.Object, Onset: began(best), DelayS: began(best).Sub(exp.Onset).Seconds()}
			ls.InSilence, ls.Silence, ls.HoursToSilence, ls.TimingScore = best.Timing.InSilence, best.Timing.Silence, best.Timing.HoursToSilence, best.Timing.Score
			ls.Amplifiers = amplifiers(best, groups, op.Accounts)
		}
		s.Leak = ls
	}
	return s
}

// amplifiers counts the accounts of op that are members of a group leak l lists.
func amplifiers(l *leakwatch.Leak, groups []*leakwatch.Group, op []string) int {
	in := map[string]bool{}
	for _, e := range l.Evidence {
		id, ok := strings.CutPrefix(e, "group:")
		if !ok {
			continue
		}
		for _, g := range groups {
			if g.ID == id {
				for _, a := range g.Accounts {
					in[a] = true
				}
			}
		}
	}
	n := 0
	for _, a := range op {
		if in[a] {
			n++
		}
	}
	return n
}

// began is when a leak incident began: its start, or its onset in records without one.
func began(l *leakwatch.Leak) time.Time {
	if !l.Start.IsZero() {
		return l.Start
	}
	return l.Onset
}

// leakMatches: the leak is on one of the objects, or its evidence names one (as object:KEY)
// or one of the evidence strings, exactly: a paste URL that another only begins with, or a
// hashtag inside a longer one, is another dump.
func leakMatches(l *leakwatch.Leak, objects []string, evidence []string) bool {
	if slices.Contains(objects, l.Object) {
		return true
	}
	for _, e := range l.Evidence {
		if slices.Contains(objects, strings.TrimPrefix(e, "object:")) || slices.Contains(evidence, e) {
			return true
		}
	}
	return false
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func capSorted(s []string, n int) []string {
	sort.Strings(s)
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Targets are the scores a run must reach (zero: not checked).
type Targets struct {
	MinPrecision float64 `yaml:"min_precision"`
	MinRecall    float64 `yaml:"min_recall"`
	// MaxOnsetDelay fails an operation whose first burst begins later than this after its
	// onset, or that has none; a burst beginning before the onset passes.
	MaxOnsetDelay time.Duration `yaml:"max_onset_delay"`
	// LeakRequired fails an operation whose expected leak was not reported.
	LeakRequired bool `yaml:"leak_required"`
}

// Check lists every target r misses, as readable sentences; empty when all are met.
func (r Report) Check(t Targets) []string {
	var out []string
	if t.MinPrecision > 0 && r.Accounts.Precision < t.MinPrecision {
		out = append(out, fmt.Sprintf("precision %.3f < %.3f (%d false positives)", r.Accounts.Precision, t.MinPrecision, r.Accounts.FalsePositivesTotal))
	}
	if t.MinRecall > 0 && r.Accounts.Recall < t.MinRecall {
		out = append(out, fmt.Sprintf("recall %.3f < %.3f (%d missed)", r.Accounts.Recall, t.MinRecall, r.Accounts.MissedTotal))
	}
	for _, op := range r.Operations {
		if t.MaxOnsetDelay > 0 && op.Kind != OpDefacement {
			switch {
			case op.Burst == nil:
				out = append(out, fmt.Sprintf("%s: no burst on its objects", op.ID))
			// Only a late burst misses: onsets are rounded down to the minute, so a burst on
			// time begins up to a minute early, and Options.BurstBefore bounds earlier ones.
			case op.Burst.DelayS > t.MaxOnsetDelay.Seconds():
				out = append(out, fmt.Sprintf("%s: burst onset %+.0fs after the true onset, limit %s", op.ID, op.Burst.DelayS, t.MaxOnsetDelay))
			}
		}
		if t.LeakRequired && op.Leak != nil && !op.Leak.Found {
			out = append(out, fmt.Sprintf("%s: expected leak not reported", op.ID))
		}
	}
	return out
}

// Text renders the report as the table the eval command prints.
func (r Report) Text() string {
	var b strings.Builder
	a := r.Accounts
	fmt.Fprintf(&b, "scenario %s seed %d: %d bursts, %d edges, %d groups, %d leaks\n", r.Scenario, r.Seed, r.Detections.Bursts, r.Detections.Edges, r.Detections.Groups, r.Detections.Leaks)
	fmt.Fprintf(&b, "coordinated accounts: precision %.3f  recall %.3f  F1 %.3f  (%d detected, %d true, %d correct)\n", a.Precision, a.Recall, a.F1, a.Detected, a.True, a.TruePositives)
	if a.FalsePositivesTotal > 0 {
		fmt.Fprintf(&b, "  false positives (%d): %s\n", a.FalsePositivesTotal, listed(a.FalsePositives, a.FalsePositivesTotal))
	}
	if a.MissedTotal > 0 {
		fmt.Fprintf(&b, "  missed (%d): %s\n", a.MissedTotal, listed(a.Missed, a.MissedTotal))
	}
	fmt.Fprintf(&b, "\n%-14s %-13s %-20s %9s %8s %-12s %-13s %s\n", "OPERATION", "KIND", "ONSET (UTC)", "ACCOUNTS", "RECALL", "BURST DELAY", "GROUP FORMED", "LEAK")
	for _, op := range r.Operations {
		burst := "-"
		if op.Burst != nil {
			burst = fmt.Sprintf("%+.0fs", op.Burst.DelayS)
		}
		group := "-"
		if op.GroupFormed != nil {
			group = fmt.Sprintf("%+.0fs", op.GroupFormed.Sub(op.Onset).Seconds())
		}
		leak := "not expected"
		if l := op.Leak; l != nil {
			leak = "MISSED"
			if e := l.Elsewhere; e != nil {
				leak += fmt.Sprintf("; nearest on its objects %s at %s (%s): detections of another run of this seed?",
					e.Object, e.Onset.UTC().Format("2006-01-02 15:04"), signedHours(e.DelayS))
			}
			if l.Found {
				leak = fmt.Sprintf("found %+.0fs on %s", l.Match.DelayS, l.Match.Object)
				if l.Silence != "" {
					got, want := fmt.Sprintf("%.2fh to %s", l.HoursToSilence, l.Silence), fmt.Sprintf("%.2fh", l.ExpectedHoursToSilence)
					if l.InSilence {
						got = "in " + l.Silence
					}
					if l.ExpectedInSilence {
						want = "in silence"
					}
					leak += fmt.Sprintf(", %s (truth %s)", got, want)
				}
				if op.Accounts > 0 {
					leak += fmt.Sprintf(", network %d/%d in it", l.Amplifiers, op.Accounts)
				}
			}
		}
		accounts := fmt.Sprintf("%d/%d", op.Found, op.Accounts)
		recall := fmt.Sprintf("%.3f", op.Recall)
		if op.Accounts == 0 {
			accounts, recall = "-", "-"
		}
		fmt.Fprintf(&b, "%-14s %-13s %-20s %9s %8s %-12s %-13s %s\n", op.ID, op.Kind, op.Onset.UTC().Format("2006-01-02 15:04:05"), accounts, recall, burst, group, leak)
	}
	if len(r.OtherLeaks) > 0 {
		fmt.Fprintf(&b, "\nleak incidents no operation explains (%d of %d):\n", len(r.OtherLeaks), r.Detections.Leaks)
		for _, l := range r.OtherLeaks {
			about := ""
			if len(l.Candidates) > 0 {
				about = "  about " + strings.Join(l.Candidates, ", ")
			}
			ev := l.Evidence
			if len(ev) > 4 {
				ev = append(slices.Clip(ev[:4]), fmt.Sprintf("... (+%d)", len(l.Evidence)-4))
			}
			fmt.Fprintf(&b, "  %s  %s%s; evidence %s\n", l.Start.UTC().Format("2006-01-02 15:04:05"), l.Object, about, strings.Join(ev, ", "))
		}
	}
	if len(r.Groups) > 0 {
		fmt.Fprintf(&b, "\n%-20s %8s %8s %8s  %-28s %s\n", "GROUP", "ACCOUNTS", "ORGANIC", "UNKNOWN", "KINDS", "OPERATIONS")
		for _, g := range r.Groups {
			ops := make([]string, 0, len(g.Operations))
			for id, n := range g.Operations {
				ops = append(ops, fmt.Sprintf("%s:%d", id, n))
			}
			slices.Sort(ops)
			fmt.Fprintf(&b, "%-20s %8d %8d %8d  %-28s %s\n", truncate(g.ID, 20), g.Accounts, g.Organic, g.Unknown, strings.Join(g.Kinds, ","), strings.Join(ops, " "))
		}
	}
	return b.String()
}

// signedHours writes a delay in seconds as hours, signed.
func signedHours(s float64) string {
	return fmt.Sprintf("%+.1fh", s/3600)
}

func listed(ids []string, total int) string {
	s := strings.Join(ids, " ")
	if total > len(ids) {
		s += fmt.Sprintf(" ... (+%d)", total-len(ids))
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
