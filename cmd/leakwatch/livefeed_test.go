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
}
