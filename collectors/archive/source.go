package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/leakwatch/leakwatch/collectors"
)

// Source is an archive file as a collectors.Source: Read returns every record in file order,
// then collectors.ErrEndOfInput.
type Source struct {
	path string
	opts Options

	mu    sync.Mutex
	r     *Reader
	read  int   // records Read returned, skipped when the file is opened again
	stats Stats // the reader's counts when Close released it
	ended bool
}

var _ collectors.Source = (*Source)(nil)

// NewSource reads path with opts once connected.
func NewSource(path string, opts Options) *Source {
	if opts.Name == "" {
		opts.Name = "archive"
	}
	return &Source{path: path, opts: opts}
}

// Name is the configured source name.
func (s *Source) Name() string { return s.opts.Name }

// Connect opens the file. Called again, also after Close (collectors.Run closes a source
// before it reconnects), it goes on after the last record Read returned, so a reconnect never
// replays records already read. A file that cannot be opened, or no longer reads as far as
// before, is a permanent error: reconnecting would only fail again.
func (s *Source) Connect(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r != nil || s.ended {
		return nil
	}
	r, err := Open(s.path, s.opts)
	if err != nil {
		return collectors.Permanent(err)
	}
	// Reading the records again is the only way to find a position in a gzip stream; it
	// happens only on a reconnect.
	for range s.read {
		if _, err := r.NextRecord(); err != nil {
			r.Close()
			return collectors.Permanent(fmt.Errorf("%s: reopened: %w", s.path, err))
		}
	}
	s.r = r
	return nil
}

// Read returns the next record, collectors.ErrEndOfInput after the last one, or
// collectors.ErrNotConnected before Connect. A read error (a truncated gzip stream) is
// permanent, naming the file, the line and the reason: the file will not read further.
func (s *Source) Read(ctx context.Context) (collectors.Record, error) {
	if err := ctx.Err(); err != nil {
		return collectors.Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return collectors.Record{}, collectors.ErrEndOfInput
	}
	if s.r == nil {
		return collectors.Record{}, collectors.ErrNotConnected
	}
	rec, err := s.r.NextRecord()
	switch {
	case errors.Is(err, io.EOF):
		s.ended = true
		return collectors.Record{}, collectors.ErrEndOfInput
	case err != nil:
		return collectors.Record{}, collectors.Permanent(fmt.Errorf("archive read: %w", err))
	}
	s.read++
	return rec, nil
}

// Stats returns the reader's counts so far (zero before Connect).
func (s *Source) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return s.stats
	}
	return s.r.Stats()
}

// Close releases the file; a later Connect opens it again where reading stopped.
func (s *Source) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return nil
	}
	s.stats = s.r.Stats()
	err := s.r.Close()
	s.r = nil
	return err
}
