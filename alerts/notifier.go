package alerts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
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
