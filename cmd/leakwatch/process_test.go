package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/collectors/scenario"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// `leakwatch replay` then `leakwatch process --stage all` against a real Kafka: the campaign's
// bursts and coordinated groups reach the signals topic, and Ctrl-C (context end) is a clean
// exit.
func TestReplayThenProcessFindsTheOperation(t *testing.T) {
	broker := testenv.Kafka(t)
	runID := fmt.Sprintf("test.process.%d", time.Now().UnixNano())
	scfg := stream.DefaultConfig()
	scfg.Brokers = []string{broker}
	tp := &scfg.Topics
	for _, p := range []*string{&tp.Posts, &tp.SiteChanges, &tp.Mentions, &tp.CoShares, &tp.Signals, &tp.Alerts, &tp.DeadLetter} {
		*p = runID + "." + *p
	}
	t.Cleanup(func() { _ = stream.DeleteTopics(context.Background(), scfg, tp.All()...) })
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "leakwatch.yaml")
	yaml := fmt.Sprintf("kafka:\n  brokers: [%q]\n  group_prefix: %q\n  topics: {posts: %q, sitechanges: %q, mentions: %q, coshares: %q, signals: %q, alerts: %q, deadletter: %q}\nmetrics: \"\"\n",
		broker, runID+".", tp.Posts, tp.SiteChanges, tp.Mentions, tp.CoShares, tp.Signals, tp.Alerts, tp.DeadLetter)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	// A 3-day campaign with a leak dump amplified by bots, as JSON lines of posts.
	sc := scenario.DefaultConfig()
	sc.Days, sc.Accounts = 3, 600
	sc.Start = time.Date(2017, 5, 4, 0, 0, 0, 0, time.UTC)
	s, err := scenario.Generate(sc)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, tw := range s.Tweets {
		p, _, err := archive.DecodeLine(tw)
		if err != nil || p == nil {
			t.Fatalf("scenario tweet: %v", err)
		}
		b, _ := json.Marshal(p)
		buf.Write(append(b, '\n'))
	}
	file := filepath.Join(dir, "campaign.jsonl")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"replay", "--config", cfgPath, file}, &out, &errOut); code != 0 {
		t.Fatalf("replay exited %d: %s", code, errOut.String())
	}

	pctx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	var pout, perr bytes.Buffer
	go func() {
		done <- run(pctx, []string{"process", "--stage", "all", "--config", cfgPath, "--source-idle", "1s", "--flush-idle", "3s"}, &pout, &perr)
	}()
	kinds := map[leakwatch.SignalKind]int{}
	for ctx.Err() == nil && (kinds[leakwatch.SignalBurst] == 0 || kinds[leakwatch.SignalGroup] == 0) {
		time.Sleep(time.Second)
		ranges, err := stream.TopicRanges(ctx, scfg, tp.Signals)
		if err != nil {
			continue
		}
		clear(kinds)
		for p, r := range ranges {
			_ = stream.ReadPartition(ctx, scfg, tp.Signals, p, r.First, r.End, func(recs []stream.Record) error {
				for _, rec := range recs {
					if sig, err := stream.Decode[leakwatch.Signal](rec); err == nil {
						kinds[sig.Kind]++
					}
				}
				return nil
			})
		}
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("process exited %d after Ctrl-C: %s", code, perr.String())
	}
	if kinds[leakwatch.SignalBurst] == 0 || kinds[leakwatch.SignalGroup] == 0 {
		t.Fatalf("signals topic holds %v: want bursts and coordinated groups", kinds)
	}
	t.Logf("signals: %v", kinds)
}

// TestEachProcessItsOwnMetrics: the stages of one host run as separate processes from one
// config, whose metrics address only one can hold. --metrics gives each its own (or none),
// and the second on the config's address is told so.
func TestEachProcessItsOwnMetrics(t *testing.T) {
	c := Config{Metrics: "127.0.0.1:9464"}
	for _, tc := range []struct{ flag, want string }{{"", "127.0.0.1:9464"}, {"127.0.0.1:9465", "127.0.0.1:9465"}, {"off", ""}} {
		got := c
		got.setMetrics(tc.flag)
		if got.Metrics != tc.want {
			t.Errorf("--metrics %q: serves on %q, want %q", tc.flag, got.Metrics, tc.want)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = listenMetrics(ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "give this one --metrics 127.0.0.1:PORT") {
		t.Errorf("metrics on a taken address: %v; want the bind error and how to give this process its own", err)
	}
}

// A role whose metrics address cannot be opened fails before it touches Kafka: it used to
// join its consumer group first, take partitions from the running member, and hand them back.
func TestProcessMetricsAddressFailsFirst(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "lw.yaml")
	if err := os.WriteFile(conf, []byte("kafka:\n  brokers: [\"127.0.0.1:1\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"process", "--stage", "detect", "--config", conf, "--metrics", "127.0.0.1:99999"},
	} {
		start := time.Now()
		code, _, stderr := runCmd(t, args...)
		if code == 0 || !strings.Contains(stderr, "invalid port") || time.Since(start) > 5*time.Second {
			t.Errorf("%v: exit %d after %v, %q; want the metrics address refused at once", args, code, time.Since(start).Round(time.Millisecond), stderr)
		}
	}
}
