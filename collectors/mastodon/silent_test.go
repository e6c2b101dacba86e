package mastodon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/collectors"
)

// silentServer accepts connections and never answers them, as a hung proxy does.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// A streaming server that accepted the connection and never answered held the source
// forever, with no log line: the runner now logs the failure and reconnects.
func TestStreamServerThatNeverAnswers(t *testing.T) {
	cfg := DefaultConfig()
	cfg.StallTimeout = 200 * time.Millisecond
	cfg.Instances = []InstanceConfig{{URL: silentServer(t), Streams: []string{"public"}}}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srcs, err := Sources(cfg, Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- collectors.Run(ctx, srcs[0], func(context.Context, collectors.Record) error { return nil }, collectors.RunOptions{Config: fastRun(), Log: log})
	}()
	want := "no response within 200ms (stall_timeout)"
	for ctx.Err() == nil && !strings.Contains(logs.String(), want) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	var warn string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, want) {
			warn = l
			break
		}
	}
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
	var mu sync.Mutex
	conns := 0
	quit := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/streaming/public":
			mu.Lock()
			conns++
			first := conns == 1
			mu.Unlock()
			if first {
				sse(w, r, []byte("event: update\ndata: "+string(read(t, "status.json"))+"\n\n"), false)
			} else {
				sse(w, r, nil, true)
			}
		case "/api/v1/timelines/public":
			select { // accepted, never answered
			case <-r.Context().Done():
			case <-quit:
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	defer close(quit)
	cfg := DefaultConfig()
	cfg.StallTimeout = 200 * time.Millisecond
	cfg.Instances = []InstanceConfig{{URL: srv.URL, Streams: []string{"public"}}}
	reg := prometheus.NewPedanticRegistry()
	metrics := collectors.NewMetrics(reg)
	var logs syncBuffer
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
	failed := 0.0
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "leakwatch_collector_notices_total" {
			for _, m := range mf.Metric {
				for _, l := range m.Label {
					if l.GetName() == "kind" && l.GetValue() == "backfill_failed" {
						failed += m.Counter.GetValue()
					}
				}
			}
		}
	}
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
