package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Receiver is one named destination with its own dedup memory and retries:
// Dedup -> outcome metrics -> Retry -> the notifier. Dedup is per receiver so an alert that
// reached Alertmanager but not a webhook is still sent to the webhook next time.
type Receiver struct {
	name  string
	head  Notifier
	dedup *Dedup
}

// NewReceiver wraps n in the delivery stages. m and log may be nil.
func NewReceiver(name string, n Notifier, dedup DedupConfig, retry RetryPolicy, m *Metrics, log *slog.Logger) *Receiver {
	if m == nil {
		m = NewMetrics(nil)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("receiver", name)
	// Every series exists from the start at 0, so rate() and alerts on them work at once.
	for _, o := range []string{OutcomeDelivered, OutcomeSuppressed, OutcomeRejected, OutcomeFailed} {
		m.sent.WithLabelValues(name, o)
	}
	m.seconds.WithLabelValues(name)
	r := NewRetry(n, retry, log)
	r.onRetry = m.retries.WithLabelValues(name).Inc
	counted := NotifierFunc(func(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
		start := time.Now()
		retry, err := r.Notify(ctx, alerts...)
		m.seconds.WithLabelValues(name).Observe(time.Since(start).Seconds())
		outcome := OutcomeDelivered
		switch {
		case err == nil:
		case !retry && ctx.Err() == nil:
			outcome = OutcomeRejected
		default:
			outcome = OutcomeFailed
		}
		m.sent.WithLabelValues(name, outcome).Add(float64(len(alerts)))
		return retry, err
	})
	d := NewDedup(counted, dedup)
	d.onSuppress = func(n int) { m.sent.WithLabelValues(name, OutcomeSuppressed).Add(float64(n)) }
	d.onEvict = m.evicted.WithLabelValues(name).Inc
	return &Receiver{name: name, head: d, dedup: d}
}

// Name is the receiver's name, its metric label.
func (r *Receiver) Name() string { return r.name }

// Notify delivers through the receiver's stages.
func (r *Receiver) Notify(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
	return r.head.Notify(ctx, alerts...)
}

// Result is one receiver's answer to a fan-out.
type Result struct {
	Receiver string
	Retry    bool  // the failure was transient (the receiver was down), not a refusal
	Err      error // nil when delivered or suppressed as a repeat
}

// Fanout sends the same alerts to every receiver at once.
type Fanout struct {
	receivers []*Receiver
	log       *slog.Logger
}

// NewFanout returns a fan-out over receivers. log may be nil.
func NewFanout(log *slog.Logger, receivers ...*Receiver) *Fanout {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Fanout{receivers: receivers, log: log}
}

// Receivers are the receivers' names, in order.
func (f *Fanout) Receivers() []string {
	names := make([]string, len(f.receivers))
	for i, r := range f.receivers {
		names[i] = r.name
	}
	return names
}

// Deliver sends to all receivers concurrently, so a slow one delays no other, and returns one
// Result per receiver in receiver order.
func (f *Fanout) Deliver(ctx context.Context, alerts ...leakwatch.Alert) []Result {
	res := make([]Result, len(f.receivers))
	var wg sync.WaitGroup
	for i, r := range f.receivers {
		wg.Go(func() {
			retry, err := r.Notify(ctx, alerts...)
			res[i] = Result{Receiver: r.name, Retry: retry, Err: err}
			if err != nil {
				f.log.Error("alert delivery failed", "receiver", r.name, "alerts", len(alerts), "retryable", retry, "err", err)
			}
		})
	}
	wg.Wait()
	return res
}

// Notify is Deliver as a Notifier: the receivers' errors joined, retry when any failure was
// transient.
func (f *Fanout) Notify(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
	var errs []error
	retry := false
	for _, r := range f.Deliver(ctx, alerts...) {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("receiver %s: %w", r.Receiver, r.Err))
			retry = retry || r.Retry
		}
	}
	return retry, errors.Join(errs...)
}
