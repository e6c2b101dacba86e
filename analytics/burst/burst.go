// Package burst finds periods in which one object (a hashtag, a URL, a candidate, the whole
// stream "all:posts") is shared far above its own baseline, in event time.
//
// Each object is counted in fixed event-time buckets. Its baseline is an EWMA level times an
// hour-of-day profile the object learns from its own history; a Poisson CUSUM on top of it
// finds the onset of a rise (the bucket where the excess began, not where it was noticed).
// State is per object only, so the output does not depend on how mentions of different
// objects are interleaved or split across Kafka partitions. docs/DETECTION.md ("Bursts")
// gives the model and the defaults.
//
// The package is pure: it does no I/O and must not import stream, warehouse, collectors or
// any Kafka or ClickHouse client.
package burst

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/agenda"
	"github.com/leakwatch/leakwatch/internal/keymap"
	"github.com/leakwatch/leakwatch/internal/strhash"
)

// Detector finds bursts. It is not safe for concurrent use: one goroutine feeds it, as one
// partition's consumer does.
type Detector struct {
	cfg       Config
	bucketNs  int64
	perHour   int64 // buckets per hour
	perDay    int64
	quiet     int64 // buckets
	idle      int64
	backtrack int64 // buckets
	sparse    int64 // idle for objects without a profile
	warmup    int64
	alpha     float64 // EWMA weight per bucket
	dayDecay  float64 // profile weight kept per day
	prior     float64 // profile prior, in mentions per hour slot
	// floorE1 and floorLog are the burst alternative and log(floorE1/Floor) of an object at
	// its floor, as most are (new and sparse objects): step takes them instead of a square
	// root and a logarithm.
	floorE1, floorLog float64
	// decay[k] is (1-alpha)^k, the level kept over k empty buckets, for the short gaps
	// catchUp mostly meets.
	decay []float64

	objects keymap.Map[*object]    // by key, hashed with strhash.String
	open    map[*object]struct{}   // objects whose run is a confirmed burst
	due     agenda.Agenda[*object] // bucket -> objects with a pending count there
	// timers: bucket -> objects whose run (or prelude) may end once the watermark passes
	// it. Which object's timer fires first within a bucket does not matter: each looks at
	// its own object only, and take sorts what they end.
	timers agenda.Agenda[*object]
	// idlers: bucket -> objects that may have gone idle by then (object.idleAt), so the
	// hourly sweep looks at those only instead of walking every object.
	idlers agenda.Agenda[*object]
	// posts is the object of leakwatch.AllPosts once seen: every post mentions it, and
	// comparing its short key costs less than hashing it for the map.
	posts *object

	// start is the earliest mention time seen before the first bucket was closed, or the
	// earlier time given to Begin; warm-up is measured from it.
	start     int64
	haveStart bool
	frozen    bool
	warmEnd   int64 // first bucket after warm-up
	learnEnd  int64 // first bucket whose bursts are not Learning

	advanced  bool
	wb        int64 // first bucket not yet closed by the watermark
	lastSweep int64
	// timing is set while Advance runs the timers. It releases a prelude already too old
	// right after the drain that made it, so closeRun need not schedule one.
	timing bool

	out   []leakwatch.Burst
	stats Stats
	// spare holds ended runs for reuse: a run opens each time an object's count leaves its
	// floor, most end unconfirmed minutes later, and allocating each one was the detector's
	// largest allocation.
	spare []*run
	// gone holds evicted objects for reuse: most objects are mentioned once, go idle and are
	// evicted, and a new one takes their place.
	gone []*object
}

// Stats counts what the detector holds and what it had to adjust.
type Stats struct {
	Objects int   // objects with state
	Late    int64 // mentions older than the watermark, counted in the first open bucket
	Evicted int64 // objects dropped after Idle without a mention
	Bursts  int64 // bursts returned
}

type object struct {
	key        string
	hash       uint64 // of key, for objects
	seen       bool
	lastB      int64 // last bucket the model has stepped through
	lastActive int64 // last bucket with a mention
	n          int64 // buckets stepped since first seen
	warm       bool  // first seen during warm-up: learns with a running mean until it ends
	level      float64
	total      int64
	prof       *profile
	s          float64 // CUSUM statistic
	run        *run
	prelude    *run            // the last unconfirmed run of a nearly silent object, for backtracking
	pending    []pendingBucket // buckets not yet closed by the watermark, by index
	// idleAt is the bucket of the object's entry in Detector.idlers, when listed: the first
	// bucket at which it can be idle, or earlier. Entries at other buckets are stale.
	idleAt int64
	listed bool
}

type pendingBucket struct {
	b        int64
	count    int
	accounts []string
	evidence []string
}

// run is a CUSUM excursion: from the first bucket where the statistic left zero. It becomes
// a burst once confirmed.
type run struct {
	confirmed bool
	lastHot   int64 // last bucket whose count favoured the burst rate
	quiet     int64 // buckets since lastHot
	count     int
	recs      []rec
	accounts  []string
	evidence  []string
	// seen holds distinct accounts of accounts[:scanned], gathered only until there are
	// MinAccounts of them: confirmation asks for that many, not for the exact number (a map
	// of every account of every run was a hundredth of a batch analysis).
	seen    []string
	scanned int
	// first holds recs and accounts while a run is short, as most are: one allocation a
	// run instead of one per slice and growth step.
	first     [4]rec
	firstAcc  [4]string
	firstSeen [4]string
}

// rec is one bucket of a run; acc and ev are the end offsets of its accounts and evidence.
type rec struct {
	b       int64
	c       int
	e       float64
	acc, ev int
}

// New returns a detector for cfg. It panics when cfg does not validate: callers load
// configuration through Validate first.
func New(cfg Config) *Detector {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	bucketNs := int64(cfg.Bucket)
	perHour := int64(time.Hour) / bucketNs
	d := &Detector{
		cfg:       cfg,
		bucketNs:  bucketNs,
		perHour:   perHour,
		perDay:    24 * perHour,
		quiet:     ceilDiv(int64(cfg.Quiet), bucketNs),
		idle:      ceilDiv(int64(cfg.Idle), bucketNs),
		backtrack: floorDiv(int64(cfg.Backtrack), bucketNs),
		sparse:    ceilDiv(int64(cfg.IdleSparse), bucketNs),
		warmup:    ceilDiv(int64(cfg.Warmup), bucketNs),
		alpha:     1 - math.Pow(0.5, float64(bucketNs)/float64(cfg.HalfLife)),
		dayDecay:  math.Pow(0.5, float64(24*time.Hour)/float64(cfg.ProfileHalfLife)),
		prior:     cfg.ProfilePrior,
		open:      make(map[*object]struct{}),
		due:       agenda.New[*object](),
		timers:    agenda.New[*object](),
		idlers:    agenda.New[*object](),
	}
	d.floorE1 = d.shifted(cfg.Floor)
	d.floorLog = math.Log(d.floorE1 / cfg.Floor)
	d.decay = make([]float64, decayTable)
	for k := range d.decay {
		d.decay[k] = math.Pow(1-d.alpha, float64(k))
	}
	return d
}

// Add counts one mention. Mentions may arrive out of order; one older than the last
// watermark is counted in the first bucket still open (Stats.Late says how many).
func (d *Detector) Add(m leakwatch.Mention) error { return d.AddRef(&m) }

// AddRef is Add by pointer, for callers that hand many mentions a second and would
// otherwise copy each one (112 bytes) on every call.
func (d *Detector) AddRef(m *leakwatch.Mention) error {
	if err := check(m); err != nil {
		return err
	}
	var key keyHash
	d.count(m, &key)
	return nil
}

// check refuses a mention no detector can count.
func check(m *leakwatch.Mention) error {
	if m.Object == "" {
		return fmt.Errorf("burst: mention of post %q: no object", m.Post)
	}
	if m.At.IsZero() {
		return fmt.Errorf("burst: mention of %s by post %q: no event time", m.Object, m.Post)
	}
	return nil
}

// keyHash is a mention's object key hashed at most once, for the detectors that count it
// (the two of Scales): hashing the key is most of what finding its object costs.
type keyHash struct {
	h  uint64
	ok bool
}

func (k *keyHash) of(key string) uint64 {
	if !k.ok {
		k.h, k.ok = strhash.String(0, key), true
	}
	return k.h
}

// count counts a checked mention.
func (d *Detector) count(m *leakwatch.Mention, key *keyHash) {
	at := m.At.UnixNano()
	if !d.frozen && (!d.haveStart || at < d.start) {
		d.start, d.haveStart = at, true
	}
	b := floorDiv(at, d.bucketNs)
	if d.advanced && b < d.wb {
		b = d.wb
		d.stats.Late++
	}
	var o *object
	var h uint64
	if m.Object == leakwatch.AllPosts && d.posts != nil {
		o = d.posts
	} else {
		h = key.of(m.Object)
		o, _ = d.objects.Get(h, m.Object)
	}
	if o == nil {
		if n := len(d.gone); n > 0 {
			o, d.gone = d.gone[n-1], d.gone[:n-1]
			o.key, o.hash = m.Object, h
		} else {
			o = &object{key: m.Object, hash: h}
		}
		d.objects.Put(h, m.Object, o)
		if m.Object == leakwatch.AllPosts {
			d.posts = o
		}
	}
	i := len(o.pending)
	for i > 0 && o.pending[i-1].b > b {
		i--
	}
	if n := len(o.pending); i == n && n < cap(o.pending) && (n == 0 || o.pending[n-1].b != b) {
		// The newest bucket, as mentions mostly come: it takes the place and the lists of a
		// closed bucket, left behind the open ones by closeBucket, with no copy.
		o.pending = o.pending[:n+1]
		pb := &o.pending[n]
		pb.b, pb.count, pb.accounts, pb.evidence = b, 0, pb.accounts[:0], pb.evidence[:0]
		d.due.Add(b, o)
		i++
	} else if i == 0 || o.pending[i-1].b != b {
		nb := pendingBucket{b: b}
		if n < cap(o.pending) {
			// A closed bucket's lists, left behind the open ones by closeBucket.
			old := &o.pending[:n+1][n]
			nb.accounts, nb.evidence = old.accounts[:0], old.evidence[:0]
		}
		o.pending = slices.Insert(o.pending, i, nb)
		d.due.Add(b, o)
		i++
	}
	pb := &o.pending[i-1]
	pb.count++
	pb.accounts = append(pb.accounts, m.Account)
	if len(m.Evidence) > 0 { // as in step: most posts have none
		pb.evidence = append(pb.evidence, m.Evidence...)
	}
}

// runStart returns the first bucket of the object's open run, confirmed or not, with the
// run's confirmation; ok is false when the object has no open run.
func (d *Detector) runStart(key string) (b int64, confirmed, ok bool) {
	o, _ := d.objects.Get(strhash.String(0, key), key)
	if o == nil || o.run == nil || len(o.run.recs) == 0 {
		return 0, false, false
	}
	return o.run.recs[0].b, o.run.confirmed, true
}

// Advance closes every bucket that ends at or before watermark and returns the bursts that
// ended before it, ordered by end, object and onset.
func (d *Detector) Advance(watermark time.Time) []leakwatch.Burst {
	wb := floorDiv(watermark.UnixNano(), d.bucketNs)
	if d.advanced && wb <= d.wb {
		return nil
	}
	d.freeze()
	d.advanced, d.wb = true, wb
	d.closeBuckets(wb)
	d.timing = true
	for {
		_, objs, ok := d.timers.Next(wb)
		if !ok {
			break
		}
		for _, o := range objs {
			if r := o.run; r != nil && r.lastHot+d.quiet < wb {
				d.drain(o, wb)
			}
			if p := o.prelude; p != nil && o.run == nil && p.lastHot+d.backtrack < wb {
				d.release(p) // too old to open a burst now
				o.prelude = nil
			}
		}
		d.timers.Done(objs)
	}
	d.timing = false
	if wb-d.lastSweep >= d.perHour {
		d.sweep()
		d.lastSweep = wb
	}
	return d.take()
}

// Flush ends the input: it closes every bucket and every open burst and returns what remains.
func (d *Detector) Flush() []leakwatch.Burst {
	d.freeze()
	d.closeBuckets(math.MaxInt64)
	for o := range d.objects.All {
		if o.run != nil {
			d.closeRun(o)
		}
	}
	d.timers.Clear()
	return d.take()
}

// Begin says the input began at t. Warm-up is measured from the earliest mention seen before
// the first bucket closes, or from t when that is earlier; once a bucket has closed, Begin
// does nothing. A detector given some objects of a stream sees its first mention later than
// the stream began: a caller that splits one stream over several detectors passes each the
// stream's earliest time, so all end their warm-up at the bucket one detector would.
func (d *Detector) Begin(t time.Time) {
	if t.IsZero() || d.frozen {
		return
	}
	if at := t.UnixNano(); !d.haveStart || at < d.start {
		d.start, d.haveStart = at, true
	}
}

// Stats returns the current counters.
func (d *Detector) Stats() Stats {
	s := d.stats
	s.Objects = d.objects.Len()
	return s
}

func (d *Detector) freeze() {
	if d.frozen || !d.haveStart {
		return
	}
	d.frozen = true
	d.warmEnd = floorDiv(d.start, d.bucketNs) + d.warmup
	d.learnEnd = floorDiv(d.start, d.bucketNs) + int64(d.cfg.Learning)/d.bucketNs
}

// closeBuckets closes every bucket before limit, in order.
func (d *Detector) closeBuckets(limit int64) {
	for {
		b, objs, ok := d.due.Next(limit)
		if !ok {
			return
		}
		d.closeBucket(b, objs)
		d.due.Done(objs)
	}
}

// closeBucket feeds bucket b of each of objs to its model.
func (d *Detector) closeBucket(b int64, objs []*object) {
	for _, o := range objs {
		n := 0
		for n < len(o.pending) && o.pending[n].b <= b {
			d.observe(o, o.pending[n]) // step copies the accounts and evidence it keeps
			n++
		}
		// Closed buckets move behind the open ones, so Add refills their account lists:
		// an object opens a bucket each minute it is mentioned in.
		open := len(o.pending) - n
		for i := range open {
			o.pending[i], o.pending[n+i] = o.pending[n+i], o.pending[i]
		}
		o.pending = o.pending[:open]
	}
}

// observe feeds one closed, non-empty bucket to the object's model.
func (d *Detector) observe(o *object, pb pendingBucket) {
	// Idle is measured from the last mention, not from the model's position, so it does not
	// depend on when the watermark happened to step through the silence.
	if o.seen && pb.b-o.lastActive > d.idleFor(o) {
		d.drain(o, pb.b)
		*o = object{key: o.key, hash: o.hash, pending: o.pending}
	}
	if !o.seen {
		o.seen, o.lastB, o.warm = true, pb.b-1, pb.b < d.warmEnd
	}
	d.catchUp(o, pb.b)
	o.total += int64(pb.count)
	d.step(o, pb.b, pb.count, pb.accounts, pb.evidence)
	o.lastActive = pb.b
	if o.prof == nil && o.total >= int64(d.cfg.ProfileMin) {
		o.prof = &profile{day: floorDiv(pb.b, d.perDay)}
	}
	// One entry an object: when it comes due with the object still busy, sweep moves it to
	// the next bucket the object could be idle at (later mentions only make that later). A
	// reset clears listed, and the entry made here supersedes the old one.
	if !o.listed {
		o.idleAt, o.listed = o.lastActive+d.idleFor(o)+1, true
		d.idlers.Add(o.idleAt, o)
	}
}

// stepwise says whether empty bucket j must be stepped on its own: while a run is open (the
// CUSUM and the burst's baseline need every bucket) or while the object is warming up.
func (d *Detector) stepwise(o *object, j int64) bool {
	return o.run != nil || (o.warm && j < d.warmEnd)
}

// catchUp brings the model to just before bucket b through empty buckets: one at a time
// while stepwise, then in closed form. The sequence depends only on the object's own
// mentions, so interim watermarks (drain) cannot change the result.
func (d *Detector) catchUp(o *object, b int64) {
	for j := o.lastB + 1; j < b && d.stepwise(o, j); j++ {
		d.step(o, j, 0, nil, nil)
	}
	if k := b - 1 - o.lastB; k > 0 {
		if k < int64(len(d.decay)) {
			o.level *= d.decay[k]
		} else {
			o.level *= math.Pow(1-d.alpha, float64(k))
		}
		if o.prof != nil {
			o.prof.expose(o.lastB+1, b, d)
		}
		o.n += k
		o.lastB = b - 1
	}
}

// drain steps empty buckets before limit while a run is open, so the run can end.
func (d *Detector) drain(o *object, limit int64) {
	for j := o.lastB + 1; j < limit && o.run != nil; j++ {
		d.step(o, j, 0, nil, nil)
	}
}

// expect returns bucket b's expected count, the burst alternative and the profile factor.
func (d *Detector) expect(o *object, b int64) (e, e1, f float64) {
	f = 1
	if o.prof != nil {
		f = d.factor(o.prof, b)
	}
	e = max(d.cfg.Floor, o.level*f)
	if e == d.cfg.Floor {
		return e, d.floorE1, f
	}
	return e, d.shifted(e), f
}

// shifted is the burst alternative to expected count e.
func (d *Detector) shifted(e float64) float64 {
	return e + max(d.cfg.MinShift, d.cfg.Shift*math.Sqrt(e), d.cfg.RelShift*e)
}

// step runs one bucket through the CUSUM and then the baseline.
func (d *Detector) step(o *object, b int64, c int, accounts, evidence []string) {
	e, e1, f := d.expect(o, b)
	fc := float64(c)
	llr := -(e1 - e) // the same as fc*log(e1/e) - (e1-e) for an empty bucket, most of them
	if c > 0 && e == d.cfg.Floor {
		llr += fc * d.floorLog
	} else if c > 0 {
		llr += fc * math.Log(e1/e)
	}
	if o.run == nil && llr > 0 && b >= d.warmEnd {
		o.run, o.s = d.startRun(o, b, e), 0
	}
	if r := o.run; r != nil {
		o.s = max(0, o.s+llr)
		r.count += c
		// Most steps are of empty buckets, and most buckets carry no evidence: appending
		// nothing still costs a call that copies strings.
		if len(accounts) > 0 {
			r.accounts = append(r.accounts, accounts...)
		}
		if len(evidence) > 0 {
			r.evidence = append(r.evidence, evidence...)
		}
		r.recs = append(r.recs, rec{b: b, c: c, e: e, acc: len(r.accounts), ev: len(r.evidence)})
		if llr > 0 {
			r.lastHot, r.quiet = b, 0
		} else {
			r.quiet++
		}
		if !r.confirmed && o.s >= d.cfg.Threshold && r.count >= d.cfg.MinCount && r.enoughAccounts(d.cfg.MinAccounts) {
			r.confirmed = true
			d.open[o] = struct{}{}
		}
		switch {
		case r.quiet >= d.quiet || o.s == 0:
			d.closeRun(o)
		case llr > 0:
			d.timers.Add(b+d.quiet, o)
		}
	}

	// Baseline: while a run is open, counts above the burst alternative are the burst, not the
	// new normal, so they are clipped; a long excess still lifts the baseline and ends it.
	alpha, x := d.alpha, fc
	if o.warm && b < d.warmEnd {
		alpha = max(alpha, 1/float64(o.n+1))
	} else if o.run != nil {
		x = min(x, e1)
	}
	o.level += alpha * (x/f - o.level)
	if o.prof != nil {
		o.prof.observe(b, x, d)
	}
	o.n++
	o.lastB = b
}

// enoughAccounts reports whether the run's accounts so far hold at least n distinct ones,
// looking only at those added since it last asked.
func (r *run) enoughAccounts(n int) bool {
	for _, a := range r.accounts[r.scanned:] {
		if len(r.seen) >= n {
			break
		}
		r.scanned++
		if !slices.Contains(r.seen, a) {
			r.seen = append(r.seen, a)
		}
	}
	return len(r.seen) >= n
}

// startRun opens a run at bucket b (expected count e). When the object was nearly silent
// and its last unconfirmed run ended at most Backtrack before, that run's mentions are the
// first shares of this one: the run starts with them, so the onset is the first post, not
// the moment amplification made the object stand out.
func (d *Detector) startRun(o *object, b int64, e float64) *run {
	r := d.newRun()
	p := o.prelude
	o.prelude = nil
	if p == nil || b-p.lastHot > d.backtrack {
		d.release(p)
		return r
	}
	defer d.release(p)
	n := len(p.recs)
	for n > 0 && p.recs[n-1].b > p.lastHot {
		n--
	}
	// Only the prelude's mentions within backtrack of b are taken, so an onset moves back at
	// most backtrack. A prelude that began with an earlier one holds it too, and taken whole,
	// a mention every five minutes chained a dump's onset back by hours (into the silence,
	// for a dump after the polls closed).
	k := 0
	for k < n-1 && (p.recs[k].b < b-d.backtrack || p.recs[k].c == 0) {
		k++
	}
	var acc0, ev0 int // the accounts and evidence of the records left out
	if k > 0 {
		acc0, ev0 = p.recs[k-1].acc, p.recs[k-1].ev
	}
	last := p.recs[n-1]
	for _, x := range p.recs[k:n] {
		x.acc, x.ev = x.acc-acc0, x.ev-ev0
		r.recs = append(r.recs, x)
		r.count += x.c
	}
	r.accounts = append(r.accounts, p.accounts[acc0:last.acc]...)
	r.evidence = append(r.evidence, p.evidence[ev0:last.ev]...)
	// The silent buckets in between were not stepped one by one; the object was at its floor.
	for j := p.lastHot + 1; j < b; j++ {
		r.recs = append(r.recs, rec{b: j, e: e, acc: last.acc - acc0, ev: last.ev - ev0})
	}
	return r
}

func (d *Detector) newRun() *run {
	if n := len(d.spare); n > 0 {
		r := d.spare[n-1]
		d.spare = d.spare[:n-1]
		return r
	}
	r := &run{}
	r.reset()
	return r
}

// reset empties r. Slices that outgrew the inline arrays are kept up to maxKept entries
// (most runs that outgrow them still end minutes later), larger ones dropped so a spare run
// never pins a long burst's accounts.
func (r *run) reset() {
	clear(r.accounts)
	clear(r.evidence)
	clear(r.seen)
	recs, accounts, evidence := r.recs[:0], r.accounts[:0], r.evidence[:0]
	*r = run{}
	r.recs, r.accounts, r.evidence, r.seen = r.first[:0], r.firstAcc[:0], nil, r.firstSeen[:0]
	if c := cap(recs); c > len(r.first) && c <= maxKept {
		r.recs = recs
	}
	if c := cap(accounts); c > len(r.firstAcc) && c <= maxKept {
		r.accounts = accounts
	}
	if cap(evidence) <= maxKept {
		r.evidence = evidence
	}
}

// maxKept is the largest slice a spare run keeps.
const maxKept = 64

// maxSpare bounds the runs kept for reuse; more end at once only in a storm of openings.
const maxSpare = 1024

// release gives back a run nothing refers to any more.
func (d *Detector) release(r *run) {
	if r == nil || len(d.spare) >= maxSpare {
		return
	}
	r.reset()
	d.spare = append(d.spare, r)
}

// silent says whether expected count e makes an object nearly silent: less than one mention
// expected over the whole backtrack window, so a mention there is news.
func (d *Detector) silent(e float64) bool { return e*float64(d.backtrack) < 1 }

// closeRun ends the object's run and, when it was a confirmed burst, records it.
func (d *Detector) closeRun(o *object) {
	r := o.run
	o.run, o.s = nil, 0
	if !r.confirmed {
		// Not in open, like most runs (a new object's first mention starts one): a delete
		// from a Go map costs as much when the key is not there.
		if d.backtrack > 0 && !slices.ContainsFunc(r.recs, func(x rec) bool { return x.c > 0 && !d.silent(x.e) }) {
			o.prelude = r
			if !d.timing || r.lastHot+d.backtrack >= d.wb {
				d.timers.Add(r.lastHot+d.backtrack, o)
			}
		} else {
			d.release(r)
		}
		return
	}
	delete(d.open, o)
	if b, ok := d.summarize(o, r); ok {
		d.out = append(d.out, b)
		d.stats.Bursts++
	}
	d.release(r)
}

// summarize describes a confirmed run as a burst: from its first bucket to its last hot one.
// It reports false when, trimmed of its quiet tail, the run no longer has enough mentions.
func (d *Detector) summarize(o *object, r *run) (leakwatch.Burst, bool) {
	n := len(r.recs)
	for n > 0 && r.recs[n-1].b > r.lastHot {
		n--
	}
	if n == 0 {
		return leakwatch.Burst{}, false
	}
	recs := r.recs[:n]
	count, base, peak := 0, 0.0, recs[0]
	for _, x := range recs {
		count += x.c
		base += x.e
		if x.c > peak.c {
			peak = x
		}
	}
	if count < d.cfg.MinCount {
		return leakwatch.Burst{}, false
	}
	accounts := distinct(r.accounts[:recs[n-1].acc])
	if accounts < d.cfg.MinAccounts {
		return leakwatch.Burst{}, false
	}
	return leakwatch.Burst{
		Object:   o.key,
		Onset:    d.timeOf(recs[0].b),
		Peak:     d.timeOf(peak.b),
		End:      d.timeOf(recs[n-1].b + 1),
		Count:    count,
		Baseline: round(base, 4),
		Score:    round(Surprise(count, base), 3),
		Accounts: accounts,
		Evidence: d.topEvidence(o.key, r.evidence[:recs[n-1].ev], float64(count)-base),
		// An object active since the start has a daily rhythm its baseline has not seen
		// whole yet; one first seen later starts from the floor, rhythm or not.
		Learning: o.warm && recs[0].b < d.learnEnd,
	}, true
}

// distinct counts the different accounts in accounts. Most runs that end hold a handful,
// told apart by comparing each with those before it; a map (a hundredth of a batch analysis
// when made for every run) only for longer ones.
func distinct(accounts []string) int {
	if len(accounts) > 32 {
		m := make(map[string]struct{}, len(accounts))
		for _, a := range accounts {
			m[a] = struct{}{}
		}
		return len(m)
	}
	n := 0
	for i, a := range accounts {
		if !slices.Contains(accounts[:i], a) {
			n++
		}
	}
	return n
}

// Open returns the confirmed bursts still going on, as they stand at the last watermark,
// ordered by object. Their onset is final, so Signal.Key is the same as when they end: a live
// consumer can show them now and let the final version supersede them.
func (d *Detector) Open() []leakwatch.Burst {
	var out []leakwatch.Burst
	for o := range d.open {
		if b, ok := d.summarize(o, o.run); ok {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b leakwatch.Burst) int { return cmp.Compare(a.Object, b.Object) })
	return out
}

// topEvidence keeps the evidence values that explain a real part of the excess of object's
// burst (and, with OwnEvidence, that the object holds).
func (d *Detector) topEvidence(object string, ev []string, excess float64) []string {
	if len(ev) == 0 || d.cfg.MaxEvidence == 0 {
		return nil
	}
	counts := make(map[string]int)
	for _, e := range ev {
		counts[e]++
	}
	need := max(float64(d.cfg.EvidenceMin), d.cfg.EvidenceShare*excess)
	var keep []string
	for e, n := range counts {
		if float64(n) >= need && (!d.cfg.OwnEvidence || holds(object, e)) {
			keep = append(keep, e)
		}
	}
	slices.SortFunc(keep, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	if len(keep) > d.cfg.MaxEvidence {
		keep = keep[:d.cfg.MaxEvidence]
	}
	return keep
}

// holds says whether object's value contains evidence value e's ("hashtag:dncleaks" holds
// "term:#dncleaks" and "term:leaks", "url:https://pastebin.com/x" holds "domain:pastebin.com").
func holds(object, e string) bool {
	_, v, _ := strings.Cut(object, ":")
	_, w, _ := strings.Cut(e, ":")
	w = strings.TrimPrefix(w, "#")
	return w != "" && strings.Contains(strings.ToLower(v), strings.ToLower(w))
}

// sweep drops objects idle for longer than Idle. Their next mention would reset them anyway
// (observe), so eviction only frees memory and never changes a result. It evicts what a walk
// of every object would, looking only at objects whose idle entry is due: one still busy is
// looked at again at its next possible idle bucket.
func (d *Detector) sweep() {
	for {
		at, objs, ok := d.idlers.Next(d.wb + 1)
		if !ok {
			return
		}
		for _, o := range objs {
			if !o.listed || o.idleAt != at {
				continue // stale: the object was rescheduled, reset or evicted
			}
			if o.run == nil && len(o.pending) == 0 && d.wb-o.lastActive > d.idleFor(o) {
				d.objects.Delete(o.hash, o.key)
				d.stats.Evicted++
				d.evict(o)
				continue
			}
			o.idleAt = max(d.wb+1, o.lastActive+d.idleFor(o)+1)
			d.idlers.Add(o.idleAt, o)
		}
		d.idlers.Done(objs)
	}
}

// evict resets an object dropped from d.objects and keeps it for reuse. Entries it still has
// in the agendas are stale and harmless: timers and sweeps look only at the object's own
// state (a run, listed and idleAt), which the next use sets afresh, as a reset in observe does.
func (d *Detector) evict(o *object) {
	d.release(o.prelude)
	if o == d.posts {
		d.posts = nil
	}
	*o = object{pending: o.pending[:0]}
	if len(d.gone) < maxGone {
		d.gone = append(d.gone, o)
	}
}

// decayTable is how many gaps catchUp finds in Detector.decay: a day of minute buckets.
const decayTable = 1440

// maxGone bounds the evicted objects kept for reuse.
const maxGone = 4096

// idleFor is how many buckets without a mention o may go before it is dropped.
func (d *Detector) idleFor(o *object) int64 {
	if o.prof == nil {
		return d.sparse
	}
	return d.idle
}

func (d *Detector) take() []leakwatch.Burst {
	out := d.out
	d.out = nil
	slices.SortFunc(out, byEnd)
	return out
}

// byEnd orders bursts as Advance returns them: by end, object and onset.
func byEnd(a, b leakwatch.Burst) int {
	if c := a.End.Compare(b.End); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Object, b.Object); c != 0 {
		return c
	}
	return a.Onset.Compare(b.Onset)
}

func (d *Detector) timeOf(b int64) time.Time { return time.Unix(0, b*d.bucketNs).UTC() }

// hour is bucket b's UTC hour of day.
func (d *Detector) hour(b int64) int { return int(floorMod(floorDiv(b, d.perHour), 24)) }

// Surprise is the signed square root of the Poisson deviance of observing count where
// expected was due: about a z-score, but honest for small counts.
func Surprise(count int, expected float64) float64 {
	if !(expected > 0) {
		return 0
	}
	c := float64(count)
	dev := -2 * (c - expected) // count == 0
	if c > 0 {
		dev = 2 * (c*math.Log(c/expected) - (c - expected))
	}
	z := math.Sqrt(max(0, dev))
	if c < expected {
		return -z
	}
	return z
}

// profile is an object's hour-of-day rhythm: decayed counts m and exposure n (buckets) per
// UTC hour slot, read with a flat prior so slots seen little stay near 1.
type profile struct {
	m, n   [24]float64
	mt, nt float64
	day    int64
}

func (p *profile) age(day int64, decay float64) {
	if day <= p.day {
		return
	}
	f := math.Pow(decay, float64(day-p.day))
	for h := range p.m {
		p.m[h] *= f
		p.n[h] *= f
	}
	p.mt *= f
	p.nt *= f
	p.day = day
}

func (p *profile) observe(b int64, c float64, d *Detector) {
	p.age(floorDiv(b, d.perDay), d.dayDecay)
	h := d.hour(b)
	p.m[h] += c
	p.n[h]++
	p.mt += c
	p.nt++
}

// expose adds the empty buckets [from, to) to the exposure, an hour slot at a time.
func (p *profile) expose(from, to int64, d *Detector) {
	for j := from; j < to; {
		p.age(floorDiv(j, d.perDay), d.dayDecay)
		end := min(to, (floorDiv(j, d.perHour)+1)*d.perHour)
		h := d.hour(j)
		p.n[h] += float64(end - j)
		p.nt += float64(end - j)
		j = end
	}
}

// slot is hour slot h's rate relative to the object's mean rate: a Gamma-Poisson posterior
// mean whose prior (prior mentions at the mean rate) keeps slots seen little near 1.
func (p *profile) slot(h int, prior float64) float64 {
	if p.nt == 0 || p.mt == 0 {
		return 1
	}
	mean := p.mt / p.nt
	return (p.m[h] + prior) / (p.n[h]*mean + prior)
}

// factor is bucket b's profile factor, interpolated between the centres of the two nearest
// hour slots so a morning ramp is not a staircase.
func (d *Detector) factor(p *profile, b int64) float64 {
	pos := float64(floorMod(b, d.perDay))/float64(d.perHour) - 0.5 // hours since 00:30
	h0 := math.Floor(pos)
	w := pos - h0
	i := int(floorMod(int64(h0), 24))
	return (1-w)*p.slot(i, d.prior) + w*p.slot((i+1)%24, d.prior)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
