package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
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
	// AnnotationDetection is the key of the record the alert was raised on (Alert.Detection).
	AnnotationDetection = "detection"
	// AnnotationReplacedBy is set on an alert leakwatch resolves because another replaced
	// it: the id of that alert.
	AnnotationReplacedBy = "replaced_by"
)

// maxEvidence caps the evidence lines in one annotation; the full list stays in the
// webhook and Kafka forms.
const maxEvidence = 20

// AlertmanagerNotifier posts alerts to Alertmanager's v2 API (POST /api/v2/alerts).
type AlertmanagerNotifier struct {
	endpoint string
	client   *http.Client
	// resolveTimeout is how long Alertmanager keeps an alert firing after delivery: leakwatch
	// alerts are events, resolved explicitly only when another alert replaces them.
	resolveTimeout time.Duration
	now            func() time.Time
	log            *slog.Logger
	// scope are the names of the labels every alert of this monitor carries from its config
	// (rules.labels: election, team). A held alert that differs on one of them is another
	// monitor's sharing this Alertmanager, which may raise the same id on the same finding:
	// never resolved as replaced.
	scope []string
}

// NewAlertmanagerNotifier returns a notifier for the Alertmanager at cfg.URL
// (e.g. http://127.0.0.1:9093). A nil client means one with cfg.Timeout per request
// (DefaultTimeout when 0).
func NewAlertmanagerNotifier(cfg AlertmanagerConfig, client *http.Client) (*AlertmanagerNotifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		client = newClient(cfg.Timeout)
	}
	return &AlertmanagerNotifier{
		endpoint:       strings.TrimRight(cfg.URL, "/") + "/api/v2/alerts",
		client:         client,
		resolveTimeout: cfg.ResolveTimeout,
		now:            time.Now,
		log:            slog.New(slog.DiscardHandler),
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

// Notify posts all alerts in one request, together with the resolution of the alerts they
// replace (see replaced). 5xx, 429, timeouts and connection errors are retryable; other 4xx
// are not.
func (n *AlertmanagerNotifier) Notify(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
	if len(alerts) == 0 {
		return false, nil
	}
	now := n.now()
	by := supersededBy(alerts)
	// What the batch itself replaces (an alert another supersedes, an earlier copy of an id)
	// is not made to fire again: it is resolved, if Alertmanager holds it, like any other.
	fire := current(alerts, by)
	body := amBody(fire, now, n.resolveTimeout)
	old, retry, err := n.replaced(ctx, fire, body, by, now)
	switch {
	case err != nil && (retry || ctx.Err() != nil):
		return retry, err // Alertmanager is unreachable or failing (the POST would be too), or shutdown
	case err != nil:
		// The query is refused or not understood (a proxy that lets only the POST through):
		// the alerts go out anyway, with the resolutions found before the failure; the rest
		// resolve after resolve_timeout, as they would without the query.
		n.log.Warn("alertmanager: cannot read which alerts these replace; delivering them without resolving those", "err", err)
	}
	if len(body)+len(old) == 0 {
		return false, nil
	}
	buf, err := json.Marshal(append(body, old...))
	if err != nil {
		return false, fmt.Errorf("alertmanager: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.endpoint, bytes.NewReader(buf))
	if err != nil {
		return false, fmt.Errorf("alertmanager: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	return n.do(ctx, req, nil)
}

// do sends req and, on a 2xx answer, decodes its body into into (when not nil).
func (n *AlertmanagerNotifier) do(ctx context.Context, req *http.Request, into any) (bool, error) {
	resp, err := n.client.Do(req)
	if err != nil {
		return retryTransport(ctx, err), fmt.Errorf("alertmanager: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return retryStatus(resp.StatusCode), statusError("alertmanager "+n.endpoint, resp)
	}
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			// Not JSON alerts (a proxy's page) is for good; a body cut short is the connection's.
			var syntax *json.SyntaxError
			var typ *json.UnmarshalTypeError
			retry := !errors.As(err, &syntax) && !errors.As(err, &typ) && retryTransport(ctx, err)
			return retry, fmt.Errorf("alertmanager: %s %s: decode: %w", req.Method, n.endpoint, err)
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // lets the connection be reused
	return false, nil
}

// heldAlert is the part of Alertmanager's GET /api/v2/alerts answer a resolution needs.
type heldAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
}

// supersededBy maps each id the alerts supersede to the alert superseding it.
func supersededBy(alerts []leakwatch.Alert) map[string]string {
	by := map[string]string{}
	for _, a := range alerts {
		for _, s := range a.Supersedes {
			if s != "" && s != a.ID {
				by[s] = a.ID
			}
		}
	}
	// A chain (C supersedes B, which superseded A) names its last link: A is replaced by C.
	for s, r := range by {
		for seen := 0; by[r] != "" && by[r] != s && seen < len(by); seen++ {
			r = by[r]
		}
		by[s] = r
	}
	return by
}

// current leaves out what a batch replaces itself: alerts another of it supersedes (by), and
// earlier copies of an id it holds again (a backlog replayed after an outage holds a
// finding's alert as it grew, or at another severity). Receivers get each finding once, as
// it stands last.
func current(alerts []leakwatch.Alert, by map[string]string) []leakwatch.Alert {
	if len(alerts) < 2 {
		return alerts
	}
	last := make(map[string]int, len(alerts))
	for i, a := range alerts {
		last[a.ID] = i
	}
	out := make([]leakwatch.Alert, 0, len(alerts))
	for i, a := range alerts {
		if a.ID != "" && (by[a.ID] != "" || last[a.ID] != i) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// idsPerQuery bounds the ids one GET asks for, keeping its URL short (an id is 24 hex digits).
const idsPerQuery = 100

// replaced returns, resolved at now, the alerts Alertmanager holds that alerts replace:
//   - those whose id an alert supersedes (by) (a leak incident that moved to an earlier burst or
//     absorbed another, groups that merged);
//   - those with an alert's id under another label set. Alertmanager tells alerts apart by
//     their labels, so when a group's candidate, an incident's object or an alert's severity
//     changes, the old set would stay firing beside the new one until resolve_timeout.
//
// Alertmanager itself is asked (GET /api/v2/alerts, filtered by alert_id), so what an earlier
// process or an earlier version delivered is resolved too. A resolution keeps the old labels,
// annotations and start, and says which alert replaced it (annotation replaced_by).
//
// alerts hold each id once (current), and by names no id of them.
func (n *AlertmanagerNotifier) replaced(ctx context.Context, alerts []leakwatch.Alert, body []postableAlert, by map[string]string, now time.Time) ([]postableAlert, bool, error) {
	posted := make(map[string]map[string]string, len(alerts)) // id -> the labels posted now
	for i, a := range alerts {
		if a.ID != "" {
			posted[a.ID] = body[i].Labels
		}
	}
	ids := make([]string, 0, len(posted)+len(by))
	for id := range posted {
		ids = append(ids, id)
	}
	for id := range by {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []postableAlert
	ours := func(held, replacement map[string]string) bool {
		for _, k := range n.scope {
			if held[k] != replacement[k] {
				return false
			}
		}
		return true
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), idsPerQuery)]
		ids = ids[len(chunk):]
		held, retry, err := n.held(ctx, chunk)
		if err != nil {
			return out, retry, err
		}
		for _, h := range held {
			id := h.Labels[LabelID]
			replacement := by[id]
			if labels, ok := posted[id]; ok {
				if maps.Equal(labels, h.Labels) {
					continue // the same alert, refreshed by this post
				}
				replacement = id
			}
			if replacement == "" || !ours(h.Labels, posted[replacement]) {
				continue
			}
			ann := maps.Clone(h.Annotations)
			if ann == nil {
				ann = map[string]string{}
			}
			ann[AnnotationReplacedBy] = replacement
			// Alertmanager refuses a whole request holding an alert that ends before it
			// starts: one that a skewed clock started after now starts now.
			start := h.StartsAt
			if start.After(now) {
				start = now
			}
			out = append(out, postableAlert{Labels: h.Labels, Annotations: ann, StartsAt: start.UTC(), EndsAt: now.UTC()})
		}
	}
	return out, false, nil
}

// held returns the alerts Alertmanager holds, firing, under any of ids.
func (n *AlertmanagerNotifier) held(ctx context.Context, ids []string) ([]heldAlert, bool, error) {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = regexp.QuoteMeta(id)
	}
	// A matcher's value is a quoted string: its backslashes and quotes are escaped again.
	re := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(strings.Join(quoted, "|"))
	q := url.Values{"filter": {LabelID + `=~"` + re + `"`}, "active": {"true"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.endpoint+"?"+q.Encode(), nil)
	if err != nil {
		return nil, false, fmt.Errorf("alertmanager: %w", err)
	}
	var held []heldAlert
	retry, err := n.do(ctx, req, &held)
	return held, retry, err
}

// amBody is the PostableAlerts of alerts delivered at now.
func amBody(alerts []leakwatch.Alert, now time.Time, resolve time.Duration) []postableAlert {
	body := make([]postableAlert, len(alerts))
	for i, a := range alerts {
		body[i] = amAlert(a, now, resolve)
	}
	return body
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
	if a.Detection != "" {
		ann[AnnotationDetection] = a.Detection
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
