package burst

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the burst detector. The defaults suit a stream of social posts counted in
// one-minute buckets; docs/DETECTION.md ("Bursts") explains each knob.
type Config struct {
	// Bucket is the event-time counting step. It must divide one hour.
	Bucket time.Duration `yaml:"bucket"`
	// HalfLife of the baseline level (an EWMA of per-bucket counts with the daily rhythm
	// divided out): how fast a new normal is learned.
	HalfLife time.Duration `yaml:"half_life"`
	// Floor is the least expected count per bucket, so an object never seen before (a new
	// hashtag, a fresh paste URL) is compared against "rare", not against zero.
	Floor float64 `yaml:"floor"`

	// The burst alternative the CUSUM tests for is expected + max(MinShift,
	// Shift*sqrt(expected), RelShift*expected) mentions per bucket.
	MinShift float64 `yaml:"min_shift"`
	Shift    float64 `yaml:"shift"`
	RelShift float64 `yaml:"rel_shift"`
	// Threshold is the CUSUM decision level (log-likelihood ratio, nats).
	Threshold float64 `yaml:"threshold"`

	// MinCount and MinAccounts keep sparse objects from bursting on noise.
	MinCount    int `yaml:"min_count"`
	MinAccounts int `yaml:"min_accounts"`
	// Quiet is how long a burst must stay below its alternative before it is over.
	Quiet time.Duration `yaml:"quiet"`
	// Backtrack: a nearly silent object's mentions up to this long before a burst are its
	// first shares and belong to it (the seed post minutes before the amplification).
	Backtrack time.Duration `yaml:"backtrack"`

	// Warmup is the time after the start of the input during which objects already active
	// learn their level quickly and cannot burst (the stream did not start, it was joined).
	Warmup time.Duration `yaml:"warmup"`
	// Learning is how long after the start of the input the baseline of an object already
	// active then has not seen a whole day: its bursts are marked Learning (the first
	// morning's rise of a candidate is its rhythm, not news), and the alert rules skip them
	// unless a rule says otherwise. 0 marks none.
	Learning time.Duration `yaml:"learning"`
	// Idle is how long an object may go unseen before its state is dropped; it then starts
	// again as a new object. IdleSparse applies to objects without a profile (the many URLs
	// and hashtags seen a few times), whose level has decayed to the floor by then anyway.
	Idle       time.Duration `yaml:"idle"`
	IdleSparse time.Duration `yaml:"idle_sparse"`

	// ProfileMin is the mention count after which an object learns its own hour-of-day
	// profile (sparse objects keep a flat one and cost a few words of memory).
	ProfileMin int `yaml:"profile_min"`
	// ProfileHalfLife is how fast old days fade from the profile.
	ProfileHalfLife time.Duration `yaml:"profile_half_life"`
	// ProfilePrior is the weight, in mentions, of the flat prior each hour slot starts from:
	// a busy object trusts its first day, a quiet one needs several.
	ProfilePrior float64 `yaml:"profile_prior"`

	// A burst lists an evidence value when at least EvidenceMin of its mentions carried it
	// and they make at least EvidenceShare of the burst's excess over baseline.
	EvidenceMin   int     `yaml:"evidence_min"`
	EvidenceShare float64 `yaml:"evidence_share"`
	MaxEvidence   int     `yaml:"max_evidence"`
	// OwnEvidence keeps only the evidence values the object itself holds (the hashtag
	// #dncleaks for hashtag:dncleaks, a leak domain for a URL under it). The hour scale sets
	// it: a burst hours long gathers the leak posts of its span, and a rise of #7mai over an
	// afternoon is not a leak because a dump was posted with #7mai at its end.
	OwnEvidence bool `yaml:"own_evidence"`
}

// DefaultConfig returns the configuration documented in docs/DETECTION.md.
func DefaultConfig() Config {
	return Config{
		Bucket:          time.Minute,
		HalfLife:        time.Hour,
		Floor:           0.02,
		MinShift:        2,
		Shift:           3,
		RelShift:        0.2,
		Threshold:       8,
		MinCount:        10,
		MinAccounts:     3,
		Quiet:           10 * time.Minute,
		Backtrack:       5 * time.Minute,
		Warmup:          time.Hour,
		Learning:        24 * time.Hour,
		Idle:            72 * time.Hour,
		IdleSparse:      6 * time.Hour,
		ProfileMin:      500,
		ProfileHalfLife: 7 * 24 * time.Hour,
		ProfilePrior:    50,
		EvidenceMin:     2,
		EvidenceShare:   0.25,
		MaxEvidence:     10,
	}
}

// DefaultSlowConfig is the hour scale's configuration (Scales): hour buckets, a baseline
// with a day's half-life, an object never seen expected once in two hours, a burst over
// when three hours did not favour it, and at least 20 posts by 5 accounts, so that a tweet
// retweeted a dozen times over an afternoon is not a burst while a leak hashtag pushed by a
// handful of accounts all evening is. It lists only the evidence its objects hold.
func DefaultSlowConfig() Config {
	c := DefaultConfig()
	c.Bucket = time.Hour
	c.HalfLife = 24 * time.Hour
	c.Floor = 0.5
	c.Quiet = 3 * time.Hour
	c.Backtrack = 0
	c.IdleSparse = 24 * time.Hour
	c.MinCount = 20
	c.MinAccounts = 5
	c.OwnEvidence = true
	return c
}

// Validate reports the first field that cannot work, by its yaml name.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("burst: %s: "+format, append([]any{field}, args...)...))
	}
	switch {
	case c.Bucket <= 0:
		bad("bucket", "must be positive, got %s", c.Bucket)
	case c.Bucket > time.Hour || time.Hour%c.Bucket != 0:
		bad("bucket", "must divide one hour, got %s", c.Bucket)
	}
	if c.HalfLife < c.Bucket {
		bad("half_life", "must be at least one bucket (%s), got %s", c.Bucket, c.HalfLife)
	}
	if !(c.Floor > 0) {
		bad("floor", "must be positive, got %g", c.Floor)
	}
	if !(c.MinShift > 0) {
		bad("min_shift", "must be positive, got %g", c.MinShift)
	}
	if c.Shift < 0 {
		bad("shift", "must not be negative, got %g", c.Shift)
	}
	if c.RelShift < 0 {
		bad("rel_shift", "must not be negative, got %g", c.RelShift)
	}
	if !(c.Threshold > 0) {
		bad("threshold", "must be positive, got %g", c.Threshold)
	}
	if c.MinCount < 1 {
		bad("min_count", "must be at least 1, got %d", c.MinCount)
	}
	if c.MinAccounts < 1 {
		bad("min_accounts", "must be at least 1, got %d", c.MinAccounts)
	}
	if c.Quiet < c.Bucket {
		bad("quiet", "must be at least one bucket (%s), got %s", c.Bucket, c.Quiet)
	}
	if c.Backtrack < 0 || c.Backtrack > c.Quiet {
		bad("backtrack", "must be between 0 and quiet (%s), got %s", c.Quiet, c.Backtrack)
	}
	if c.Warmup < 0 {
		bad("warmup", "must not be negative, got %s", c.Warmup)
	}
	if c.Learning < 0 {
		bad("learning", "must not be negative, got %s", c.Learning)
	}
	if c.Idle < c.Quiet || c.Idle < time.Hour {
		bad("idle", "must be at least quiet and one hour, got %s", c.Idle)
	}
	if c.IdleSparse < c.Quiet || c.IdleSparse > c.Idle {
		bad("idle_sparse", "must be between quiet and idle, got %s", c.IdleSparse)
	}
	if c.ProfileMin < 1 {
		bad("profile_min", "must be at least 1, got %d", c.ProfileMin)
	}
	if c.ProfileHalfLife < 24*time.Hour {
		bad("profile_half_life", "must be at least one day, got %s", c.ProfileHalfLife)
	}
	if !(c.ProfilePrior > 0) {
		bad("profile_prior", "must be positive, got %g", c.ProfilePrior)
	}
	if c.EvidenceMin < 1 {
		bad("evidence_min", "must be at least 1, got %d", c.EvidenceMin)
	}
	if c.EvidenceShare < 0 || c.EvidenceShare > 1 {
		bad("evidence_share", "must be in [0,1], got %g", c.EvidenceShare)
	}
	if c.MaxEvidence < 0 {
		bad("max_evidence", "must not be negative, got %d", c.MaxEvidence)
	}
	return errors.Join(errs...)
}
