// Package collectors turns platform data into leakwatch posts and site changes.
// Each source lives in its own package below this one; this package holds the contract they
// share and the one place that reconnects with backoff, so no source reimplements it.
// It must not import stream, warehouse or analytics: the caller decides where records go.
package collectors

import (
	"context"
	"errors"

	"github.com/leakwatch/leakwatch"
)

var (
	// ErrNotConnected is returned by Read before Connect succeeded or after the connection dropped;
	// the runner reconnects.
	ErrNotConnected = errors.New("not connected")
	// ErrEndOfInput is returned by Read when a finite source (a file, a replay) is exhausted.
	ErrEndOfInput = errors.New("end of input")
)

// Source is one stream of records from one platform endpoint.
// Connect may be called again after Read returned ErrNotConnected (or any transient error).
type Source interface {
	Name() string
	Connect(ctx context.Context) error
	Read(ctx context.Context) (Record, error)
	Close(ctx context.Context) error
}

// Record is what a source read: a post, a site change, or input it could not decode.
// Bad input is never dropped: it travels as a Bad record to the dead-letter topic.
type Record struct {
	Post   *leakwatch.Post
	Change *leakwatch.SiteChange
	Bad    *BadRecord
}

// BadRecord is input a source could not turn into a post, with the reason.
type BadRecord struct {
	Source string // source name
	Ref    string // where it came from: "file.jsonl:1234", "wss://host/stream event 17"
	Raw    []byte
	Err    error
}

func (b *BadRecord) Error() string { return b.Source + ": " + b.Ref + ": " + b.Err.Error() }
