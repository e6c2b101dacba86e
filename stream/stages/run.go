package stages

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/stream"
)

// Run runs one stage until ctx ends (then it returns nil) or the stage fails.
func Run(ctx context.Context, stage string, cfg Config, log *slog.Logger, m *stream.Metrics) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := cfg.Stream.Topics
	var inputs []string
	switch stage {
	case Extract:
		inputs = []string{t.Posts}
	case Detect:
		inputs = []string{t.Mentions}
	case Correlate:
		inputs = []string{t.CoShares, t.Signals, t.SiteChanges}
	default:
		return fmt.Errorf("stage %q: want one of %s", stage, strings.Join(Names, ", "))
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
	switch stage {
	case Extract:
		ex, err := pipeline.NewExtract(cfg.Pipeline)
		if err != nil {
			return err
		}
		ranges, err := stream.TopicRanges(ctx, cfg.Stream, t.Mentions)
		if err != nil {
			return err
		}
		return g.Run(ctx, extractHandler(ex, w, t, len(ranges), log))
	case Detect:
		ranges, err := stream.TopicRanges(ctx, cfg.Stream, t.Posts)
		if err != nil {
			return err
		}
		d := &detector{cfg: cfg, w: w, log: log, parts: map[int]*detectPart{}, sources: len(ranges)}
		return g.WithIdleCalls(cfg.SourceIdle/2).Run(ctx, d.handle)
	default:
		c := &correlator{cfg: cfg, w: w, log: log, next: map[topicPartition]int64{}}
		return g.Run(ctx, c.handle)
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

func (o *outputs) write(ctx context.Context, w *stream.Writer, deadTopic string) error {
	if err := w.Write(ctx, o.msgs...); err != nil {
		return err
	}
	return w.SendDeadLetters(ctx, deadTopic, o.dead...)
}

// watermark says a posts partition sent every post up to At: extract broadcasts one to every
// mentions partition after each batch, so detect knows how far each source has got.
type watermark struct {
	Source int       `json:"source"`
	At     time.Time `json:"at"`
}

// extractHandler turns posts into mentions, tagging each with the posts partition it came
// from, then broadcasts each source's watermark, so detect can merge sources by event time.
func extractHandler(ex *pipeline.Extract, w *stream.Writer, t stream.Topics, mentionParts int, log *slog.Logger) stream.Handler {
	var buf []leakwatch.Mention
	return stream.DecodeHandler(Extract, w, t.DeadLetter, log, func(ctx context.Context, items []stream.Item[leakwatch.Post]) error {
		var out outputs
		wms := map[int]time.Time{}
		for _, it := range items {
			src := []byte(strconv.Itoa(it.Record.Partition))
			if at := it.Value.CreatedAt; at.After(wms[it.Record.Partition]) {
				wms[it.Record.Partition] = at
			}
			buf = ex.AppendMentions(buf[:0], it.Value)
			for _, mn := range buf {
				msg, err := stream.EncodeMention(t.Mentions, mn)
				if err != nil {
					err = fmt.Errorf("post %s: mention %q: %w", it.Value.URI, mn.Object, err)
				}
				msg.Headers = append(msg.Headers, stream.Header{Key: HeaderSourcePartition, Value: src})
				out.add(msg, err, Extract, it.Record)
			}
		}
		for src, at := range wms {
			for p := range mentionParts {
				msg, err := stream.EncodeAs(t.Mentions, "watermark", SchemaWatermark, watermark{Source: src, At: at})
				if err != nil {
					return err
				}
				msg.Headers = append(msg.Headers, stream.Header{Key: HeaderSourcePartition, Value: []byte(strconv.Itoa(src))})
				msg.ToPartition(p)
				out.msgs = append(out.msgs, msg)
			}
		}
		return out.write(ctx, w, t.DeadLetter)
	})
}

type topicPartition struct {
	topic     string
	partition int
}

// logStart is the oldest retained offset of a partition.
func logStart(ctx context.Context, cfg stream.Config, topic string, partition int) (int64, error) {
	ranges, err := stream.TopicRanges(ctx, cfg, topic)
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
	m leakwatch.Mention
	r stream.Record
}

// source is what one posts partition sent to a mentions partition.
type source struct {
	q    []pending
	wm   time.Time // newest event time it sent (mention or watermark)
	last time.Time // wall time its watermark last moved

	skipped bool // logged as idle since its watermark last moved
}

// detectPart is the detect state of one mentions partition.
type detectPart struct {
	d       *pipeline.Detect
	next    int64     // offset expected next
	step    time.Time // next event-time step at which the watermark advances
	sources map[int]*source
	active  time.Time // when a source's watermark first moved: idleness counts from here
	live    bool      // false while rebuilding: outputs were written by an earlier run
	dirty   bool      // counted mentions since the last flush
}

type detector struct {
	cfg     Config
	w       *stream.Writer
	log     *slog.Logger
	parts   map[int]*detectPart
	sources int // partitions of the posts topic: the sources every mentions partition waits for
}

func (s *detector) handle(ctx context.Context, batch []stream.Record) error {
	var out outputs
	now := time.Now()
	for _, r := range batch {
		p := s.parts[r.Partition]
		if p == nil || r.Offset != p.next {
			if p != nil {
				s.log.Warn("partition resumed elsewhere than where it stopped; rebuilding its state", "record", r.Where(), "expected", p.next)
			}
			var err error
			if p, err = s.rebuild(ctx, r); err != nil {
				return err
			}
		}
		s.take(p, r, now, &out)
		p.next = r.Offset + 1
	}
	for part, p := range s.parts {
		s.drain(p, now, &out)
		if s.cfg.FlushIdle > 0 && p.dirty && s.quiet(p, now) {
			s.log.Info("input idle: flushing open windows", "partition", part)
			s.emit(p, p.d.Flush(), stream.Record{Topic: s.cfg.Stream.Topics.Mentions, Partition: part, Offset: p.next - 1}, &out)
			p.dirty = false
		}
	}
	return out.write(ctx, s.w, s.cfg.Stream.Topics.DeadLetter)
}

// rebuild makes a fresh state for r's partition by replaying it from its oldest record up
// to r, with outputs suppressed.
func (s *detector) rebuild(ctx context.Context, r stream.Record) (*detectPart, error) {
	d, err := pipeline.NewDetect(s.cfg.Pipeline)
	if err != nil {
		return nil, err
	}
	p := &detectPart{d: d, sources: map[int]*source{}}
	for i := range s.sources {
		p.sources[i] = &source{}
	}
	s.parts[r.Partition] = p
	first, err := logStart(ctx, s.cfg.Stream, r.Topic, r.Partition)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	n := 0
	err = stream.ReadPartition(ctx, s.cfg.Stream, r.Topic, r.Partition, first, r.Offset, func(recs []stream.Record) error {
		now := time.Now()
		var discard outputs
		for _, rr := range recs {
			s.take(p, rr, now, &discard)
		}
		s.drain(p, now, &discard)
		n += len(recs)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rebuild detect state of %s/%d: %w", r.Topic, r.Partition, err)
	}
	p.live = true
	if n > 0 {
		s.log.Info("rebuilt partition state", "topic", r.Topic, "partition", r.Partition, "records", n, "took", time.Since(start).Round(time.Millisecond))
	}
	return p, nil
}

// idle reports whether sc's watermark stood still for SourceIdle while p was active, so it
// no longer holds the other sources back. A source never heard from is idle once the others
// have been sending for SourceIdle (a stage that starts before extract waits for all).
func (s *detector) idle(p *detectPart, sc *source, now time.Time) bool {
	since := sc.last
	if since.Before(p.active) {
		since = p.active
	}
	return !since.IsZero() && now.Sub(since) >= s.cfg.SourceIdle
}

// quiet reports whether p holds nothing and no source's watermark moved for FlushIdle.
func (s *detector) quiet(p *detectPart, now time.Time) bool {
	for _, sc := range p.sources {
		if len(sc.q) > 0 || now.Sub(sc.last) < s.cfg.FlushIdle {
			return false
		}
	}
	return true
}

func (s *detector) take(p *detectPart, r stream.Record, now time.Time, out *outputs) {
	src := -1
	if v, ok := r.Header(HeaderSourcePartition); ok {
		if n, err := strconv.Atoi(v); err == nil {
			src = n
		}
	}
	sc := p.sources[src]
	if sc == nil {
		sc = &source{}
		p.sources[src] = sc
	}
	advance := func(at time.Time) {
		if at.After(sc.wm) {
			sc.wm = at
			sc.last = now
			sc.skipped = false
			if p.active.IsZero() {
				p.active = now
			}
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
		return
	}
	mn, err := stream.Decode[leakwatch.Mention](r)
	if err != nil {
		if p.live {
			out.dead = append(out.dead, stream.DeadLetterFor(Detect, r, err))
		}
		return
	}
	sc.q = append(sc.q, pending{m: mn, r: r})
	advance(mn.At)
}

// drain counts held mentions in event-time order while no source could still send an older
// one: each source's watermark must have reached the mention, unless the source's watermark
// has not moved for SourceIdle (a posts partition with nothing more to send).
func (s *detector) drain(p *detectPart, now time.Time, out *outputs) {
	for {
		var best *source
		for _, sc := range p.sources {
			if len(sc.q) > 0 && (best == nil || lessMention(sc.q[0].m, best.q[0].m)) {
				best = sc
			}
		}
		if best == nil {
			return
		}
		head := best.q[0]
		for id, sc := range p.sources {
			if len(sc.q) == 0 && sc.wm.Before(head.m.At) {
				if !s.idle(p, sc, now) {
					return // sc may still send something older than head
				}
				if !sc.skipped && p.live {
					sc.skipped = true
					s.log.Info("source idle: no longer waiting for it", "partition", head.r.Partition, "source", id, "source_watermark", sc.wm, "held_from", head.m.At)
				}
			}
		}
		best.q[0] = pending{}
		best.q = best.q[1:]
		s.count(p, head, out)
	}
}

// count feeds one mention to the detector, stepping the watermark exactly as the batch
// analysis does (at each Step boundary of event time), so both give the same results.
func (s *detector) count(p *detectPart, h pending, out *outputs) {
	m := h.m
	p.dirty = true
	if !m.At.Before(p.step) {
		s.emit(p, p.d.Advance(m.At), h.r, out)
		p.step = m.At.Truncate(s.cfg.Pipeline.Step).Add(s.cfg.Pipeline.Step)
	}
	if err := p.d.Add(m); err != nil && p.live {
		out.dead = append(out.dead, stream.DeadLetterFor(Detect, h.r, err))
	}
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
	cfg  Config
	w    *stream.Writer
	log  *slog.Logger
	c    *pipeline.Correlate
	next map[topicPartition]int64
	wm   time.Time
}

func (s *correlator) handle(ctx context.Context, batch []stream.Record) error {
	if s.c == nil {
		c, err := pipeline.NewCorrelate(s.cfg.Pipeline)
		if err != nil {
			return err
		}
		s.c = c
	}
	var out outputs
	for _, r := range batch {
		tp := topicPartition{r.Topic, r.Partition}
		next, seen := s.next[tp]
		if !seen {
			if err := s.rebuild(ctx, r); err != nil {
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
	return out.write(ctx, s.w, s.cfg.Stream.Topics.DeadLetter)
}

// rebuild replays r's partition from its oldest record up to r into the correlate state,
// outputs suppressed.
func (s *correlator) rebuild(ctx context.Context, r stream.Record) error {
	first, err := logStart(ctx, s.cfg.Stream, r.Topic, r.Partition)
	if err != nil {
		return err
	}
	n := 0
	err = stream.ReadPartition(ctx, s.cfg.Stream, r.Topic, r.Partition, first, r.Offset, func(recs []stream.Record) error {
		var discard outputs
		for _, rr := range recs {
			s.take(rr, false, &discard)
		}
		n += len(recs)
		return nil
	})
	if err != nil {
		return fmt.Errorf("rebuild correlate state from %s/%d: %w", r.Topic, r.Partition, err)
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
			return // edges, groups and leaks are correlate's own output
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
		s.c.Change(sc)
		s.see(sc.ObservedAt)
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
