package main

import (
	"errors"
	"fmt"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/bluesky"
	"github.com/leakwatch/leakwatch/collectors/feeds"
	"github.com/leakwatch/leakwatch/collectors/mastodon"
	"github.com/leakwatch/leakwatch/collectors/sites"
)

// CollectorsConfig lists the sources `collect` runs. A section with nothing configured
// (no instances, no feeds, no targets, no endpoints) is off.
type CollectorsConfig struct {
	Run      collectors.RunConfig `yaml:"run"`
	Mastodon mastodon.Config      `yaml:"mastodon"`
	Bluesky  []bluesky.Config     `yaml:"bluesky"`
	Feeds    feeds.Config         `yaml:"feeds"`
	Sites    sites.Config         `yaml:"sites"`
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
	if len(c.Mastodon.Instances) > 0 {
		add("mastodon", c.Mastodon.Validate())
	}
	for i, b := range c.Bluesky {
		add(fmt.Sprintf("bluesky[%d]", i), b.Validate())
	}
	if len(c.Feeds.Feeds) > 0 {
		add("feeds", c.Feeds.Validate())
	}
	if len(c.Sites.Targets) > 0 {
		add("sites", c.Sites.Validate())
	}
	return errors.Join(errs...)
}
