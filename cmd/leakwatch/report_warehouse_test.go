package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/warehouse"
)

// A report from the warehouse, without --calendar, draws the calendar the sink stored: the
// only one stored, or the one --campaign names when several are.
func TestReportFromWarehouseDrawsStoredCalendar(t *testing.T) {
	addr := testenv.ClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wcfg := warehouse.DefaultConfig()
	wcfg.Addr, wcfg.Database = addr, fmt.Sprintf("lwtest_report_%d", time.Now().UnixNano())
	w, err := warehouse.Open(ctx, wcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = w.Query(context.Background(), "DROP DATABASE IF EXISTS "+wcfg.Database)
		w.Close()
	})
	start := time.Date(2017, 5, 5, 12, 0, 0, 0, time.UTC)
	var mentions []leakwatch.Mention
	for i := range 120 {
		at, post := start.Add(time.Duration(i)*15*time.Minute), fmt.Sprintf("twitter:%d", i)
		mentions = append(mentions,
			leakwatch.Mention{Object: leakwatch.AllPosts, Account: "a", Post: post, Platform: "twitter", At: at},
			leakwatch.Mention{Object: "candidate:macron", Account: "a", Post: post, Platform: "twitter", At: at})
	}
	if err := w.InsertMentions(ctx, mentions); err != nil {
		t.Fatal(err)
	}
	// A group of three accounts stored with its edges: the report's network is the stored one,
	// handles and all.
	t1 := start.Add(2 * time.Hour)
	edge := func(k leakwatch.ObjectKind, a, b, ah, bh string, w int) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: k, A: a, B: b, AHandle: ah, BHandle: bh, Weight: w, First: t1, Last: t1.Add(time.Hour), Score: 3}}
	}
	if err := w.InsertSignals(ctx, []leakwatch.Signal{
		edge(leakwatch.KindURL, "11", "22", "alice", "bob", 3), edge(leakwatch.KindHashtag, "11", "22", "alice", "bob", 2), edge(leakwatch.KindURL, "22", "33", "bob", "carol", 4),
		{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-1", Accounts: []string{"11", "22", "33"}, AccountHandles: []string{"alice", "bob", "carol"},
			ObjectKinds: []leakwatch.ObjectKind{leakwatch.KindURL}, First: t1, Last: t1.Add(time.Hour), Formed: t1, FirstMovers: []string{"11"}, FirstMoverHandles: []string{"alice"}}},
	}); err != nil {
		t.Fatal(err)
	}
	silence := leakwatch.Event{ID: "silence-r2", Kind: leakwatch.EventSilence, Title: "Campaign silence", Start: time.Date(2017, 5, 5, 22, 0, 0, 0, time.UTC), End: time.Date(2017, 5, 7, 18, 0, 0, 0, time.UTC)}
	if err := w.InsertCalendar(ctx, leakwatch.Calendar{Name: "fr-2017-presidential", Timezone: "Europe/Paris", Events: []leakwatch.Event{silence}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "leakwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("clickhouse:\n  addr: %q\n  database: %q\nmetrics: \"\"\n", addr, wcfg.Database)), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastOut string
	report := func(extra ...string) (string, int, string) {
		out := filepath.Join(dir, fmt.Sprintf("report%d", time.Now().UnixNano()))
		args := append([]string{"report", "--config", cfgPath, "--from", "2017-05-05T00:00:00Z", "--to", "2017-05-08T00:00:00Z", "--out", out}, extra...)
		var stdout, stderr strings.Builder
		code := run(ctx, args, &stdout, &stderr)
		svg, _ := os.ReadFile(filepath.Join(out, "timeline.svg"))
		lastOut = out
		return string(svg), code, stderr.String()
	}

	svg, code, stderr := report()
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if !strings.Contains(svg, ">silence-r2<") {
		t.Errorf("the timeline lacks the stored silence period:\n%s", svg)
	}
	graph, err := os.ReadFile(filepath.Join(lastOut, "network.graphml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<node id="11"><data key="label">alice</data><data key="handle">alice</data><data key="group">g-1</data><data key="group_size">3</data><data key="first_mover">true</data></node>`,
		`source="11" target="22"><data key="weight">5</data><data key="kinds">url hashtag</data>`,
		`source="22" target="33"><data key="weight">4</data>`,
	} {
		if !strings.Contains(string(graph), want) {
			t.Errorf("network.graphml from the warehouse lacks %s:\n%s", want, graph)
		}
	}
	// Hourly buckets, as analyze writes volume.json: the same posts read the same either way
	// (a bucket of a 300th of the range drew these three days "per 14 min", a quarter as high).
	if !strings.Contains(svg, "mentions per hour") {
		t.Errorf("the timeline's value axis does not count mentions per hour, as a report from analyze's output does:\n%s", svg)
	}
	if svg, code, stderr := report("--volume-bucket", "15m"); code != 0 || !strings.Contains(svg, "mentions per 15 min") {
		t.Errorf("report --volume-bucket 15m: exit %d, %s; per 15 min: %v", code, stderr, strings.Contains(svg, "mentions per 15 min"))
	}
	if _, code, stderr := report("--volume-bucket", "90s"); code != 2 || !strings.Contains(stderr, "--volume-bucket 1m30s: want whole minutes") {
		t.Errorf("report --volume-bucket 90s (the rollup counts per minute): exit %d, %q; want a usage error", code, stderr)
	}

	if err := w.InsertCalendar(ctx, leakwatch.Calendar{Name: "de-2021-federal", Events: []leakwatch.Event{{ID: "vote", Kind: leakwatch.EventVote, Start: time.Date(2021, 9, 26, 6, 0, 0, 0, time.UTC)}}}); err != nil {
		t.Fatal(err)
	}
	if _, code, stderr := report(); code == 0 || !strings.Contains(stderr, "--campaign") || !strings.Contains(stderr, "de-2021-federal, fr-2017-presidential") {
		t.Errorf("report with two calendars stored and none chosen: exit %d, %q; want a usage error naming both", code, stderr)
	}
	if svg, code, stderr := report("--campaign", "fr-2017-presidential"); code != 0 || !strings.Contains(svg, ">silence-r2<") {
		t.Errorf("report --campaign fr-2017-presidential: exit %d, %s; silence drawn: %v", code, stderr, strings.Contains(svg, ">silence-r2<"))
	}
}
