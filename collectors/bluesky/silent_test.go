package bluesky

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/collectortest"
)

// A Jetstream that accepted the connection and never answered the handshake held the source
// forever, with no log line: the handshake is bounded by connect_timeout, and the runner
// logs the failure and dials again.
func TestJetstreamServerThatNeverAnswers(t *testing.T) {
	silent := collectortest.SilentServer(t)
	cfg := DefaultConfig()
	cfg.URL = "ws://" + silent.Addr + "/subscribe"
	cfg.ConnectTimeout = 200 * time.Millisecond
	src, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	warn := collectortest.ReconnectWarning(t, src, fastRun(), "no WebSocket handshake within connect_timeout 200ms")
	for _, w := range []string{"level=WARN", "source failed, reconnecting", "phase=connect", "/subscribe?"} {
		if !strings.Contains(warn, w) {
			t.Errorf("warning %q does not say %q", warn, w)
		}
	}
	// And it dials again after the failure.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- collectors.Run(ctx, src, func(context.Context, collectors.Record) error { return nil }, collectors.RunOptions{Config: fastRun()})
	}()
	for ctx.Err() == nil && silent.Accepted() < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if n := silent.Accepted(); n < 3 {
		t.Errorf("%d connections, want the source to dial again after each timed out", n)
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
