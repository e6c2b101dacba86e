package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// tempRuns stores the sorted runs of `analyze` as files in a temporary directory, removed
// by Close whatever happened.
type tempRuns struct {
	dir string
	n   int
}

func newTempRuns(parent string) (*tempRuns, error) {
	dir, err := os.MkdirTemp(parent, "leakwatch-analyze-")
	if err != nil {
		return nil, fmt.Errorf("directory for sorted runs: %w", err)
	}
	return &tempRuns{dir: dir}, nil
}

func (t *tempRuns) path(i int) string { return filepath.Join(t.dir, fmt.Sprintf("run-%05d", i+1)) }

// Create opens the next run file.
func (t *tempRuns) Create() (io.WriteCloser, error) {
	f, err := os.Create(t.path(t.n))
	if err != nil {
		return nil, err
	}
	t.n++
	return f, nil
}

// Open reads run i back.
func (t *tempRuns) Open(i int) (io.ReadCloser, error) { return os.Open(t.path(i)) }

// Close removes every run.
func (t *tempRuns) Close() error { return os.RemoveAll(t.dir) }
