package main

import (
	"bytes"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/bluesky"
	"github.com/leakwatch/leakwatch/collectors/feeds"
	"github.com/leakwatch/leakwatch/collectors/mastodon"
	"github.com/leakwatch/leakwatch/collectors/sites"
	"github.com/leakwatch/leakwatch/collectors/twitter"
)

// CollectorsConfig lists the sources `collect` runs. A section with nothing configured
// (no instances, feeds, targets or list entries) is off.
type CollectorsConfig struct {
	Run       collectors.RunConfig         `yaml:"run"`
	TwitterV2 sourceList[twitter.V2Config] `yaml:"twitter_v2"`
	TwitterV1 sourceList[twitter.V1Config] `yaml:"twitter_v1"`
	Mastodon  mastodon.Config              `yaml:"mastodon"`
	Bluesky   sourceList[bluesky.Config]   `yaml:"bluesky"`
	Feeds     feeds.Config                 `yaml:"feeds"`
	Sites     sites.Config                 `yaml:"sites"`
}

// DefaultCollectorsConfig has every source off and the shared reconnect policy.
func DefaultCollectorsConfig() CollectorsConfig {
	return CollectorsConfig{
		Run:      collectors.DefaultRunConfig(),
		Mastodon: mastodon.DefaultConfig(),
		Feeds:    feeds.DefaultConfig(),
		Sites:    sites.DefaultConfig(),
	}
}

// Validate checks the sources that are on.
func (c CollectorsConfig) Validate() error {
	var errs []error
	add := func(section string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", section, err))
		}
	}
	add("run", c.Run.Validate())
	for i, e := range c.TwitterV2 {
		add(fmt.Sprintf("twitter_v2[%d]", i), e.Value.Validate())
	}
	for i, e := range c.TwitterV1 {
		add(fmt.Sprintf("twitter_v1[%d]", i), e.Value.Validate())
	}
	if len(c.Mastodon.Instances) > 0 {
		add("mastodon", c.Mastodon.Validate())
	}
	for i, e := range c.Bluesky {
		add(fmt.Sprintf("bluesky[%d]", i), e.Value.Validate())
	}
	if len(c.Feeds.Feeds) > 0 {
		add("feeds", c.Feeds.Validate())
	}
	if len(c.Sites.Targets) > 0 {
		add("sites", c.Sites.Validate())
	}
	return errors.Join(errs...)
}

// sourceList is a section holding a list of sources of one kind. A single mapping (the form
// docs/COLLECTORS.md once showed) is refused in words: yaml's own message was "cannot
// unmarshal !!map into []main.entry[github.com/...V2Config]".
type sourceList[T any] []entry[T]

func (l *sourceList[T]) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		*l = nil // "twitter_v2:" with nothing under it: off
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		how := ""
		if n.Kind == yaml.MappingNode {
			how = `, not a single mapping: write "- " before its first field and indent the others under it`
		}
		return fmt.Errorf("line %d: collectors.%s takes a list of sources (- name: ...)%s", n.Line, sectionName[T](), how)
	}
	var es []entry[T]
	if err := n.Decode(&es); err != nil {
		return err
	}
	*l = es
	return nil
}

// sectionName is the config key of the sources of type T.
func sectionName[T any]() string {
	switch any(new(T)).(type) {
	case *twitter.V2Config:
		return "twitter_v2"
	case *twitter.V1Config:
		return "twitter_v1"
	case *bluesky.Config:
		return "bluesky"
	}
	return fmt.Sprintf("%T", *new(T))
}

// entry is one element of a list of sources: it decodes over its package's defaults, as
// the sections that are not lists do, and rejects unknown fields like the rest of the file.
type entry[T any] struct{ Value T }

func (e *entry[T]) UnmarshalYAML(n *yaml.Node) error {
	switch p := any(&e.Value).(type) {
	case *twitter.V2Config:
		*p = twitter.DefaultV2Config()
	case *twitter.V1Config:
		*p = twitter.DefaultV1Config()
	case *bluesky.Config:
		*p = bluesky.DefaultConfig()
	}
	// Node.Decode does not check field names; a round trip through a strict decoder does.
	raw, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	return dec.Decode(&e.Value)
}

func (e entry[T]) MarshalYAML() (any, error) { return e.Value, nil }
