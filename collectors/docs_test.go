package collectors_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/bluesky"
	"github.com/leakwatch/leakwatch/collectors/feeds"
	"github.com/leakwatch/leakwatch/collectors/mastodon"
	"github.com/leakwatch/leakwatch/collectors/sites"
	"github.com/leakwatch/leakwatch/collectors/twitter"
)

// The YAML examples in docs/COLLECTORS.md must be valid configs: every field known, every
// value accepted by Validate.
func TestDocsExamplesAreValidConfigs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "COLLECTORS.md"))
	if err != nil {
		t.Fatal(err)
	}
	type validator interface{ Validate() error }
	configs := map[string]func() any{
		"run":        func() any { c := collectors.DefaultRunConfig(); return &c },
		"twitter_v2": func() any { c := twitter.DefaultV2Config(); return &c },
		"twitter_v1": func() any { c := twitter.DefaultV1Config(); return &c },
		"mastodon":   func() any { c := mastodon.DefaultConfig(); return &c },
		"bluesky":    func() any { c := bluesky.DefaultConfig(); return &c },
		"feeds":      func() any { c := feeds.DefaultConfig(); return &c },
		"sites":      func() any { c := sites.DefaultConfig(); return &c },
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1) {
		var top map[string]yaml.Node
		if err := yaml.Unmarshal(m[1], &top); err != nil {
			t.Fatalf("example does not parse: %v\n%s", err, m[1])
		}
		for key, node := range top {
			mk, ok := configs[key]
			if !ok {
				continue // an example of something other than a source config
			}
			seen[key] = true
			// twitter_v2, twitter_v1 and bluesky are lists of sources in the config file
			// (cmd/leakwatch TestCollectorsDocExamplesLoad loads the examples as a file).
			items := []*yaml.Node{&node}
			if node.Kind == yaml.SequenceNode {
				items = node.Content
			}
			for _, item := range items {
				cfg := mk()
				out, _ := yaml.Marshal(item)
				dec := yaml.NewDecoder(bytes.NewReader(out))
				dec.KnownFields(true)
				if err := dec.Decode(cfg); err != nil {
					t.Errorf("%s: %v", key, err)
					continue
				}
				if err := cfg.(validator).Validate(); err != nil {
					t.Errorf("%s example does not validate: %v", key, err)
				}
			}
		}
	}
	for key := range configs {
		if !seen[key] {
			t.Errorf("docs/COLLECTORS.md has no example for %s", key)
		}
	}
}
