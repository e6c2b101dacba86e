package stages_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/stream"
	"github.com/leakwatch/leakwatch/stream/stages"
)

// running is one stage run in the background.
type running struct {
	stop func()        // ends the run and fails the test if the stage failed
	done chan struct{} // closed when the stage returned
	err  error         // what it returned, once done is closed
}

// start runs stage until the returned stop is called (the test ends it too).
func start(t *testing.T, stage string, cfg stages.Config) *running {
	t.Helper()
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{done: make(chan struct{})}
	go func() {
		r.err = stages.Run(ctx, stage, cfg, log, nil)
		close(r.done)
	}()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			<-r.done
			if r.err != nil {
				t.Errorf("%s stopped: %v", stage, r.err)
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

// waitFor polls cond until it holds or timeout passes, and reports whether it held.
func waitFor(timeout time.Duration, cond func() bool) bool {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// caughtUp reports whether stage's group committed every record of topics.
func caughtUp(t *testing.T, cfg stages.Config, stage string, topics ...string) bool {
	t.Helper()
	ctx := context.Background()
	for _, topic := range topics {
		ranges, err := stream.TopicRanges(ctx, cfg.Stream, topic)
		if err != nil {
			t.Fatal(err)
		}
		committed, err := stream.Committed(ctx, cfg.Stream, cfg.Stream.GroupPrefix+stage, topic)
		if err != nil {
			t.Fatal(err)
		}
		for p, r := range ranges {
			if r.End > r.First && committed[p] < r.End {
				return false
			}
		}
	}
	return true
}

// readAll returns every record of topic.
func readAll(t *testing.T, cfg stream.Config, topic string) []stream.Record {
	t.Helper()
	ctx := context.Background()
	ranges, err := stream.TopicRanges(ctx, cfg, topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []stream.Record
	for p, r := range ranges {
		err := stream.ReadPartition(ctx, cfg, topic, p, r.First, r.End, func(recs []stream.Record) error {
			out = append(out, recs...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func signals(t *testing.T, cfg stream.Config) []leakwatch.Signal {
	t.Helper()
	var out []leakwatch.Signal
	for _, r := range readAll(t, cfg, cfg.Topics.Signals) {
		s, err := stream.Decode[leakwatch.Signal](r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func write(t *testing.T, cfg stream.Config, msgs ...stream.Message) {
	t.Helper()
	w, err := stream.NewWriter(cfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)

// Correlate restarted must know every partition's history, not only the history of the
// partitions that get a new record: a group spans partitions, and a leak follows a site
// change read before the restart.
func TestRestartedCorrelateKnowsQuietPartitions(t *testing.T) {
	cfg := testConfig(t)
	tp := cfg.Stream.Topics
	// Four shared URLs make an edge; each pair's observations go to a partition of its own.
	edge := func(a, b string, part int) []stream.Message {
		var ms []stream.Message
		for i := range 4 {
			o := pipeline.CoShare{Kind: leakwatch.KindURL, Object: fmt.Sprintf("url:https://example.org/%s%s/%d", a, b, i), A: a, B: b,
				AAt: t0.Add(time.Duration(i) * time.Minute), BAt: t0.Add(time.Duration(i)*time.Minute + 5*time.Second), Sharers: 2}
			m, err := stream.EncodeAs(tp.CoShares, o.Key(), stages.SchemaCoShare, o)
			if err != nil {
				t.Fatal(err)
			}
			m.ToPartition(part)
			ms = append(ms, m)
		}
		return ms
	}
	deface, err := stream.EncodeSiteChange(tp.SiteChanges, leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: t0, Changed: []string{"content", "title"}, Defacement: true})
	if err != nil {
		t.Fatal(err)
	}
	deface.ToPartition(0)
	inputs := []string{tp.CoShares, tp.Signals, tp.SiteChanges}

	// a, b and c co-share each with the other two (a group needs a triangle), over two
	// partitions.
	write(t, cfg.Stream, slices.Concat(edge("a", "b", 0), edge("a", "c", 0), edge("b", "c", 1), []stream.Message{deface})...)
	c := start(t, stages.Correlate, cfg)
	if !waitFor(30*time.Second, func() bool {
		return caughtUp(t, cfg, stages.Correlate, inputs...) && hasGroup(signals(t, cfg.Stream), "a", "b", "c")
	}) {
		t.Fatalf("before the restart: no group a, b, c; signals %v", kinds(signals(t, cfg.Stream)))
	}
	c.stop()

	// After the restart only partition 2 of the co-shares and the burst's partition of the
	// signals get a record; the edges of partitions 0 and 1 and the site change stay quiet.
	burst, err := stream.EncodeSignal(tp.Signals, leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "domain:en-marche.fr", Onset: t0.Add(time.Hour), End: t0.Add(2 * time.Hour), Count: 40}})
	if err != nil {
		t.Fatal(err)
	}
	write(t, cfg.Stream, append(edge("c", "d", 2), burst)...)
	start(t, stages.Correlate, cfg)
	var sigs []leakwatch.Signal
	quiet := time.Time{}
	waitFor(30*time.Second, func() bool {
		sigs = signals(t, cfg.Stream)
		if hasGroup(sigs, "a", "b", "c", "d") && hasLeakAfter(sigs, "change:en-marche") {
			return true
		}
		// Give up a few seconds after correlate handled everything.
		if !caughtUp(t, cfg, stages.Correlate, inputs...) {
			quiet = time.Time{}
		} else if quiet.IsZero() {
			quiet = time.Now()
		}
		return !quiet.IsZero() && time.Since(quiet) > 3*time.Second
	})
	if !hasGroup(sigs, "a", "b", "c", "d") {
		t.Errorf("after the restart no group holds a, b, c and d: groups %v", groupsIn(sigs))
	}
	if !hasLeakAfter(sigs, "change:en-marche") {
		t.Errorf("after the restart the burst on en-marche.fr an hour after its defacement is no leak: signals %v", kinds(sigs))
	}
}

func groupsIn(sigs []leakwatch.Signal) [][]string {
	var out [][]string
	for _, s := range sigs {
		if s.Kind == leakwatch.SignalGroup {
			out = append(out, s.Group.Accounts)
		}
	}
	return out
}

func hasGroup(sigs []leakwatch.Signal, accounts ...string) bool {
	for _, g := range groupsIn(sigs) {
		if slices.Equal(g, accounts) {
			return true
		}
	}
	return false
}

func hasLeakAfter(sigs []leakwatch.Signal, evidence string) bool {
	for _, s := range sigs {
		if s.Kind == leakwatch.SignalLeak && slices.Contains(s.Leak.Evidence, evidence) {
			return true
		}
	}
	return false
}

func kinds(sigs []leakwatch.Signal) map[leakwatch.SignalKind]int { return count(sigs) }

// post is a post with a hashtag, sent to posts partition part.
func post(t *testing.T, cfg stages.Config, id, part int, at time.Time) stream.Message {
	t.Helper()
	p := leakwatch.Post{Platform: "twitter", ID: strconv.Itoa(id), URI: fmt.Sprintf("https://twitter.com/u%d/status/%d", id, id), CreatedAt: at, ObservedAt: at,
		Author: leakwatch.Account{ID: fmt.Sprint("u", id), Handle: fmt.Sprint("u", id)}, Text: "hello #macronleaks", Hashtags: []string{"macronleaks"}}
	m, err := stream.EncodePost(cfg.Stream.Topics.Posts, p)
	if err != nil {
		t.Fatal(err)
	}
	m.ToPartition(part)
	return m
}

// wmRecord is extract's watermark record as detect reads it.
type wmRecord struct {
	Source int       `json:"source"`
	At     time.Time `json:"at"`
}

// watermarks is the newest watermark of each posts partition on mentions partition 0.
func watermarks(t *testing.T, cfg stream.Config) map[int]time.Time {
	t.Helper()
	out := map[int]time.Time{}
	for _, r := range readAll(t, cfg, cfg.Topics.Mentions) {
		if r.Partition != 0 {
			continue
		}
		if typ, _ := r.Header(stream.HeaderType); typ != stages.SchemaWatermark.Type {
			continue
		}
		wm, err := stream.DecodeAs[wmRecord](r, stages.SchemaWatermark)
		if err != nil {
			t.Fatal(err)
		}
		if wm.At.After(out[wm.Source]) {
			out[wm.Source] = wm.At
		}
	}
	return out
}

// Extract restarted must declare a posts partition it had read to its end idle once the
// others move on, though that partition gets no new post: otherwise its watermark stays
// where the last run left it and detect releases nothing newer.
func TestRestartedExtractDeclaresQuietPartitionsIdle(t *testing.T) {
	cfg := testConfig(t)
	cfg.SourceIdle = 300 * time.Millisecond
	var ms []stream.Message
	for p := range 4 {
		ms = append(ms, post(t, cfg, p, p, t0.Add(time.Duration(p)*time.Second)))
	}
	write(t, cfg.Stream, ms...)
	all := func(at time.Time) func() bool {
		return func() bool {
			wms := watermarks(t, cfg.Stream)
			for p := range 4 {
				if wms[p].Before(at) {
					return false
				}
			}
			return true
		}
	}
	e := start(t, stages.Extract, cfg)
	if !waitFor(30*time.Second, func() bool {
		return caughtUp(t, cfg, stages.Extract, cfg.Stream.Topics.Posts) && all(t0.Add(3*time.Second))()
	}) {
		t.Fatalf("before the restart: watermarks %v, want every posts partition at %s", watermarks(t, cfg.Stream), t0.Add(3*time.Second))
	}
	e.stop()

	later := t0.Add(time.Hour)
	write(t, cfg.Stream, post(t, cfg, 100, 0, later))
	start(t, stages.Extract, cfg)
	if !waitFor(15*time.Second, all(later)) {
		t.Errorf("after the restart posts partitions 1-3 were never declared idle: watermarks %v, want every one at %s", watermarks(t, cfg.Stream), later)
	}
}

// mention is a mention record on mentions partition 0, from posts partition source ("" for
// no source header).
func mention(t *testing.T, cfg stream.Config, object, account string, at time.Time, source string) stream.Message {
	t.Helper()
	m, err := stream.EncodeMention(cfg.Topics.Mentions, leakwatch.Mention{Object: object, Account: account, Post: "https://twitter.com/" + account + "/status/" + strconv.FormatInt(at.Unix(), 10), Platform: "twitter", At: at})
	if err != nil {
		t.Fatal(err)
	}
	if source != "" {
		m.Headers = append(m.Headers, stream.Header{Key: stages.HeaderSourcePartition, Value: []byte(source)})
	}
	m.ToPartition(0)
	return m
}

// watermark is extract's watermark of posts partition source, on mentions partition 0.
func watermark(t *testing.T, cfg stream.Config, source int, at time.Time) stream.Message {
	t.Helper()
	m, err := stream.EncodeAs(cfg.Topics.Mentions, "watermark", stages.SchemaWatermark, wmRecord{Source: source, At: at})
	if err != nil {
		t.Fatal(err)
	}
	m.Headers = append(m.Headers, stream.Header{Key: stages.HeaderSourcePartition, Value: []byte(strconv.Itoa(source))})
	m.ToPartition(0)
	return m
}

// shared is two accounts sharing one URL five seconds apart (a co-share once counted), then
// a mention an hour later that moves detect's windows past it.
func shared(t *testing.T, cfg stream.Config) []stream.Message {
	return []stream.Message{
		mention(t, cfg, "url:https://example.org/dump", "alice", t0, "0"),
		mention(t, cfg, "url:https://example.org/dump", "bob", t0.Add(5*time.Second), "1"),
		mention(t, cfg, "hashtag:later", "carol", t0.Add(time.Hour), "0"),
	}
}

func coshares(t *testing.T, cfg stream.Config) int {
	t.Helper()
	return len(readAll(t, cfg, cfg.Topics.CoShares))
}

// A mention without a valid source partition cannot be ordered: it is dead-lettered with a
// reason naming it, and the mentions after it are counted as usual.
func TestDetectStageDeadLettersMentionsWithoutSource(t *testing.T) {
	cfg := testConfig(t)
	s := cfg.Stream
	bad := []stream.Message{
		mention(t, s, "hashtag:x", "dave", t0.Add(time.Second), ""),
		mention(t, s, "hashtag:x", "erin", t0.Add(2*time.Second), "x"),
		mention(t, s, "hashtag:x", "frank", t0.Add(3*time.Second), "7"),
		watermark(t, s, 9, t0.Add(3*time.Hour)),
	}
	msgs := slices.Concat(shared(t, s)[:2], bad, shared(t, s)[2:])
	for src := range 4 {
		msgs = append(msgs, watermark(t, s, src, t0.Add(2*time.Hour)))
	}
	write(t, s, msgs...)
	start(t, stages.Detect, cfg)
	var dead []stream.DeadLetter
	waitFor(30*time.Second, func() bool {
		dead = dead[:0]
		for _, r := range readAll(t, s, s.Topics.DeadLetter) {
			d, err := stream.ParseDeadLetter(r)
			if err != nil {
				t.Fatal(err)
			}
			dead = append(dead, d)
		}
		return len(dead) >= len(bad) && coshares(t, s) > 0
	})
	if n := coshares(t, s); n == 0 {
		t.Errorf("the co-share of alice and bob was never counted: the mentions after those without a source are held")
	}
	if len(dead) != len(bad) {
		t.Fatalf("%d dead letters, want %d (no source, source \"x\", source 7, watermark of source 9)", len(dead), len(bad))
	}
	for _, d := range dead {
		where := fmt.Sprintf("%s/%d@%d", d.Topic, d.Partition, d.Offset)
		if d.Stage != stages.Detect || !strings.Contains(d.Reason, where) || !strings.Contains(d.Reason, stages.HeaderSourcePartition) {
			t.Errorf("dead letter of %s by %s: reason %q, want detect naming the record and the header", where, d.Stage, d.Reason)
		}
	}
}

// held is mentions detect holds: alice and bob shared a URL, but only posts partitions 0 and
// 1 sent a watermark past them.
func held(t *testing.T, cfg stream.Config) []stream.Message {
	return append(shared(t, cfg), watermark(t, cfg, 0, t0.Add(2*time.Hour)), watermark(t, cfg, 1, t0.Add(2*time.Hour)))
}

// Windows a detect run held when it stopped are flushed by the next run with --flush-idle,
// though no new record arrives.
func TestRestartedDetectFlushesHeldWindows(t *testing.T) {
	cfg := testConfig(t)
	cfg.SourceIdle = 500 * time.Millisecond
	write(t, cfg.Stream, held(t, cfg.Stream)...)
	d := start(t, stages.Detect, cfg) // live: nothing is flushed
	if !waitFor(30*time.Second, func() bool { return caughtUp(t, cfg, stages.Detect, cfg.Stream.Topics.Mentions) }) {
		t.Fatal("detect never committed the mentions")
	}
	d.stop()
	if n := coshares(t, cfg.Stream); n != 0 {
		t.Fatalf("%d co-shares before the flush: the test needs held mentions", n)
	}
	cfg.FlushIdle = time.Second
	start(t, stages.Detect, cfg)
	if !waitFor(20*time.Second, func() bool { return coshares(t, cfg.Stream) > 0 }) {
		t.Errorf("the restarted detect never flushed the co-share of alice and bob it held")
	}
}

// proxy forwards TCP connections to a broker and can be cut, as a broker outage is seen by
// new connections. The broker advertises its own address, so only bootstrap connections
// (admin requests, a new consumer or reader) pass through it.
type proxy struct {
	addr, to string
	mu       sync.Mutex
	ln       net.Listener
	conns    []net.Conn
}

func newProxy(t *testing.T, to string) *proxy {
	p := &proxy{to: to}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", p.to)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(b, c); b.Close() }()
			go func() { _, _ = io.Copy(c, b); c.Close() }()
		}
	}()
}

// cut closes the listener and every forwarded connection: new connections are refused.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.serve(ln)
}

// Detect with --flush-idle checks the mentions partitions' ends before it flushes: a broker
// outage then must be waited out, as fetches and writes wait it out, not stop the stage.
func TestDetectStageWaitsOutAnOutageBeforeFlushing(t *testing.T) {
	cfg := testConfig(t)
	cfg.SourceIdle = 500 * time.Millisecond
	cfg.FlushIdle = 2 * time.Second
	write(t, cfg.Stream, held(t, cfg.Stream)...)
	direct := cfg
	px := newProxy(t, cfg.Stream.Brokers[0])
	cfg.Stream.Brokers = []string{px.addr}
	d := start(t, stages.Detect, cfg)
	if !waitFor(30*time.Second, func() bool { return caughtUp(t, direct, stages.Detect, cfg.Stream.Topics.Mentions) }) {
		t.Fatal("detect never committed the mentions")
	}
	px.cut() // before the flush is due
	select {
	case <-d.done:
		t.Fatal("detect stopped during a broker outage") // stop reports why
	case <-time.After(cfg.FlushIdle + 3*time.Second):
	}
	px.restore(t)
	if !waitFor(20*time.Second, func() bool { return coshares(t, direct.Stream) > 0 }) {
		t.Errorf("detect never flushed after the broker came back")
	}
}

// A post dated outside 1990..2099, or days ahead of the stage's clock, would move its
// partition's watermark there and make every later post late: extract dead-letters it with
// a reason naming it, and the partition's watermark stays with the posts around it.
func TestExtractDeadLettersPostsDatedAhead(t *testing.T) {
	cfg := testConfig(t)
	ahead := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	write(t, cfg.Stream,
		post(t, cfg, 1, 0, t0),
		post(t, cfg, 2, 0, time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC)),
		post(t, cfg, 3, 0, ahead),
		post(t, cfg, 4, 0, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)),
		post(t, cfg, 5, 0, t0.Add(time.Minute)),
	)
	start(t, stages.Extract, cfg)
	var dead []stream.DeadLetter
	waitFor(30*time.Second, func() bool {
		dead = dead[:0]
		for _, r := range readAll(t, cfg.Stream, cfg.Stream.Topics.DeadLetter) {
			d, err := stream.ParseDeadLetter(r)
			if err != nil {
				t.Fatal(err)
			}
			dead = append(dead, d)
		}
		return len(dead) >= 3 && !watermarks(t, cfg.Stream)[0].Before(t0.Add(time.Minute))
	})
	want := []string{"u2/status/2: created_at 2263-01-01T00:00:00Z: outside 1990..2099", "u3/status/3: created_at " + ahead.UTC().Format(time.RFC3339) + " is 4", "u4/status/4: created_at 1970-01-01T00:00:00Z: outside 1990..2099"}
	if len(dead) != len(want) {
		t.Fatalf("%d dead letters %+v, want the 2263, the 48 h ahead and the 1970 posts", len(dead), dead)
	}
	for i, d := range dead {
		if d.Stage != stages.Extract || !strings.Contains(d.Reason, want[i]) {
			t.Errorf("dead letter %d by %s: %q, want extract saying %q", i, d.Stage, d.Reason, want[i])
		}
	}
	if wm := watermarks(t, cfg.Stream)[0]; !wm.Equal(t0.Add(time.Minute)) {
		t.Errorf("posts partition 0's watermark %s, want the last good post's %s", wm, t0.Add(time.Minute))
	}
}

// Correlate reads the site changes and the signals at their own paces: after a restart with
// a backlog, a burst about a site can come before the defacement it follows. The leak must
// still be found, as the batch analysis finds it with the change first; it was lost, with
// its critical alert.
func TestCorrelateFindsALeakWhoseChangeComesAfterItsBurst(t *testing.T) {
	cfg := testConfig(t)
	tp := cfg.Stream.Topics
	burst, err := stream.EncodeSignal(tp.Signals, leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "domain:en-marche.fr", Onset: t0.Add(5 * time.Minute), End: t0.Add(time.Hour), Count: 40}})
	if err != nil {
		t.Fatal(err)
	}
	deface, err := stream.EncodeSiteChange(tp.SiteChanges, leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: t0, Changed: []string{"content", "title"}, Defacement: true})
	if err != nil {
		t.Fatal(err)
	}
	write(t, cfg.Stream, burst)
	start(t, stages.Correlate, cfg)
	if !waitFor(30*time.Second, func() bool { return caughtUp(t, cfg, stages.Correlate, tp.Signals) }) {
		t.Fatal("correlate never read the burst")
	}
	write(t, cfg.Stream, deface)
	if !waitFor(30*time.Second, func() bool { return hasLeakAfter(signals(t, cfg.Stream), "defacement:en-marche") }) {
		t.Fatalf("no leak after the defacement read after its burst; signals %v", kinds(signals(t, cfg.Stream)))
	}
	var alerted bool
	for _, r := range readAll(t, cfg.Stream, tp.Alerts) {
		a, err := stream.Decode[leakwatch.Alert](r)
		alerted = alerted || err == nil && a.Kind == leakwatch.SignalLeak
	}
	if !alerted {
		t.Error("the leak raised no alert")
	}
}
