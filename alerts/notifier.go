package alerts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"time"

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

// newClient is the HTTP client of a receiver that follows no redirect: Go's client follows a
// 301 or 302 with a GET and no body, which the receiver answered 200, and the alert counted
// as delivered while nobody got it. The redirect is an answer like any other that is not
// 2xx, and its error says where it points.
func newClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: orDefault(timeout), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// statusError is the error of an answer that is not 2xx, with its body, or for a redirect
// the address it points to.
func statusError(receiver string, resp *http.Response) *StatusError {
	if resp.StatusCode/100 == 3 {
		return &StatusError{Receiver: receiver, Code: resp.StatusCode,
			Body: fmt.Sprintf("redirects to %q: give that address in the config (a redirect drops the request's body)", resp.Header.Get("Location"))}
	}
	return &StatusError{Receiver: receiver, Code: resp.StatusCode, Body: snippet(resp.Body)}
}

// retryStatus says which HTTP answers are worth retrying: 5xx (the receiver is failing) and
// 429 (it asks us to come back later). Any other 4xx means the request is wrong and would be
// refused again.
func retryStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests
}

// retryTransport classifies an error from http.Client.Do. The caller's own cancellation is
// final, and so is a refused TLS peer: a certificate that does not verify, a server that
// does not speak TLS, a handshake the server rejects. These come from the configuration (a
// wrong URL, a missing CA), and retrying would only delay the alert's dead letter. Timeouts,
// refused and reset connections and a response cut short are retried.
func retryTransport(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return false
	}
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		alert     tls.AlertError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &authority), errors.As(err, &hostname),
		errors.As(err, &invalid), errors.As(err, &record), errors.As(err, &alert):
		return false
	}
	// Every other transport error (net.Error, io.ErrUnexpectedEOF, a DNS failure) is a
	// property of the connection at that moment, not of the alert.
	return true
}
