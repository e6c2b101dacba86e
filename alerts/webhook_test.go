package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

// webhookReceiver is a consumer's endpoint: it verifies every request as docs/ALERTS.md tells
// consumers to, answers with the scripted statuses in turn (then 200), and keeps what it got.
type webhookReceiver struct {
	t      *testing.T
	secret []byte
	script []int
	stall  time.Duration // the first request sleeps this long before answering

	mu         sync.Mutex
	requests   int
	badSig     int
	timestamps []string
	deliveries []string
	payloads   []WebhookPayload
}

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.t.Errorf("read body: %v", err)
	}
	w.mu.Lock()
	n := w.requests
	w.requests++
	w.timestamps = append(w.timestamps, r.Header.Get(HeaderTimestamp))
	w.deliveries = append(w.deliveries, r.Header.Get(HeaderDelivery))
	w.mu.Unlock()
	if n == 0 && w.stall > 0 {
		select {
		case <-time.After(w.stall):
		case <-r.Context().Done():
			return
		}
	}
	if err := Verify(w.secret, r.Header, body); err != nil {
		w.mu.Lock()
		w.badSig++
		w.mu.Unlock()
		http.Error(rw, err.Error(), http.StatusUnauthorized)
		return
	}
	if n < len(w.script) && w.script[n] != http.StatusOK {
		http.Error(rw, "scripted failure", w.script[n])
		return
	}
	var p WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.payloads = append(w.payloads, p)
	w.mu.Unlock()
}

func TestWebhookDelivery(t *testing.T) {
	secret := []byte("s3cr3t-shared-with-the-newsroom")
	tests := []struct {
		name         string
		script       []int
		stall        time.Duration
		sendSecret   []byte
		wantRequests int
		wantErr      bool
		wantRetry    bool
		wantOutcome  string
	}{
		{name: "accepted at once", wantRequests: 1, wantOutcome: OutcomeDelivered},
		{name: "two 500s then recovery", script: []int{500, 503}, wantRequests: 3, wantOutcome: OutcomeDelivered},
		{name: "400 is not retried", script: []int{400}, wantRequests: 1, wantErr: true, wantOutcome: OutcomeRejected},
		{name: "429 asks to come back later", script: []int{429}, wantRequests: 2, wantOutcome: OutcomeDelivered},
		{name: "timeout is retried", stall: 2 * time.Second, wantRequests: 2, wantOutcome: OutcomeDelivered},
		{name: "5xx until retries run out", script: []int{500, 500, 500, 500, 500, 500}, wantRequests: testPolicy.MaxAttempts, wantErr: true, wantRetry: true, wantOutcome: OutcomeFailed},
		{name: "wrong secret is refused, not retried", sendSecret: []byte("guess"), wantRequests: 1, wantErr: true, wantOutcome: OutcomeRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rcv := &webhookReceiver{t: t, secret: secret, script: tc.script, stall: tc.stall}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			sendSecret := secret
			if tc.sendSecret != nil {
				sendSecret = tc.sendSecret
			}
			n, err := NewWebhookNotifier(WebhookConfig{Name: "newsroom", URL: srv.URL, Timeout: 300 * time.Millisecond}, sendSecret, nil)
			if err != nil {
				t.Fatal(err)
			}
			m := NewMetrics(nil)
			r := NewReceiver("newsroom", n, DedupConfig{Interval: time.Hour, MaxEntries: 10}, testPolicy, m, nil)
			a := leakAlert("leak|hashtag:macronleaks|2017-05-05T18:35:00Z")

			retry, err := r.Notify(context.Background(), a)
			if (err != nil) != tc.wantErr || retry != tc.wantRetry {
				t.Fatalf("Notify = (retry %v, %v), want retry %v, error %v", retry, err, tc.wantRetry, tc.wantErr)
			}
			if tc.wantRetry && !errors.Is(err, ErrGaveUp) {
				t.Errorf("error %v does not wrap ErrGaveUp", err)
			}
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			if rcv.requests != tc.wantRequests {
				t.Errorf("receiver saw %d requests, want %d", rcv.requests, tc.wantRequests)
			}
			if got := counter(t, m.retries, "newsroom"); got != float64(tc.wantRequests-1) {
				t.Errorf("leakwatch_alerts_retries_total = %v, want %d", got, tc.wantRequests-1)
			}
			if got := counter(t, m.sent, "newsroom", tc.wantOutcome); got != 1 {
				t.Errorf("leakwatch_alerts_sent_total{outcome=%q} = %v, want 1", tc.wantOutcome, got)
			}
			for i := 1; i < len(rcv.deliveries); i++ {
				if rcv.deliveries[i] != rcv.deliveries[0] || rcv.deliveries[0] == "" {
					t.Errorf("delivery ids %q differ across retries of one payload", rcv.deliveries)
				}
			}
			if tc.wantOutcome != OutcomeDelivered {
				if len(rcv.payloads) != 0 {
					t.Errorf("receiver accepted %d payloads, want none", len(rcv.payloads))
				}
				return
			}
			if len(rcv.payloads) != 1 {
				t.Fatalf("receiver accepted %d payloads, want 1", len(rcv.payloads))
			}
			p := rcv.payloads[0]
			if p.Version != WebhookVersion || p.Receiver != "newsroom" || len(p.Alerts) != 1 {
				t.Fatalf("payload = %+v", p)
			}
			got := p.Alerts[0]
			if got.ID != a.ID || got.Summary != a.Summary || !got.StartsAt.Equal(a.StartsAt) || len(got.Evidence) != 3 || got.Labels["election"] != "fr-2017-r2" {
				t.Errorf("received alert %+v, want %+v", got, a)
			}
		})
	}
}

// A second delivery of the same alert within the interval reaches the webhook no more.
func TestWebhookDedup(t *testing.T) {
	secret := []byte("k")
	rcv := &webhookReceiver{t: t, secret: secret}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	n, err := NewWebhookNotifier(WebhookConfig{Name: "w", URL: srv.URL, Timeout: time.Second}, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(nil)
	r := NewReceiver("w", n, DedupConfig{Interval: time.Hour, MaxEntries: 10}, testPolicy, m, nil)
	a, b := leakAlert("a"), leakAlert("b")
	for _, batch := range [][]leakwatch.Alert{{a}, {a, b}, {b, a}} {
		if _, err := r.Notify(context.Background(), batch...); err != nil {
			t.Fatal(err)
		}
	}
	if rcv.requests != 2 {
		t.Errorf("webhook got %d requests, want 2 (a, then b alone)", rcv.requests)
	}
	if got := counter(t, m.sent, "w", OutcomeSuppressed); got != 3 {
		t.Errorf("suppressed = %v, want 3", got)
	}
	if got := counter(t, m.sent, "w", OutcomeDelivered); got != 2 {
		t.Errorf("delivered = %v, want 2", got)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("topsecret")
	body := []byte(`{"version":"1","receiver":"r","alerts":[]}`)
	now := time.Date(2026, 5, 3, 12, 0, 0, 0, time.UTC)
	header := func(sig string, ts int64) http.Header {
		h := http.Header{}
		if sig != "" {
			h.Set(HeaderSignature, sig)
		}
		if ts != 0 {
			h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		}
		return h
	}
	ts := now.Unix()
	tests := []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"valid", header(Sign(secret, ts, body), ts), body, nil},
		{"valid, sent 4 minutes ago", header(Sign(secret, ts-240, body), ts-240), body, nil},
		{"body changed", header(Sign(secret, ts, body), ts), []byte(`{"version":"1","receiver":"x","alerts":[]}`), ErrBadSignature},
		{"other secret", header(Sign([]byte("other"), ts, body), ts), body, ErrBadSignature},
		{"timestamp changed after signing (replay)", header(Sign(secret, ts-3600, body), ts), body, ErrBadSignature},
		{"replayed an hour later", header(Sign(secret, ts-3600, body), ts-3600), body, ErrStale},
		{"from the future", header(Sign(secret, ts+600, body), ts+600), body, ErrStale},
		{"no signature", header("", ts), body, ErrNoSignature},
		{"no timestamp", header(Sign(secret, ts, body), 0), body, ErrNoSignature},
		{"not hex", header("sha256=zz", ts), body, ErrBadSignature},
		{"other scheme", header("sha1=00", ts), body, ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyAt(secret, tc.h, tc.body, now, DefaultTolerance)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("VerifyAt = %v, want %v", err, tc.want)
			}
		})
	}
}

// The signature is the documented HMAC, so receivers in any language can check it.
func TestSignKnownAnswer(t *testing.T) {
	// printf '1700000000.{}' | openssl dgst -sha256 -hmac key
	const want = "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
	got := Sign([]byte("key"), 1700000000, []byte("{}"))
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

// A TLS peer that cannot be verified is a configuration problem: the alert is rejected at the
// first attempt instead of waiting out the retry policy. Failures of the connection itself
// are still retried.
func TestWebhookTransportErrors(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	// The first request's connection is cut before any answer; the next one is accepted.
	var cut sync.Once
	cutSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cut.Do(func() {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
		})
	}))
	defer cutSrv.Close()
	trusting := tlsSrv.Client() // trusts the test server's certificate, for 127.0.0.1 only
	trusting.Timeout = time.Second

	tests := []struct {
		name        string
		url         string
		client      *http.Client
		wantOutcome string
		wantRetries float64
	}{
		{"unknown certificate authority", tlsSrv.URL, nil, OutcomeRejected, 0},
		{"certificate for another host", "https://localhost:" + strconv.Itoa(tlsSrv.Listener.Addr().(*net.TCPAddr).Port), trusting, OutcomeRejected, 0},
		{"connection refused", "http://" + closedAddr(t), nil, OutcomeFailed, float64(testPolicy.MaxAttempts - 1)},
		{"connection cut before the answer", cutSrv.URL, nil, OutcomeDelivered, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := NewWebhookNotifier(WebhookConfig{Name: "newsroom", URL: tc.url, Timeout: time.Second}, []byte("s"), tc.client)
			if err != nil {
				t.Fatal(err)
			}
			m := NewMetrics(nil)
			r := NewReceiver("newsroom", n, DedupConfig{}, testPolicy, m, nil)
			_, err = r.Notify(context.Background(), leakAlert("x"))
			t.Logf("error: %v", err)
			if got := counter(t, m.sent, "newsroom", tc.wantOutcome); got != 1 {
				t.Errorf("leakwatch_alerts_sent_total{outcome=%q} = %v, want 1", tc.wantOutcome, got)
			}
			if got := counter(t, m.retries, "newsroom"); got != tc.wantRetries {
				t.Errorf("leakwatch_alerts_retries_total = %v, want %v", got, tc.wantRetries)
			}
		})
	}
}

// closedAddr is a local address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// A webhook that answers with a redirect did not take the alert: Go's client followed it with
// a GET and no body, the other end answered 200, and the alert counted as delivered while
// nobody got it. It is refused, naming where the redirect points.
func TestWebhookRedirectIsNoDelivery(t *testing.T) {
	var mu sync.Mutex
	var moved int
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/moved", http.StatusFound) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		moved++
		mu.Unlock()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	n, err := NewWebhookNotifier(WebhookConfig{Name: "newsroom", URL: srv.URL + "/hook"}, []byte("s3cret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(nil)
	r := NewReceiver("newsroom", n, DedupConfig{Interval: time.Hour, MaxEntries: 10}, testPolicy, m, nil)
	_, err = r.Notify(context.Background(), leakAlert("leak|hashtag:macronleaks|2017-05-05T18:35:00Z"))
	if err == nil || !strings.Contains(err.Error(), `answered 302 Found: redirects to "/moved"`) {
		t.Errorf("a redirect: %v, want it refused naming where it points", err)
	}
	if got := counter(t, m.sent, "newsroom", OutcomeDelivered); got != 0 {
		t.Errorf("counted %v delivered", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if moved != 0 {
		t.Errorf("the redirect was followed %d times", moved)
	}
}
