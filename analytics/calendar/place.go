package calendar

import (
	"math"
	"slices"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Place refers to the events whose start is within Window of a time, at most Around on each
// side.
const (
	Window = 7 * 24 * time.Hour
	Around = 3
)

// The timing score: 1 inside a silence or vote period or within Grace before one starts
// (too late in the news cycle for the candidate to answer), then halving every HalfLife of
// distance. docs/DETECTION.md ("Calendar and timing") gives the reasons.
const (
	Grace    = 6 * time.Hour
	HalfLife = 24 * time.Hour
)

// Place puts t against cal: references (offset from each event's start) to the nearest
// events by start, and the timing against the silence and vote periods.
func Place(cal leakwatch.Calendar, t time.Time) ([]leakwatch.CalendarRef, leakwatch.Timing) {
	events := cal.Sorted()
	return refs(events, t), timing(events, t)
}

func refs(events []leakwatch.Event, t time.Time) []leakwatch.CalendarRef {
	// Events are sorted by start: the first one starting after t splits before from after.
	split := len(events)
	for i, e := range events {
		if e.Start.After(t) {
			split = i
			break
		}
	}
	var out []leakwatch.CalendarRef
	for i := max(0, split-Around); i < split; i++ {
		if t.Sub(events[i].Start) <= Window {
			out = append(out, ref(events[i], t))
		}
	}
	for i := split; i < min(len(events), split+Around); i++ {
		if events[i].Start.Sub(t) <= Window {
			out = append(out, ref(events[i], t))
		}
	}
	return out
}

func ref(e leakwatch.Event, t time.Time) leakwatch.CalendarRef {
	return leakwatch.CalendarRef{Event: e.ID, Kind: e.Kind, OffsetS: int64(t.Sub(e.Start) / time.Second)}
}

func timing(events []leakwatch.Event, t time.Time) leakwatch.Timing {
	var tm leakwatch.Timing
	silence, inSilence := current(events, leakwatch.EventSilence, t)
	if silence != nil {
		tm.Silence, tm.InSilence = silence.ID, inSilence
		if !inSilence {
			tm.HoursToSilence = hours(silence.Start.Sub(t))
		}
	}
	vote, inVote := current(events, leakwatch.EventVote, t)
	if vote != nil {
		tm.NextVote = vote.ID
		if !inVote {
			tm.HoursToVote = hours(vote.Start.Sub(t))
		}
	}
	tm.Score = Score(events, t)
	return tm
}

// current returns the event of kind that contains t, or else the next one to start.
func current(events []leakwatch.Event, kind string, t time.Time) (*leakwatch.Event, bool) {
	for i := range events {
		e := &events[i]
		if e.Kind != kind {
			continue
		}
		if within(e, t) {
			return e, true
		}
		if e.Start.After(t) {
			return e, false
		}
	}
	return nil, false
}

// Score is the timing score of t: how close it landed to a period in which the candidate
// could not answer (a silence or a vote).
func Score(events []leakwatch.Event, t time.Time) float64 {
	best := 0.0
	for _, e := range events {
		if e.Kind != leakwatch.EventSilence && e.Kind != leakwatch.EventVote {
			continue
		}
		if within(&e, t) {
			return 1
		}
		if d := e.Start.Sub(t); d > 0 {
			s := 1.0
			if d > Grace {
				s = math.Pow(0.5, float64(d-Grace)/float64(HalfLife))
			}
			best = max(best, s)
		}
	}
	return math.Round(best*1000) / 1000
}

// within says whether t falls in e: from its start up to its end, or at the instant of a
// moment (an event without an end).
func within(e *leakwatch.Event, t time.Time) bool {
	return !t.Before(e.Start) && (t.Before(e.End) || t.Equal(e.Start))
}

func hours(d time.Duration) float64 { return math.Round(d.Hours()*10000) / 10000 }

// PlaceSignal puts a burst, group or leak record on cal as the pipeline does when it
// detects it: a burst at its onset, a group when it became coordinated, a leak incident
// where it began (its onset, in records written before incidents had a start). Edges are
// not placed. It reports whether the record's calendar references or timing changed: a
// report re-times detections against the calendar it draws, so its tables and its picture
// tell of one calendar.
func PlaceSignal(cal leakwatch.Calendar, s *leakwatch.Signal) (changed bool) {
	pointer := func(t leakwatch.Timing) *leakwatch.Timing {
		if t == (leakwatch.Timing{}) {
			return nil
		}
		return &t
	}
	same := func(a, b *leakwatch.Timing) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	switch {
	case s.Kind == leakwatch.SignalBurst && s.Burst != nil:
		refs, t := Place(cal, s.Burst.Onset)
		changed = !slices.Equal(refs, s.Burst.Calendar) || !same(pointer(t), s.Burst.Timing)
		s.Burst.Calendar, s.Burst.Timing = refs, pointer(t)
	case s.Kind == leakwatch.SignalGroup && s.Group != nil:
		refs, t := Place(cal, s.Group.CoordinatedAt())
		changed = !slices.Equal(refs, s.Group.Calendar) || !same(pointer(t), s.Group.Timing)
		s.Group.Calendar, s.Group.Timing = refs, pointer(t)
	case s.Kind == leakwatch.SignalLeak && s.Leak != nil:
		at := s.Leak.Start
		if at.IsZero() {
			at = s.Leak.Onset
		}
		refs, t := Place(cal, at)
		changed = !slices.Equal(refs, s.Leak.Calendar) || t != s.Leak.Timing
		s.Leak.Calendar, s.Leak.Timing = refs, t
	}
	return changed
}
