package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
	log   *slog.Logger
}

// NewReceiver wraps n in the delivery stages. m and log may be nil.
//
// A request of several alerts refused as a whole (Alertmanager answers 400 for all when one
// is bad) is sent again alert by alert, so only the bad ones fail; the error is then a
// *PartialError naming them. Each alert is counted once in leakwatch_alerts_sent_total, by
// its final outcome.
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
	component := "deliver " + name
	r.onRetry = func(err error) {
		m.retries.WithLabelValues(name).Inc()
		m.health.Fail(component, err)
	}
	count := func(ctx context.Context, retry bool, err error, n int) {
		outcome := OutcomeDelivered
		switch {
		case err == nil:
			m.health.OK(component)
		case !retry && ctx.Err() == nil:
			outcome = OutcomeRejected
			m.health.OK(component) // it answers: refusing these alerts is no outage
		default:
			outcome = OutcomeFailed
			if ctx.Err() == nil {
				m.health.Fail(component, err)
			}
		}
		m.sent.WithLabelValues(name, outcome).Add(float64(n))
	}
	counted := NotifierFunc(func(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
		start := time.Now()
		defer func() { m.seconds.WithLabelValues(name).Observe(time.Since(start).Seconds()) }()
		retry, err := r.Notify(ctx, alerts...)
		if err == nil || retry || ctx.Err() != nil || len(alerts) == 1 {
			count(ctx, retry, err, len(alerts))
			return retry, err
		}
		// Refused as a whole: not counted, since each alert gets its own outcome below.
		log.Info("request refused as a whole; sending its alerts one by one", "alerts", len(alerts), "err", err)
		var failed []AlertError
		anyRetry := false
		for i, a := range alerts {
			if ctx.Err() != nil {
				// Shutdown: the rest were not tried again, and fail as the batch did.
				for _, a := range alerts[i:] {
					failed = append(failed, AlertError{Alert: a, Retry: true, Err: ctx.Err()})
				}
				count(ctx, true, ctx.Err(), len(alerts)-i)
				return true, &PartialError{Failed: failed, Of: len(alerts)}
			}
			retry, err := r.Notify(ctx, a)
			count(ctx, retry, err, 1)
			if err != nil {
				failed = append(failed, AlertError{Alert: a, Retry: retry, Err: err})
				anyRetry = anyRetry || retry
			}
		}
		if len(failed) == 0 {
			return false, nil
		}
		return anyRetry, &PartialError{Failed: failed, Of: len(alerts)}
	})
	d := NewDedup(counted, dedup)
	d.onSuppress = func(n int) { m.sent.WithLabelValues(name, OutcomeSuppressed).Add(float64(n)) }
	d.onEvict = m.evicted.WithLabelValues(name).Inc
	return &Receiver{name: name, head: d, dedup: d, log: log}
}

// AlertError is one alert's failure inside a PartialError.
type AlertError struct {
	Alert leakwatch.Alert
	Retry bool // transient: the receiver was down when it was sent alone
	Err   error
}

// PartialError reports a request that the receiver refused as a whole and whose alerts were
// then sent one by one: Failed are those that failed alone, the others were delivered.
type PartialError struct {
	Failed []AlertError
	Of     int // alerts in the refused request
}

func (e *PartialError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.Alert.ID + ": " + f.Err.Error()
	}
	return fmt.Sprintf("%d of %d alerts failed when sent alone: %s", len(e.Failed), e.Of, strings.Join(parts, "; "))
}

// Name is the receiver's name, its metric label.
func (r *Receiver) Name() string { return r.name }

// Notify delivers through the receiver's stages what the batch does not replace itself
// (current): an alert another of the batch supersedes, or an earlier copy of an id it holds
// again, is counted as suppressed and not sent, also when a refused request is sent again
// one alert at a time.
func (r *Receiver) Notify(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
	kept := current(alerts, supersededBy(alerts))
	if n := len(alerts) - len(kept); n > 0 && r.dedup.onSuppress != nil {
		r.dedup.onSuppress(n)
	}
	return r.head.Notify(ctx, kept...)
}

// KeepUpdated sends the receiver's waiting updates (alerts whose evidence grew while dedup
// held them back, see Dedup) until ctx ends, checking a tenth of the dedup interval apart
// (1 s to 1 min). When ctx ends it sends every update still waiting, allowing grace for it:
// a finite replay's last versions reach the receiver when the role stops, not never. With
// dedup off nothing waits, and it only waits for ctx.
func (r *Receiver) KeepUpdated(ctx context.Context, grace time.Duration) error {
	if r.dedup.interval <= 0 {
		<-ctx.Done()
		return nil
	}
	tick := min(max(r.dedup.interval/10, time.Second), time.Minute)
	t := time.NewTicker(tick)
	defer t.Stop()
	send := func(ctx context.Context, all bool) {
		n, err := r.dedup.SendUpdates(ctx, all)
		if n > 0 {
			r.log.Info("sent alerts whose evidence grew since they were delivered", "alerts", n, "on_shutdown", all)
		}
		if err != nil && ctx.Err() == nil {
			r.log.Error("sending updated alerts failed; they wait for the next try", "err", err)
		}
	}
	for {
		select {
		case <-t.C:
			send(ctx, false)
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
			send(sctx, true)
			cancel()
			return nil
		}
	}
}

// Waiting reports whether the receiver holds an update of alert id not yet sent (Dedup.Waiting).
func (r *Receiver) Waiting(id string) bool { return r.dedup.Waiting(id) }

// DeliverEach delivers alerts and returns one error per alert, in order: nil when it was
// delivered or suppressed as a repeat. A request refused as a whole fails only the alerts
// that fail alone (see NewReceiver).
func (r *Receiver) DeliverEach(ctx context.Context, alerts ...leakwatch.Alert) []error {
	errs := make([]error, len(alerts))
	retry, err := r.Notify(ctx, alerts...)
	if err == nil {
		return errs
	}
	r.log.Error("alert delivery failed", "alerts", len(alerts), "retryable", retry, "err", err)
	// Only the last copy of an id in the batch was sent (the earlier ones were suppressed,
	// as repeats or older versions): it alone carries the failure. Giving it to every copy
	// dead-lettered a growing leak's 52 versions, each news again when fed back.
	last := make(map[string]int, len(alerts))
	for i, a := range alerts {
		last[a.ID] = i
	}
	var pe *PartialError
	if !errors.As(err, &pe) {
		// Nor was an alert another of the batch supersedes: fed back from the dead letters,
		// it would fire again beside the alert that replaced it.
		by := supersededBy(alerts)
		for i, a := range alerts {
			if last[a.ID] == i && by[a.ID] == "" {
				errs[i] = err
			}
		}
		return errs
	}
	failed := make(map[string]error, len(pe.Failed))
	for _, f := range pe.Failed {
		failed[dedupKey(f.Alert)] = f.Err
	}
	for i, a := range alerts {
		if last[a.ID] == i {
			errs[i] = failed[dedupKey(a)]
		}
	}
	return errs
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

// Waiting reports whether any receiver holds an update of alert id not yet sent.
func (f *Fanout) Waiting(id string) bool {
	for _, r := range f.receivers {
		if r.Waiting(id) {
			return true
		}
	}
	return false
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

// DeliverEach is Deliver alert by alert: for each receiver, in receiver order, one error per
// alert (Receiver.DeliverEach), the receivers at once.
func (f *Fanout) DeliverEach(ctx context.Context, alerts ...leakwatch.Alert) [][]error {
	errs := make([][]error, len(f.receivers))
	var wg sync.WaitGroup
	for i, r := range f.receivers {
		wg.Go(func() { errs[i] = r.DeliverEach(ctx, alerts...) })
	}
	wg.Wait()
	return errs
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
