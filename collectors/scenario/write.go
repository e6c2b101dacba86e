package scenario

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Files a scenario directory holds.
const (
	PostsFile       = "posts.jsonl"
	TruthFile       = "truth.json"
	CalendarFile    = "calendar.yaml"
	SiteChangesFile = "sitechanges.jsonl"
)

// WriteDir writes posts.jsonl, sitechanges.jsonl, truth.json and calendar.yaml into dir,
// creating it when needed.
func (s *Scenario) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeLines(filepath.Join(dir, PostsFile), s.Tweets); err != nil {
		return err
	}
	changes := make([][]byte, len(s.Changes))
	for i, c := range s.Changes {
		b, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("site change %s: %w", c.Target, err)
		}
		changes[i] = b
	}
	if err := writeLines(filepath.Join(dir, SiteChangesFile), changes); err != nil {
		return err
	}
	truth, err := json.MarshalIndent(s.Truth, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, TruthFile), append(truth, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, CalendarFile), CalendarYAML, 0o644)
}

func writeLines(path string, lines [][]byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, l := range lines {
		w.Write(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
