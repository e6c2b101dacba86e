package alerts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/leakwatch/leakwatch"
)

// Notifier sends alerts to one destination. retry reports whether the failure is worth
// another attempt (the destination was unavailable or slow); false with an error means the
// request itself was refused and sending it again would be refused again.
type Notifier interface {
	Notify(ctx context.Context, alerts ...leakwatch.Alert) (retry bool, err error)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, alerts ...leakwatch.Alert) (bool, error)

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
	return f(ctx, alerts...)
}

// StatusError is a non-2xx answer from an HTTP receiver.
type StatusError struct {
	Receiver string
	Code     int
	Body     string // the start of the response body, for the log
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("%s answered %d %s", e.Receiver, e.Code, http.StatusText(e.Code))
	}
	return fmt.Sprintf("%s answered %d %s: %s", e.Receiver, e.Code, http.StatusText(e.Code), e.Body)
}

// retryStatus says which HTTP answers are worth retrying: 5xx (the receiver is failing) and
// 429 (it asks us to come back later). Any other 4xx means the request is wrong and would be
// refused again.
func retryStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests
}

// retryTransport classifies an error from http.Client.Do. The caller's own cancellation is
// final; timeouts and connection failures are retried.
func retryTransport(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true // timeouts, refused and reset connections
	}
	// Anything else from the transport (EOF mid-response, TLS handshake) is also a transient
	// property of the connection, not of the alert.
	return !errors.Is(err, context.Canceled)
}
