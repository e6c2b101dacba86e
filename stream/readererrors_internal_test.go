package stream

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// A reader looping on an error says so at Warn once, not at every retry, and says it again
// for another kind of error; a stop (context canceled) is not a warning.
func TestReaderErrorsWarnOncePerKind(t *testing.T) {
	var buf bytes.Buffer
	r := &readerErrors{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	const stuck = "kafka reader got an unknown error reading partition %d of %s at offset %d: %s"
	for range 500 {
		r.Printf(stuck, 0, "leakwatch.alerts.v1", 10, "unsupported magic byte -1 in header")
	}
	r.Printf("the kafka reader got an unknown error: %s", "broken pipe")
	r.Printf("the kafka reader got an unknown error: %s", "context canceled")
	var warns []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(l, "level=WARN") {
			warns = append(warns, l)
		}
	}
	if len(warns) != 2 || !strings.Contains(warns[0], "offset 10: unsupported magic byte") || !strings.Contains(warns[1], "broken pipe") {
		t.Errorf("warnings:\n%s\nwant the stuck partition once, then the other error", strings.Join(warns, "\n"))
	}
	if n := strings.Count(buf.String(), "level=DEBUG"); n != 500 {
		t.Errorf("%d debug lines, want the 499 repeats and the stop", n)
	}
}
