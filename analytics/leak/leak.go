// Package leak decides which bursts and coordinated groups are leak candidates: their posts
// point to a dump (paste and file-sharing links, leak vocabulary in English and French) or
// they follow a change on a watched website. Related candidates (one dump's paste URL, its
// domain, its hashtag, the bot group amplifying it) merge into one leak incident, timed
// against the campaign calendar. Matcher finds the evidence in each post at extraction;
// Detector judges the bursts and groups built from those mentions and keeps the incidents.
//
// The package is pure: no I/O, and it must not import stream, warehouse, collectors or any
// Kafka or ClickHouse client.
package leak

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/leakwatch/leakwatch"
)

// Detector turns bursts and groups into leak incidents: related candidates (one dump's
// paste URL, its domain, its hashtag, the bot group amplifying it) merge into one incident. It is not safe for concurrent use.
type Detector struct {
	cfg     Config
	cal     leakwatch.Calendar
	kinds   map[string]bool
	changes []change // by observation time
	newest  time.Time

	incidents       []*incident
	newestCandidate time.Time
	prior           map[string]bool // keys published by an earlier run, see Published

	// held are the recent bursts about a site (a url: or domain: object or evidence), by end,
	// for a change read after them. The batch takes each change before every burst that ends
	// after it; the stream's correlate reads the site changes and the signals at their own
	// paces (a backlog after a restart can bring a burst first), and a change read after such
	// a burst judges it again, as it would have been judged with the change first.
	held       []leakwatch.Burst
	heldNewest time.Time // the latest end of a burst held
}

// maxHeld bounds the bursts kept for changes read after them.
const maxHeld = 10_000

// change is a remembered site change that counts.
type change struct {
	at     time.Time
	target string
	domain string // registrable domain of the watched URL
	deface bool
	// defacedAt (following's answers only): the earliest defacement of the target within
	// the window, when at is a later change (the site being restored).
	defacedAt time.Time
}

// Evidence weights combined into Leak.Score as 1 - prod(1 - w): a link to a dump site says
// more than a word, a defacement more than an edit.
const (
	weightDomain     = 0.6
	weightHashtag    = 0.5
	weightTerm       = 0.3
	weightChange     = 0.5
	weightDefacement = 0.7
)

// New returns a detector timing leaks against cal (which may be empty). It panics when cfg
// does not validate: callers load configuration through Validate first.
func New(cfg Config, cal leakwatch.Calendar) *Detector {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	d := &Detector{cfg: cfg, cal: cal, kinds: map[string]bool{}}
	for _, k := range cfg.ChangeKinds {
		d.kinds[k] = true
	}
	return d
}

// Change remembers a site change so later bursts and groups about that site can be tied to
// it. Changes that the configuration does not count are ignored. It returns the incidents
// that bursts taken before it, ending after it, now join (see held): none when changes come
// in the order of time, as in a batch.
func (d *Detector) Change(sc leakwatch.SiteChange) []*leakwatch.Leak {
	counts := sc.Defacement
	for _, k := range sc.Changed {
		counts = counts || d.kinds[k]
	}
	dom := registrable(hostOf(sc.URL))
	if !counts || dom == "" || sc.ObservedAt.IsZero() {
		return nil
	}
	c := change{at: sc.ObservedAt, target: sc.Target, domain: dom, deface: sc.Defacement}
	i, _ := slices.BinarySearchFunc(d.changes, c, func(a, b change) int {
		if x := a.at.Compare(b.at); x != 0 {
			return x
		}
		return cmp.Compare(a.target, b.target)
	})
	d.changes = slices.Insert(d.changes, i, c)
	if sc.ObservedAt.After(d.newest) {
		d.newest = sc.ObservedAt
	}
	// Forget changes no burst can follow any more; a day of margin covers late signals.
	keep := d.newest.Add(-d.cfg.ChangeWindow - 24*time.Hour)
	n := 0
	for n < len(d.changes) && d.changes[n].at.Before(keep) {
		n++
	}
	d.changes = d.changes[n:]
	var out []*leakwatch.Leak
	for _, b := range d.held {
		if b.End.Before(sc.ObservedAt) || !relates(dom, []string{b.Object}, b.Evidence) {
			continue
		}
		if l := d.burst(b); l != nil {
			out = append(out, l)
		}
	}
	return out
}

// Burst takes a burst: when it is a leak candidate it joins the related incident (or starts
// one) and Burst returns that incident as it now stands; it returns nil when the burst is no
// candidate or added nothing the incident did not already show.
func (d *Detector) Burst(b leakwatch.Burst) *leakwatch.Leak {
	if aboutSite(b) {
		d.hold(b)
	}
	return d.burst(b)
}

// aboutSite says whether a change on some site could make b a leak: its object or evidence
// names a host.
func aboutSite(b leakwatch.Burst) bool {
	if strings.HasPrefix(b.Object, string(leakwatch.KindURL)+":") || strings.HasPrefix(b.Object, string(leakwatch.KindDomain)+":") {
		return true
	}
	return slices.ContainsFunc(b.Evidence, func(e string) bool { return strings.HasPrefix(e, "domain:") })
}

// hold keeps b for changes read after it, forgetting bursts that ended before any change a
// burst can follow (ChangeWindow and a day of margin, as changes are kept).
func (d *Detector) hold(b leakwatch.Burst) {
	d.held = append(d.held, b)
	if b.End.After(d.heldNewest) {
		d.heldNewest = b.End
	}
	keep := d.heldNewest.Add(-d.cfg.ChangeWindow - 24*time.Hour)
	if d.held[0].End.Before(keep) {
		d.held = slices.DeleteFunc(d.held, func(h leakwatch.Burst) bool { return h.End.Before(keep) })
	}
	if len(d.held) > maxHeld {
		d.held = slices.Delete(d.held, 0, len(d.held)-maxHeld)
	}
}

// burst is Burst without holding b.
func (d *Detector) burst(b leakwatch.Burst) *leakwatch.Leak {
	end := b.End
	if end.Before(b.Onset) {
		end = b.Onset
	}
	c := d.judge(b.Object, b.Onset, b.Evidence, []string{b.Object}, "")
	if c == nil {
		return nil
	}
	c.end = end
	return d.admit("burst|"+b.Object+"|"+b.Onset.UTC().Format(time.RFC3339), c)
}

// Group is Burst for a coordinated group. Its object is "group:ID"; its objects and accounts
// relate it to incidents, and the ids it supersedes are replaced by its own in every
// incident that lists them.
func (d *Detector) Group(g leakwatch.Group) *leakwatch.Leak {
	renamed := d.renameGroups(g.ID, g.Supersedes)
	// The group's own name, not its top object: that changes as the group grows, and an
	// incident led by the group would move its key back and forth between objects.
	object := "group:" + g.ID
	// A group that took up a dump spans its co-shares of it: the same accounts may have been
	// passing other things round for days before and go on for weeks after, and a span that
	// long would tie this dump to any later one the network also pushed.
	onset, end := g.CoordinatedAt(), g.Last
	if !g.EvidenceFirst.IsZero() {
		onset, end = g.EvidenceFirst, g.EvidenceLast
	}
	c := d.judge(object, onset, g.Evidence, g.Objects, g.ID)
	if c == nil {
		if renamed != nil {
			return d.publish(renamed)
		}
		return nil
	}
	c.end = end
	if c.end.Before(c.onset) {
		c.end = c.onset
	}
	c.accounts = g.Accounts // a record's lists are never changed in place
	if !slices.IsSorted(c.accounts) {
		c.accounts = slices.Sorted(slices.Values(g.Accounts)) // coord sorts them; a record from elsewhere may not
	}
	return d.admit("group|"+g.ID, c)
}

// judge returns the leak candidate an object's burst or a group is, or nil.
func (d *Detector) judge(object string, onset time.Time, evidence, objects []string, group string) *candidate {
	var ev []string
	score := 1.0 // probability none of the evidence means a leak
	values, dump := 0, 0
	for _, e := range evidence {
		switch {
		case strings.HasPrefix(e, "domain:"):
			score *= 1 - weightDomain
			dump++ // leakwatch.NamesDump
		case strings.HasPrefix(e, "term:#"):
			score *= 1 - weightHashtag
			dump++
		case strings.HasPrefix(e, "term:"):
			score *= 1 - weightTerm
		default:
			continue
		}
		values++
		ev = append(ev, e)
	}
	followed := false
	var defaced time.Time
	for _, c := range d.following(onset, objects, evidence) {
		followed = true
		ev = append(ev, "change:"+c.target)
		if c.deface {
			if defaced.IsZero() || c.defacedAt.Before(defaced) {
				defaced = c.defacedAt
			}
			ev = append(ev, "defacement:"+c.target)
			score *= 1 - weightDefacement
		} else {
			score *= 1 - weightChange
		}
	}
	if !followed && (values < d.cfg.MinEvidence || dump < d.cfg.MinDumpEvidence) {
		return nil
	}
	objs := slices.Clone(objects)
	if len(objs) == 0 || objs[0] != object {
		objs = append([]string{object}, objs...)
	}
	return &candidate{
		object:   object,
		onset:    onset,
		end:      onset,
		evidence: slices.Compact(ev),
		objects:  objs,
		group:    group,
		score:    float64(int((1-score)*1000+0.5)) / 1000,
		led:      followed || strongValue(ev[0]),
		defaced:  defaced,
	}
}

// following returns the remembered changes that onset follows on a site the objects or the
// evidence point to, one per target (the latest, marked a defacement when any of them was).
func (d *Detector) following(onset time.Time, objects, evidence []string) []change {
	var out []change
	for i := len(d.changes) - 1; i >= 0; i-- {
		c := d.changes[i]
		if onset.Before(c.at.Add(-d.cfg.ChangeSlack)) || onset.After(c.at.Add(d.cfg.ChangeWindow)) {
			continue
		}
		if j := slices.IndexFunc(out, func(o change) bool { return o.target == c.target }); j >= 0 {
			// A defacement stays one even when a routine change (the site being restored)
			// came after it. Changes are taken latest first: the last seen is the earliest.
			if c.deface {
				out[j].deface, out[j].defacedAt = true, c.at
			}
			continue
		}
		if relates(c.domain, objects, evidence) {
			if c.deface {
				c.defacedAt = c.at
			}
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b change) int { return cmp.Compare(a.target, b.target) })
	return out
}

// relates says whether an object key or an evidence value points under domain.
func relates(domain string, objects, evidence []string) bool {
	under := func(h string) bool { return h == domain || strings.HasSuffix(h, "."+domain) }
	for _, o := range objects {
		kind, v, _ := strings.Cut(o, ":")
		switch leakwatch.ObjectKind(kind) {
		case leakwatch.KindDomain:
			if under(strings.ToLower(v)) {
				return true
			}
		case leakwatch.KindURL:
			if under(hostOf(v)) {
				return true
			}
		}
	}
	for _, e := range evidence {
		if v, ok := strings.CutPrefix(e, "domain:"); ok && under(v) {
			return true
		}
	}
	return false
}

func registrable(host string) string {
	if host == "" {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host // an IP address or a bare suffix: compare the host itself
	}
	return d
}
