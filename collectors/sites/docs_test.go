package sites

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/COLLECTORS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "\n## Sites\n")
	if !ok {
		t.Fatal(`docs/COLLECTORS.md has no "Sites" section`)
	}
	rest, _, _ = strings.Cut(rest, "\n## ")
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(rest)
	if m == nil {
		t.Fatal("Sites section has no yaml example")
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(m[1]), &top); err != nil {
		t.Fatal(err)
	}
	node := top["sites"]
	out, _ := yaml.Marshal(&node)
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	cfg := DefaultConfig()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("example: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("documented example does not validate: %v", err)
	}
	if len(cfg.Targets) != 2 || cfg.Targets[0].Interval != 2*time.Minute || len(cfg.Targets[0].Ignore) != 3 {
		t.Fatalf("example decoded as %+v", cfg)
	}
}
