package feeds

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// docExample returns the yaml example of a "## name" section of docs/COLLECTORS.md, decoded
// strictly into cfg under its top-level key.
func docExample(t *testing.T, section, key string, cfg any) {
	t.Helper()
	doc, err := os.ReadFile("../../docs/COLLECTORS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "\n## "+section+"\n")
	if !ok {
		t.Fatalf("docs/COLLECTORS.md has no %q section", section)
	}
	rest, _, _ = strings.Cut(rest, "\n## ")
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(rest)
	if m == nil {
		t.Fatalf("section %q has no yaml example", section)
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(m[1]), &top); err != nil {
		t.Fatal(err)
	}
	node, ok := top[key]
	if !ok || len(top) != 1 {
		t.Fatalf("example keys %v, want only %q", top, key)
	}
	out, _ := yaml.Marshal(&node)
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		t.Fatalf("example: %v", err)
	}
}

func TestDocsExample(t *testing.T) {
	cfg := DefaultConfig()
	docExample(t, "Feeds", "feeds", &cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("documented example does not validate: %v", err)
	}
	if len(cfg.Feeds) != 3 || cfg.Feeds[1].Interval.String() != "1m0s" || cfg.MaxRetryAfter.String() != "6h0m0s" {
		t.Fatalf("example decoded as %+v", cfg)
	}
}
