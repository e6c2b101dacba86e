package pipeline

import (
	"slices"
	"time"

	"github.com/leakwatch/leakwatch"
)

// fanout is the batch's detect stage spread over several goroutines, as the processor
// spreads it over partitions of the mentions topic: each mention goes to the partition of its
// object, every partition advances at the same watermarks, and one goroutine correlates, at
// each watermark, all partitions' outputs together, which runner.correlate puts in one fixed
// order. Each partition is also told, at each watermark, when the whole stream began, so its
// bursts end their warm-up where one detect stage's do, not as measured from the partition's
// own first mention. So the result is that of one detect stage, whatever the number of partitions
// (TestWorkersMatchOneWorker).
//
// The caller (one goroutine) calls mention for each mention in event-time order, then finish.
type fanout struct {
	r     *runner // correlate side: used only by the correlate goroutine until finish
	parts []*partition
	steps steps
	first time.Time     // of the first post the burst detector counts a mention of
	n     int64         // mentions
	fill  []chunk       // the chunk being filled, per partition
	size  int           // mentions in it
	done  chan struct{} // closed when the correlate goroutine has seen the last chunk
}

// chunk is one partition's share of a run of mentions, with the watermarks to advance to:
// every partition's chunk of a run has the same watermarks.
type chunk struct {
	mentions []leakwatch.Mention
	marks    []mark
	flush    bool      // the end: Flush after the mentions and marks
	first    time.Time // fanout.first for the flush
}

// mark: Advance(wm) after the first pos mentions of the chunk, the stream begun at first.
type mark struct {
	pos   int // in this partition's mentions, set per partition
	wm    time.Time
	first time.Time
}

// partResult is what a partition made of one chunk: one output per mark (and one for the
// flush), and the mentions it refused.
type partResult struct {
	outs    []markOut
	shares  []CoShare
	refused []Refused
}

type markOut struct {
	wm     time.Time
	flush  bool // the output of Flush, after every mark
	bursts []leakwatch.Burst
	lo, hi int // its co-shares: shares[lo:hi] of the result
}

// A partition's chunks and results come back to it once used (small free lists), so the
// hand-over allocates nothing in the steady state.
type partition struct {
	d        *Detect
	in       chan chunk
	out      chan partResult
	mentions chan []leakwatch.Mention // chunk slices to refill
	results  chan partResult          // results to refill
}

// chunkMentions is how many mentions travel to the partitions at once: large enough that
// handing them over costs little against detecting them.
const chunkMentions = 1 << 13

func newFanout(cfg Config, r *runner, workers int) (*fanout, error) {
	f := &fanout{r: r, steps: steps{every: r.cfg.Step}, done: make(chan struct{})}
	for range workers {
		d, err := NewDetect(cfg)
		if err != nil {
			return nil, err
		}
		p := &partition{d: d, in: make(chan chunk, 2), out: make(chan partResult, 2),
			mentions: make(chan []leakwatch.Mention, 4), results: make(chan partResult, 4)}
		f.parts = append(f.parts, p)
		go p.run()
	}
	f.fill = make([]chunk, workers)
	go f.correlate()
	return f, nil
}

func (f *fanout) post(m *leakwatch.Mention, objects []string) {
	if len(objects) == 0 {
		return
	}
	f.n += int64(len(objects))
	if f.steps.due(m.At) {
		for i := range f.fill {
			// Each partition advances after its own mentions so far.
			f.fill[i].marks = append(f.fill[i].marks, mark{pos: len(f.fill[i].mentions), wm: m.At, first: f.first})
		}
	}
	// One detect stage measures warm-up from the first mention its burst detector counts:
	// that of the first post with a time and an object other than a band (posts come in
	// event-time order). Its watermark step comes before its mentions, so the marks above
	// carry the time as it stood before this post.
	if f.first.IsZero() && !m.At.IsZero() && slices.ContainsFunc(objects, func(o string) bool { return o != "" && !isBand(o) }) {
		f.first = m.At
	}
	for _, o := range objects {
		p := &f.fill[objectPartition(o, len(f.parts))]
		p.mentions = append(p.mentions, *m)
		p.mentions[len(p.mentions)-1].Object = o
		if f.size++; f.size >= chunkMentions {
			f.send(false)
		}
	}
}

// send hands the chunk being filled to the partitions.
func (f *fanout) send(flush bool) {
	for i, p := range f.parts {
		c := f.fill[i]
		c.flush, c.first = flush, f.first
		p.in <- c
		f.fill[i] = chunk{}
		select {
		case f.fill[i].mentions = <-p.mentions:
		default:
			f.fill[i].mentions = make([]leakwatch.Mention, 0, chunkMentions/len(f.parts)+chunkMentions/8)
		}
	}
	f.size = 0
}

// finish flushes every partition, waits for the correlate goroutine and returns the result.
func (f *fanout) finish() Result {
	f.send(true)
	for _, p := range f.parts {
		close(p.in)
	}
	<-f.done
	r := f.r
	r.sum.Mentions = f.n
	var st DetectStats
	for _, p := range f.parts {
		s := p.d.Stats()
		st.Late += s.Late
		st.PairsSkipped += s.PairsSkipped
	}
	return r.result(st)
}

// run detects one partition's chunks in order.
func (p *partition) run() {
	defer close(p.out)
	for c := range p.in {
		var res partResult
		select {
		case res = <-p.results:
			res.outs, res.shares, res.refused = res.outs[:0], res.shares[:0], nil
		default:
		}
		at := 0
		add := func(until int) {
			for ; at < until; at++ {
				if err := p.d.add(&c.mentions[at]); err != nil {
					res.refused = append(res.refused, Refused{Mention: c.mentions[at], Reason: err.Error()})
				}
			}
		}
		// Detect reuses its co-share slice: copy the observations out, they leave for the
		// correlate goroutine.
		keep := func(mo markOut, o DetectOutput) {
			mo.lo = len(res.shares)
			res.shares = append(res.shares, o.CoShares...)
			mo.bursts, mo.hi = o.Bursts, len(res.shares)
			res.outs = append(res.outs, mo)
		}
		for _, mk := range c.marks {
			add(mk.pos)
			p.d.Begin(mk.first)
			keep(markOut{wm: mk.wm}, p.d.Advance(mk.wm))
		}
		add(len(c.mentions))
		if c.flush {
			p.d.Begin(c.first)
			keep(markOut{flush: true}, p.d.Flush())
		}
		clear(c.mentions) // the strings can go while the slice waits to be refilled
		select {
		case p.mentions <- c.mentions[:0]:
		default:
		}
		p.out <- res
	}
}

// correlate takes the partitions' results chunk by chunk: at each mark, every partition's
// output together, as runner.advance takes one detect stage's; the flush's, last, as
// runner.end does.
func (f *fanout) correlate() {
	defer close(f.done)
	r := f.r
	res := make([]partResult, len(f.parts))
	var shares []CoShare
	var bursts []leakwatch.Burst
	for {
		for i, p := range f.parts {
			x, ok := <-p.out
			if !ok {
				return
			}
			res[i] = x
			r.refused = append(r.refused, x.refused...)
		}
		// Every partition got the same marks, so has as many outputs, in the same order.
		for k, mo := range res[0].outs {
			// All partitions' output at this watermark together, as one detect would give it.
			all := DetectOutput{CoShares: shares[:0], Bursts: bursts[:0]}
			for i := range res {
				o := res[i].outs[k]
				all.CoShares = append(all.CoShares, res[i].shares[o.lo:o.hi]...)
				all.Bursts = append(all.Bursts, o.bursts...)
			}
			if mo.flush {
				r.end(all)
			} else {
				r.advance(all, mo.wm)
			}
			shares, bursts = all.CoShares, all.Bursts
		}
		clear(shares)
		clear(bursts)
		for i, p := range f.parts {
			clear(res[i].shares)
			select {
			case p.results <- res[i]:
			default:
			}
		}
	}
}

// objectPartition is the partition of an object: FNV-1a of its key, as fixed as the
// processor's partitioner (the result does not depend on it).
func objectPartition(key string, n int) int {
	if n == 1 {
		return 0
	}
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h % uint32(n))
}
