package leak

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/calendar"
)

// candidate is one burst or group that is a leak candidate on its own.
type candidate struct {
	object     string
	onset, end time.Time
	evidence   []string // domain:, term:, change:, defacement: values
	objects    []string // object keys it is about (the burst's object, the group's objects)
	group      string   // group id, or ""
	accounts   []string // the group's accounts
	score      float64
	// led: its most frequent evidence names a dump (or it follows a site change). Only such
	// members date the incident: a burst about a defaced site that later also carried the
	// dump's hashtag joins the incident but did not start it.
	led bool
}

// incident is one leak operation: the related candidates merged. Its identity (object and
// onset, hence Signal.Key) is its first candidate's and never changes, so each update
// supersedes the previous record downstream.
type incident struct {
	object   string
	onset    time.Time
	start    time.Time // earliest member onset
	end      time.Time // latest member end
	first    time.Time // earliest onset of a led member (zero: none yet)
	values   map[string]int
	objects  map[string]int
	groups   map[string]bool
	accounts map[string]bool
	score    float64
	calendar []leakwatch.CalendarRef
	timing   leakwatch.Timing
	last     *leakwatch.Leak // as last published
}

// Bounds on what one incident remembers to relate later candidates: a dump touches dozens
// of objects and a bot network hundreds of accounts, not more.
const (
	maxIncidentObjects  = 2000
	maxIncidentAccounts = 2000
)

// admit adds c to the incident it relates to, or starts one, and returns the incident when
// its record changed. into, when set, is the incident c belongs to already (a group that
// superseded one of its groups).
func (d *Detector) admit(c *candidate, into *incident) *leakwatch.Leak {
	if c.onset.After(d.newestCandidate) {
		d.newestCandidate = c.onset
	}
	d.forgetIncidents()
	inc := into
	for _, x := range d.incidents {
		if inc != nil {
			break
		}
		if d.related(x, c) {
			inc = x
		}
	}
	if inc == nil {
		inc = &incident{
			object: c.object, onset: c.onset, start: c.onset, end: c.end,
			values: map[string]int{}, objects: map[string]int{}, groups: map[string]bool{}, accounts: map[string]bool{},
		}
		d.incidents = append(d.incidents, inc)
	}
	before := inc.began()
	inc.add(c)
	if at := inc.began(); inc.calendar == nil || !at.Equal(before) {
		inc.calendar, inc.timing = calendar.Place(d.cal, at)
	}
	return inc.publish(d.cfg.MaxIncidentEvidence)
}

// related says whether c belongs to x: it is a group x holds, or their spans come within
// IncidentWindow of each other and they share dump evidence (a dump domain, a leak hashtag,
// a changed site), an object or an account. Plain leak words ("hacked", "fuite") are shared by unrelated news and
// relate nothing.
func (d *Detector) related(x *incident, c *candidate) bool {
	if c.group != "" && x.groups[c.group] {
		return true // the same group, however long it lasts, is one incident
	}
	w := d.cfg.IncidentWindow
	if c.onset.After(x.end.Add(w)) || c.end.Before(x.start.Add(-w)) {
		return false
	}
	for _, e := range c.evidence {
		if strongValue(e) && x.values[e] > 0 {
			return true
		}
	}
	for _, o := range c.objects {
		if x.objects[o] > 0 {
			return true
		}
	}
	for _, a := range c.accounts {
		if x.accounts[a] {
			return true
		}
	}
	return false
}

// strongValue is evidence that names a dump rather than describing one.
func strongValue(e string) bool {
	return strings.HasPrefix(e, "domain:") || strings.HasPrefix(e, "term:#") ||
		strings.HasPrefix(e, "change:") || strings.HasPrefix(e, "defacement:")
}

// began is the incident's start: its earliest led member, else its earliest member.
func (x *incident) began() time.Time {
	if !x.first.IsZero() {
		return x.first
	}
	return x.start
}

func (x *incident) add(c *candidate) {
	if c.led && (x.first.IsZero() || c.onset.Before(x.first)) {
		x.first = c.onset
	}
	if c.onset.Before(x.start) {
		x.start = c.onset
	}
	if c.end.After(x.end) {
		x.end = c.end
	}
	for _, e := range c.evidence {
		x.values[e]++
	}
	for _, o := range c.objects {
		if strings.HasPrefix(o, "group:") {
			continue
		}
		if x.objects[o] > 0 || len(x.objects) < maxIncidentObjects {
			x.objects[o]++
		}
	}
	if c.group != "" {
		x.groups[c.group] = true
	}
	for _, a := range c.accounts {
		if len(x.accounts) >= maxIncidentAccounts {
			break
		}
		x.accounts[a] = true
	}
	x.score = max(x.score, c.score)
}

// publish returns the incident's record, or nil when it equals the last one returned.
// Evidence lists the leak values (most members first), then the groups, then "object:KEY"
// for the objects (most members first), at most max entries in all.
func (x *incident) publish(limit int) *leakwatch.Leak {
	byCount := func(m map[string]int) []string {
		keys := slices.Collect(maps.Keys(m))
		slices.SortFunc(keys, func(a, b string) int {
			if c := cmp.Compare(m[b], m[a]); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		return keys
	}
	ev := byCount(x.values)
	groups := slices.Sorted(maps.Keys(x.groups))
	for _, g := range groups {
		ev = append(ev, "group:"+g)
	}
	for _, o := range byCount(x.objects) {
		ev = append(ev, "object:"+o)
	}
	if len(ev) > limit {
		ev = ev[:limit]
	}
	l := &leakwatch.Leak{
		Object:   x.object,
		Onset:    x.onset,
		Evidence: ev,
		Calendar: x.calendar,
		Timing:   x.timing,
		Score:    x.score,
		Start:    x.began(),
	}
	if x.last != nil && x.last.Score == l.Score && x.last.Start.Equal(l.Start) && slices.Equal(x.last.Evidence, l.Evidence) {
		return nil
	}
	x.last = l
	out := *l
	out.Evidence = slices.Clone(l.Evidence)
	return &out
}

// renameGroups replaces superseded group ids by id in the incidents that list them, and
// returns the incident it changed, if any.
func (d *Detector) renameGroups(id string, superseded []string) *incident {
	var changed *incident
	for _, x := range d.incidents {
		for _, old := range superseded {
			if old != id && x.groups[old] {
				delete(x.groups, old)
				x.groups[id] = true
				changed = x
			}
		}
	}
	return changed
}

// forgetIncidents drops incidents no later candidate can join: ended more than the window
// and a day before the newest candidate's onset (the day covers late signals).
func (d *Detector) forgetIncidents() {
	keep := d.newestCandidate.Add(-d.cfg.IncidentWindow - 24*time.Hour)
	d.incidents = slices.DeleteFunc(d.incidents, func(x *incident) bool { return x.end.Before(keep) })
}
