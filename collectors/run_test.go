package collectors

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/leakwatch/leakwatch"
)

// step is one scripted answer of the fake source.
type step struct {
	connectErr error         // answer to Connect (steps with connectErr are used by Connect only)
	post       string        // Read returns a post with this id
	bad        string        // Read returns a Bad record with this ref
	readErr    error         // Read returns this error
	lasts      time.Duration // the fake clock advances this much before the answer
}

// fakeSource replays steps in order; Connect consumes connect steps, Read the others.
type fakeSource struct {
	t       *testing.T
	clock   *fakeClock
	steps   []step
	i       int
	up      bool
	connect int
	closes  int
}

func (f *fakeSource) Name() string { return "fake" }

func (f *fakeSource) Connect(ctx context.Context) error {
	f.connect++
	if f.i < len(f.steps) && f.steps[f.i].connectErr != nil {
		s := f.steps[f.i]
		f.i++
		return s.connectErr
	}
	f.up = true
	return nil
}

func (f *fakeSource) Read(ctx context.Context) (Record, error) {
	if !f.up {
		f.t.Fatal("Read called while not connected")
	}
	if f.i >= len(f.steps) {
		return Record{}, ErrEndOfInput
	}
	s := f.steps[f.i]
	f.i++
	f.clock.advance(s.lasts)
	switch {
	case s.connectErr != nil:
		f.t.Fatalf("step %d is a connect step but Read was called", f.i-1)
	case s.readErr != nil:
		f.up = false
		return Record{}, s.readErr
	case s.bad != "":
		return Record{Bad: &BadRecord{Source: "fake", Ref: s.bad, Err: errors.New("cannot decode")}}, nil
	}
	return Record{Post: &leakwatch.Post{ID: s.post}}, nil
}

func (f *fakeSource) Close(ctx context.Context) error {
	if ctx.Err() != nil {
		f.t.Error("Close got a done context")
	}
	f.closes++
	f.up = false
	return nil
}

type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func testConfig() RunConfig {
	c := DefaultRunConfig()
	c.InitialBackoff, c.MaxBackoff, c.HealthyAfter = time.Second, 10*time.Second, time.Minute
	return c
}

type collected struct {
	mu   sync.Mutex
	ids  []string
	errs []string
}

func (c *collected) emit(ctx context.Context, r Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.Bad != nil {
		c.ids = append(c.ids, "bad:"+r.Bad.Ref)
		return nil
	}
	c.ids = append(c.ids, r.Post.ID)
	return nil
}

var errDrop = errors.New("connection reset by peer")

func TestRun(t *testing.T) {
	refused := errors.New("connection refused")
	tests := []struct {
		name     string
		steps    []step
		cfg      func(*RunConfig)
		wantIDs  string
		wantWait []time.Duration
		wantErr  string // substring; "" for nil
	}{
		{
			name:     "connect fails three times then reads to the end",
			steps:    []step{{connectErr: refused}, {connectErr: refused}, {connectErr: refused}, {post: "1"}, {post: "2"}},
			wantIDs:  "1,2",
			wantWait: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
		},
		{
			name:     "backoff is capped",
			steps:    []step{{connectErr: refused}, {connectErr: refused}, {connectErr: refused}, {connectErr: refused}, {connectErr: refused}, {post: "1"}},
			wantIDs:  "1",
			wantWait: []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second},
		},
		{
			name:     "stream drops mid-way and resumes; nothing read is lost",
			steps:    []step{{post: "1"}, {post: "2"}, {readErr: ErrNotConnected}, {post: "3"}, {readErr: errDrop}, {post: "4"}},
			wantIDs:  "1,2,3,4",
			wantWait: []time.Duration{time.Second, 2 * time.Second},
		},
		{
			name: "a healthy connection resets the backoff",
			steps: []step{{connectErr: refused}, {connectErr: refused}, {post: "1"},
				{readErr: errDrop, lasts: 2 * time.Minute}, {post: "2"}},
			wantIDs:  "1,2",
			wantWait: []time.Duration{time.Second, 2 * time.Second, time.Second},
		},
		{
			name:     "a connection dropped at once keeps growing the backoff",
			steps:    []step{{connectErr: refused}, {readErr: errDrop, lasts: time.Second}, {readErr: errDrop}, {post: "1"}},
			wantIDs:  "1",
			wantWait: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
		},
		{
			name:     "bad records are emitted, not dropped",
			steps:    []step{{post: "1"}, {bad: "line 2"}, {post: "3"}},
			wantIDs:  "1,bad:line 2,3",
			wantWait: nil,
		},
		{
			name:    "permanent error stops without waiting",
			steps:   []step{{connectErr: Permanent(errors.New("HTTP 401: invalid token"))}},
			wantErr: "source fake: connect: HTTP 401: invalid token",
		},
		{
			name:     "permanent read error stops",
			steps:    []step{{post: "1"}, {readErr: Permanent(errors.New("HTTP 403"))}},
			wantIDs:  "1",
			wantErr:  "source fake: read: HTTP 403",
			wantWait: nil,
		},
		{
			name:     "max attempts gives up",
			steps:    []step{{connectErr: refused}, {connectErr: refused}, {connectErr: refused}},
			cfg:      func(c *RunConfig) { c.MaxAttempts = 3 },
			wantWait: []time.Duration{time.Second, 2 * time.Second},
			wantErr:  "giving up after 3 failures in a row: connection refused",
		},
		{
			name:     "retry-after beats a shorter backoff",
			steps:    []step{{connectErr: RetryAfter(errors.New("HTTP 429"), time.Unix(1000+90, 0))}, {post: "1"}},
			wantIDs:  "1",
			wantWait: []time.Duration{90 * time.Second},
		},
		{
			name:     "retry-after in the past leaves the backoff",
			steps:    []step{{connectErr: RetryAfter(errors.New("HTTP 429"), time.Unix(10, 0))}, {post: "1"}},
			wantIDs:  "1",
			wantWait: []time.Duration{time.Second},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1000, 0)}
			src := &fakeSource{t: t, clock: clock, steps: tc.steps}
			cfg := testConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			var got collected
			err := Run(context.Background(), src, got.emit, RunOptions{
				Config: cfg, sleep: clock.sleep, now: clock.now, rand: func() float64 { return 0 },
			})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if ids := strings.Join(got.ids, ","); ids != tc.wantIDs {
				t.Errorf("emitted %q, want %q", ids, tc.wantIDs)
			}
			if fmt.Sprint(clock.waits) != fmt.Sprint(tc.wantWait) {
				t.Errorf("waits = %v, want %v", clock.waits, tc.wantWait)
			}
			if src.closes != src.connect {
				t.Errorf("connected %d times but closed %d times", src.connect, src.closes)
			}
		})
	}
}

func TestRunJitter(t *testing.T) {
	cfg := testConfig()
	cfg.Jitter = 0.5
	for _, tc := range []struct {
		r    float64
		want time.Duration
	}{{0, 4 * time.Second}, {0.5, 3 * time.Second}, {1, 2 * time.Second}} {
		if got := cfg.jittered(cfg.Backoff(3), tc.r); got != tc.want {
			t.Errorf("jittered(backoff 3, r=%v) = %v, want %v", tc.r, got, tc.want)
		}
	}
	if got := cfg.Backoff(1000); got != cfg.MaxBackoff {
		t.Errorf("Backoff(1000) = %v, want the cap %v", got, cfg.MaxBackoff)
	}
}

func TestRunEmitErrorStops(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	src := &fakeSource{t: t, clock: clock, steps: []step{{post: "1"}, {post: "2"}}}
	full := errors.New("kafka: not enough replicas")
	n := 0
	err := Run(context.Background(), src, func(ctx context.Context, r Record) error {
		n++
		return full
	}, RunOptions{Config: testConfig(), sleep: clock.sleep, now: clock.now})
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "source fake: emit") {
		t.Fatalf("err = %v, want the emit error", err)
	}
	if n != 1 || src.closes != 1 {
		t.Errorf("emitted %d, closed %d; want 1 and 1", n, src.closes)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	src := &fakeSource{t: t, clock: &fakeClock{}, steps: []step{{connectErr: errors.New("refused")}}}
	cfg := testConfig()
	cfg.InitialBackoff = time.Hour
	cfg.MaxBackoff = time.Hour
	done := make(chan error)
	go func() { done <- Run(ctx, src, (&collected{}).emit, RunOptions{Config: cfg}) }()
	cancel() // Run is (or will be) in its hour-long backoff with the real sleep
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
}

func TestRunMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics(reg)
	clock := &fakeClock{t: time.Unix(5000, 0)}
	src := &fakeSource{t: t, clock: clock, steps: []step{
		{connectErr: errors.New("refused")}, {post: "1"}, {bad: "x"}, {readErr: errDrop}, {post: "2"},
	}}
	if err := Run(context.Background(), src, (&collected{}).emit, RunOptions{Config: testConfig(), Metrics: m, sleep: clock.sleep, now: clock.now}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    prometheus.Metric
		want float64
	}{
		{m.records.WithLabelValues("fake", "post"), 2},
		{m.records.WithLabelValues("fake", "bad"), 1},
		{m.reconnects.WithLabelValues("fake"), 2},
		{m.failures.WithLabelValues("fake", "connect"), 1},
		{m.failures.WithLabelValues("fake", "read"), 1},
		{m.connected.WithLabelValues("fake"), 0},
	} {
		if got := value(t, tc.c); got != tc.want {
			t.Errorf("%v = %v, want %v", tc.c.Desc(), got, tc.want)
		}
	}
	if _, err := reg.Gather(); err != nil {
		t.Errorf("gather: %v", err)
	}
}

// connectedSeries reads leakwatch_collector_connected{source} from what reg exposes (not
// through the vector, which would create the series it is asked about).
func connectedSeries(t *testing.T, reg prometheus.Gatherer, source string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "leakwatch_collector_connected" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "source" && l.GetValue() == source {
					return m.GetGauge().GetValue(), true
				}
			}
		}
	}
	return 0, false
}

// checkingSource checks the connected series each time it is asked to connect.
type checkingSource struct {
	fakeSource
	check func()
}

func (c *checkingSource) Connect(ctx context.Context) error {
	c.check()
	return c.fakeSource.Connect(ctx)
}

// A source that never connects (a refused token, a rule rejected, a rate limit waited out)
// once had no connected series at all, so an alert on "== 0" never fired for it.
func TestRunConnectedSeriesWhileNotConnected(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"stopped by a permanent error", []step{{connectErr: Permanent(errors.New("HTTP 401"))}}},
		{"waiting out a rate limit", []step{{connectErr: RetryAfter(errors.New("HTTP 429"), time.Unix(9000, 0))}}},
		{"dropped after connecting", []step{{post: "1"}, {readErr: Permanent(errors.New("token revoked"))}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			m := NewMetrics(reg)
			clock := &fakeClock{t: time.Unix(5000, 0)}
			src := &checkingSource{fakeSource: fakeSource{t: t, clock: clock, steps: tc.steps}}
			src.check = func() {
				if v, ok := connectedSeries(t, reg, "fake"); !ok || v != 0 {
					t.Errorf("before connect %d: connected series %v (exists %v), want 0", src.connect+1, v, ok)
				}
			}
			sleep := func(ctx context.Context, d time.Duration) error {
				if v, ok := connectedSeries(t, reg, "fake"); !ok || v != 0 {
					t.Errorf("while waiting to reconnect: connected series %v (exists %v), want 0", v, ok)
				}
				return clock.sleep(ctx, d)
			}
			Run(context.Background(), src, (&collected{}).emit, RunOptions{Config: testConfig(), Metrics: m, sleep: sleep, now: clock.now})
			if v, ok := connectedSeries(t, reg, "fake"); !ok || v != 0 {
				t.Errorf("after the source stopped: connected series %v (exists %v), want 0", v, ok)
			}
		})
	}
}

func TestRunAllKeepsOthersRunning(t *testing.T) {
	clock := &fakeClock{}
	good := &namedSource{fakeSource{t: t, clock: clock, steps: []step{{post: "a"}, {post: "b"}}}, "good"}
	broken := &namedSource{fakeSource{t: t, clock: clock, steps: []step{{connectErr: Permanent(errors.New("HTTP 401"))}}}, "broken"}
	var got collected
	err := RunAll(context.Background(), []Source{broken, good}, got.emit, RunOptions{Config: testConfig(), sleep: clock.sleep, now: clock.now})
	if err == nil || !strings.Contains(err.Error(), "source broken: connect: HTTP 401") {
		t.Fatalf("err = %v", err)
	}
	if strings.Join(got.ids, ",") != "a,b" {
		t.Errorf("good source emitted %v", got.ids)
	}
}

type namedSource struct {
	fakeSource
	name string
}

func (n *namedSource) Name() string { return n.name }

func TestRunConfigValidate(t *testing.T) {
	if err := DefaultRunConfig().Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	tests := []struct {
		field  string
		mutate func(*RunConfig)
	}{
		{"initial_backoff", func(c *RunConfig) { c.InitialBackoff = 0 }},
		{"max_backoff", func(c *RunConfig) { c.MaxBackoff = c.InitialBackoff / 2 }},
		{"multiplier", func(c *RunConfig) { c.Multiplier = 0.5 }},
		{"jitter", func(c *RunConfig) { c.Jitter = 1.5 }},
		{"healthy_after", func(c *RunConfig) { c.HealthyAfter = -1 }},
		{"max_attempts", func(c *RunConfig) { c.MaxAttempts = -1 }},
		{"close_timeout", func(c *RunConfig) { c.CloseTimeout = 0 }},
	}
	for _, tc := range tests {
		c := DefaultRunConfig()
		tc.mutate(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.field+":") {
			t.Errorf("%s: err = %v, want it named", tc.field, err)
		}
	}
}

func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	t.Fatalf("%v is neither counter nor gauge", m.Desc())
	return 0
}

func TestRunRejectsInvalidConfig(t *testing.T) {
	cfg := testConfig()
	cfg.Jitter = 2
	err := Run(context.Background(), &fakeSource{t: t, clock: &fakeClock{}}, (&collected{}).emit, RunOptions{Config: cfg})
	if err == nil || !strings.Contains(err.Error(), "source fake: run config: jitter:") {
		t.Fatalf("err = %v", err)
	}
}
