package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/leakwatch/leakwatch"
)

// ErrGaveUp marks a delivery abandoned after the retry policy's attempts or time ran out;
// the error also wraps the last failure.
var ErrGaveUp = errors.New("gave up")

// Retry repeats a retryable failure of next with exponential backoff, until it succeeds, the
// failure is not retryable, the policy's attempts or elapsed time run out, or ctx ends.
type Retry struct {
	next   Notifier
	policy RetryPolicy
	log    *slog.Logger
	// onRetry feeds metrics when the stage runs inside a Receiver.
	onRetry func(error)
	// jitter returns a number in [0, 1); tests fix it.
	jitter func() float64
}

// NewRetry returns a Retry around next. A nil log discards.
func NewRetry(next Notifier, p RetryPolicy, log *slog.Logger) *Retry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Retry{next: next, policy: p, log: log, jitter: rand.Float64}
}

// Delay is the wait before retry number n (1 for the first retry) without jitter:
// Initial * Multiplier^(n-1), at most Max.
func (p RetryPolicy) Delay(n int) time.Duration {
	d := float64(p.Initial) * math.Pow(p.Multiplier, float64(n-1))
	if d > float64(p.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		return p.Max
	}
	return time.Duration(d)
}

// Notify delivers with retries. On giving up it returns retry=true and an error wrapping
// ErrGaveUp and the last failure; on a non-retryable failure, that failure as it was.
func (r *Retry) Notify(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		retry, err := r.next.Notify(ctx, alerts...)
		if err == nil || !retry {
			return retry, err
		}
		// Equal jitter: wait between half and all of the backoff, so receivers that failed
		// together are not hit again together.
		d := r.policy.Delay(attempt)
		d = d/2 + time.Duration(r.jitter()*float64(d/2))
		elapsed := time.Since(start)
		if attempt >= r.policy.MaxAttempts || (r.policy.MaxElapsed > 0 && elapsed+d > r.policy.MaxElapsed) {
			return true, fmt.Errorf("%w after %d attempts in %s: %w", ErrGaveUp, attempt, elapsed.Round(time.Millisecond), err)
		}
		r.log.Warn("alert delivery failed, retrying", "attempt", attempt, "in", d, "alerts", len(alerts), "err", err)
		if r.onRetry != nil {
			r.onRetry(err)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, fmt.Errorf("stopped retrying: %w (last failure: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}
