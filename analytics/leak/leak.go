// Package leak decides which bursts and coordinated groups are leak candidates: their posts
// point to a dump (paste and file-sharing links, leak vocabulary in English and French) or
// they follow a change on a watched website. Candidates are timed against the campaign
// calendar. Matcher finds the evidence in each post at extraction; Detector judges the
// bursts and groups built from those mentions.
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
	"github.com/leakwatch/leakwatch/analytics/calendar"
)

// Detector turns bursts and groups into leaks. It is not safe for concurrent use.
type Detector struct {
	cfg     Config
	cal     leakwatch.Calendar
	kinds   map[string]bool
	changes []change // by observation time
	newest  time.Time
}

// change is a remembered site change that counts.
type change struct {
	at     time.Time
	target string
	domain string // registrable domain of the watched URL
	deface bool
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
// it. Changes that the configuration does not count are ignored.
func (d *Detector) Change(sc leakwatch.SiteChange) {
	counts := sc.Defacement
	for _, k := range sc.Changed {
		counts = counts || d.kinds[k]
	}
	dom := registrable(hostOf(sc.URL))
	if !counts || dom == "" || sc.ObservedAt.IsZero() {
		return
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
}

// Burst returns the leak a burst is, or nil.
func (d *Detector) Burst(b leakwatch.Burst) *leakwatch.Leak {
	return d.judge(b.Object, b.Onset, b.Evidence, []string{b.Object}, nil)
}

// Group returns the leak a coordinated group is, or nil. Its object is the group's most
// shared object (or "group:ID" when it lists none); evidence names the group.
func (d *Detector) Group(g leakwatch.Group) *leakwatch.Leak {
	object := "group:" + g.ID
	if len(g.Objects) > 0 {
		object = g.Objects[0]
	}
	return d.judge(object, g.First, g.Evidence, g.Objects, []string{"group:" + g.ID})
}

func (d *Detector) judge(object string, onset time.Time, evidence, objects, extra []string) *leakwatch.Leak {
	var ev []string
	score := 1.0 // probability none of the evidence means a leak
	dump := 0
	for _, e := range evidence {
		switch {
		case strings.HasPrefix(e, "domain:"):
			score *= 1 - weightDomain
		case strings.HasPrefix(e, "term:#"):
			score *= 1 - weightHashtag
		case strings.HasPrefix(e, "term:"):
			score *= 1 - weightTerm
		default:
			continue
		}
		dump++
		ev = append(ev, e)
	}
	followed := false
	for _, c := range d.following(onset, objects, evidence) {
		followed = true
		ev = append(ev, "change:"+c.target)
		if c.deface {
			ev = append(ev, "defacement:"+c.target)
			score *= 1 - weightDefacement
		} else {
			score *= 1 - weightChange
		}
	}
	if dump < d.cfg.MinEvidence && !followed {
		return nil
	}
	ev = append(ev, extra...)
	refs, tm := calendar.Place(d.cal, onset)
	return &leakwatch.Leak{
		Object:   object,
		Onset:    onset,
		Evidence: slices.Compact(ev),
		Calendar: refs,
		Timing:   tm,
		Score:    float64(int((1-score)*1000+0.5)) / 1000,
	}
}

// following returns the remembered changes that onset follows on a site the objects or the
// evidence point to, one per target (the latest).
func (d *Detector) following(onset time.Time, objects, evidence []string) []change {
	var out []change
	for i := len(d.changes) - 1; i >= 0; i-- {
		c := d.changes[i]
		if onset.Before(c.at.Add(-d.cfg.ChangeSlack)) || onset.After(c.at.Add(d.cfg.ChangeWindow)) {
			continue
		}
		if slices.ContainsFunc(out, func(o change) bool { return o.target == c.target }) {
			continue
		}
		if relates(c.domain, objects, evidence) {
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
