package bluesky

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A Jetstream that accepted the connection and never answered the handshake held the source
// forever, with no log line: the handshake is bounded by connect_timeout, and the runner
// logs the failure and dials again.
func TestJetstreamServerThatNeverAnswers(t *testing.T) {
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
	defer func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	cfg := DefaultConfig()
	cfg.URL = "ws://" + ln.Addr().String() + "/subscribe"
	cfg.ConnectTimeout = 200 * time.Millisecond
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	src, err := New(cfg, Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- collectors.Run(ctx, src, func(context.Context, collectors.Record) error { return nil }, collectors.RunOptions{Config: fastRun(), Log: log})
	}()
	want := "no WebSocket handshake within connect_timeout 200ms"
	for ctx.Err() == nil && strings.Count(logs.String(), want) < 2 {
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
	for _, w := range []string{"level=WARN", "source failed, reconnecting", "phase=connect", "/subscribe?"} {
		if !strings.Contains(warn, w) {
			t.Errorf("warning %q does not say %q", warn, w)
		}
	}
	mu.Lock()
	n := len(conns)
	mu.Unlock()
	if n < 2 {
		t.Errorf("%d connections, want the source to dial again after the first timed out", n)
	}
}

// A cursor file in a missing or unwritable directory was accepted: the cursor was never
// saved (a warning at close at most) and a restart lost its resume point.
func TestJetstreamCursorFileMustBeWritable(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CursorFile = filepath.Join(t.TempDir(), "nodir", "bluesky.cursor")
	_, err := New(cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "cursor_file "+cfg.CursorFile) || !strings.Contains(err.Error(), "create the directory") {
		t.Fatalf("cursor file in a missing directory: err = %v", err)
	}
	if os.Geteuid() == 0 {
		return // root writes in a read-only directory
	}
	ro := t.TempDir()
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(ro, 0o755)
	cfg.CursorFile = filepath.Join(ro, "bluesky.cursor")
	if _, err := New(cfg, Options{}); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("cursor file in a read-only directory: err = %v", err)
	}
}
