package pipeline

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/volume"
	"github.com/leakwatch/leakwatch/internal/minheap"
	"github.com/leakwatch/leakwatch/internal/strhash"
)

// Summary counts what a batch analysis saw and found.
type Summary struct {
	Posts int64 `json:"posts"`
	// Duplicates: copies of a post (its URI) dropped while the first copy's time was within
	// the lateness, counted in Posts but detected once
	Duplicates   int64 `json:"duplicates"`
	Changes      int64 `json:"changes"`
	Mentions     int64 `json:"mentions"`
	Refused      int64 `json:"refused"` // mentions the detect stage refused (late, or no time)
	CoShares     int64 `json:"coshares"`
	PairsSkipped int64 `json:"pairs_skipped"` // by coord.max_sharers
	Pairs        int   `json:"pairs"`         // account pairs with at least one co-share, held at the end
	// EdgesForgotten: candidate edges dropped by coord.max_candidate_edges
	EdgesForgotten int64 `json:"edges_forgotten"`
	// Runs: sorted runs the posts were written out in (0: all sorted in memory)
	Runs   int `json:"runs"`
	Bursts int `json:"bursts"`
	// SlowBursts: of Bursts, those of the hour scale (Burst.Slow)
	SlowBursts int `json:"slow_bursts"`
	Edges      int `json:"edges"`
	Groups     int `json:"groups"`
	Leaks      int `json:"leaks"`
	Alerts     int `json:"alerts"`
	// First and Last are the event times of the earliest and the latest post: the span the
	// calendar and the burst warm-up are read against.
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
}

// Result is a batch analysis: the final signals (latest per Signal.Key, superseded groups
// dropped) in the order of the detections file, the final alerts (latest per id), and the
// mentions the detect stage refused, with the reason (late ones only happen with
// Config.Reorder > 0).
type Result struct {
	Signals []leakwatch.Signal
	Alerts  []leakwatch.Alert
	Refused []Refused
	Summary Summary
}

// Refused is a mention the detect stage could not count, and why.
type Refused struct {
	Mention leakwatch.Mention `json:"mention"`
	Reason  string            `json:"reason"`
}

// Analyze runs the stages over posts in event-time order, as the processor would on a
// replay: Extract, sort by event time, Detect, Correlate, Flush. Posts may come in any order.
// Site changes are fed to correlate when the watermark passes their observation time. All
// posts are held in memory to sort them; Batch with a RunStore bounds that.
func Analyze(cfg Config, posts iter.Seq[leakwatch.Post], changes []leakwatch.SiteChange) (Result, error) {
	b, err := NewBatch(cfg)
	if err != nil {
		return Result{}, err
	}
	for _, c := range changes {
		b.Change(c)
	}
	for p := range posts {
		if err := b.Post(p); err != nil {
			return Result{}, err
		}
	}
	return b.Finish()
}

// Batch is Analyze fed one record at a time, for readers that interleave posts and site
// changes. Not safe for concurrent use.
type Batch struct {
	cfg     Config
	ex      *Extract
	r       *runner
	pending postBuffer                      // Reorder == 0: posts not yet in a sorted run
	written int                             // sorted runs written to Runs
	held    minheap.Heap[leakwatch.Mention] // Reorder > 0: the reorder buffer
	newest  time.Time
	objs    []string
	extras  []*extraction // PostAll's other workers

	// Volume, when set, counts every extracted mention of the whole stream and of each
	// candidate: the volume lines a report draws beside the detections.
	Volume *volume.Counter
	// Runs, when set, bounds memory by Config.SortBuffer: each time that many posts are
	// buffered they are sorted and written out as a run, and Finish merges the runs. Without
	// it every post stays in memory until Finish sorts them.
	Runs RunStore
	// OnRun, when set, is told of each run written (its number from 1 and posts), and
	// OnDetect, during Finish, of the mentions detected so far out of all, every 2^16: long
	// analyses show progress with them.
	OnRun    func(run, posts int)
	OnDetect func(done, total int64)
	// Err, when set, is asked with OnDetect, every 2^16 mentions during Finish: an answer
	// other than nil stops Finish with it (a context's Err, so Ctrl-C stops a long analysis).
	Err    func() error
	queued int64 // mentions queued for Finish
	recent *recentPosts
}

// NewBatch starts a batch analysis.
func NewBatch(cfg Config) (*Batch, error) {
	ex, err := NewExtract(cfg)
	if err != nil {
		return nil, err
	}
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	held := minheap.New(func(a, b leakwatch.Mention) bool { return compareMentions(a, b) < 0 })
	return &Batch{cfg: cfg, ex: ex, r: r, held: held, recent: newRecentPosts(cfg)}, nil
}

// Post extracts and queues one post. Its error is the RunStore's: a run could not be
// written.
func (b *Batch) Post(p leakwatch.Post) error {
	var m leakwatch.Mention
	b.objs, m = extractUTC(b.ex, b.objs[:0], p)
	return b.queue(m, b.objs)
}

// extractUTC appends p's objects and returns them with its mention, its time in UTC, as a
// run read back from a RunStore has it: the result must not depend on whether the archive
// was large enough to spill.
func extractUTC(ex *Extract, dst []string, p leakwatch.Post) ([]string, leakwatch.Mention) {
	p.CreatedAt = p.CreatedAt.UTC()
	return ex.x.AppendObjects(dst, p)
}

// queue takes the objects of one post and the mention they share.
func (b *Batch) queue(m leakwatch.Mention, objs []string) error {
	sum := &b.r.sum
	sum.Posts++
	if sum.First.IsZero() || m.At.Before(sum.First) {
		sum.First = m.At
	}
	if m.At.After(sum.Last) {
		sum.Last = m.At
	}
	if b.cfg.Reorder == 0 {
		b.queued += int64(len(objs))
		b.pending.add(m, objs)
		if b.Runs != nil && b.pending.len() >= b.cfg.SortBuffer {
			return b.spill()
		}
		return nil
	}
	// The reorder buffer holds mentions, not posts: copies are dropped before it.
	if b.recent.seen(m.Post, m.At) {
		return nil
	}
	for _, o := range objs {
		if b.Volume != nil {
			b.Volume.AddObject(o, m.At)
		}
		m.Object = o
		b.held.Push(m)
		if m.At.After(b.newest) {
			b.newest = m.At
		}
	}
	for b.held.Len() > 0 && b.held.Min().At.Before(b.newest.Add(-b.cfg.Reorder)) {
		b.r.mention(b.held.Pop())
	}
	return nil
}

// PostAll extracts and queues posts, as Post does one by one, with the extraction spread over
// Config.Workers goroutines (each with its own extractor); posts are queued in their order.
func (b *Batch) PostAll(ps []leakwatch.Post) error {
	w := min(b.cfg.workers(), len(ps)/minPostsPerWorker)
	if w < 2 || b.cfg.Reorder != 0 {
		for _, p := range ps {
			if err := b.Post(p); err != nil {
				return err
			}
		}
		return nil
	}
	for len(b.extras) < w-1 {
		ex, err := NewExtract(b.cfg)
		if err != nil {
			return err
		}
		b.extras = append(b.extras, &extraction{ex: ex})
	}
	parts := b.extras[:w-1]
	per := (len(ps) + w - 1) / w
	var wg sync.WaitGroup
	for i, x := range parts {
		lo, hi := (i+1)*per, min((i+2)*per, len(ps))
		wg.Go(func() { x.run(ps[lo:hi]) })
	}
	first := extraction{ex: b.ex, objs: b.objs}
	first.run(ps[:min(per, len(ps))])
	wg.Wait()
	b.objs = first.objs
	for _, x := range append([]*extraction{&first}, parts...) {
		for i, m := range x.ms {
			lo := 0
			if i > 0 {
				lo = x.ends[i-1]
			}
			if err := b.queue(m, x.objs[lo:x.ends[i]]); err != nil {
				return err
			}
		}
	}
	return nil
}

// minPostsPerWorker: fewer posts than this a worker are extracted on the caller's goroutine,
// where starting another would cost more than it saves.
const minPostsPerWorker = 64

// extraction is one worker's share of PostAll: the objects of its posts, back to back, and
// each post's mention.
type extraction struct {
	ex   *Extract
	objs []string
	ms   []leakwatch.Mention
	ends []int // post i's objects end at objs[ends[i]]
}

func (x *extraction) run(ps []leakwatch.Post) {
	x.objs, x.ms, x.ends = x.objs[:0], x.ms[:0], x.ends[:0]
	for _, p := range ps {
		var m leakwatch.Mention
		x.objs, m = extractUTC(x.ex, x.objs, p)
		x.ms = append(x.ms, m)
		x.ends = append(x.ends, len(x.objs))
	}
}

// spill writes the buffered posts to a new run, in order.
func (b *Batch) spill() error {
	if err := b.writeRun(); err != nil {
		return fmt.Errorf("sorted run %d: %w", b.written+1, err)
	}
	b.written++
	if b.OnRun != nil {
		b.OnRun(b.written, b.pending.len())
	}
	b.pending.reset()
	return nil
}

func (b *Batch) writeRun() error {
	f, err := b.Runs.Create()
	if err != nil {
		return err
	}
	w := runWriter{w: bufio.NewWriterSize(f, 1<<20)}
	for _, i := range b.pending.sorted() {
		if err = w.write(b.pending.entry(i)); err != nil {
			break
		}
	}
	if err == nil {
		err = w.w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Change queues one site change.
func (b *Batch) Change(sc leakwatch.SiteChange) {
	i := sort.Search(len(b.r.changes), func(i int) bool { return b.r.changes[i].ObservedAt.After(sc.ObservedAt) })
	b.r.changes = slices.Insert(b.r.changes, i, sc)
}

// Posts is how many posts were given so far.
func (b *Batch) Posts() int64 { return b.r.sum.Posts }

// Finish runs what is queued to the end and returns the result. Its error is the
// RunStore's: a run could not be read back.
func (b *Batch) Finish() (Result, error) {
	var d driver = b.r
	if b.cfg.Reorder == 0 {
		if w := b.cfg.workers(); w > 1 {
			f, err := newFanout(b.cfg, b.r, w)
			if err != nil {
				return Result{}, err
			}
			d = f
		}
		if err := b.drain(d); err != nil {
			d.finish() // stops the partitions' goroutines
			return Result{}, err
		}
	}
	for b.held.Len() > 0 {
		b.r.mention(b.held.Pop())
	}
	res := d.finish()
	res.Summary.Runs = b.written
	res.Summary.Duplicates = b.recent.dropped
	return res, nil
}

// driver takes mentions in event-time order: one detect stage (runner) or several (fanout).
type driver interface {
	// post takes the mentions of one post: m with each of objects as its Object in turn
	// (m.Object is overwritten).
	post(m *leakwatch.Mention, objects []string)
	finish() Result
}

// drain merges the runs and the buffer into d, in event-time order.
func (b *Batch) drain(d driver) error {
	srcs := make([]source, 0, b.written+1)
	for i := range b.written {
		f, err := b.Runs.Open(i)
		if err != nil {
			return fmt.Errorf("sorted run %d: %w", i+1, err)
		}
		defer f.Close()
		srcs = append(srcs, &runReader{r: bufio.NewReaderSize(f, 1<<20), name: strconv.Itoa(i + 1)})
	}
	srcs = append(srcs, &bufferSource{b: &b.pending, idx: b.pending.sorted()})
	mg, err := newMerger(srcs)
	if err != nil {
		return err
	}
	var done int64
	var m leakwatch.Mention // one for every post: d takes it by pointer
	for {
		e, err := mg.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if done += int64(len(e.objects)); done>>16 != (done-int64(len(e.objects)))>>16 {
			if b.OnDetect != nil {
				b.OnDetect(done, b.queued)
			}
			if b.Err != nil {
				if err := b.Err(); err != nil {
					return err
				}
			}
		}
		if b.recent.seen(e.m.Post, e.m.At) {
			continue
		}
		// Volume is counted here, in time order and without the copies.
		if b.Volume != nil {
			for _, o := range e.objects {
				b.Volume.AddObject(o, e.m.At)
			}
		}
		m = e.m
		d.post(&m, e.objects)
	}
	b.pending = postBuffer{}
	return nil
}

// coShareOrder sorts observations by their share times, then by the hashes of their pair
// and of their object, then by object and pair: one order whatever emitted them (an object
// and pair are observed once). Any fixed order would do; the hashes set apart, in one
// comparison each, the pairs of one object, which tie on times by the thousand in a
// watermark step when times have minute precision, and objects that share long prefixes
// (the nine bands of a pair's near-duplicate texts tie on times and on their first ten
// bytes, every link starts "url:http"). The pair comes before the object so that a pair's
// observations at the same times (those nine bands) stay together, and Edges finds their
// pair once (ordered by object first, 85 % of observations looked their pair up). It sorts
// keys (the times, the hashes, the position) and then moves each observation once: an
// observation is 152 bytes, swapping them was most of the sort's cost.
type coShareOrder struct {
	keys []coShareKey
	tmp  []CoShare
}

type coShareKey struct {
	b, a int64  // BAt, AAt: detect made them from Unix nanoseconds
	h    uint64 // strhash.String(0, Object)
	p    uint64 // strhash.String(strhash.String(0, A), B)
	i    int
}

func (s *coShareOrder) sort(obs []CoShare) {
	if len(obs) < 2 {
		return
	}
	keys := s.keys[:0]
	for i := range obs {
		o := &obs[i]
		keys = append(keys, coShareKey{b: o.BAt.UnixNano(), a: o.AAt.UnixNano(), h: strhash.String(0, o.Object),
			p: strhash.String(strhash.String(0, o.A), o.B), i: i})
	}
	s.quicksort(keys, obs, 2*bits.Len(uint(len(keys))))
	tmp := append(s.tmp[:0], obs...)
	for j, k := range keys {
		obs[j] = tmp[k.i]
	}
	clear(tmp) // the strings of this batch can go
	s.keys, s.tmp = keys, tmp[:0]
}

// less orders two keys, their observations' strings deciding only what the hashes do not.
// Keys of different observations never compare equal (an object and pair are observed
// once), so every correct sort leaves them in the same order.
func less(x, y *coShareKey, obs []CoShare) bool {
	switch {
	case x.b != y.b:
		return x.b < y.b
	case x.a != y.a:
		return x.a < y.a
	case x.p != y.p:
		return x.p < y.p
	case x.h != y.h:
		return x.h < y.h
	}
	p, q := &obs[x.i], &obs[y.i]
	return cmp.Or(strings.Compare(p.Object, q.Object), strings.Compare(p.A, q.A), strings.Compare(p.B, q.B)) < 0
}

// quicksort sorts keys by less: median-of-three quicksort, insertion sort for short ranges,
// and slices.SortFunc once depth levels are spent (a bad run of pivots). Written out so the
// comparison is inlined: through slices.SortFunc's callback, a call a comparison, sorting
// was a fortieth of a batch analysis.
func (s *coShareOrder) quicksort(keys []coShareKey, obs []CoShare, depth int) {
	for len(keys) > 12 {
		if depth == 0 {
			slices.SortFunc(keys, func(x, y coShareKey) int {
				if less(&x, &y, obs) {
					return -1
				}
				return 1 // never equal
			})
			return
		}
		depth--
		// The median of the first, middle and last keys goes to the front as the pivot.
		m, l := len(keys)/2, len(keys)-1
		if less(&keys[m], &keys[0], obs) {
			keys[m], keys[0] = keys[0], keys[m]
		}
		if less(&keys[l], &keys[0], obs) {
			keys[l], keys[0] = keys[0], keys[l]
		}
		if less(&keys[l], &keys[m], obs) {
			keys[l], keys[m] = keys[m], keys[l]
		}
		keys[0], keys[m] = keys[m], keys[0]
		pivot := keys[0]
		// Hoare partition: keys[1:i] <= pivot, keys[j+1:] >= pivot.
		i, j := 1, l
		for {
			for i <= j && less(&keys[i], &pivot, obs) {
				i++
			}
			for i <= j && less(&pivot, &keys[j], obs) {
				j--
			}
			if i >= j {
				break
			}
			keys[i], keys[j] = keys[j], keys[i]
			i++
			j--
		}
		keys[0], keys[j] = keys[j], keys[0]
		// Recurse into the shorter side, loop on the longer: the stack stays logarithmic.
		if j < len(keys)-1-j {
			s.quicksort(keys[:j], obs, depth)
			keys = keys[j+1:]
		} else {
			s.quicksort(keys[j+1:], obs, depth)
			keys = keys[:j]
		}
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && less(&keys[j], &keys[j-1], obs); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

func compareBursts(a, b leakwatch.Burst) int {
	return cmp.Or(a.Onset.Compare(b.Onset), strings.Compare(a.Object, b.Object), a.End.Compare(b.End))
}

// compareMentions orders by event time, then object, account and post: the reorder
// buffer's order.
func compareMentions(a, b leakwatch.Mention) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	if c := strings.Compare(a.Object, b.Object); c != 0 {
		return c
	}
	if c := strings.Compare(a.Account, b.Account); c != 0 {
		return c
	}
	return strings.Compare(a.Post, b.Post)
}

// runner drives one Detect and one Correlate over mentions in event-time order.
type runner struct {
	cfg     Config
	detect  *Detect
	corr    *Correlate
	changes []leakwatch.SiteChange
	steps   steps
	final   *Final
	refused []Refused
	sum     Summary
	order   coShareOrder
}

func newRunner(cfg Config) (*runner, error) {
	d, err := NewDetect(cfg)
	if err != nil {
		return nil, err
	}
	c, err := NewCorrelate(cfg)
	if err != nil {
		return nil, err
	}
	return &runner{cfg: cfg, detect: d, corr: c, steps: steps{every: cfg.Step}, final: NewFinal()}, nil
}

// steps says when a batch advances the watermark: at the first mention at or after each
// step boundary, to that mention's time.
type steps struct {
	every time.Duration
	next  time.Time
}

func (s *steps) due(at time.Time) bool {
	if at.Before(s.next) {
		return false
	}
	s.next = at.Truncate(s.every).Add(s.every)
	return true
}

// mention takes one mention, from the reorder buffer.
func (r *runner) mention(m leakwatch.Mention) { r.post(&m, []string{m.Object}) }

// post takes the mentions of one post, which share their time: the watermark step is due,
// if at all, before the first.
func (r *runner) post(m *leakwatch.Mention, objects []string) {
	if len(objects) == 0 {
		return
	}
	r.sum.Mentions += int64(len(objects))
	if r.steps.due(m.At) {
		r.advance(r.detect.Advance(m.At), m.At)
	}
	r.detect.addObjects(m, objects, &r.refused)
}

// advance hands correlate detect's output at watermark wm, then advances correlate.
func (r *runner) advance(out DetectOutput, wm time.Time) {
	r.correlate(out, wm.Add(-r.cfg.Lateness))
	o := r.corr.Advance(wm)
	r.final.Add(o.Signals...)
	r.final.AddAlerts(o.Alerts...) // groups' and group-led leaks' alerts come from here
}

// end hands correlate detect's last output, with every site change left, and flushes it.
func (r *runner) end(out DetectOutput) {
	r.correlate(out, time.Time{})
	o := r.corr.Flush()
	r.final.Add(o.Signals...)
	r.final.AddAlerts(o.Alerts...)
}

// correlate hands detect's output to correlate, site changes up to horizon first.
//
// Co-shares and bursts go in one fixed order, whatever order detect (or its partitions)
// emitted them in: which candidate edges coord.max_candidate_edges forgets depends on the
// order observations arrive, and a batch result must not depend on Config.Workers.
func (r *runner) correlate(out DetectOutput, horizon time.Time) {
	r.order.sort(out.CoShares)
	slices.SortFunc(out.Bursts, compareBursts)
	for len(r.changes) > 0 && (horizon.IsZero() || !r.changes[0].ObservedAt.After(horizon)) {
		o := r.corr.Change(r.changes[0])
		r.final.Add(o.Signals...)
		r.final.AddAlerts(o.Alerts...)
		r.changes = r.changes[1:]
		r.sum.Changes++
	}
	for _, o := range out.CoShares {
		r.corr.CoShare(o)
	}
	r.sum.CoShares += int64(len(out.CoShares))
	for _, b := range out.Bursts {
		r.final.Add(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &b})
		co := r.corr.Burst(b)
		r.final.Add(co.Signals...)
		r.final.AddAlerts(co.Alerts...)
	}
}

func (r *runner) finish() Result {
	r.end(r.detect.Flush())
	return r.result(r.detect.Stats())
}

// result is the final result, with the detect stage's counters st.
func (r *runner) result(st DetectStats) Result {
	// Partitions refuse in their own order: sort, so the list does not depend on how many.
	slices.SortFunc(r.refused, func(a, b Refused) int {
		return cmp.Or(compareMentions(a.Mention, b.Mention), strings.Compare(a.Reason, b.Reason))
	})
	res := Result{Signals: r.final.Signals(), Alerts: r.final.Alerts(), Refused: r.refused, Summary: r.sum}
	res.Summary.Refused = int64(len(r.refused))
	res.Summary.PairsSkipped = st.PairsSkipped
	res.Summary.Pairs = r.corr.Pairs()
	res.Summary.EdgesForgotten = r.corr.Forgotten()
	for _, s := range res.Signals {
		switch s.Kind {
		case leakwatch.SignalBurst:
			res.Summary.Bursts++
			if s.Burst.Slow {
				res.Summary.SlowBursts++
			}
		case leakwatch.SignalEdge:
			res.Summary.Edges++
		case leakwatch.SignalGroup:
			res.Summary.Groups++
		case leakwatch.SignalLeak:
			res.Summary.Leaks++
		}
	}
	res.Summary.Alerts = len(res.Alerts)
	return res
}

// Final keeps the latest signal per key and the latest alert per id: what a consumer of the
// signals and alerts topics ends up with.
type Final struct {
	signals map[finalKey]leakwatch.Signal
	alerts  map[string]leakwatch.Alert
}

// finalKey is Signal.Key's identity without building its string: every update of an edge
// or group passes through Add, and the string is only needed for the final few.
type finalKey struct {
	kind    leakwatch.SignalKind
	a, b, c string
	sec     int64 // Key's times are RFC 3339, whole seconds
}

func keyOf(s leakwatch.Signal) finalKey {
	switch s.Kind {
	case leakwatch.SignalBurst:
		return finalKey{kind: s.Kind, a: s.Burst.Object, sec: s.Burst.Onset.Unix()}
	case leakwatch.SignalEdge:
		return finalKey{kind: s.Kind, a: string(s.Edge.ObjectKind), b: s.Edge.A, c: s.Edge.B}
	case leakwatch.SignalGroup:
		return finalKey{kind: s.Kind, a: s.Group.ID}
	case leakwatch.SignalLeak:
		return finalKey{kind: s.Kind, a: s.Leak.Object, sec: s.Leak.Onset.Unix()}
	}
	return finalKey{kind: s.Kind}
}

// NewFinal returns an empty Final.
func NewFinal() *Final {
	return &Final{signals: map[finalKey]leakwatch.Signal{}, alerts: map[string]leakwatch.Alert{}}
}

// Add records signals; a later one with the same key replaces an earlier one.
func (f *Final) Add(sigs ...leakwatch.Signal) {
	for _, s := range sigs {
		f.signals[keyOf(s)] = s
	}
}

// AddAlerts records alerts; a later one with the same id replaces an earlier one, and
// Alerts leaves out those another alert supersedes.
func (f *Final) AddAlerts(as ...leakwatch.Alert) {
	for _, a := range as {
		f.alerts[a.ID] = a
	}
}

// Signals returns the final signals without the groups and leaks others superseded, and
// without the supersedes lists (which interim records existed depends only on when they
// were published, not on the data): bursts first, then edges, groups and leaks, each by
// time then key.
func (f *Final) Signals() []leakwatch.Signal {
	gone := map[string]bool{}
	for _, s := range f.signals {
		switch {
		case s.Kind == leakwatch.SignalGroup:
			for _, id := range s.Group.Supersedes {
				gone[leakwatch.GroupKey(id)] = true
			}
		case s.Kind == leakwatch.SignalLeak:
			for _, k := range s.Leak.Supersedes {
				gone[k] = true
			}
		}
	}
	type keyed struct {
		s   leakwatch.Signal
		key string
	}
	out := make([]keyed, 0, len(f.signals))
	for _, s := range f.signals {
		k := s.Key()
		if gone[k] {
			continue
		}
		switch {
		case s.Kind == leakwatch.SignalGroup && len(s.Group.Supersedes) > 0:
			g := *s.Group
			g.Supersedes = nil
			s.Group = &g
		case s.Kind == leakwatch.SignalLeak && len(s.Leak.Supersedes) > 0:
			l := *s.Leak
			l.Supersedes = nil
			s.Leak = &l
		}
		out = append(out, keyed{s, k})
	}
	slices.SortFunc(out, func(x, y keyed) int {
		return cmp.Or(cmp.Compare(kindOrder(x.s.Kind), kindOrder(y.s.Kind)),
			signalTime(x.s).Compare(signalTime(y.s)), strings.Compare(x.key, y.key))
	})
	sigs := make([]leakwatch.Signal, len(out))
	for i, k := range out {
		sigs[i] = k.s
	}
	return sigs
}

// Alerts returns the final alerts by start time, then id.
func (f *Final) Alerts() []leakwatch.Alert {
	gone := map[string]bool{}
	for _, a := range f.alerts {
		for _, id := range a.Supersedes {
			gone[id] = true
		}
	}
	out := make([]leakwatch.Alert, 0, len(f.alerts))
	for _, a := range f.alerts {
		if gone[a.ID] {
			continue
		}
		a.Supersedes = nil
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].StartsAt.Equal(out[j].StartsAt) {
			return out[i].StartsAt.Before(out[j].StartsAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func kindOrder(k leakwatch.SignalKind) int {
	switch k {
	case leakwatch.SignalBurst:
		return 0
	case leakwatch.SignalEdge:
		return 1
	case leakwatch.SignalGroup:
		return 2
	}
	return 3
}

func signalTime(s leakwatch.Signal) time.Time {
	switch s.Kind {
	case leakwatch.SignalBurst:
		return s.Burst.Onset
	case leakwatch.SignalEdge:
		return s.Edge.First
	case leakwatch.SignalGroup:
		return s.Group.First
	case leakwatch.SignalLeak:
		return s.Leak.Onset
	}
	return time.Time{}
}
