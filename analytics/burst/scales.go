package burst

import (
	"fmt"
	"slices"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Scales runs two detectors over the same mentions: a fast one (minute buckets), which sees
// amplification within minutes, and an optional slow one (hour buckets), which sees what
// the fast one cannot: a campaign pushed a few posts an hour for half a day (a drumbeat, as
// the IRA pushed #DNCLeaks), whose every minute looks like chatter against a baseline that
// learns within the hour. A slow burst is reported only when no fast burst of its object
// overlaps it, so a rise is reported once, at the finest scale that saw it.
//
// Whether a slow burst is reported depends only on the mentions, never on how the watermark
// stepped: a slow burst whose object has a fast run still undecided (begun within it, not
// yet confirmed) is held until that run is confirmed or ends.
type Scales struct {
	fast, slow *Detector
	// spans holds, per object, the fast bursts a slow burst yet to be decided may overlap.
	spans map[string][]span
	held  []leakwatch.Burst // slow bursts waiting for a fast run of their object to settle
	// pruned is the slow detector's first open bucket when spans were last pruned.
	pruned int64
}

type span struct{ onset, end int64 } // Unix nanoseconds

// NewScales returns the fast detector for fast, with a slow one for slow unless slow is nil.
// It panics when a configuration does not validate (Config.Validate, ValidateSlow).
func NewScales(fast Config, slow *Config) *Scales {
	s := &Scales{fast: New(fast)}
	if slow != nil {
		if err := ValidateSlow(fast, *slow); err != nil {
			panic(err)
		}
		s.slow = New(*slow)
		s.spans = make(map[string][]span)
	}
	return s
}

// ValidateSlow checks the slow scale's configuration, and that it is slower than fast: its
// bucket longer than the fast bucket and than the fast backtrack (so a fast run begun after
// a slow burst was decided cannot reach back into it).
func ValidateSlow(fast, slow Config) error {
	if err := slow.Validate(); err != nil {
		return err
	}
	if slow.Bucket <= fast.Bucket || slow.Bucket <= fast.Backtrack {
		return fmt.Errorf("burst: bucket: %s, want longer than the fast scale's bucket (%s) and backtrack (%s)", slow.Bucket, fast.Bucket, fast.Backtrack)
	}
	return nil
}

// AddRef counts one mention at both scales, its object key hashed once.
func (s *Scales) AddRef(m *leakwatch.Mention) error {
	if err := check(m); err != nil {
		return err
	}
	var key keyHash
	s.fast.count(m, &key)
	if s.slow != nil {
		s.slow.count(m, &key)
	}
	return nil
}

// Begin says the input began at t (Detector.Begin), at both scales.
func (s *Scales) Begin(t time.Time) {
	s.fast.Begin(t)
	if s.slow != nil {
		s.slow.Begin(t)
	}
}

// Advance advances both scales and returns the fast bursts that ended, and the slow bursts
// decided, ordered by end, object and onset.
func (s *Scales) Advance(watermark time.Time) []leakwatch.Burst {
	fast := s.fast.Advance(watermark)
	if s.slow == nil {
		return fast
	}
	s.remember(fast)
	out := s.decide(fast, slowOnes(s.slow.Advance(watermark)), false)
	if s.slow.wb > s.pruned {
		s.prune()
		s.pruned = s.slow.wb
	}
	return out
}

// Flush ends the input at both scales: every fast run ends, so every slow burst is decided.
func (s *Scales) Flush() []leakwatch.Burst {
	fast := s.fast.Flush()
	if s.slow == nil {
		return fast
	}
	s.remember(fast)
	out := s.decide(fast, slowOnes(s.slow.Flush()), true)
	clear(s.spans)
	return out
}

// slowOnes marks bs as the slow scale's.
func slowOnes(bs []leakwatch.Burst) []leakwatch.Burst {
	for i := range bs {
		bs[i].Slow = true
	}
	return bs
}

func (s *Scales) remember(fast []leakwatch.Burst) {
	for _, b := range fast {
		s.spans[b.Object] = append(s.spans[b.Object], span{b.Onset.UnixNano(), b.End.UnixNano()})
	}
}

// decide appends to out (the fast bursts, which the fast detector handed over) each slow
// burst that no fast burst overlaps, holds those a fast run may still overlap, and drops the
// others; bursts held before are decided again first. It returns out ordered by end, object
// and onset.
func (s *Scales) decide(out, slow []leakwatch.Burst, final bool) []leakwatch.Burst {
	held := s.held
	s.held = nil
	added := false
	for _, b := range append(held, slow...) {
		switch s.overlap(b, final) {
		case none:
			out, added = append(out, b), true
		case undecided:
			s.held = append(s.held, b)
		}
	}
	if added {
		slices.SortFunc(out, byEnd)
	}
	return out
}

type verdict int

const (
	none verdict = iota
	overlapped
	undecided
)

// overlap says whether a fast burst overlaps slow burst b: one already ended, the fast
// detector's confirmed run, or (undecided) its unconfirmed run begun before b ended.
func (s *Scales) overlap(b leakwatch.Burst, final bool) verdict {
	on, end := b.Onset.UnixNano(), b.End.UnixNano()
	for _, f := range s.spans[b.Object] {
		if f.onset < end && f.end > on {
			return overlapped
		}
	}
	if final {
		return none
	}
	first, confirmed, ok := s.fast.runStart(b.Object)
	switch {
	case !ok || first*s.fast.bucketNs >= end:
		return none
	case confirmed:
		return overlapped // it runs to now, past b's onset
	}
	return undecided
}

// prune forgets the fast bursts no slow burst can overlap any more: those that ended
// before the slow detector's first open bucket and before its object's slow run, if any,
// began, with no slow burst of the object held.
func (s *Scales) prune() {
	limit := (s.slow.wb - s.slow.backtrack) * s.slow.bucketNs
	for key, spans := range s.spans {
		if slices.ContainsFunc(s.held, func(b leakwatch.Burst) bool { return b.Object == key }) {
			continue
		}
		lim := limit
		if first, _, ok := s.slow.runStart(key); ok {
			lim = min(lim, first*s.slow.bucketNs)
		}
		spans = slices.DeleteFunc(spans, func(f span) bool { return f.end <= lim })
		if len(spans) == 0 {
			delete(s.spans, key)
		} else {
			s.spans[key] = spans
		}
	}
}
