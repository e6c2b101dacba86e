package stream

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// A reader looping on an error says so at Warn once, not at every retry; a single failure (a
// fetch's i/o timeout at start) and a stop (context canceled) are no warning.
func TestReaderErrorsWarnOfALoop(t *testing.T) {
	var buf bytes.Buffer
	r := &readerErrors{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	r.Printf("the kafka reader got an unknown error reading partition %d of %s at offset %d: %s", 0, "qa4-mentions", 0, "read tcp: i/o timeout")
	r.Printf("the kafka reader got an unknown error: %s", "context canceled")
	const stuck = "kafka reader got an unknown error reading partition %d of %s at offset %d: %s"
	for range 500 {
		r.Printf(stuck, 0, "leakwatch.alerts.v1", 10, "unsupported magic byte -1 in header")
	}
	var warns []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(l, "level=WARN") {
			warns = append(warns, l)
		}
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "offset 10: unsupported magic byte") || !strings.Contains(warns[0], "times_in_the_last_minute=10") {
		t.Errorf("warnings:\n%s\nwant the stuck partition once, after ten tries", strings.Join(warns, "\n"))
	}
	if n := strings.Count(buf.String(), "level=DEBUG"); n != 501 {
		t.Errorf("%d debug lines, want the timeout, the stop and the 499 other tries", n)
	}
}
