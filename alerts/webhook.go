package alerts

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Webhook headers. The signature covers the timestamp and the body (see Sign), so a captured
// request cannot be replayed later with a fresh timestamp.
const (
	HeaderSignature = "X-Leakwatch-Signature"
	HeaderTimestamp = "X-Leakwatch-Timestamp"
	// HeaderDelivery is the same for every attempt of one payload, so a receiver can drop a
	// retry whose earlier attempt it did process (e.g. when its answer was lost).
	HeaderDelivery  = "X-Leakwatch-Delivery"
	signaturePrefix = "sha256="
)

// WebhookVersion is the "version" of the payload; it changes only with incompatible changes.
const WebhookVersion = "1"

// DefaultTolerance is how far a webhook timestamp may be from the receiver's clock in Verify.
const DefaultTolerance = 5 * time.Minute

// WebhookPayload is the JSON body of a webhook request.
type WebhookPayload struct {
	Version  string            `json:"version"`
	Receiver string            `json:"receiver"`
	Alerts   []leakwatch.Alert `json:"alerts"`
}

// WebhookNotifier posts alerts as signed JSON to one URL.
type WebhookNotifier struct {
	name   string
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// NewWebhookNotifier returns a notifier for one webhook; secret is the resolved HMAC key
// (see WebhookConfig.LoadSecret), so cfg's secret fields are not used. A nil client means one
// with cfg.Timeout per request (DefaultTimeout when 0).
func NewWebhookNotifier(cfg WebhookConfig, secret []byte, client *http.Client) (*WebhookNotifier, error) {
	if len(secret) == 0 {
		return nil, fmt.Errorf("webhook %q: empty secret", cfg.Name)
	}
	if err := checkURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("webhook %q: url: %w", cfg.Name, err)
	}
	if client == nil {
		client = newClient(cfg.Timeout)
	}
	return &WebhookNotifier{name: cfg.Name, url: cfg.URL, secret: secret, client: client, now: time.Now}, nil
}

// Notify posts one signed request carrying all alerts. 5xx, 429, timeouts and connection
// errors are retryable; other 4xx are not. Each attempt is signed with its own timestamp.
func (n *WebhookNotifier) Notify(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
	if len(alerts) == 0 {
		return false, nil
	}
	body, err := webhookBody(n.name, alerts)
	if err != nil {
		return false, fmt.Errorf("webhook %s: encode: %w", n.name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("webhook %s: %w", n.name, err)
	}
	ts := n.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "leakwatch-alerts/"+WebhookVersion)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(n.secret, ts, body))
	sum := sha256.Sum256(body)
	req.Header.Set(HeaderDelivery, hex.EncodeToString(sum[:16]))
	resp, err := n.client.Do(req)
	if err != nil {
		return retryTransport(ctx, err), fmt.Errorf("webhook %s: %w", n.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return false, nil
	}
	return retryStatus(resp.StatusCode), statusError("webhook "+n.name, resp)
}

// webhookBody is the exact bytes posted (and signed).
func webhookBody(receiver string, alerts []leakwatch.Alert) ([]byte, error) {
	return json.Marshal(WebhookPayload{Version: WebhookVersion, Receiver: receiver, Alerts: alerts})
}

// Sign returns the X-Leakwatch-Signature value for a body sent at unix time ts:
// "sha256=" + hex(HMAC-SHA256(secret, decimal(ts) + "." + body)).
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// Verification errors; Verify wraps them with detail.
var (
	ErrNoSignature  = errors.New("missing signature or timestamp header")
	ErrBadSignature = errors.New("signature does not match")
	ErrStale        = errors.New("timestamp outside tolerance")
)

// Verify checks a webhook request as a receiver: the signature must match secret, the
// timestamp header and the exact body bytes, and the timestamp must be within
// DefaultTolerance of the local clock. h is the request's header; body is the raw body as
// read, before any JSON decoding.
func Verify(secret []byte, h http.Header, body []byte) error {
	return VerifyAt(secret, h, body, time.Now(), DefaultTolerance)
}

// VerifyAt is Verify with an explicit clock and tolerance.
func VerifyAt(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	sig, tsText := h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if sig == "" || tsText == "" {
		return ErrNoSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not unix seconds", ErrNoSignature, HeaderTimestamp, tsText)
	}
	if !strings.HasPrefix(sig, signaturePrefix) {
		return fmt.Errorf("%w: %s does not start with %q", ErrBadSignature, HeaderSignature, signaturePrefix)
	}
	// Compare MACs, not hex strings, in constant time.
	got, err := hex.DecodeString(sig[len(signaturePrefix):])
	if err != nil {
		return fmt.Errorf("%w: %s is not hex", ErrBadSignature, HeaderSignature)
	}
	want, _ := hex.DecodeString(Sign(secret, ts, body)[len(signaturePrefix):])
	if !hmac.Equal(got, want) {
		return ErrBadSignature
	}
	// Checked after the MAC so an attacker learns nothing about the clock from unsigned input.
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: sent %s, %s from now", ErrStale, time.Unix(ts, 0).UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	return nil
}
