package scenario

import (
	"errors"
	"fmt"
	"time"
)

// Config says what campaign to synthesise. The zero value is not usable: start from
// DefaultConfig.
type Config struct {
	// Seed makes the output reproducible: the same config gives byte-identical files.
	Seed uint64 `yaml:"seed"`
	// Start of the window (default 2017-04-30 00:00 Paris, the last week before the run-off).
	Start time.Time `yaml:"start"`
	Days  int       `yaml:"days"`
	// Accounts is the number of organic accounts (people, pundits); media accounts come on top.
	Accounts int `yaml:"accounts"`
	// PostsPerDay is the mean number of posts an organic account writes a day; individual rates
	// are heavy-tailed around it.
	PostsPerDay float64 `yaml:"posts_per_day"`

	// LeakDump injects a document dump seeded by Seeders accounts and amplified by Bots.
	LeakDump bool `yaml:"leak_dump"`
	Seeders  int  `yaml:"seeders"`
	Bots     int  `yaml:"bots"`
	// LeakAt is the dump's first post; zero: 3 h 25 min before the run-off silence starts
	// (Friday 5 May 2017, 20:35 Paris, as #MacronLeaks).
	LeakAt time.Time `yaml:"leak_at"`
	// RetweetRing injects accounts that retweet one hub account within seconds, all week.
	RetweetRing bool `yaml:"retweet_ring"`
	Ring        int  `yaml:"ring"`
	// Defacement injects a defaced candidate website shortly before the dump.
	Defacement bool `yaml:"defacement"`
}

// DefaultConfig is a week of a few thousand accounts with all three operations.
func DefaultConfig() Config {
	return Config{
		Seed:        1,
		Start:       time.Date(2017, 4, 30, 0, 0, 0, 0, paris),
		Days:        7,
		Accounts:    3000,
		PostsPerDay: 2,
		LeakDump:    true,
		Seeders:     3,
		Bots:        40,
		RetweetRing: true,
		Ring:        12,
		Defacement:  true,
	}
}

// Validate names the field at fault.
func (c Config) Validate() error {
	var errs []error
	if c.Start.IsZero() {
		errs = append(errs, errors.New("start: missing"))
	}
	if c.Days < 1 || c.Days > 62 {
		errs = append(errs, fmt.Errorf("days: %d, want 1..62", c.Days))
	}
	if c.Accounts < 50 || c.Accounts > 500_000 {
		errs = append(errs, fmt.Errorf("accounts: %d, want 50..500000", c.Accounts))
	}
	if !(c.PostsPerDay > 0 && c.PostsPerDay <= 100) {
		errs = append(errs, fmt.Errorf("posts_per_day: %g, want in (0, 100]", c.PostsPerDay))
	}
	if c.LeakDump {
		if c.Seeders < 1 || c.Seeders > 10 {
			errs = append(errs, fmt.Errorf("seeders: %d, want 1..10", c.Seeders))
		}
		if c.Bots < 3 || c.Bots > 10_000 {
			errs = append(errs, fmt.Errorf("bots: %d, want 3..10000", c.Bots))
		}
		at := c.leakAt()
		end := c.Start.Add(time.Duration(c.Days) * 24 * time.Hour)
		if at.Before(c.Start.Add(2*time.Hour)) || at.After(end.Add(-20*time.Hour)) {
			errs = append(errs, fmt.Errorf("leak_at: %s must fall at least 2 h after start and 20 h before the end (%s..%s) for the waves to fit; set leak_at (--leak-at) or widen the window (--days)",
				at.Format(time.RFC3339), c.Start.Format(time.RFC3339), end.Format(time.RFC3339)))
		}
	}
	if c.RetweetRing && (c.Ring < 3 || c.Ring > 1000) {
		errs = append(errs, fmt.Errorf("ring: %d, want 3..1000", c.Ring))
	}
	if c.Defacement && !c.LeakDump {
		errs = append(errs, errors.New("defacement: needs leak_dump (it is timed before the dump)"))
	}
	return errors.Join(errs...)
}

// leakAt is LeakAt or its default from the calendar.
func (c Config) leakAt() time.Time {
	if !c.LeakAt.IsZero() {
		return c.LeakAt
	}
	return silenceR2Start().Add(-(3*time.Hour + 25*time.Minute))
}

func (c Config) end() time.Time { return c.Start.Add(time.Duration(c.Days) * 24 * time.Hour) }
