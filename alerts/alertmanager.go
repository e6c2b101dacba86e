package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Alertmanager label and annotation names; docs/ALERTS.md lists them for receivers' routes.
const (
	LabelAlertname = "alertname"
	LabelSeverity  = "severity"
	LabelKind      = "kind"
	LabelObject    = "object"
	LabelCandidate = "candidate"
	LabelID        = "alert_id"

	AnnotationSummary  = "summary"
	AnnotationEvidence = "evidence"
	AnnotationLink     = "link"
	AnnotationRaisedAt = "raised_at"
)

// maxEvidence caps the evidence lines in one annotation; the full list stays in the
// webhook and Kafka forms.
const maxEvidence = 20

// AlertmanagerNotifier posts alerts to Alertmanager's v2 API (POST /api/v2/alerts).
type AlertmanagerNotifier struct {
	endpoint string
	client   *http.Client
	// resolveTimeout is how long Alertmanager keeps an alert firing after delivery, since
	// leakwatch alerts are events and never send an explicit resolve.
	resolveTimeout time.Duration
	now            func() time.Time
}

// NewAlertmanagerNotifier returns a notifier for the Alertmanager at cfg.URL
// (e.g. http://127.0.0.1:9093). A nil client means one with cfg.Timeout per request
// (DefaultTimeout when 0).
func NewAlertmanagerNotifier(cfg AlertmanagerConfig, client *http.Client) (*AlertmanagerNotifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{Timeout: orDefault(cfg.Timeout)}
	}
	return &AlertmanagerNotifier{
		endpoint:       strings.TrimRight(cfg.URL, "/") + "/api/v2/alerts",
		client:         client,
		resolveTimeout: cfg.ResolveTimeout,
		now:            time.Now,
	}, nil
}

// postableAlert is one element of Alertmanager's v2 PostableAlerts.
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Notify posts all alerts in one request. 5xx, 429, timeouts and connection errors are
// retryable; other 4xx are not.
func (n *AlertmanagerNotifier) Notify(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
	if len(alerts) == 0 {
		return false, nil
	}
	buf, err := amBody(alerts, n.now(), n.resolveTimeout)
	if err != nil {
		return false, fmt.Errorf("alertmanager: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.endpoint, bytes.NewReader(buf))
	if err != nil {
		return false, fmt.Errorf("alertmanager: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return retryTransport(ctx, err), fmt.Errorf("alertmanager: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // lets the connection be reused
		return false, nil
	}
	return retryStatus(resp.StatusCode), &StatusError{Receiver: "alertmanager " + n.endpoint, Code: resp.StatusCode, Body: snippet(resp.Body)}
}

// amBody is the PostableAlerts JSON for alerts delivered at now.
func amBody(alerts []leakwatch.Alert, now time.Time, resolve time.Duration) ([]byte, error) {
	body := make([]postableAlert, len(alerts))
	for i, a := range alerts {
		body[i] = amAlert(a, now, resolve)
	}
	return json.Marshal(body)
}

// amAlert maps a leakwatch alert onto Alertmanager's model. The alert's own labels go in
// first so a rule label cannot overwrite the identifying ones.
func amAlert(a leakwatch.Alert, now time.Time, resolve time.Duration) postableAlert {
	labels := make(map[string]string, len(a.Labels)+6)
	for k, v := range a.Labels {
		if v != "" {
			labels[labelName(k)] = v
		}
	}
	set := func(k, v string) {
		if v != "" {
			labels[k] = v
		} else {
			delete(labels, k)
		}
	}
	set(LabelAlertname, a.Rule)
	set(LabelSeverity, a.Severity)
	set(LabelKind, string(a.Kind))
	set(LabelObject, a.Object)
	set(LabelCandidate, a.Candidate)
	// Alertmanager identifies an alert by its label set; the ID keeps two alerts of one rule
	// on one object (say, bursts with different onsets) apart, as leakwatch's dedup does.
	set(LabelID, a.ID)

	ann := map[string]string{}
	if a.Summary != "" {
		ann[AnnotationSummary] = a.Summary
	}
	if ev := evidenceText(a.Evidence); ev != "" {
		ann[AnnotationEvidence] = ev
	}
	link := evidenceLink(a)
	if link != "" {
		ann[AnnotationLink] = link
	}
	if !a.RaisedAt.IsZero() {
		ann[AnnotationRaisedAt] = a.RaisedAt.UTC().Format(time.RFC3339)
	}

	starts := a.StartsAt
	if starts.IsZero() {
		starts = a.RaisedAt
	}
	// EndsAt runs from delivery, not from the event: an alert replayed from an old archive
	// must still show as firing, and a repeat after the dedup interval extends it.
	return postableAlert{
		Labels:       labels,
		Annotations:  ann,
		StartsAt:     starts.UTC(),
		EndsAt:       now.Add(resolve).UTC(),
		GeneratorURL: link,
	}
}

// evidenceText joins evidence one per line, keeping the first maxEvidence.
func evidenceText(ev []string) string {
	if len(ev) <= maxEvidence {
		return strings.Join(ev, "\n")
	}
	return strings.Join(ev[:maxEvidence], "\n") + fmt.Sprintf("\n(and %d more)", len(ev)-maxEvidence)
}

// evidenceLink is the alert's Link, or else its first evidence that is an absolute http(s)
// URL: Alertmanager's generatorURL must be a URL, and a reader wants one click to the proof.
func evidenceLink(a leakwatch.Alert) string {
	if isHTTPURL(a.Link) {
		return a.Link
	}
	for _, e := range a.Evidence {
		if isHTTPURL(e) {
			return e
		}
	}
	return ""
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// labelName makes a rule label name valid for Alertmanager ([a-zA-Z_][a-zA-Z0-9_]*).
func labelName(k string) string {
	b := []byte(k)
	for i, c := range b {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// snippet reads the start of an error response for the log.
func snippet(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 512))
	return strings.TrimSpace(string(b))
}
