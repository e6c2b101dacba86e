package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/internal/health"
)

// EmitFunc receives every record a source read, Bad records included (the caller
// dead-letters them). An error stops the source: the record could not be handed on, and
// reading more would lose it. Under RunAll it is called from several goroutines at once.
type EmitFunc func(ctx context.Context, r Record) error

// RunConfig is how Run retries a source. The zero value is not valid; start from
// DefaultRunConfig.
type RunConfig struct {
	// InitialBackoff is the wait before the first reconnect.
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	// MaxBackoff caps the wait, however many attempts failed.
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// Multiplier grows the wait after each failed attempt.
	Multiplier float64 `yaml:"multiplier"`
	// Jitter is the fraction of each wait drawn at random (0.5: between half and all of it),
	// so many collectors dropped at once by one outage do not reconnect in lockstep.
	Jitter float64 `yaml:"jitter"`
	// HealthyAfter is how long a connection must last for the backoff to start over; a server
	// that accepts and drops at once is still backed off.
	HealthyAfter time.Duration `yaml:"healthy_after"`
	// MaxAttempts stops the source after this many failures in a row (0: never give up).
	MaxAttempts int `yaml:"max_attempts"`
	// CloseTimeout bounds Close, which also runs at shutdown when ctx is already done.
	CloseTimeout time.Duration `yaml:"close_timeout"`
}

// DefaultRunConfig starts at 1 s and caps at 5 min, the range Twitter's and Jetstream's
// reconnect guidance asks of streaming clients.
func DefaultRunConfig() RunConfig {
	return RunConfig{
		InitialBackoff: time.Second,
		MaxBackoff:     5 * time.Minute,
		Multiplier:     2,
		Jitter:         0.5,
		HealthyAfter:   time.Minute,
		CloseTimeout:   5 * time.Second,
	}
}

// Validate names the first field that makes no sense.
func (c RunConfig) Validate() error {
	switch {
	case c.InitialBackoff <= 0:
		return fmt.Errorf("initial_backoff: must be positive, got %v", c.InitialBackoff)
	case c.MaxBackoff < c.InitialBackoff:
		return fmt.Errorf("max_backoff: %v is below initial_backoff %v", c.MaxBackoff, c.InitialBackoff)
	case c.Multiplier < 1:
		return fmt.Errorf("multiplier: must be at least 1, got %v", c.Multiplier)
	case c.Jitter < 0 || c.Jitter > 1:
		return fmt.Errorf("jitter: must be within [0,1], got %v", c.Jitter)
	case c.HealthyAfter < 0:
		return fmt.Errorf("healthy_after: must not be negative, got %v", c.HealthyAfter)
	case c.MaxAttempts < 0:
		return fmt.Errorf("max_attempts: must not be negative, got %d", c.MaxAttempts)
	case c.CloseTimeout <= 0:
		return fmt.Errorf("close_timeout: must be positive, got %v", c.CloseTimeout)
	}
	return nil
}

// Backoff returns the wait before reconnect attempt n (1 for the first), before jitter.
func (c RunConfig) Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := float64(c.InitialBackoff) * math.Pow(c.Multiplier, float64(n-1))
	if d > float64(c.MaxBackoff) || math.IsInf(d, 0) || math.IsNaN(d) {
		return c.MaxBackoff
	}
	return time.Duration(d)
}

// jittered draws the actual wait: the top Jitter fraction of d is random.
func (c RunConfig) jittered(d time.Duration, r float64) time.Duration {
	return d - time.Duration(float64(d)*c.Jitter*r)
}

// permanent marks an error retrying cannot fix (rejected credentials, a malformed request).
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so Run stops the source instead of reconnecting.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool { return errors.As(err, new(permanent)) }

// partial marks a failure of one part of a source (one feed of many) that the source has
// dealt with itself (it tries that part again later): the rest goes on.
type partial struct{ err error }

func (p partial) Error() string { return p.err.Error() }
func (p partial) Unwrap() error { return p.err }

// Partial wraps err, a failure of one part of a source that it retries by itself, so Run logs
// it and reads on instead of closing and reconnecting the whole source: one dead feed URL
// held back every feed of the source for up to max_backoff.
func Partial(err error) error {
	if err == nil {
		return nil
	}
	return partial{err}
}

// retryAfter carries a server's "not before" time (HTTP 429 with a reset header).
type retryAfter struct {
	err   error
	until time.Time
}

func (r retryAfter) Error() string { return r.err.Error() }
func (r retryAfter) Unwrap() error { return r.err }

// RetryAfter wraps err so Run waits at least until t before reconnecting, even when the
// backoff would be shorter: reconnecting earlier only extends a rate-limit penalty.
func RetryAfter(err error, t time.Time) error {
	if err == nil {
		return nil
	}
	return retryAfter{err, t}
}

// RetryAfterTime returns the time set by RetryAfter, if any.
func RetryAfterTime(err error) (time.Time, bool) {
	var r retryAfter
	if errors.As(err, &r) {
		return r.until, true
	}
	return time.Time{}, false
}

// Metrics are the per-source counters of Run, labelled by source name.
type Metrics struct {
	records    *prometheus.CounterVec
	reconnects *prometheus.CounterVec
	failures   *prometheus.CounterVec
	notices    *prometheus.CounterVec
	connected  *prometheus.GaugeVec
	lastRecord *prometheus.GaugeVec
	// health hears of a source failing and connecting again, for /readyz.
	health *health.Board
}

// NewMetrics creates the collector metrics and registers them on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_collector_records_total",
			Help: "Records read from a source, by kind (post, change, bad).",
		}, []string{"source", "kind"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_collector_reconnects_total",
			Help: "Connections lost or refused that were retried after a backoff.",
		}, []string{"source"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_collector_failures_total",
			Help: "Connect or read failures, by phase (connect, read).",
		}, []string{"source", "phase"}),
		notices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_collector_notices_total",
			Help: "Platform notices that are not posts (deletions, rate-limit and stall warnings, duplicates skipped), by kind.",
		}, []string{"source", "kind"}),
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "leakwatch_collector_connected",
			Help: "1 while the source is connected.",
		}, []string{"source"}),
		lastRecord: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "leakwatch_collector_last_record_timestamp_seconds",
			Help: "Unix time of the last record read, so a silent stream can be alerted on.",
		}, []string{"source"}),
	}
	if reg != nil {
		reg.MustRegister(m.records, m.reconnects, m.failures, m.notices, m.connected, m.lastRecord)
		m.health = health.On(reg)
	}
	return m
}

// Notice counts a platform notice that is not a record (kind: "delete", "limit", ...).
// A nil *Metrics counts nothing, so sources built without metrics need no checks.
func (m *Metrics) Notice(source, kind string) {
	if m != nil {
		m.notices.WithLabelValues(source, kind).Inc()
	}
}

func (m *Metrics) record(source string, r Record, now time.Time) {
	if m == nil {
		return
	}
	kind := "post"
	switch {
	case r.Bad != nil:
		kind = "bad"
	case r.Change != nil:
		kind = "change"
	}
	m.records.WithLabelValues(source, kind).Inc()
	m.lastRecord.WithLabelValues(source).Set(float64(now.UnixNano()) / 1e9)
}

func (m *Metrics) failure(source, phase string) {
	if m != nil {
		m.failures.WithLabelValues(source, phase).Inc()
	}
}

// reconnect counts a failure of source that Run waits out, then connects again after.
func (m *Metrics) reconnect(source string, err error) {
	if m != nil {
		m.reconnects.WithLabelValues(source).Inc()
		m.health.Fail("collect "+source, err)
	}
}

func (m *Metrics) setConnected(source string, up bool) {
	if m != nil {
		v := 0.0
		if up {
			v = 1
			m.health.OK("collect " + source)
		}
		m.connected.WithLabelValues(source).Set(v)
	}
}

// RunOptions are what Run needs besides the source. Log and Metrics may be nil; a zero
// Config means DefaultRunConfig.
type RunOptions struct {
	Config  RunConfig
	Log     *slog.Logger
	Metrics *Metrics

	// sleep and rand replace time and randomness in tests.
	sleep func(ctx context.Context, d time.Duration) error
	rand  func() float64
	now   func() time.Time
}

// Run reads src until ctx ends, the source reports ErrEndOfInput, emit fails, or a
// permanent error (or MaxAttempts failures in a row) stops it. It is the one place that
// reconnects: any other Connect or Read error (ErrNotConnected, a dropped stream, HTTP 5xx)
// closes the source, waits an exponential backoff with jitter (at least until a RetryAfter
// time), and connects again. Bad records are emitted like any other. Run returns nil when
// ctx is cancelled or the input ended.
func Run(ctx context.Context, src Source, emit EmitFunc, opts RunOptions) error {
	cfg := opts.Config
	if cfg == (RunConfig{}) {
		cfg = DefaultRunConfig()
	}
	name := src.Name()
	// The series exists from the start: a source that never connects (a refused token, a
	// rate limit waited out) must show 0, or an alert on "== 0" has nothing to fire on.
	opts.Metrics.setConnected(name, false)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("source %s: run config: %w", name, err)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("source", name)
	sleep, rnd, now := opts.sleep, opts.rand, opts.now
	if sleep == nil {
		sleep = sleepCtx
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	if now == nil {
		now = time.Now
	}
	m := opts.Metrics

	failures := 0
	// retry decides what a failure means: stop (returning the error), or wait and go on.
	retry := func(phase string, err error, connectedFor time.Duration) error {
		m.failure(name, phase)
		if IsPermanent(err) {
			log.Error("source stopped: error cannot be fixed by reconnecting", "phase", phase, "err", err)
			return fmt.Errorf("source %s: %s: %w", name, phase, err)
		}
		if cfg.HealthyAfter > 0 && connectedFor >= cfg.HealthyAfter {
			failures = 0
		}
		failures++
		if cfg.MaxAttempts > 0 && failures >= cfg.MaxAttempts {
			log.Error("source stopped: too many failures in a row", "failures", failures, "err", err)
			return fmt.Errorf("source %s: %s: giving up after %d failures in a row: %w", name, phase, failures, err)
		}
		m.reconnect(name, err)
		wait := cfg.jittered(cfg.Backoff(failures), rnd())
		if until, ok := RetryAfterTime(err); ok {
			if d := until.Sub(now()); d > wait {
				wait = d
			}
		}
		log.Warn("source failed, reconnecting", "phase", phase, "attempt", failures, "wait", wait, "err", err)
		if err := sleep(ctx, wait); err != nil {
			return nil // shutdown while waiting
		}
		return errRetry
	}

	for {
		if ctx.Err() != nil {
			return nil
		}
		if err := src.Connect(ctx); err != nil {
			closeSource(ctx, src, cfg, log)
			if ctx.Err() != nil {
				return nil
			}
			if err := retry("connect", err, 0); err != errRetry {
				return err
			}
			continue
		}
		connectedAt := now()
		m.setConnected(name, true)
		log.Info("source connected")

		readErr := func() error {
			for {
				r, err := src.Read(ctx)
				if p := (partial{}); errors.As(err, &p) && ctx.Err() == nil {
					m.failure(name, "read")
					log.Warn("part of the source failed; the rest goes on", "err", p.err)
					continue
				}
				if err != nil {
					return err
				}
				if r.Post == nil && r.Change == nil && r.Bad == nil {
					r.Bad = &BadRecord{Source: name, Ref: "read", Err: errors.New("source returned an empty record")}
				}
				m.record(name, r, now())
				if r.Bad != nil {
					log.Warn("bad record", "ref", r.Bad.Ref, "err", r.Bad.Err)
				}
				if err := emit(ctx, r); err != nil {
					return emitError{err}
				}
			}
		}()
		m.setConnected(name, false)
		closeSource(ctx, src, cfg, log)

		var ee emitError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(readErr, &ee):
			log.Error("source stopped: emit failed", "err", ee.err)
			return fmt.Errorf("source %s: emit: %w", name, ee.err)
		case errors.Is(readErr, ErrEndOfInput):
			log.Info("source finished")
			return nil
		}
		if err := retry("read", readErr, now().Sub(connectedAt)); err != errRetry {
			return err
		}
	}
}

var errRetry = errors.New("retry")

type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }

// closeSource closes with its own deadline: at shutdown ctx is already done, and a source
// must still get the chance to close its connection cleanly.
func closeSource(ctx context.Context, src Source, cfg RunConfig, log *slog.Logger) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.CloseTimeout)
	defer cancel()
	if err := src.Close(cctx); err != nil {
		log.Warn("close failed", "err", err)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RunAll runs every source with Run until all have stopped. A source that stops with an
// error does not stop the others (one platform's rejected token must not blind the monitor
// to the rest); its error is logged at once, shows as leakwatch_collector_connected 0, and
// is returned, joined with the others', when all are done.
func RunAll(ctx context.Context, srcs []Source, emit EmitFunc, opts RunOptions) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, s := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Run(ctx, s, emit, opts); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
