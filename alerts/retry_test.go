package alerts

import (
	"context"
	"errors"
	"github.com/leakwatch/leakwatch"
	"testing"
	"time"
)

func TestRetryPolicyDelay(t *testing.T) {
	p := RetryPolicy{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Multiplier: 2, MaxAttempts: 10}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := p.Delay(i + 1); got != w {
			t.Errorf("Delay(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := p.Delay(5000); got != p.Max {
		t.Errorf("Delay(5000) = %s, want the cap %s", got, p.Max)
	}
}

func TestRetry(t *testing.T) {
	tests := []struct {
		name      string
		policy    RetryPolicy
		fails     int // failures before success
		retryable bool
		wantCalls int
		wantErr   error
		wantRetry bool
	}{
		{"success first time", testPolicy, 0, true, 1, nil, false},
		{"recovers on the third attempt", testPolicy, 2, true, 3, nil, false},
		{"refusal is not retried", testPolicy, 10, false, 1, errDown, false},
		{"gives up after max attempts", testPolicy, 10, true, testPolicy.MaxAttempts, ErrGaveUp, true},
		{"gives up when max elapsed would pass", RetryPolicy{Initial: time.Second, Max: time.Second, Multiplier: 1, MaxAttempts: 100, MaxElapsed: 1500 * time.Millisecond}, 10, true, 2, ErrGaveUp, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			n := NotifierFunc(func(context.Context, ...leakwatch.Alert) (bool, error) {
				calls++
				if calls <= tc.fails {
					return tc.retryable, errDown
				}
				return false, nil
			})
			r := NewRetry(n, tc.policy, nil)
			r.jitter = func() float64 { return 1 } // the full backoff, so elapsed limits are exact
			retry, err := r.Notify(context.Background(), leakAlert("a"))
			if calls != tc.wantCalls {
				t.Errorf("%d attempts, want %d", calls, tc.wantCalls)
			}
			if retry != tc.wantRetry || !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("Notify = (retry %v, %v), want (retry %v, %v)", retry, err, tc.wantRetry, tc.wantErr)
			}
			if tc.wantErr == ErrGaveUp && !errors.Is(err, errDown) {
				t.Errorf("giving up lost the last failure: %v", err)
			}
		})
	}
}

var errDown = errors.New("receiver down")

// Shutdown interrupts a backoff wait at once rather than after it.
func TestRetryStopsOnCancel(t *testing.T) {
	p := RetryPolicy{Initial: time.Hour, Max: time.Hour, Multiplier: 2, MaxAttempts: 5}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	n := NotifierFunc(func(context.Context, ...leakwatch.Alert) (bool, error) {
		calls++
		cancel() // shutdown arrives during the first attempt
		return true, errDown
	})
	done := make(chan error, 1)
	go func() {
		_, err := NewRetry(n, p, nil).Notify(ctx, leakAlert("a"))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Errorf("after cancel: %d attempts, %v; want 1 attempt and context.Canceled", calls, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Retry kept waiting after its context was cancelled")
	}
}
