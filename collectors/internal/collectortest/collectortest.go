// Package collectortest holds what the collectors' tests share: servers that misbehave as
// platforms do, and a log sink the runner may write to from its goroutines. Tests only.
package collectortest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/collectors"
)

// Silent is a server that accepts connections and never answers them, as a hung proxy or a
// server out of workers does.
type Silent struct {
	Addr  string // host:port
	mu    sync.Mutex
	conns []net.Conn
}

// SilentServer starts a Silent server; its connections are closed when the test ends.
func SilentServer(t testing.TB) *Silent {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Silent{Addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.conns {
			c.Close()
		}
	})
	return s
}

// Accepted is how many connections the server took.
func (s *Silent) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// LogBuffer is a buffer safe to write from several goroutines, for a logger's output.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Notices sums leakwatch_collector_notices_total{kind} on reg, over every source.
func Notices(t testing.TB, reg *prometheus.Registry, kind string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() != "leakwatch_collector_notices_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// ReconnectWarning runs src under collectors.Run with cfg until the runner logs the warning
// of a failure it reconnects after, holding want, and returns that log line. It fails t when
// none comes within 10 s.
func ReconnectWarning(t testing.TB, src collectors.Source, cfg collectors.RunConfig, want string) string {
	t.Helper()
	var logs LogBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- collectors.Run(ctx, src, func(context.Context, collectors.Record) error { return nil }, collectors.RunOptions{Config: cfg, Log: log})
	}()
	for ctx.Err() == nil {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "level=WARN") && strings.Contains(l, "source failed, reconnecting") && strings.Contains(l, want) {
				cancel()
				<-done
				return l
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	<-done
	t.Fatalf("no reconnect warning saying %q within 10s; log:\n%s", want, logs.String())
	return ""
}

// InternalService stands for a service only the host or its network should reach (cloud
// metadata, ClickHouse's HTTP port): it answers body as contentType and counts its requests,
// which a refused fetch must leave at 0.
func InternalService(t testing.TB, contentType, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", contentType)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// Port is the port srv listens on.
func Port(srv *httptest.Server) string {
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return port
}
