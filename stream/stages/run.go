package stages

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/stream"
)

// Inputs are the topics stage reads: what a caller watching its progress follows.
func Inputs(stage string, t stream.Topics) ([]string, error) {
	switch stage {
	case Extract:
		return []string{t.Posts}, nil
	case Detect:
		return []string{t.Mentions}, nil
	case Correlate:
		return []string{t.CoShares, t.Signals, t.SiteChanges}, nil
	}
	return nil, fmt.Errorf("stage %q: want one of %s", stage, strings.Join(Names, ", "))
}

// Run runs one stage until ctx ends (then it returns nil) or the stage fails.
func Run(ctx context.Context, stage string, cfg Config, log *slog.Logger, m *stream.Metrics) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := cfg.Stream.Topics
	inputs, err := Inputs(stage, t)
	if err != nil {
		return err
	}
	w, err := stream.NewWriter(cfg.Stream, stage, m)
	if err != nil {
		return err
	}
	defer w.Close()
	g, err := stream.NewGroup(cfg.Stream, stage, inputs, log, m)
	if err != nil {
		return err
	}
	log = log.With("stage", stage)
	// After a broker outage the group reconnects and records are delivered again from the
	// committed offsets: each stage then starts from a fresh state, as a restarted process
	// does, and rebuilds it from the log the same way.
	switch stage {
	case Extract:
		var e *extractor
		reset := func() error {
			ex, err := pipeline.NewExtract(cfg.Pipeline)
			if err != nil {
				return err
			}
			e, err = newExtractor(ctx, cfg, g.ID(), ex, w, log)
			return err
		}
		if err := reset(); err != nil {
			return err
		}
		return g.WithIdleCalls(cfg.SourceIdle/2).OnReconnect(reset).Run(ctx, func(ctx context.Context, b []stream.Record) error { return e.handle(ctx, b) })
	case Detect:
		skipped := newPairsSkipped(cfg.Registerer)
		var d *detector
		reset := func() error {
			ranges, err := topicRanges(ctx, cfg.Stream, t.Posts, log)
			if err != nil {
				return err
			}
			d = &detector{cfg: cfg, w: w, log: log, group: g.ID(), parts: map[int]*detectPart{}, sources: len(ranges), skipped: skipped}
			return nil
		}
		if err := reset(); err != nil {
			return err
		}
		return g.WithIdleCalls(cfg.SourceIdle/2).OnReconnect(reset).Run(ctx, func(ctx context.Context, b []stream.Record) error { return d.handle(ctx, b) })
	default:
		var c *correlator
		reset := func() error {
			c = &correlator{cfg: cfg, w: w, log: log, group: g.ID(), inputs: inputs, next: map[topicPartition]int64{}}
			return nil
		}
		_ = reset()
		return g.OnReconnect(reset).Run(ctx, func(ctx context.Context, b []stream.Record) error { return c.handle(ctx, b) })
	}
}

// outputs gathers what one batch produces, written before the batch commits.
type outputs struct {
	msgs []stream.Message
	dead []stream.DeadLetter
}

func (o *outputs) add(m stream.Message, err error, stage string, from stream.Record) {
	if err != nil {
		o.dead = append(o.dead, stream.DeadLetterFor(stage, from, err))
		return
	}
	o.msgs = append(o.msgs, m)
}

// logDead says that a batch dead-letters records, how many and the first one's reason: a
// detect stage that refused a replay's every mention as late (the same file replayed twice)
// did so without a line in its log. One line a batch, not one a record: a refused replay
// is tens of thousands of mentions.
func (o *outputs) logDead(log *slog.Logger) {
	if n := len(o.dead); n > 0 {
		d := o.dead[0]
		log.Warn("dead-lettering records", "count", n, "first", d.Where(), "reason", d.Reason)
	}
}

func (o *outputs) write(ctx context.Context, w *stream.Writer, deadTopic string) error {
	if err := w.Write(ctx, o.msgs...); err != nil {
		return err
	}
	return w.SendDeadLetters(ctx, deadTopic, o.dead...)
}

// watermark says a posts partition sent every post up to At: extract broadcasts one to every
// mentions partition after each batch, so detect knows how far each source has got. First is
// the earliest post the partition has sent: detect measures the burst warm-up from the
// input's first post, as the batch analysis does, not from the first mention its own
// partition happens to get (a quiet start gives each partition another one).
type watermark struct {
	Source int       `json:"source"`
	At     time.Time `json:"at"`
	First  time.Time `json:"first,omitzero"`
}

// postsPartition is what extract knows of one posts partition.
type postsPartition struct {
	wm        time.Time // newest post time handled (or declared)
	first     time.Time // earliest post time handled
	sent      time.Time // last watermark broadcast
	caughtUp  time.Time // since when extract has handled everything it holds (zero: behind)
	next      int64     // offset after the last record handled (or committed, after a start)
	heardFrom bool
}

// extractor turns posts into mentions, tagging each with the posts partition it came from,
// then broadcasts each posts partition's watermark to every mentions partition.
type extractor struct {
	scfg         stream.Config
	ex           *pipeline.Extract
	w            *stream.Writer
	t            stream.Topics
	log          *slog.Logger
	mentionParts int
	idle         time.Duration
	parts        map[int]*postsPartition
	buf          []leakwatch.Mention
	decode       stream.Handler
}

func newExtractor(ctx context.Context, cfg Config, group string, ex *pipeline.Extract, w *stream.Writer, log *slog.Logger) (*extractor, error) {
	t := cfg.Stream.Topics
	mr, err := topicRanges(ctx, cfg.Stream, t.Mentions, log)
	if err != nil {
		return nil, err
	}
	pr, err := topicRanges(ctx, cfg.Stream, t.Posts, log)
	if err != nil {
		return nil, err
	}
	// Where the group stopped: a partition it handled to its end before a restart gets no
	// record now, and must still be declared idle once the others move on.
	committed, err := committedOffsets(ctx, cfg.Stream, group, t.Posts, log)
	if err != nil {
		return nil, err
	}
	e := &extractor{scfg: cfg.Stream, ex: ex, w: w, t: t, log: log, mentionParts: len(mr), idle: cfg.SourceIdle, parts: map[int]*postsPartition{}}
	now := time.Now()
	for p, r := range pr {
		pp := &postsPartition{next: max(committed[p], 0)}
		if r.End == r.First || pp.next >= r.End {
			pp.caughtUp = now // nothing to wait for unless posts arrive
		}
		e.parts[p] = pp
	}
	e.decode = stream.DecodeHandler(Extract, w, t.DeadLetter, log, e.posts)
	return e, nil
}

// handle is the group handler: posts (or an idle call), then the watermarks.
func (e *extractor) handle(ctx context.Context, batch []stream.Record) error {
	if len(batch) > 0 {
		if err := e.decode(ctx, batch); err != nil {
			return err
		}
	}
	now := time.Now()
	for _, r := range batch {
		pp := e.parts[r.Partition]
		if pp == nil {
			pp = &postsPartition{}
			e.parts[r.Partition] = pp
		}
		pp.next = r.Offset + 1
		if r.Offset+1 >= r.HighWaterMark {
			if pp.caughtUp.IsZero() {
				pp.caughtUp = now
			}
		} else {
			pp.caughtUp = time.Time{}
		}
	}
	// A partition with nothing more to read for SourceIdle is declared as far as the newest
	// partition: any post it gets later is new input, not something the others must wait for.
	var newest time.Time
	for _, pp := range e.parts {
		if pp.wm.After(newest) {
			newest = pp.wm
		}
	}
	var idle []int
	for p, pp := range e.parts {
		if !pp.caughtUp.IsZero() && now.Sub(pp.caughtUp) >= e.idle && newest.After(pp.wm) {
			idle = append(idle, p)
		}
	}
	if len(idle) > 0 {
		// Only a partition read to its end is idle. One with records past what this member
		// handled moved to another member of the group (scale-out, a rebalance): declaring
		// it would tell detect that its new owner, maybe behind, has passed newest.
		ranges, err := topicRanges(ctx, e.scfg, e.t.Posts, e.log)
		if err != nil {
			return err
		}
		for _, p := range idle {
			pp := e.parts[p]
			if r, ok := ranges[p]; ok && r.End > max(pp.next, r.First) {
				pp.caughtUp = time.Time{}
				continue
			}
			pp.wm = newest
		}
	}
	var out outputs
	for src, pp := range e.parts {
		if pp.wm.IsZero() || !pp.wm.After(pp.sent) {
			continue
		}
		for p := range e.mentionParts {
			msg, err := stream.EncodeAs(e.t.Mentions, "watermark", SchemaWatermark, watermark{Source: src, At: pp.wm, First: pp.first})
			if err != nil {
				return err
			}
			msg.Headers = append(msg.Headers, stream.Header{Key: HeaderSourcePartition, Value: []byte(strconv.Itoa(src))})
			msg.ToPartition(p)
			out.msgs = append(out.msgs, msg)
		}
		pp.sent = pp.wm
	}
	return out.write(ctx, e.w, e.t.DeadLetter)
}

// MaxAhead is how far ahead of the extract stage's clock a post may be dated. A post's time
// moves its partition's watermark, and one dated days ahead (a time zone read wrongly, a
// feed's placeholder) would make every later post of the partition late: such a post is
// dead-lettered instead, as one outside leakwatch.MinEventTime..MaxEventTime is.
const MaxAhead = time.Hour

// postError says why extract refuses post p at wall time now (it lacks what identifies it,
// or its time cannot drive event time), or nil.
func postError(p leakwatch.Post, now time.Time) error {
	// What every collector sets and the warehouse keys a post by: without it the sink refused
	// the post and stored its mentions (an empty URI), or stored the post and refused its
	// mentions (an empty author), and the counts of posts disagreed.
	switch {
	case p.URI == "":
		return fmt.Errorf("post %q: uri: empty (it is the post's event id)", p.ID)
	case p.Platform == "":
		return fmt.Errorf("post %s: platform: empty", p.URI)
	case p.Author.ID == "":
		return fmt.Errorf("post %s: author.id: empty (it is the account detection counts)", p.URI)
	}
	switch at := p.CreatedAt; {
	case at.IsZero():
		return nil // mentions without a time are refused by detect, each with its object
	case !leakwatch.EventTimeOK(at):
		return fmt.Errorf("post %s: created_at %w", p.URI, leakwatch.EventTimeError(at.Format(time.RFC3339)))
	case at.After(now.Add(MaxAhead)):
		return fmt.Errorf("post %s: created_at %s is %s ahead of the extract stage's clock (%s), more than %s: a time zone read wrongly?", p.URI, at.Format(time.RFC3339), at.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339), MaxAhead)
	}
	return nil
}

// posts writes the mentions of a batch's decodable posts.
func (e *extractor) posts(ctx context.Context, items []stream.Item[leakwatch.Post]) error {
	var out outputs
	now := time.Now()
	for _, it := range items {
		if err := postError(it.Value, now); err != nil {
			out.add(stream.Message{}, err, Extract, it.Record)
			continue
		}
		pp := e.parts[it.Record.Partition]
		if pp == nil {
			pp = &postsPartition{}
			e.parts[it.Record.Partition] = pp
		}
		if at := it.Value.CreatedAt; at.After(pp.wm) {
			pp.wm = at
		}
		if at := it.Value.CreatedAt; !at.IsZero() && (pp.first.IsZero() || at.Before(pp.first)) {
			pp.first = at
		}
		src := []byte(strconv.Itoa(it.Record.Partition))
		e.buf = e.ex.AppendMentions(e.buf[:0], it.Value)
		for _, mn := range e.buf {
			msg, err := stream.EncodeMention(e.t.Mentions, mn)
			if err != nil {
				err = fmt.Errorf("post %s: mention %q: %w", it.Value.URI, mn.Object, err)
			}
			msg.Headers = append(msg.Headers, stream.Header{Key: HeaderSourcePartition, Value: src})
			out.add(msg, err, Extract, it.Record)
		}
	}
	return out.write(ctx, e.w, e.t.DeadLetter)
}

type topicPartition struct {
	topic     string
	partition int
}

func topicRanges(ctx context.Context, cfg stream.Config, topic string, log *slog.Logger) (map[int]stream.PartitionRange, error) {
	return stream.UntilUp(ctx, log, "offsets of "+topic, func() (map[int]stream.PartitionRange, error) {
		return stream.TopicRanges(ctx, cfg, topic)
	})
}

func committedOffsets(ctx context.Context, cfg stream.Config, group, topic string, log *slog.Logger) (map[int]int64, error) {
	return stream.UntilUp(ctx, log, "committed offsets of "+topic, func() (map[int]int64, error) {
		return stream.Committed(ctx, cfg, group, topic)
	})
}

// logStart is the oldest retained offset of a partition.
func logStart(ctx context.Context, cfg stream.Config, topic string, partition int, log *slog.Logger) (int64, error) {
	ranges, err := topicRanges(ctx, cfg, topic, log)
	if err != nil {
		return 0, err
	}
	r, ok := ranges[partition]
	if !ok {
		return 0, fmt.Errorf("%s has no partition %d", topic, partition)
	}
	return r.First, nil
}

// pending is a mention held back until every active source has moved past it.
type pending struct {
	m  leakwatch.Mention
	r  stream.Record
	at int64 // m.At in Unix nanoseconds: most comparisons end on it
}

// pendingHeap orders held mentions as the batch analysis counts them. It holds pointers: a
// pending is a few hundred bytes, and sifting values through the heap moved them for every
// comparison.
type pendingHeap []*pending

func (h pendingHeap) Len() int { return len(h) }
func (h pendingHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return lessMention(h[i].m, h[j].m)
}
func (h pendingHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)   { *h = append(*h, x.(*pending)) }
func (h *pendingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

// detectPart is the detect state of one mentions partition.
type detectPart struct {
	d       *pipeline.Detect
	next    int64     // offset expected next
	step    time.Time // next event-time step at which the watermark advances
	held    pendingHeap
	sources map[int]time.Time    // watermark of each posts partition: it sent every post before it
	first   time.Time            // the earliest post any source reported (watermark.First)
	told    map[int]bool         // sources that sent a watermark, so first includes theirs
	heard   time.Time            // wall time a record last arrived
	live    bool                 // false while rebuilding: outputs were written by an earlier run
	dirty   bool                 // counted mentions since the last flush
	seen    map[string]time.Time // post and object of mentions counted within the lateness
	dups    int64                // redelivered mentions skipped
	skipped int64                // co-share pairs the cap left out, as counted on the metric
}

type detector struct {
	cfg     Config
	w       *stream.Writer
	log     *slog.Logger
	group   string
	started bool
	parts   map[int]*detectPart
	sources int // partitions of the posts topic: the sources every mentions partition waits for
	// skipped counts the co-share pairs coord.max_sharers left out, so an operator who turned
	// the cap on sees what it cost; nil without a Registerer.
	skipped prometheus.Counter
}

// newPairsSkipped registers leakwatch_coshare_pairs_skipped_total on reg, or finds it there
// (a detect stage restarted after an outage registers again). Nil without a registry.
func newPairsSkipped(reg prometheus.Registerer) prometheus.Counter {
	if reg == nil {
		return nil
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "leakwatch_coshare_pairs_skipped_total",
		Help: "Co-share pairs the detect stage left out because an object had more sharers in one window than coord.max_sharers (0 while the cap is off).",
	})
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(prometheus.Counter); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// countSkipped adds to the metric the pairs each live partition's cap left out since the
// last batch; a partition's rebuild replays skips an earlier run counted, and starts at them.
func (s *detector) countSkipped() {
	for _, p := range s.parts {
		n := p.d.Stats().PairsSkipped
		if p.live && n > p.skipped && s.skipped != nil {
			s.skipped.Add(float64(n - p.skipped))
		}
		p.skipped = n
	}
}

func (s *detector) handle(ctx context.Context, batch []stream.Record) error {
	if !s.started && s.cfg.FlushIdle > 0 {
		// Windows held when the last run stopped must be flushed even if no record comes.
		if err := s.rebuildCommitted(ctx); err != nil {
			return err
		}
	}
	s.started = true
	var out outputs
	now := time.Now()
	for _, r := range batch {
		p := s.parts[r.Partition]
		if p == nil || r.Offset != p.next {
			if p != nil {
				s.log.Warn("partition resumed elsewhere than where it stopped; rebuilding its state", "record", r.Where(), "expected", p.next)
			}
			var err error
			if p, err = s.rebuild(ctx, r.Topic, r.Partition, r.Offset); err != nil {
				return err
			}
		}
		s.take(p, r, now, &out)
		p.next = r.Offset + 1
	}
	var ranges map[int]stream.PartitionRange
	for part, p := range s.parts {
		idle := s.cfg.FlushIdle > 0 && now.Sub(p.heard) >= s.cfg.FlushIdle
		if idle && (p.dirty || p.held.Len() > 0) {
			// Only a partition read to its end is idle. One with records this member has not
			// had for FlushIdle belongs to another member now (scale-out, a rebalance): its
			// state is dropped, never flushed, and rebuilt if the partition comes back.
			if ranges == nil {
				var err error
				if ranges, err = topicRanges(ctx, s.cfg.Stream, s.cfg.Stream.Topics.Mentions, s.log); err != nil {
					return err
				}
			}
			if r, ok := ranges[part]; ok && r.End > p.next {
				s.log.Info("partition moved to another member; dropping its state", "partition", part, "end", r.End, "next", p.next)
				delete(s.parts, part)
				continue
			}
		}
		s.drain(p, idle, &out)
		if idle && p.dirty {
			s.log.Info("input idle: flushing open windows", "partition", part, "redelivered_skipped", p.dups)
			p.d.Begin(p.first)
			s.emit(p, p.d.Flush(), stream.Record{Topic: s.cfg.Stream.Topics.Mentions, Partition: part, Offset: p.next - 1}, &out)
			p.dirty = false
		}
	}
	out.logDead(s.log)
	if err := out.write(ctx, s.w, s.cfg.Stream.Topics.DeadLetter); err != nil {
		return err
	}
	s.countSkipped()
	return nil
}

// rebuildCommitted rebuilds every mentions partition the group committed offsets on, up to
// them. Partitions another member owns are dropped at their first idle check (their end
// moved past what this member has).
func (s *detector) rebuildCommitted(ctx context.Context) error {
	topic := s.cfg.Stream.Topics.Mentions
	committed, err := committedOffsets(ctx, s.cfg.Stream, s.group, topic, s.log)
	if err != nil {
		return err
	}
	for _, part := range slices.Sorted(maps.Keys(committed)) {
		off := committed[part]
		if off < 0 {
			continue // never committed: the first record says where to start
		}
		p, err := s.rebuild(ctx, topic, part, off)
		if err != nil {
			return err
		}
		p.heard = time.Now() // the flush waits FlushIdle from the start, not from the last run
	}
	return nil
}

// rebuild makes a fresh state for a partition by replaying it from its oldest record up to
// offset to, with outputs suppressed.
func (s *detector) rebuild(ctx context.Context, topic string, partition int, to int64) (*detectPart, error) {
	d, err := pipeline.NewDetect(s.cfg.Pipeline)
	if err != nil {
		return nil, err
	}
	p := &detectPart{d: d, next: to, sources: map[int]time.Time{}, told: map[int]bool{}, seen: map[string]time.Time{}}
	for i := range s.sources {
		p.sources[i] = time.Time{}
	}
	s.parts[partition] = p
	first, err := logStart(ctx, s.cfg.Stream, topic, partition, s.log)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	n := 0
	err = stream.ReadPartition(ctx, s.cfg.Stream, topic, partition, first, to, func(recs []stream.Record) error {
		now := time.Now()
		var discard outputs
		for _, rr := range recs {
			s.take(p, rr, now, &discard)
		}
		s.drain(p, false, &discard)
		n += len(recs)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rebuild detect state of %s/%d: %w", topic, partition, err)
	}
	p.live = true
	p.skipped = d.Stats().PairsSkipped
	if n > 0 {
		s.log.Info("rebuilt partition state", "topic", topic, "partition", partition, "records", n, "took", time.Since(start).Round(time.Millisecond))
	}
	return p, nil
}

// source is the posts partition a mention or watermark follows. Without a valid one it
// cannot be ordered: a made-up source would hold the partition back for good, waiting for
// a watermark no extract sends.
func (s *detector) source(r stream.Record) (int, error) {
	v, ok := r.Header(HeaderSourcePartition)
	if !ok {
		return 0, fmt.Errorf("%s: no %s header: cannot tell which posts partition it follows", r.Where(), HeaderSourcePartition)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n >= s.sources {
		return 0, fmt.Errorf("%s: %s %q is not a partition of the posts topic (0 to %d)", r.Where(), HeaderSourcePartition, v, s.sources-1)
	}
	return n, nil
}

func (s *detector) take(p *detectPart, r stream.Record, now time.Time, out *outputs) {
	p.heard = now
	src, err := s.source(r)
	if err != nil {
		if p.live {
			s.log.Warn("dead-lettering a record", "record", r.Where(), "err", err)
			out.dead = append(out.dead, stream.DeadLetterFor(Detect, r, err))
		}
		return
	}
	advance := func(at time.Time) {
		if at.After(p.sources[src]) {
			p.sources[src] = at
		}
	}
	if typ, _ := r.Header(stream.HeaderType); typ == SchemaWatermark.Type {
		wm, err := stream.DecodeAs[watermark](r, SchemaWatermark)
		if err != nil {
			if p.live {
				out.dead = append(out.dead, stream.DeadLetterFor(Detect, r, err))
			}
			return
		}
		advance(wm.At)
		if !wm.First.IsZero() && (p.first.IsZero() || wm.First.Before(p.first)) {
			p.first = wm.First
		}
		p.told[src] = true
		return
	}
	mn, err := stream.Decode[leakwatch.Mention](r)
	if err != nil {
		if p.live {
			out.dead = append(out.dead, stream.DeadLetterFor(Detect, r, err))
		}
		return
	}
	heap.Push(&p.held, &pending{m: mn, r: r, at: mn.At.UnixNano()})
	advance(mn.At)
}

// drain counts held mentions in the batch analysis' order while no source can still send
// one that sorts before them: every source's watermark must be past the mention's time (a
// source may send more posts of the second its watermark names). force drains all (the input
// went idle).
func (s *detector) drain(p *detectPart, force bool, out *outputs) {
	for p.held.Len() > 0 {
		head := p.held[0]
		if !force {
			// The first count closes the detector's first bucket, which fixes its warm-up:
			// every source must have told its earliest post by then (a source heard from
			// only through its mentions has not).
			if p.step.IsZero() && len(p.told) < len(p.sources) {
				return
			}
			for _, wm := range p.sources {
				if !wm.After(head.m.At) {
					return
				}
			}
		}
		heap.Pop(&p.held)
		s.count(p, *head, out)
	}
}

// count feeds one mention to the detector, stepping the watermark exactly as the batch
// analysis does (at each Step boundary of event time), so both give the same results.
//
// A mention seen before (extract handled a batch again after a crash, a post collected
// twice) is not counted twice when its time is within the lateness of the first's, the rule
// the batch analysis applies to copies of a post (pipeline, recentPosts). Mentions are
// remembered while detect still accepts their time; a copy arriving later than that is
// refused as late, like any mention that old.
func (s *detector) count(p *detectPart, h pending, out *outputs) {
	m := h.m
	key := m.Post + "\x00" + m.Object
	if at, dup := p.seen[key]; dup && m.At.Sub(at).Abs() <= s.cfg.Pipeline.Lateness {
		p.dups++
		return
	}
	p.dirty = true
	if !m.At.Before(p.step) {
		p.d.Begin(p.first) // no-op once the detector's first bucket has closed
		s.emit(p, p.d.Advance(m.At), h.r, out)
		p.step = m.At.Truncate(s.cfg.Pipeline.Step).Add(s.cfg.Pipeline.Step)
		horizon := m.At.Add(-s.cfg.Pipeline.Lateness)
		for k, at := range p.seen {
			if at.Before(horizon) {
				delete(p.seen, k)
			}
		}
	}
	// Only a mention counted is remembered: one refused (late) and fed back from the
	// dead-letter topic must be refused again with its reason, not skipped as a copy.
	if err := p.d.Add(m); err != nil {
		if p.live {
			out.dead = append(out.dead, stream.DeadLetterFor(Detect, h.r, err))
		}
		return
	}
	p.seen[key] = m.At
}

func (s *detector) emit(p *detectPart, o pipeline.DetectOutput, from stream.Record, out *outputs) {
	if !p.live {
		return
	}
	t := s.cfg.Stream.Topics
	for i := range o.Bursts {
		m, err := stream.EncodeSignal(t.Signals, leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &o.Bursts[i]})
		out.add(m, err, Detect, from)
	}
	for _, cs := range o.CoShares {
		m, err := stream.EncodeAs(t.CoShares, cs.Key(), SchemaCoShare, cs)
		out.add(m, err, Detect, from)
	}
}

func lessMention(a, b leakwatch.Mention) bool {
	if c := a.At.Compare(b.At); c != 0 {
		return c < 0
	}
	if a.Object != b.Object {
		return a.Object < b.Object
	}
	if a.Account != b.Account {
		return a.Account < b.Account
	}
	return a.Post < b.Post
}

// correlator is the one correlate member: every co-share, burst and site change.
type correlator struct {
	cfg    Config
	w      *stream.Writer
	log    *slog.Logger
	group  string
	inputs []string
	c      *pipeline.Correlate
	next   map[topicPartition]int64
	wm     time.Time
	// forgotten is the candidate-edge count last logged: the bound binding changes what
	// the stage can find, so an operator should see it.
	forgotten int64
}

func (s *correlator) handle(ctx context.Context, batch []stream.Record) error {
	if s.c == nil {
		c, err := pipeline.NewCorrelate(s.cfg.Pipeline)
		if err != nil {
			return err
		}
		s.c = c
		if err := s.rebuildCommitted(ctx); err != nil {
			return err
		}
	}
	var out outputs
	for _, r := range batch {
		tp := topicPartition{r.Topic, r.Partition}
		next, seen := s.next[tp]
		if !seen {
			if err := s.rebuild(ctx, r, &out); err != nil {
				return err
			}
		} else if r.Offset != next {
			// Another member had this partition: its share of the state is missing here.
			s.log.Warn("partition resumed elsewhere than where it stopped; run correlate as one member", "record", r.Where(), "expected", next)
		}
		s.take(r, true, &out)
		s.next[tp] = r.Offset + 1
	}
	s.emit(s.c.Advance(s.wm), batch[len(batch)-1], &out)
	if f := s.c.Forgotten(); f > 0 && f >= 2*s.forgotten {
		s.log.Warn("coord.max_candidate_edges reached: forgetting the least recent candidate edges", "forgotten", f, "held", s.c.Pairs())
		s.forgotten = f
	}
	out.logDead(s.log)
	return out.write(ctx, s.w, s.cfg.Stream.Topics.DeadLetter)
}

// rebuildCommitted replays every partition of every input up to the group's committed
// offset into the fresh state, outputs suppressed, before any live record: groups span
// partitions and a leak follows a site change of any partition, so a partition that stays
// quiet after a start still counts. Site changes come first, so the bursts replayed after
// them are judged against them as they were live; co-shares last.
func (s *correlator) rebuildCommitted(ctx context.Context) error {
	t := s.cfg.Stream.Topics
	order := []string{t.SiteChanges, t.Signals, t.CoShares}
	order = slices.DeleteFunc(order, func(topic string) bool { return !slices.Contains(s.inputs, topic) })
	start := time.Now()
	n := 0
	for _, topic := range order {
		committed, err := committedOffsets(ctx, s.cfg.Stream, s.group, topic, s.log)
		if err != nil {
			return err
		}
		ranges, err := topicRanges(ctx, s.cfg.Stream, topic, s.log)
		if err != nil {
			return err
		}
		for _, part := range slices.Sorted(maps.Keys(committed)) {
			off := committed[part]
			if off < 0 {
				continue // never committed: the first record says where to start
			}
			s.next[topicPartition{topic, part}] = off
			read, err := s.replay(ctx, topic, part, ranges[part].First, off)
			if err != nil {
				return err
			}
			n += read
		}
	}
	s.c.Advance(s.wm) // edges and groups the replay changed were published by the last run
	if n > 0 {
		s.log.Info("rebuilt state from every input partition", "records", n, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// replay reads offsets [from, to) of a partition into the correlate state, outputs
// suppressed, and says how many records it read.
func (s *correlator) replay(ctx context.Context, topic string, partition int, from, to int64) (int, error) {
	n := 0
	err := stream.ReadPartition(ctx, s.cfg.Stream, topic, partition, from, to, func(recs []stream.Record) error {
		var discard outputs
		for _, r := range recs {
			s.take(r, false, &discard)
		}
		n += len(recs)
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("rebuild correlate state from %s/%d: %w", topic, partition, err)
	}
	return n, nil
}

// rebuild replays r's partition from its oldest record up to r into the correlate state,
// outputs suppressed: a partition the group never committed on, first seen with r.
func (s *correlator) rebuild(ctx context.Context, r stream.Record, out *outputs) error {
	first, err := logStart(ctx, s.cfg.Stream, r.Topic, r.Partition, s.log)
	if err != nil {
		return err
	}
	if first >= r.Offset {
		return nil
	}
	// Publish what live records of this batch changed before the replay's changes are dropped.
	s.emit(s.c.Advance(s.wm), r, out)
	n, err := s.replay(ctx, r.Topic, r.Partition, first, r.Offset)
	if err != nil {
		return err
	}
	s.c.Advance(s.wm) // edges and groups changed by the replay were published before
	if n > 0 {
		s.log.Info("rebuilt state from partition", "topic", r.Topic, "partition", r.Partition, "records", n)
	}
	return nil
}

func (s *correlator) take(r stream.Record, live bool, out *outputs) {
	t := s.cfg.Stream.Topics
	dead := func(err error) {
		if live {
			out.dead = append(out.dead, stream.DeadLetterFor(Correlate, r, err))
		}
	}
	switch r.Topic {
	case t.CoShares:
		o, err := stream.DecodeAs[pipeline.CoShare](r, SchemaCoShare)
		if err != nil {
			dead(err)
			return
		}
		s.c.CoShare(o)
		s.see(o.At())
	case t.Signals:
		sig, err := stream.Decode[leakwatch.Signal](r)
		if err != nil {
			dead(err)
			return
		}
		if sig.Kind != leakwatch.SignalBurst {
			// Edges, groups and leaks are correlate's own output. Rebuilding, the ids and
			// keys it published before the restart must be superseded like the rest.
			if !live {
				s.c.Published(sig)
			}
			return
		}
		o := s.c.Burst(*sig.Burst)
		s.see(sig.Burst.Onset)
		if live {
			s.emit(o, r, out)
		}
	case t.SiteChanges:
		sc, err := stream.Decode[leakwatch.SiteChange](r)
		if err != nil {
			dead(err)
			return
		}
		o := s.c.Change(sc)
		s.see(sc.ObservedAt)
		if live {
			s.emit(o, r, out)
		}
	default:
		dead(fmt.Errorf("topic %s is not a correlate input", r.Topic))
	}
}

func (s *correlator) see(t time.Time) {
	if t.After(s.wm) {
		s.wm = t
	}
}

func (s *correlator) emit(o pipeline.Output, from stream.Record, out *outputs) {
	t := s.cfg.Stream.Topics
	for _, sig := range o.Signals {
		m, err := stream.EncodeSignal(t.Signals, sig)
		out.add(m, err, Correlate, from)
	}
	for _, a := range o.Alerts {
		m, err := stream.EncodeAlert(t.Alerts, a)
		out.add(m, err, Correlate, from)
	}
}
