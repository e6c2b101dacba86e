// Package live is the page the binary serves itself: volume per candidate against the campaign
// calendar, active bursts, coordinated groups, leak timing and the alert feed, pushed to the
// browser as they happen (server-sent events). It needs no Grafana and no database: it is fed
// from the same topics as the warehouse.
//
// It imports the root package, the pure analytics packages (volume, calendar, rules) and the
// standard library only.
package live

import (
	"cmp"
	"hash/maphash"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/calendar"
	"github.com/leakwatch/leakwatch/analytics/rules"
	"github.com/leakwatch/leakwatch/analytics/volume"
)

// Limits keep the state small whatever the stream does.
const (
	maxBuckets = 2016 // a week of 5-minute buckets
	maxListed  = 50   // bursts, groups, leaks and alerts kept for display
	maxTrimmed = 500  // bursts trimmed last, kept in case an alert or incident names them
)

// State aggregates what the page shows. It is safe for concurrent use.
type State struct {
	mu      sync.Mutex
	bucket  time.Duration
	version uint64

	counts Counts
	// seen holds, by post and object, when the page counted the mentions it draws (the
	// whole stream and the candidates) within the last copyWindow of event time.
	seen      map[postObject]time.Time
	swept     time.Time
	calendar  leakwatch.Calendar
	volume    *volume.Counter
	watermark time.Time
	ended     bool // the input was finite and has been read to its end (the demo's replay)

	bursts map[string]leakwatch.Burst // by signal key: a burst that grows replaces itself
	groups map[string]leakwatch.Group
	leaks  map[string]leakwatch.Leak
	alerts []leakwatch.Alert
	gone   map[string]bool // superseded group and leak keys and alert ids: records arriving late stay out
	// trimmed holds the bursts trimmed last, oldest out first: detect publishes a burst once,
	// when it ends, and the alert or leak incident that names it comes after it, so a burst
	// trimmed on arrival is listed again when one does.
	trimmed      map[string]leakwatch.Burst
	trimmedOrder []string

	// The counts of bursts, edges, groups, leaks and alerts are of the keys (alert ids) held
	// here. The lists above are trimmed for display, and a detection published again (a burst
	// still growing, an edge whose weight rose, a group that gained accounts, a leak alert
	// whose incident grew) must count once whether or not it is still listed; an edge is
	// published each time its weight changes, so counting records counted updates.
	counted struct{ bursts, edges, groups, leaks, alerts tally }
	seed    maphash.Seed
}

// tally is a set of hashed keys: eight bytes and a map slot a detection, as the counts are
// totals since start.
type tally map[uint64]struct{}

// Counts are the totals scripts watch through /api/state.
type Counts struct {
	Posts       int `json:"posts"`
	Mentions    int `json:"mentions"`
	Bursts      int `json:"bursts"`
	Edges       int `json:"edges"`
	Groups      int `json:"groups"`
	Leaks       int `json:"leaks"`
	Alerts      int `json:"alerts"`
	SiteChanges int `json:"site_changes"`
	DeadLetters int `json:"dead_letters"`
	// Copies are mentions of a post counted already (a redelivery, a file replayed twice):
	// left out of posts and the volume lines, as detect leaves them out of detection.
	Copies int `json:"copies"`
}

// NewState returns an empty state bucketing volume by the given width (default 5 minutes).
func NewState(bucket time.Duration) *State {
	if bucket <= 0 {
		bucket = 5 * time.Minute
	}
	s := &State{
		bucket: bucket,
		volume: volume.New(bucket, maxBuckets),
		bursts: map[string]leakwatch.Burst{},
		groups: map[string]leakwatch.Group{},
		leaks:  map[string]leakwatch.Leak{},
		gone:   map[string]bool{},

		trimmed: map[string]leakwatch.Burst{},
		seed:    maphash.MakeSeed(),
	}
	s.counted.bursts, s.counted.edges, s.counted.groups, s.counted.leaks, s.counted.alerts = tally{}, tally{}, tally{}, tally{}, tally{}
	return s
}

// SourceDone says the input was finite and everything it held has been processed (the
// demo's replay, its last windows flushed): the page stops saying it is live.
func (s *State) SourceDone() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	s.version++
}

// SetCalendar sets the campaign calendar drawn under the volume chart.
func (s *State) SetCalendar(c leakwatch.Calendar) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calendar = c
	s.version++
}

// Mention counts posts per candidate over time. Only all:posts and candidate mentions matter
// here; the rest is counted.
func (s *State) Mention(m leakwatch.Mention) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.copy(m) {
		s.counts.Copies++
		return
	}
	s.counts.Mentions++
	if m.Object == leakwatch.AllPosts {
		s.counts.Posts++
		if m.At.After(s.watermark) {
			s.watermark = m.At
		}
	}
	if !s.volume.Add(m) {
		return
	}
	s.version++
}

// copyWindow is how far apart in event time two mentions of one post and object are one
// mention seen twice: the analysis' default lateness, the rule detect drops copies by.
const copyWindow = 5 * time.Minute

// postObject is a counted mention's identity.
type postObject struct{ post, object string }

// copy says whether m repeats a mention the page counted within copyWindow, and remembers
// it otherwise. Only the mentions the page draws are remembered: one or two a post.
func (s *State) copy(m leakwatch.Mention) bool {
	if m.Post == "" || !volume.Counts(m.Object) {
		return false
	}
	k := postObject{m.Post, m.Object}
	if at, ok := s.seen[k]; ok && m.At.Sub(at).Abs() <= copyWindow {
		return true
	}
	if s.seen == nil {
		s.seen = map[postObject]time.Time{}
	}
	s.seen[k] = m.At
	if m.At.Sub(s.swept) > copyWindow {
		for k, at := range s.seen {
			if m.At.Sub(at) > copyWindow {
				delete(s.seen, k)
			}
		}
		s.swept = m.At
	}
	return false
}

// Signal records a detection; a later signal with the same key replaces the earlier one.
func (s *State) Signal(sig leakwatch.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := sig.Key()
	switch sig.Kind {
	case leakwatch.SignalBurst:
		s.count(s.counted.bursts, key)
		s.bursts[key] = *sig.Burst
		s.trimBursts()
	case leakwatch.SignalEdge:
		s.count(s.counted.edges, key)
	case leakwatch.SignalGroup:
		if s.gone[key] {
			return
		}
		s.count(s.counted.groups, key)
		// A group that absorbed others replaces them: the page shows and counts each group once.
		for _, old := range sig.Group.Supersedes {
			oldKey := leakwatch.GroupKey(old)
			if oldKey != key {
				s.gone[oldKey] = true
				delete(s.groups, oldKey)
				s.uncount(s.counted.groups, oldKey)
			}
		}
		s.groups[key] = *sig.Group
		// The page keeps the groups active last: a network at work since the first day is
		// the one to watch on dump night, not the first to go.
		trim(s.groups, func(g leakwatch.Group) time.Time { return g.Last })
	case leakwatch.SignalLeak:
		if s.gone[key] {
			return
		}
		s.count(s.counted.leaks, key)
		// An incident that moved to an earlier member, or absorbed another, replaces them.
		for _, old := range sig.Leak.Supersedes {
			if old != key {
				s.gone[old] = true
				delete(s.leaks, old)
				s.uncount(s.counted.leaks, old)
			}
		}
		s.leaks[key] = *sig.Leak
		trim(s.leaks, func(l leakwatch.Leak) time.Time { return l.Onset })
		s.restore(func(b leakwatch.Burst) bool { return ofIncident(b, *sig.Leak) })
	}
	s.counts.Bursts = len(s.counted.bursts)
	s.counts.Edges = len(s.counted.edges)
	s.counts.Groups = len(s.counted.groups)
	s.counts.Leaks = len(s.counted.leaks)
	s.version++
}

// count adds a key to a tally; uncount takes one out when a later record supersedes it.
func (s *State) count(t tally, key string) { t[maphash.String(s.seed, key)] = struct{}{} }

func (s *State) uncount(t tally, key string) { delete(t, maphash.String(s.seed, key)) }

// Alert puts an alert in the feed. An alert id comes again when its subject grew (a leak
// incident's alert with a new summary): it replaces the listed one and counts once.
func (s *State) Alert(a leakwatch.Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone[a.ID] {
		return
	}
	s.count(s.counted.alerts, a.ID)
	// An alert on a leak incident that moved or merged, or on a group that merged, replaces
	// the earlier ones.
	for _, old := range a.Supersedes {
		if old == a.ID {
			continue
		}
		s.gone[old] = true
		s.uncount(s.counted.alerts, old)
		s.alerts = slices.DeleteFunc(s.alerts, func(x leakwatch.Alert) bool { return x.ID == old })
	}
	if i := slices.IndexFunc(s.alerts, func(x leakwatch.Alert) bool { return x.ID == a.ID }); i >= 0 {
		s.alerts[i] = a
	} else {
		s.alerts = slices.Insert(s.alerts, 0, a) // newest first among equals: the sort is stable
	}
	// The feed is read from the top in a panel a few alerts high: a critical one raised early
	// must not sink under the warnings that followed it, nor be the first trimmed.
	slices.SortStableFunc(s.alerts, feedOrder)
	if len(s.alerts) > maxListed {
		s.alerts = s.alerts[:maxListed]
	}
	s.restore(func(b leakwatch.Burst) bool {
		return leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &b}.Key() == a.Detection
	})
	s.counts.Alerts = len(s.counted.alerts)
	s.version++
}

// SiteChange counts a website change.
func (s *State) SiteChange(leakwatch.SiteChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.SiteChanges++
	s.version++
}

// DeadLetter counts a record a stage could not process.
func (s *State) DeadLetter() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.DeadLetters++
	s.version++
}

// feedOrder lists alerts critical first, then warning, then info, and within a severity the
// newest first by starts_at (when what they report began, the time the feed prints beside
// each), then by raised_at: a leak incident's alert dates from the dump, not from when the
// incident last grew.
func feedOrder(a, b leakwatch.Alert) int {
	if c := cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)); c != 0 {
		return c
	}
	if c := b.StartsAt.Compare(a.StartsAt); c != 0 {
		return c
	}
	return b.RaisedAt.Compare(a.RaisedAt)
}

// severityRank orders the rules' severities most severe first, an unknown one last.
func severityRank(s string) int {
	if i := slices.Index(rules.Severities, s); i >= 0 {
		return len(rules.Severities) - 1 - i
	}
	return len(rules.Severities)
}

// trimBursts keeps the maxListed strongest bursts and, besides them, up to maxListed more
// that the page points to: those of a listed leak incident and those a listed alert was
// raised on. Keeping the latest instead lost the dump's bursts to the days after it.
func (s *State) trimBursts() {
	if len(s.bursts) <= maxListed {
		return
	}
	alerted := map[string]bool{}
	for _, a := range s.alerts {
		alerted[a.Detection] = true
	}
	// An incident lists its bursts' objects ("object:KEY" evidence), not their onsets: its
	// bursts are taken to be those on its objects, from its start on, that carry leak
	// evidence of their own (a burst on the same candidate days later does not).
	since := map[string]time.Time{} // object -> start of the earliest incident naming it
	for _, l := range s.leaks {
		began := incidentBegan(l)
		for _, e := range l.Evidence {
			if o, ok := strings.CutPrefix(e, "object:"); ok {
				if t, seen := since[o]; !seen || began.Before(t) {
					since[o] = began
				}
			}
		}
	}
	var strongest, pinned []string
	for k, b := range s.bursts {
		t, named := since[b.Object]
		if alerted[k] || named && len(b.Evidence) > 0 && !b.Onset.Before(t) {
			pinned = append(pinned, k)
		} else {
			strongest = append(strongest, k)
		}
	}
	for _, keys := range [][]string{strongest, pinned} {
		if len(keys) <= maxListed {
			continue
		}
		slices.SortFunc(keys, func(a, b string) int {
			// Those an alert was raised on first: an alert in the feed whose burst the list
			// lacks cannot be followed, and there are no more of them than listed alerts.
			if alerted[a] != alerted[b] {
				if alerted[a] {
					return -1
				}
				return 1
			}
			if c := leakwatch.CompareBursts(s.bursts[a], s.bursts[b]); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys[maxListed:] {
			s.keepTrimmed(k, s.bursts[k])
			delete(s.bursts, k)
		}
	}
}

// keepTrimmed remembers a trimmed burst, forgetting the oldest beyond maxTrimmed.
func (s *State) keepTrimmed(k string, b leakwatch.Burst) {
	if _, ok := s.trimmed[k]; !ok {
		s.trimmedOrder = append(s.trimmedOrder, k)
	}
	s.trimmed[k] = b
	for len(s.trimmedOrder) > maxTrimmed {
		delete(s.trimmed, s.trimmedOrder[0])
		s.trimmedOrder = s.trimmedOrder[1:]
	}
}

// restore lists again the trimmed bursts an alert or incident just named (want), and trims.
func (s *State) restore(want func(leakwatch.Burst) bool) {
	back := false
	for k, b := range s.trimmed {
		if want(b) {
			s.bursts[k] = b
			delete(s.trimmed, k)
			back = true
		}
	}
	if back {
		s.trimmedOrder = slices.DeleteFunc(s.trimmedOrder, func(k string) bool { _, ok := s.trimmed[k]; return !ok })
		s.trimBursts()
	}
}

// ofIncident says whether burst b is one of incident l's: on one of its objects, from its
// start on, carrying leak evidence of its own (as trimBursts tells them).
func ofIncident(b leakwatch.Burst, l leakwatch.Leak) bool {
	return len(b.Evidence) > 0 && !b.Onset.Before(incidentBegan(l)) && slices.Contains(l.Evidence, "object:"+b.Object)
}

// incidentBegan is the earlier of an incident's start and onset: its bursts begin no earlier.
func incidentBegan(l leakwatch.Leak) time.Time {
	if !l.Start.IsZero() && l.Start.Before(l.Onset) {
		return l.Start
	}
	return l.Onset
}

// trim keeps the maxListed most recent entries of a keyed list.
func trim[T any](m map[string]T, at func(T) time.Time) {
	for len(m) > maxListed {
		var oldK string
		var oldT time.Time
		for k, v := range m {
			if t := at(v); oldK == "" || t.Before(oldT) || (t.Equal(oldT) && k < oldK) {
				oldK, oldT = k, t
			}
		}
		delete(m, oldK)
	}
}

// Snapshot is the JSON document of /api/state and of each server-sent event.
type Snapshot struct {
	Version   uint64             `json:"version"`
	Counts    Counts             `json:"counts"`
	Watermark time.Time          `json:"watermark,omitzero"`
	Bucket    int64              `json:"bucket_s"`
	Series    []Series           `json:"series"`
	Calendar  leakwatch.Calendar `json:"calendar"`
	Bursts    []leakwatch.Burst  `json:"bursts"`
	Groups    []leakwatch.Group  `json:"groups"`
	Leaks     []leakwatch.Leak   `json:"leaks"`
	Alerts    []leakwatch.Alert  `json:"alerts"`

	// Now places the watermark on the calendar: in a silence, or hours before the next one.
	Now *leakwatch.Timing `json:"now,omitempty"`
	// SourceDone: a finite input (the demo's replay) has been processed to its end.
	SourceDone bool `json:"source_done,omitempty"`
}

// Series is one line of the volume chart: [unix seconds, posts] points in time order
// (pairs keep the pushed document small).
type Series struct {
	Name   string     `json:"name"`
	Points [][2]int64 `json:"points"`
}

// Snapshot copies the state for serving.
func (s *State) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{
		Version:    s.version,
		Counts:     s.counts,
		Watermark:  s.watermark,
		SourceDone: s.ended,
		Bucket:     int64(s.bucket / time.Second),
		Calendar:   s.calendar,
		Alerts:     append([]leakwatch.Alert{}, s.alerts...),
		Series:     []Series{}, // [] before the first post, as the other lists: never null
	}
	if !s.watermark.IsZero() && len(s.calendar.Events) > 0 {
		_, now := calendar.Place(s.calendar, s.watermark)
		snap.Now = &now
	}
	for _, ser := range s.volume.Series() {
		pts := make([][2]int64, len(ser.Points))
		for i, p := range ser.Points {
			pts[i] = [2]int64{p.T.Unix(), int64(p.N)}
		}
		snap.Series = append(snap.Series, Series{Name: ser.Name, Points: pts})
	}
	snap.Bursts = sorted(s.bursts, func(a, b leakwatch.Burst) bool { return leakwatch.CompareBursts(a, b) < 0 })
	snap.Groups = sorted(s.groups, func(a, b leakwatch.Group) bool { return a.Last.After(b.Last) })
	snap.Leaks = sorted(s.leaks, func(a, b leakwatch.Leak) bool { return a.Onset.Before(b.Onset) })
	return snap
}

func sorted[T any](m map[string]T, less func(a, b T) bool) []T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, 0, len(m))
	for _, k := range keys {
		out = append(out, m[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

// Version changes whenever the state does, so the event stream sends only news.
func (s *State) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}
