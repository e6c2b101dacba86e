package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// TestDeadLettersCommand: an operator lists the dead-letter topic by stage and reason (one
// line per cause however many objects and times it names), reads each as JSON, and feeds
// one stage's records back to the topic they came from, headers and all, once fixed.
func TestDeadLettersCommand(t *testing.T) {
	broker := testenv.Kafka(t)
	runID := fmt.Sprintf("t%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	scfg := stream.DefaultConfig()
	scfg.Brokers = []string{broker}
	scfg.Partitions = 2
	scfg.Topics.Mentions = "leakwatch.mentions.test-" + runID
	scfg.Topics.DeadLetter = "leakwatch.deadletter.test-" + runID
	t.Cleanup(func() {
		_ = stream.DeleteTopics(context.Background(), scfg, scfg.Topics.Mentions, scfg.Topics.DeadLetter)
	})
	if err := stream.CreateTopics(ctx, scfg, scfg.Topics.Mentions, scfg.Topics.DeadLetter); err != nil {
		t.Fatal(err)
	}
	w, err := stream.NewWriter(scfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var dls []stream.DeadLetter
	for i, o := range []string{"hashtag:a", "neartext:3-00ff", "url:https://x.org/a"} {
		rec := stream.Record{Topic: scfg.Topics.Mentions, Partition: i % 2, Offset: int64(100 + i), Key: []byte(o),
			Value: []byte(fmt.Sprintf(`{"object":%q}`, o)), Headers: []stream.Header{{Key: stream.HeaderType, Value: []byte("mention")}}}
		late := fmt.Errorf("mention of %s by a%d at 2017-04-29T22:00:0%dZ is late: windows before 2017-05-06T21:54:23Z are closed", o, i, i)
		dls = append(dls, stream.DeadLetterFor("detect", rec, late))
	}
	dls = append(dls, stream.DeadLetter{Stage: "collect", Reason: "line 7: not JSON", Ref: "archive.jsonl:7", Value: []byte("{oops")})
	if err := w.SendDeadLetters(ctx, scfg.Topics.DeadLetter, dls...); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "lw.yaml")
	yaml := fmt.Sprintf("kafka:\n  brokers: [%q]\n  partitions: 2\n  topics:\n    mentions: %q\n    deadletter: %q\n", broker, scfg.Topics.Mentions, scfg.Topics.DeadLetter)
	if err := os.WriteFile(conf, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errs := runCmd(t, "deadletters", "--config", conf)
	if code != 0 {
		t.Fatalf("deadletters: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		scfg.Topics.DeadLetter + ": 4 dead letters, 4 selected",
		"       3  detect         mention of # by # at # is late: windows before # are closed",
		"       1  collect        line #: not JSON",
		"archive.jsonl:7  line 7: not JSON",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = runCmd(t, "deadletters", "--config", conf, "--stage", "collect", "--json")
	var line deadLetterLine
	if code != 0 || json.Unmarshal([]byte(out), &line) != nil || line.Ref != "archive.jsonl:7" || line.Value != "{oops" {
		t.Errorf("--json: exit %d, %q", code, out)
	}

	if code, _, errs := runCmd(t, "deadletters", "--config", conf, "--refeed"); code != 2 || !strings.Contains(errs, "--refeed needs --stage") {
		t.Errorf("--refeed alone: exit %d, %q; want a usage error", code, errs)
	}
	code, out, errs = runCmd(t, "deadletters", "--config", conf, "--stage", "detect", "--refeed", "--list", "0")
	if code != 0 || !strings.Contains(out, "fed back 3 records to their topics") {
		t.Fatalf("--refeed: exit %d\n%s%s", code, out, errs)
	}
	ranges, err := stream.TopicRanges(ctx, scfg, scfg.Topics.Mentions)
	if err != nil {
		t.Fatal(err)
	}
	var back []string
	for part, r := range ranges {
		err := stream.ReadPartition(ctx, scfg, scfg.Topics.Mentions, part, r.First, r.End, func(recs []stream.Record) error {
			for _, rec := range recs {
				if typ, _ := rec.Header(stream.HeaderType); typ != "mention" {
					return errors.New("a record fed back without its own headers")
				}
				if _, dl := rec.Header(stream.HeaderDLReason); dl {
					return errors.New("a record fed back with the dead-letter headers")
				}
				back = append(back, string(rec.Key))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(back) != 3 {
		t.Errorf("fed back %q to %s, want the 3 mentions", back, scfg.Topics.Mentions)
	}
}

// One cause is one line: alert ids vary from record to record, the receiver's words do not.
func TestReasonShapeOfUndeliveredAlerts(t *testing.T) {
	a := reasonShape("undelivered alert 776b9ce82a2a6830825ca557: receiver factcheck: webhook factcheck answered 401 Unauthorized: refused by receiver")
	b := reasonShape("undelivered alert 05c6123db14e7f63bf1b3b9b: receiver factcheck: webhook factcheck answered 401 Unauthorized: refused by receiver")
	want := "undelivered alert #: receiver factcheck: webhook factcheck answered # Unauthorized: refused by receiver"
	if a != want || b != want {
		t.Errorf("shapes\n %q\n %q\nwant %q", a, b, want)
	}
	for _, late := range []string{
		"mention of hashtag:a by a0 at 2017-04-29T22:00:00Z is late: windows before 2017-05-06T21:54:23Z are closed",
		"mention of all:posts by u1 in https://twitter.com/i/status/859890520367824897 at 2017-05-06T21:30:00Z is late: windows before 2017-05-06T21:54:23Z are closed",
		"mention of all:posts by (no account) in (no post) at 2017-05-06T21:30:00Z is late: windows before 2017-05-06T21:54:23Z are closed",
	} {
		if got := reasonShape(late); got != "mention of # by # at # is late: windows before # are closed" {
			t.Errorf("late mention shape %q", got)
		}
	}
	// The digits of a name stay: an operator copies a topic or receiver from the counts.
	for in, want := range map[string]string{
		"decode qa4-posts/3@17: unexpected end of JSON input": "decode qa4-posts/#@#: unexpected end of JSON input",
		"post/v1 value: not JSON":                             "post/v1 value: not JSON",
		"receiver desk2: webhook desk2 answered 500":          "receiver desk2: webhook desk2 answered #",
	} {
		if got := reasonShape(in); got != want {
			t.Errorf("reasonShape(%q) = %q, want %q", in, got, want)
		}
	}
}
