package pipeline

import (
	"fmt"
	"slices"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/burst"
	"github.com/leakwatch/leakwatch/analytics/coord"
	"github.com/leakwatch/leakwatch/analytics/entities"
)

// CoShare is the co-share observation that travels from detect to correlate on the signals
// topic, keyed by Key() (the account pair and kind); its JSON form has "kind":"coshare".
type CoShare = coord.Observation

// Extract is the extract stage: post -> mentions, with leak evidence attached.
type Extract struct {
	x *entities.Extractor
}

// NewExtract builds the extract stage.
func NewExtract(cfg Config) (*Extract, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	x, err := entities.New(cfg.Entities, newEvidencer(cfg))
	if err != nil {
		return nil, err
	}
	return &Extract{x: x}, nil
}

// Mentions returns the mentions of p.
func (e *Extract) Mentions(p leakwatch.Post) []leakwatch.Mention { return e.x.Extract(p) }

// AppendMentions appends the mentions of p to dst (no allocation for dst when it has room).
func (e *Extract) AppendMentions(dst []leakwatch.Mention, p leakwatch.Post) []leakwatch.Mention {
	return e.x.Append(dst, p)
}

// isBand reports whether object o is a near-duplicate band. The kind's eight bytes are
// compared with a constant as one word and the colon after them alone: a nine-byte prefix
// went through a call to the runtime's general comparison, for more than half the mentions.
func isBand(o string) bool {
	const k = string(leakwatch.KindNearText)
	return len(o) > len(k) && o[:len(k)] == k && o[len(k)] == ':'
}

// LateError is a mention that arrived after its window closed. The caller sends Mention to
// the dead-letter topic with this error as the reason.
type LateError struct {
	Mention leakwatch.Mention
	Horizon time.Time // nothing older than this is accepted any more
}

// Error names the post as well as the mention: an operator looking for the posts detection
// left out (deadletters --reason 'mention of all:posts') finds them by it.
func (e *LateError) Error() string {
	account, post := e.Mention.Account, e.Mention.Post
	if account == "" {
		account = "(no account)"
	}
	if post == "" {
		post = "(no post)"
	}
	return fmt.Sprintf("mention of %s by %s in %s at %s is late: windows before %s are closed",
		e.Mention.Object, account, post, e.Mention.At.UTC().Format(time.RFC3339), e.Horizon.UTC().Format(time.RFC3339))
}

// DetectOutput is what the detect stage emits on one Advance. CoShares is only valid until
// the next Advance or Flush, which reuse its memory: the observations are the bulk of what
// detect allocates, and every caller encodes or hands them on at once.
type DetectOutput struct {
	Bursts   []leakwatch.Burst // placed on the calendar
	CoShares []CoShare
}

// Detect is the per-object stage: bursts and co-share observations for the objects of one
// partition of the mentions topic.
type Detect struct {
	lateness  time.Duration
	bursts    *burst.Scales
	place     placer
	about     func(leakwatch.Signal) []string // the candidates a signal names
	sharing   *coord.Sharing
	watermark time.Time
	horizon   time.Time
	late      int64
	coshares  []CoShare // reused by each Advance
}

// NewDetect builds the detect stage.
func NewDetect(cfg Config) (*Detect, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Detect{
		lateness: cfg.Lateness,
		bursts:   newBurst(cfg),
		place:    newPlacer(cfg),
		about:    newAbout(cfg),
		sharing:  coord.NewSharing(cfg.coord()),
	}, nil
}

// Add counts a mention. It returns a *LateError, and counts nothing, when the mention is
// older than the watermark minus the lateness, and an error naming the problem for a mention
// no detector can count (no object, no time); the caller dead-letters both.
func (d *Detect) Add(m leakwatch.Mention) error { return d.add(&m) }

// add is Add without the copy: a batch hands each mention of a post by one pointer.
func (d *Detect) add(m *leakwatch.Mention) error {
	// A mention without a time is refused for that, before the horizon, which it always
	// lies before: "late at 0001-01-01" would send a reader looking for a delay.
	if m.At.IsZero() {
		return noTimeError(m)
	}
	if !d.horizon.IsZero() && m.At.Before(d.horizon) {
		d.late++
		return &LateError{Mention: *m, Horizon: d.horizon}
	}
	if err := d.addObject(m); err != nil {
		return err
	}
	if m.At.After(d.watermark) {
		d.watermark = m.At
	}
	return nil
}

// addObjects is add for each of a post's objects (m with each in turn as its Object), the
// checks of its time made once; each object add would have refused is appended to refused.
// (A callback taking m would make every caller's mention escape to the heap.)
func (d *Detect) addObjects(m *leakwatch.Mention, objects []string, refused *[]Refused) {
	if m.At.IsZero() {
		for _, o := range objects {
			m.Object = o
			*refused = append(*refused, Refused{Mention: *m, Reason: noTimeError(m).Error()})
		}
		return
	}
	if !d.horizon.IsZero() && m.At.Before(d.horizon) {
		for _, o := range objects {
			m.Object = o
			d.late++
			*refused = append(*refused, Refused{Mention: *m, Reason: (&LateError{Mention: *m, Horizon: d.horizon}).Error()})
		}
		return
	}
	added := false
	for _, o := range objects {
		m.Object = o
		if err := d.addObject(m); err != nil {
			*refused = append(*refused, Refused{Mention: *m, Reason: err.Error()})
			continue
		}
		added = true
	}
	if added && m.At.After(d.watermark) {
		d.watermark = m.At
	}
}

// addObject counts m, its time checked against the horizon, for bursts and co-shares.
func (d *Detect) addObject(m *leakwatch.Mention) error {
	// Near-duplicate bands are not burst-tested: the exact text, URL and hashtag objects of
	// the same posts carry the same bursts, and nine bands a post would multiply the work.
	// The first byte tells most objects apart before the prefix is compared (a call).
	if !isBand(m.Object) {
		if err := d.bursts.AddRef(m); err != nil {
			return err
		}
	} else if m.At.IsZero() {
		return noTimeError(m)
	}
	d.sharing.AddRef(m)
	return nil
}

func noTimeError(m *leakwatch.Mention) error {
	return fmt.Errorf("mention of %s by post %q: no event time (the post has no created_at)", m.Object, m.Post)
}

// Begin says the stream this stage has a partition of began at t (burst.Detector.Begin): a
// partition measures the burst warm-up from there, as one stage over the whole stream would.
// A zero t says nothing.
func (d *Detect) Begin(t time.Time) { d.bursts.Begin(t) }

// Watermark is the newest event time added or advanced to.
func (d *Detect) Watermark() time.Time { return d.watermark }

// Advance moves the watermark (never back) and returns what completed before
// watermark - Lateness.
func (d *Detect) Advance(watermark time.Time) DetectOutput {
	if watermark.After(d.watermark) {
		d.watermark = watermark
	}
	h := d.watermark.Add(-d.lateness)
	if !h.After(d.horizon) {
		return DetectOutput{}
	}
	d.horizon = h
	out := DetectOutput{CoShares: d.reuse()}
	d.sharing.Advance(h, func(o CoShare) { out.CoShares = append(out.CoShares, o) })
	d.coshares = out.CoShares
	out.Bursts = d.placed(d.bursts.Advance(h))
	return out
}

func (d *Detect) reuse() []CoShare {
	clear(d.coshares) // the strings of the last batch can go
	return d.coshares[:0]
}

// Flush completes everything: the end of a finite input.
func (d *Detect) Flush() DetectOutput {
	out := DetectOutput{CoShares: d.reuse()}
	d.sharing.Flush(func(o CoShare) { out.CoShares = append(out.CoShares, o) })
	d.coshares = out.CoShares
	out.Bursts = d.placed(d.bursts.Flush())
	return out
}

// Stats are the detect stage's counters, for metrics and the summary.
type DetectStats struct {
	Late         int64 // mentions refused as late
	PairsSkipped int64 // co-share pairs left out by the sharer cap
	Objects      int   // objects with co-share state in memory
}

// Stats returns the counters so far.
func (d *Detect) Stats() DetectStats {
	return DetectStats{Late: d.late, PairsSkipped: d.sharing.Skipped(), Objects: d.sharing.Objects()}
}

// placed puts each burst on the calendar and names the candidates it is about.
func (d *Detect) placed(bs []leakwatch.Burst) []leakwatch.Burst {
	for i := range bs {
		bs[i].Candidates = d.about(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &bs[i]})
		refs, timing := d.place(bs[i].Onset)
		bs[i].Calendar = refs
		if timing != (leakwatch.Timing{}) {
			t := timing
			bs[i].Timing = &t
		}
	}
	return bs
}

// Output is what the correlate stage emits: signals for the signals topic (edges, groups,
// leaks) and alerts for the alerts topic.
type Output struct {
	Signals []leakwatch.Signal
	Alerts  []leakwatch.Alert
}

func (o *Output) add(sig leakwatch.Signal, rules evaluator) {
	o.Signals = append(o.Signals, sig)
	o.Alerts = append(o.Alerts, rules(sig)...)
}

func (o *Output) merge(p Output) {
	o.Signals = append(o.Signals, p.Signals...)
	o.Alerts = append(o.Alerts, p.Alerts...)
}

// Correlate is the cross-object stage: co-share observations become edges and groups;
// bursts, groups and site changes become leaks; rules turn signals into alerts.
type Correlate struct {
	edges       *coord.Edges
	leak        leakDetector
	place       placer
	rules       evaluator
	changeRules changeEvaluator
	about       func(leakwatch.Signal) []string // the candidates a signal names
	named       func(texts ...string) []string  // the candidates texts name
}

// NewCorrelate builds the correlate stage.
func NewCorrelate(cfg Config) (*Correlate, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Correlate{edges: coord.NewEdges(cfg.coord()), leak: newLeak(cfg), place: newPlacer(cfg), rules: newEvaluator(cfg), changeRules: newChangeEvaluator(cfg), about: newAbout(cfg), named: newNamed(cfg)}
	if rc := rulesConfig(cfg); len(rc.Candidates) > 0 {
		// A group is about the candidates the objects it co-shared name, counted over all
		// of them: its few top objects change as it grows, and its label with them.
		c.edges.Tag(func(object string) []string { return c.named(object) })
	}
	return c, nil
}

// CoShare counts one observation; edges and groups come out on Advance.
func (c *Correlate) CoShare(o CoShare) { c.edges.Add(o) }

// Burst takes a burst from the detect stage: it returns the alerts the burst raises and the
// leak it is evidence of, if any. (The burst record itself was published by detect.)
func (c *Correlate) Burst(b leakwatch.Burst) Output {
	var out Output
	out.Alerts = append(out.Alerts, c.rules(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &b})...)
	if l := c.leak.Burst(b); l != nil {
		out.add(c.leakSignal(l), c.rules)
	}
	return out
}

// leakSignal is the signal of incident l, with the candidates it names.
func (c *Correlate) leakSignal(l *leakwatch.Leak) leakwatch.Signal {
	sig := leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: l}
	l.Candidates = c.about(sig)
	return sig
}

// Change remembers a site change, so later bursts that follow it are leaks, and returns the
// alerts the change raises by itself (a defacement), and the leaks of bursts taken before it
// that follow it (only when a stream read the change after them). Its times are taken in UTC, as posts'
// are: a changes file written with an offset ("+02:00") gives the alerts of one written in
// UTC, byte for byte, in the batch and in the stream alike.
func (c *Correlate) Change(sc leakwatch.SiteChange) Output {
	sc.ObservedAt = sc.ObservedAt.UTC()
	if !sc.TLSNotAfter.IsZero() {
		sc.TLSNotAfter = sc.TLSNotAfter.UTC()
	}
	out := Output{Alerts: c.changeRules(sc)}
	for _, l := range c.leak.Change(sc) {
		out.add(c.leakSignal(l), c.rules)
	}
	return out
}

// Published takes a group or leak record an earlier run of this stage published (read back
// from the signals topic while a restarted stage rebuilds its state), so that the records
// that replace it list it in Supersedes as the earlier run would have.
func (c *Correlate) Published(sig leakwatch.Signal) {
	switch {
	case sig.Kind == leakwatch.SignalGroup && sig.Group != nil:
		c.edges.Published(append([]string{sig.Group.ID}, sig.Group.Supersedes...)...)
	case sig.Kind == leakwatch.SignalLeak && sig.Leak != nil:
		c.leak.Published(append([]string{sig.Key()}, sig.Leak.Supersedes...)...)
	}
}

// Advance returns the edges and groups that changed since the last call, the leaks the
// groups point to, and their alerts. The watermark is not needed for correctness (edges only
// grow); the signature matches the other stages so callers drive all three alike.
func (c *Correlate) Advance(watermark time.Time) Output {
	_ = watermark
	edges, groups := c.edges.Changed()
	var out Output
	for i := range edges {
		out.Signals = append(out.Signals, leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &edges[i]})
	}
	for i := range groups {
		g := &groups[i]
		// Placed when it became coordinated, not at its first co-share: that may be a chance
		// one days before the operation (a trending hashtag), and the group's timing would
		// then say nothing of when the network acted.
		refs, timing := c.place(g.CoordinatedAt())
		g.Calendar = refs
		if timing != (leakwatch.Timing{}) {
			t := timing
			g.Timing = &t
		}
		// The candidates of its objects (coord, Edges.Tag), then those its evidence names.
		for _, id := range c.named(g.Evidence...) {
			if !slices.Contains(g.Candidates, id) {
				g.Candidates = append(g.Candidates, id)
			}
		}
		out.add(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: g}, c.rules)
		if l := c.leak.Group(*g); l != nil {
			out.add(c.leakSignal(l), c.rules)
		}
	}
	return out
}

// Flush is Advance at the end of input.
func (c *Correlate) Flush() Output { return c.Advance(time.Time{}) }

// Pairs is how many account pairs the correlate stage holds (its memory).
func (c *Correlate) Pairs() int { return c.edges.Pairs() }

// Forgotten is how many candidate edges coord.max_candidate_edges made it forget.
func (c *Correlate) Forgotten() int64 { return c.edges.Forgotten() }
