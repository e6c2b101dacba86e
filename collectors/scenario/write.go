package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/leakwatch/leakwatch/analytics/entities"
)

// Files a scenario directory holds.
const (
	PostsFile       = "posts.jsonl"
	TruthFile       = "truth.json"
	CalendarFile    = "calendar.yaml"
	SiteChangesFile = "sitechanges.jsonl"
	// ConfigFile is a leakwatch configuration naming the campaign's candidates (Candidates),
	// for analyze --config: without it a record names no candidate it is about.
	ConfigFile = "config.yaml"
)

// WriteDir writes posts.jsonl, sitechanges.jsonl, truth.json, calendar.yaml and config.yaml
// into dir, creating it when needed.
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
	if err := os.WriteFile(filepath.Join(dir, CalendarFile), CalendarYAML, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ConfigFile), ConfigYAML(), 0o644)
}

// ConfigYAML is the configuration file of a scenario directory: the analysis section with
// the candidates the generated campaign talks about.
func ConfigYAML() []byte {
	var c struct {
		Analysis struct {
			Entities struct {
				Candidates []entities.Candidate `yaml:"candidates"`
			} `yaml:"entities"`
		} `yaml:"analysis"`
	}
	c.Analysis.Entities.Candidates = Candidates()
	var b bytes.Buffer
	b.WriteString("# The candidates of the generated campaign, for leakwatch analyze --config: records then\n# say which candidate they are about.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		panic(err) // a fixed value of plain types always encodes
	}
	return b.Bytes()
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
