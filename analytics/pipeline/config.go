package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/burst"
	"github.com/leakwatch/leakwatch/analytics/coord"
	"github.com/leakwatch/leakwatch/analytics/entities"
	"github.com/leakwatch/leakwatch/analytics/leak"
	"github.com/leakwatch/leakwatch/analytics/rules"
)

// Config configures every stage; one file serves the batch command and the processor.
type Config struct {
	Entities entities.Config `yaml:"entities"`
	Coord    coord.Config    `yaml:"coord"`
	Burst    burst.Config    `yaml:"burst"`
	// SlowBurst is the hour scale of burst detection (docs/DETECTION.md, "Slow bursts"):
	// rises too slow for the minute buckets of Burst, reported where no minute burst of the
	// same object overlaps them.
	SlowBurst SlowBurst    `yaml:"slow_burst"`
	Leak      leak.Config  `yaml:"leak"`
	Rules     rules.Config `yaml:"rules"`
	// Lateness is how far behind the watermark a mention may arrive and still be counted.
	Lateness time.Duration `yaml:"lateness"`
	// Step is how often, in event time, batch analysis advances the watermark (and so how
	// often bursts and groups are checked for completion).
	Step time.Duration `yaml:"step"`
	// Reorder bounds batch memory for huge archives: mentions are held back at most this far
	// behind the newest one, instead of sorting the whole input. 0 sorts everything (exact
	// for any input order); with a bound, a mention further out of order is returned as late.
	Reorder time.Duration `yaml:"reorder"`
	// SortBuffer is how many posts batch analysis sorts in memory before it writes them out
	// as a sorted run (when it has somewhere to: Batch.Runs), bounding its memory whatever
	// the archive's size or order. A post costs about 500 bytes buffered.
	SortBuffer int `yaml:"sort_buffer"`
	// Workers is how many detect partitions batch analysis runs in parallel, each on its own
	// goroutine, as the processor spreads detect over partitions; 0 means one per CPU. The
	// result does not depend on it.
	Workers int `yaml:"workers"`
	// Calendar the bursts, groups and leaks are timed against; nil places nothing.
	Calendar *leakwatch.Calendar `yaml:"-"`
}

// SlowBurst is a burst detector for the hour scale, on by default.
type SlowBurst struct {
	Enabled      bool `yaml:"enabled"`
	burst.Config `yaml:",inline"`
}

// DefaultSlowBurst is burst.DefaultSlowConfig, on.
func DefaultSlowBurst() SlowBurst { return SlowBurst{Enabled: true, Config: burst.DefaultSlowConfig()} }

// slow is the hour scale's configuration, nil when it is off.
func (c Config) slow() *burst.Config {
	if !c.SlowBurst.Enabled {
		return nil
	}
	s := c.SlowBurst.Config
	return &s
}

// DefaultConfig is every detector's default, five minutes of lateness and a one-minute step.
func DefaultConfig() Config {
	c := Config{
		Entities:  entities.DefaultConfig(),
		Coord:     coord.DefaultConfig(),
		Burst:     burst.DefaultConfig(),
		SlowBurst: DefaultSlowBurst(),
		Leak:      leak.DefaultConfig(),
		Rules:     rules.DefaultConfig(),
		Lateness:  5 * time.Minute,
		Step:      time.Minute,
		// About 125 MB of posts: archives of a few hundred thousand posts sort in memory.
		SortBuffer: 250_000,
	}
	return c
}

// coord is the co-share configuration the stages run: Coord, with the near-duplicate kind
// weighed by the configured bands unless coord.kinds sets it. One pair of near-identical
// posts shares up to Bands band objects, so an edge needs more than one text's worth, and
// each band is that share of a text's evidence (docs/DETECTION.md, "Near-duplicate text").
// Derived here, not in DefaultConfig: a config that sets only near_text.bands must move the
// weight with them, and the defaults are filled in before the config file is read.
func (c Config) coord() coord.Config {
	cc := c.Coord
	if _, set := cc.Kinds[leakwatch.KindNearText]; set {
		return cc
	}
	bands := c.Entities.NearText.Bands
	cc.Kinds = maps.Clone(cc.Kinds)
	if cc.Kinds == nil {
		cc.Kinds = map[leakwatch.ObjectKind]coord.KindConfig{}
	}
	cc.Kinds[leakwatch.KindNearText] = coord.KindConfig{MinWeight: bands + 1, Evidence: 1 / float64(max(bands, 1))}
	return cc
}

// workers resolves Workers: 0 is one per CPU the process may use.
func (c Config) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Validate checks every stage's configuration and names the field at fault.
func (c Config) Validate() error {
	var errs []error
	wrap := func(section string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", section, err))
		}
	}
	wrap("entities", c.Entities.Validate())
	wrap("coord", c.Coord.Validate())
	wrap("burst", c.Burst.Validate())
	if c.SlowBurst.Enabled {
		wrap("slow_burst", burst.ValidateSlow(c.Burst, c.SlowBurst.Config))
	}
	wrap("leak", c.Leak.Validate())
	wrap("rules", c.Rules.Validate())
	if c.Lateness < 0 {
		errs = append(errs, fmt.Errorf("lateness: %v, want >= 0", c.Lateness))
	}
	if c.Step <= 0 {
		errs = append(errs, fmt.Errorf("step: %v, want > 0", c.Step))
	}
	if c.SortBuffer < 1 {
		errs = append(errs, fmt.Errorf("sort_buffer: %d, want >= 1 (posts sorted in memory before a run is written)", c.SortBuffer))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("workers: %d, want >= 0 (0: one per CPU)", c.Workers))
	}
	if c.Reorder < 0 {
		errs = append(errs, fmt.Errorf("reorder: %v, want >= 0 (0: sort everything)", c.Reorder))
	}
	return errors.Join(errs...)
}
