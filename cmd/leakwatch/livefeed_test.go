package main

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/dashboards/live"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// A live page keeps its state in memory: restarted, or started beside another one, it must
// still show every detection the topics hold, not only what arrives after it joined.
func TestLivePageRebuildsFromTheTopics(t *testing.T) {
	run := fmt.Sprintf("livefeed%d", time.Now().UnixNano())
	cfg := stream.DefaultConfig()
	cfg.Brokers = []string{testenv.Kafka(t)}
	cfg.GroupPrefix = run + "-"
	tp := &cfg.Topics
	for _, p := range []*string{&tp.Posts, &tp.SiteChanges, &tp.Mentions, &tp.CoShares, &tp.Signals, &tp.Alerts, &tp.DeadLetter} {
		*p = run + "." + *p
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := stream.EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stream.DeleteTopics(context.Background(), cfg, tp.All()...) })
	w, err := stream.NewWriter(cfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	m, err := stream.EncodeSignal(tp.Signals, leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:macronleaks", Onset: at, Evidence: []string{"domain:pastebin.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, m); err != nil {
		t.Fatal(err)
	}
	// page runs one live page until it shows the leak, or fails after a while.
	page := func(name string) {
		st := live.NewState(time.Minute)
		pctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- feedLive(pctx, cfg, liveGroup(), st, slog.New(slog.DiscardHandler), nil) }()
		deadline := time.Now().Add(30 * time.Second)
		for st.Snapshot().Counts.Leaks == 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		stop()
		<-done
		if n := st.Snapshot().Counts.Leaks; n != 1 {
			t.Errorf("%s: %d leaks shown, want the one the signals topic holds", name, n)
		}
	}
	page("first page")
	page("page restarted")

	// The demo prints its summary once the page's own reader has committed every record: not
	// before it started, and only after it did. The signal above is correlate's input too: a
	// correlate that does nothing reads it first, so only the page can hold the summary back.
	corr, err := stream.NewGroup(cfg, "correlate", []string{tp.CoShares, tp.Signals, tp.SiteChanges}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cstop := context.WithCancel(ctx)
	cdone := make(chan error, 1)
	go func() { cdone <- corr.Run(cctx, func(context.Context, []stream.Record) error { return nil }) }()
	defer func() { cstop(); <-cdone }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if lag, err := groupLag(ctx, cfg, corr.ID(), tp.Signals); err == nil && lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("correlate never read the signal")
		}
	}
	st, group := live.NewState(time.Minute), liveGroup()
	if _, caughtUp := pipelineMark(ctx, cfg, st, group); caughtUp {
		t.Fatal("a page that has read nothing counts as caught up")
	}
	pctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- feedLive(pctx, cfg, group, st, slog.New(slog.DiscardHandler), nil) }()
	defer func() { stop(); <-done }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, caughtUp := pipelineMark(ctx, cfg, st, group); caughtUp {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page read the topics (%d leaks shown) but never counts as caught up", st.Snapshot().Counts.Leaks)
		}
	}
}
