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
	accounts   []string // the group's accounts, sorted
	score      float64
	// led: its most frequent evidence names a dump (or it follows a site change). Only such
	// members date the incident: a burst about a defaced site that later also carried the
	// dump's hashtag joins the incident but did not start it.
	led bool
	// defaced: when the site it follows was defaced, if it was. The defacement is the
	// incident's first sign; the burst about the site is the public's reaction to it.
	defaced time.Time
}

// since is when the candidate dates its incident from: its onset, or the defacement it
// follows when that was observed first.
func (c *candidate) since() time.Time {
	if !c.defaced.IsZero() && c.defaced.Before(c.onset) {
		return c.defaced
	}
	return c.onset
}

// update takes a group's later version n into c. What a group lists (its top objects, its
// leak values, hence its score) depends on when it was published, which differs between the
// batch and the stream, so only its latest version counts; the span keeps the earliest
// onset and the latest end, so the incident's key never moves back to one it superseded.
func (c *candidate) update(n *candidate) {
	onset, end, accounts := c.onset, c.end, unionSorted(c.accounts, n.accounts)
	*c = *n
	if onset.Before(c.onset) {
		c.onset = onset
	}
	if end.After(c.end) {
		c.end = end
	}
	c.accounts = accounts
}

// merge folds another version of the same burst, or a group it absorbed, into c: spans and
// sets only grow.
func (c *candidate) merge(n *candidate) {
	if n.onset.Before(c.onset) || (n.onset.Equal(c.onset) && c.group != "") {
		c.onset, c.object = n.onset, n.object
	}
	if n.end.After(c.end) {
		c.end = n.end
	}
	c.evidence = union(c.evidence, n.evidence)
	c.objects = union(c.objects, n.objects)
	c.accounts = unionSorted(c.accounts, n.accounts)
	c.score = max(c.score, n.score)
	c.led = c.led || n.led
	if !n.defaced.IsZero() && (c.defaced.IsZero() || n.defaced.Before(c.defaced)) {
		c.defaced = n.defaced
	}
}

// unionSorted merges two sorted lists without repeats into one. A group member is merged
// with every version of its group, each listing every account again: comparing each
// against each was a hundredth of a batch analysis once groups carried leak evidence.
func unionSorted(a, b []string) []string {
	if len(b) == 0 || slices.Equal(a, b) {
		return a // mostly the group published again with the same members
	}
	out := make([]string, 0, max(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// meetSorted says whether two sorted lists share a value.
func meetSorted(a, b []string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			return true
		}
	}
	return false
}

func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// incident is one leak operation: the connected component of its candidates, two candidates
// being connected when they relate (see relate). Components do not depend on the order
// candidates arrive in, and neither does the record: its key is its earliest member's
// (onset, then object). When an earlier member joins, or two incidents merge, the record
// moves to the new key and lists the keys it replaces in Leak.Supersedes.
type incident struct {
	members   map[string]*candidate // by member id: "burst|OBJECT|ONSET" or "group|ID"
	published map[string]bool       // keys records of this incident went out under
	last      *leakwatch.Leak       // as last published
	end       time.Time
}

// Bounds on what one candidate remembers to relate later ones: a dump touches dozens of
// objects and a bot network hundreds of accounts, not more.
const (
	maxMemberObjects  = 2000
	maxMemberAccounts = 2000
)

// admit adds candidate c, member id, to the incident it relates to (merging every incident
// it relates to into one) or starts one, and returns the incident's record when it changed.
func (d *Detector) admit(id string, c *candidate) *leakwatch.Leak {
	if c.onset.After(d.newestCandidate) {
		d.newestCandidate = c.onset
	}
	d.forgetIncidents()
	if len(c.objects) > maxMemberObjects {
		c.objects = c.objects[:maxMemberObjects]
	}
	if len(c.accounts) > maxMemberAccounts {
		c.accounts = c.accounts[:maxMemberAccounts]
	}
	var into *incident
	if x := d.memberOf(id); x != nil {
		if c.group != "" {
			x.members[id].update(c)
		} else {
			x.members[id].merge(c)
		}
		c, into = x.members[id], x
	}
	var related []*incident
	for _, x := range d.incidents {
		if x == into {
			continue
		}
		for _, m := range x.members {
			if d.relate(m, c) {
				related = append(related, x)
				break
			}
		}
	}
	if into == nil {
		if len(related) > 0 {
			into, related = related[0], related[1:]
		} else {
			into = &incident{members: map[string]*candidate{}, published: map[string]bool{}}
			d.incidents = append(d.incidents, into)
		}
		into.members[id] = c
	}
	for _, x := range related {
		into.absorb(x)
		d.incidents = slices.DeleteFunc(d.incidents, func(y *incident) bool { return y == x })
	}
	return d.publish(into)
}

func (d *Detector) memberOf(id string) *incident {
	for _, x := range d.incidents {
		if x.members[id] != nil {
			return x
		}
	}
	return nil
}

func (x *incident) absorb(y *incident) {
	for id, m := range y.members {
		if have := x.members[id]; have != nil {
			have.merge(m)
		} else {
			x.members[id] = m
		}
	}
	for k := range y.published {
		x.published[k] = true
	}
}

// relate says whether two candidates belong to one incident: they are the same group, or
// their spans come within IncidentWindow of each other and they share dump evidence (a dump
// domain, a leak hashtag, a changed site), an object or an account. Plain leak words
// ("hacked", "fuite") are shared by unrelated news and relate nothing.
func (d *Detector) relate(a, b *candidate) bool {
	if a.group != "" && a.group == b.group {
		return true
	}
	w := d.cfg.IncidentWindow
	if b.onset.After(a.end.Add(w)) || a.onset.After(b.end.Add(w)) {
		return false
	}
	for _, e := range b.evidence {
		if strongValue(e) && slices.ContainsFunc(a.evidence, func(f string) bool { return sameDump(e, f) }) {
			return true
		}
	}
	for _, o := range b.objects {
		if relating(o) && slices.Contains(a.objects, o) {
			return true
		}
	}
	return meetSorted(a.accounts, b.accounts)
}

// sameDump says whether dump values e and f name the same dump: equal, or two spellings of
// one leak hashtag, singular and plural. A campaign pushes both: the IRA's accounts pushed
// #DNCLeaks all evening and #DNCLeak from the next morning, and #MacronLeak rode beside
// #MacronLeaks.
func sameDump(e, f string) bool {
	if e == f {
		return true
	}
	if !strings.HasPrefix(e, "term:#") || !strings.HasPrefix(f, "term:#") {
		return false
	}
	if len(e) > len(f) {
		e, f = f, e
	}
	return len(f) == len(e)+1 && f[len(e)] == 's' && strings.HasPrefix(f, e)
}

// relating says whether sharing object o ties two candidates together. The whole stream
// (all:posts) and a candidate (candidate:ID) burst with any dump about anyone, and a group's
// own name says nothing of its content: two dumps hours apart with other domains and other
// hashtags are two incidents even when each made the whole stream burst.
func relating(o string) bool {
	return o != leakwatch.AllPosts && !strings.HasPrefix(o, "group:") && !strings.HasPrefix(o, "candidate:")
}

// strongValue is evidence that names a dump rather than describing one.
func strongValue(e string) bool {
	return leakwatch.NamesDump(e) || strings.HasPrefix(e, "change:") || strings.HasPrefix(e, "defacement:")
}

// publish returns the incident's record, or nil when it equals the last one returned.
// Evidence lists the leak values (most members first), then the groups, then "object:KEY"
// for the objects (most members first), at most MaxIncidentEvidence entries in all. Start
// is the earliest onset of a led member (else of any member), or the defacement a member
// follows when it came first; the calendar is placed there.
func (d *Detector) publish(x *incident) *leakwatch.Leak {
	ids := slices.Sorted(maps.Keys(x.members))
	if len(d.prior) > 0 {
		for _, id := range ids {
			m := x.members[id]
			if k := leakKey(m.object, m.onset); d.prior[k] {
				x.published[k] = true
				delete(d.prior, k)
			}
		}
	}
	var head *candidate
	var start, first time.Time
	values, objects, groups := map[string]int{}, map[string]int{}, map[string]bool{}
	score := 0.0
	for _, id := range ids {
		m := x.members[id]
		if head == nil || m.onset.Before(head.onset) || (m.onset.Equal(head.onset) && m.object < head.object) {
			head = m
		}
		since := m.since()
		if start.IsZero() || since.Before(start) {
			start = since
		}
		if m.led && (first.IsZero() || since.Before(first)) {
			first = since
		}
		if m.end.After(x.end) {
			x.end = m.end
		}
		for _, e := range m.evidence {
			values[e]++
		}
		for _, o := range m.objects {
			if !strings.HasPrefix(o, "group:") {
				objects[o]++
			}
		}
		if m.group != "" {
			groups[m.group] = true
		}
		score = max(score, m.score)
	}
	if !first.IsZero() {
		start = first
	}
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
	ev := byCount(values)
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		ev = append(ev, "group:"+g)
	}
	for _, o := range byCount(objects) {
		ev = append(ev, "object:"+o)
	}
	if len(ev) > d.cfg.MaxIncidentEvidence {
		ev = ev[:d.cfg.MaxIncidentEvidence]
	}
	refs, timing := calendar.Place(d.cal, start)
	l := &leakwatch.Leak{
		Object:   head.object,
		Onset:    head.onset,
		Evidence: ev,
		Calendar: refs,
		Timing:   timing,
		Score:    score,
		Start:    start,
	}
	key := leakKey(l.Object, l.Onset)
	for k := range x.published {
		if k != key {
			l.Supersedes = append(l.Supersedes, k)
		}
	}
	slices.Sort(l.Supersedes)
	if p := x.last; p != nil && p.Object == l.Object && p.Onset.Equal(l.Onset) && p.Score == l.Score && p.Start.Equal(l.Start) &&
		slices.Equal(p.Evidence, l.Evidence) && slices.Equal(p.Supersedes, l.Supersedes) {
		return nil
	}
	x.published[key] = true
	x.last = l
	out := *l
	out.Evidence, out.Supersedes = slices.Clone(l.Evidence), slices.Clone(l.Supersedes)
	return &out
}

// Published tells the detector that leak records went out under keys in an earlier run of
// the stage (a correlate restarted and rebuilt its state from the log): the incident that
// holds the member a key names supersedes it when it is published under another key.
func (d *Detector) Published(keys ...string) {
	if d.prior == nil {
		d.prior = map[string]bool{}
	}
	for _, k := range keys {
		d.prior[k] = true
	}
}

func leakKey(object string, onset time.Time) string {
	return leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: object, Onset: onset}}.Key()
}

// renameGroups moves the members of superseded group ids to id (the group that absorbed
// them), merging the incidents they were in, and returns the incident it changed, if any.
func (d *Detector) renameGroups(id string, superseded []string) *incident {
	var into *incident
	for _, old := range superseded {
		if old == id {
			continue
		}
		x := d.memberOf("group|" + old)
		if x == nil {
			continue
		}
		m := x.members["group|"+old]
		delete(x.members, "group|"+old)
		m.group, m.object = id, "group:"+id
		if into == nil {
			into = d.memberOf("group|" + id)
		}
		if into == nil {
			into = x
		}
		if into != x {
			into.absorb(x)
			d.incidents = slices.DeleteFunc(d.incidents, func(y *incident) bool { return y == x })
		}
		if have := into.members["group|"+id]; have != nil {
			have.merge(m)
		} else {
			into.members["group|"+id] = m
		}
	}
	return into
}

// forgetIncidents drops incidents no later candidate can join: ended more than the window
// and a day before the newest candidate's onset (the day covers late signals).
func (d *Detector) forgetIncidents() {
	keep := d.newestCandidate.Add(-d.cfg.IncidentWindow - 24*time.Hour)
	d.incidents = slices.DeleteFunc(d.incidents, func(x *incident) bool { return !x.end.IsZero() && x.end.Before(keep) })
}
