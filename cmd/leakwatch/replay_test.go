package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// csvRows counts the data rows of a gzipped CSV file, independently of the archive reader.
func csvRows(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(gz)
	r.FieldsPerRecord = -1
	var n int64 = -1 // the header
	for {
		if _, err := r.Read(); err == io.EOF {
			return n
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
}

// `leakwatch replay --speed max` of the IRA archive into a real Kafka: the posts topic must
// end with one post per row of the file, in event-time order within each partition, with
// the tweets' own times kept.
func TestReplayIRAArchiveFillsPostsTopic(t *testing.T) {
	broker := testenv.Kafka(t)
	path := testenv.SharedData(t, "data/ira-2016-07/ira_tweets_2016-07-01_2016-08-15.csv.gz")
	rows := csvRows(t, path)

	runID := fmt.Sprintf("test.replay.%d", time.Now().UnixNano())
	scfg := stream.DefaultConfig()
	scfg.Brokers = []string{broker}
	tp := &scfg.Topics
	for _, p := range []*string{&tp.Posts, &tp.SiteChanges, &tp.Mentions, &tp.CoShares, &tp.Signals, &tp.Alerts, &tp.DeadLetter} {
		*p = runID + "." + *p
	}
	t.Cleanup(func() { _ = stream.DeleteTopics(context.Background(), scfg, tp.All()...) })
	cfgPath := filepath.Join(t.TempDir(), "leakwatch.yaml")
	yaml := fmt.Sprintf("kafka:\n  brokers: [%q]\n  topics: {posts: %q, sitechanges: %q, mentions: %q, coshares: %q, signals: %q, alerts: %q, deadletter: %q}\nmetrics: \"\"\n",
		broker, tp.Posts, tp.SiteChanges, tp.Mentions, tp.CoShares, tp.Signals, tp.Alerts, tp.DeadLetter)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"replay", "--speed", "max", "--preset", "ira", "--config", cfgPath, path}, &stdout, &stderr); code != 0 {
		t.Fatalf("replay exited %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	t.Logf("%s", strings.TrimSpace(stdout.String()))
	if !strings.Contains(stderr.String(), "replay: loaded") {
		t.Errorf("no progress on stderr: %q", stderr.String())
	}

	ranges, err := stream.TopicRanges(ctx, scfg, tp.Posts)
	if err != nil {
		t.Fatal(err)
	}
	if got := stream.Count(ranges); got != rows {
		t.Fatalf("posts topic holds %d records, the file has %d rows", got, rows)
	}
	dead, err := stream.TopicRanges(ctx, scfg, tp.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	if n := stream.Count(dead); n != 0 {
		t.Errorf("%d rows were dead-lettered", n)
	}

	// Each partition is in event-time order, and times are the tweets' own (July-August 2016).
	lo, hi := time.Date(2016, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2016, 8, 16, 0, 0, 0, 0, time.UTC)
	for p, r := range ranges {
		var last time.Time
		err := stream.ReadPartition(ctx, scfg, tp.Posts, p, r.First, r.End, func(recs []stream.Record) error {
			for _, rec := range recs {
				post, err := stream.Decode[leakwatch.Post](rec)
				if err != nil {
					return err
				}
				if post.CreatedAt.Before(last) {
					return fmt.Errorf("%s: %s before the previous post's %s", rec.Where(), post.CreatedAt, last)
				}
				if post.CreatedAt.Before(lo) || !post.CreatedAt.Before(hi) {
					return fmt.Errorf("%s: event time %s is not the tweet's", rec.Where(), post.CreatedAt)
				}
				last = post.CreatedAt
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestReplayRejectsBadComma(t *testing.T) {
	if code, _, stderr := runCmd(t, "replay", "x.csv", "--comma", ";;"); code != 2 || !strings.Contains(stderr, "--comma") {
		t.Errorf("exit %d (%q), want 2 naming --comma", code, stderr)
	}
}

// --encoding and --time-zone are checked before any broker is asked.
func TestReplayRejectsBadEncodingAndZone(t *testing.T) {
	for flag, want := range map[string]string{"--encoding": `encoding: unknown "ebcdic"`, "--time-zone": `time zone: unknown "ebcdic"`} {
		args := []string{"replay", "x.csv", "--columns", "author=a,time=t", flag, "ebcdic"}
		if code, _, stderr := runCmd(t, args...); code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d (%q), want 2 and %q", flag, code, stderr, want)
		}
	}
}

func TestReplayRejectsBadSpeed(t *testing.T) {
	for _, s := range []string{"fast", "0x", "-2x", "10"} {
		if _, err := parseSpeed(s); err == nil {
			t.Errorf("--speed %q accepted", s)
		}
	}
	for s, want := range map[string]float64{"max": 0, "1x": 1, "60x": 60, "0.5x": 0.5} {
		if got, err := parseSpeed(s); err != nil || got != want {
			t.Errorf("--speed %q = %v, %v; want %v", s, got, err, want)
		}
	}
}
