package mastodon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/collectortest"
)

// A streaming server that accepted the connection and never answered held the source
// forever, with no log line: the runner now logs the failure and reconnects.
func TestStreamServerThatNeverAnswers(t *testing.T) {
	cfg := DefaultConfig()
	cfg.StallTimeout = 200 * time.Millisecond
	cfg.Instances = []InstanceConfig{{URL: "http://" + collectortest.SilentServer(t).Addr, Streams: []string{"public"}}}
	srcs, err := Sources(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	warn := collectortest.ReconnectWarning(t, srcs[0], fastRun(), "no response within 200ms (stall_timeout)")
	for _, w := range []string{"level=WARN", "source failed, reconnecting", "phase=connect", "/api/v1/streaming/public"} {
		if !strings.Contains(warn, w) {
			t.Errorf("warning %q does not say %q", warn, w)
		}
	}
}

// A timeline that never answered the backfill held Connect, and so the open stream,
// forever: the page is bounded by stall_timeout, and the gap is reported as a failed
// backfill while the stream goes on.
func TestBackfillServerThatNeverAnswers(t *testing.T) {
	quit := make(chan struct{})
	srv := backfillServer(t, func(w http.ResponseWriter, r *http.Request) {
		select { // accepted, never answered
		case <-r.Context().Done():
		case <-quit:
		}
	})
	defer srv.Close()
	defer close(quit)
	cfg := DefaultConfig()
	cfg.StallTimeout = 200 * time.Millisecond
	cfg.Instances = []InstanceConfig{{URL: srv.URL, Streams: []string{"public"}}}
	reg := prometheus.NewPedanticRegistry()
	metrics := collectors.NewMetrics(reg)
	var logs collectortest.LogBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srcs, err := Sources(cfg, Options{Log: log, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	src := srcs[0]
	ctx := context.Background()
	if err := src.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if r, err := src.Read(ctx); err != nil || r.Post == nil {
		t.Fatalf("first status: %+v %v", r, err)
	}
	src.Close(ctx)
	start := time.Now()
	connected := make(chan error, 1)
	go func() { connected <- src.Connect(ctx) }()
	select {
	case err := <-connected:
		if err != nil {
			t.Fatalf("reconnect: %v (the stream is up; only the backfill failed)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Connect still waiting for the backfill after 5s")
	}
	defer src.Close(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("reconnect took %v, want about stall_timeout", d)
	}
	if !strings.Contains(logs.String(), "backfill after reconnect failed") || !strings.Contains(logs.String(), "no complete answer within 200ms") {
		t.Errorf("log does not report the backfill that timed out:\n%s", logs.String())
	}
	failed := collectortest.Notices(t, reg, "backfill_failed")
	if failed != 1 {
		t.Errorf("backfill_failed notices = %v, want 1", failed)
	}
}

// An event cut mid-line by a dropped connection reached the dead letters with an empty
// value: the data that arrived is kept, the cut is named, and the source reconnects.
func TestStreamEventCutByDrop(t *testing.T) {
	status := string(read(t, "status.json"))
	half := status[:len(status)/2]
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns++
		first := conns == 1
		mu.Unlock()
		if !first {
			sse(w, r, nil, true)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, ":)\n\nevent: update\ndata: "+half)
		w.(http.Flusher).Flush()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close() // the chunked body never ends: the client reads an unexpected EOF
		}
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Instances = []InstanceConfig{{URL: srv.URL, Streams: []string{"public"}}}
	srcs, err := Sources(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var bad *collectors.BadRecord
	err = collectors.Run(ctx, srcs[0], func(_ context.Context, r collectors.Record) error {
		if r.Bad != nil {
			bad = r.Bad
			go func() { // done once the source has reconnected
				for ctx.Err() == nil {
					mu.Lock()
					n := conns
					mu.Unlock()
					if n >= 2 {
						cancel()
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
		}
		return nil
	}, collectors.RunOptions{Config: fastRun()})
	if err != nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("Run: %v (ctx %v): want a bad record and a reconnect", err, ctx.Err())
	}
	if bad == nil {
		t.Fatal("no bad record for the cut event")
	}
	if string(bad.Raw) != half || !strings.Contains(bad.Err.Error(), `event "update": stream ended inside the event`) || !strings.Contains(bad.Err.Error(), "line cut after") {
		t.Errorf("bad record err %v raw %q, want the cut named and the data that arrived", bad.Err, bad.Raw)
	}
}
