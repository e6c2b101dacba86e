package archive

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/leakwatch/leakwatch/collectors"
)

// Source is an archive file as a collectors.Source: Read returns every record in file order,
// then collectors.ErrEndOfInput.
type Source struct {
	path string
	opts Options

	mu     sync.Mutex
	r      *Reader
	ended  bool
	closed bool
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

// Connect opens the file. Called again after a transient error, it keeps the open file and
// its position, so a reconnect never replays records already read.
func (s *Source) Connect(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("archive: source closed")
	}
	if s.r != nil {
		return nil
	}
	r, err := Open(s.path, s.opts)
	if err != nil {
		return err
	}
	s.r = r
	return nil
}

// Read returns the next record, collectors.ErrEndOfInput after the last one, or
// collectors.ErrNotConnected before Connect.
func (s *Source) Read(ctx context.Context) (collectors.Record, error) {
	if err := ctx.Err(); err != nil {
		return collectors.Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return collectors.Record{}, collectors.ErrNotConnected
	}
	if s.ended {
		return collectors.Record{}, collectors.ErrEndOfInput
	}
	rec, err := s.r.NextRecord()
	if errors.Is(err, io.EOF) {
		s.ended = true
		return collectors.Record{}, collectors.ErrEndOfInput
	}
	return rec, err
}

// Stats returns the reader's counts so far (zero before Connect).
func (s *Source) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return Stats{}
	}
	return s.r.Stats()
}

// Close closes the file.
func (s *Source) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.r == nil {
		return nil
	}
	err := s.r.Close()
	s.r = nil
	return err
}
