package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// gettableAlert is the part of Alertmanager's GET /api/v2/alerts answer the tests read.
type gettableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// countingProxy forwards to Alertmanager and counts the alert POSTs that reach it.
func countingProxy(t *testing.T, amURL string) (string, *atomic.Int64) {
	u, err := url.Parse(amURL)
	if err != nil {
		t.Fatal(err)
	}
	var posts atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v2/alerts" {
			posts.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &posts
}

// amAlerts reads the alerts Alertmanager holds for one test run.
func amAlerts(t *testing.T, amURL, run string) map[string]gettableAlert {
	t.Helper()
	byID := map[string]gettableAlert{}
	for _, a := range amList(t, amURL, run) {
		id := a.Labels[LabelID]
		if prev, ok := byID[id]; ok {
			t.Errorf("Alertmanager holds two firing alerts with id %s:\n%v\n%v", id, prev.Labels, a.Labels)
		}
		byID[id] = a
	}
	return byID
}

// amList returns the alerts Alertmanager holds, firing, with label run.
func amList(t *testing.T, amURL, run string) []gettableAlert {
	t.Helper()
	q := url.Values{"filter": {fmt.Sprintf("run=%q", run)}}
	resp, err := http.Get(amURL + "/api/v2/alerts?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v2/alerts: %s", resp.Status)
	}
	var list []gettableAlert
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	return list
}

// recordingProxy forwards to Alertmanager and keeps the alerts each POST carried.
func recordingProxy(t *testing.T, amURL string) (string, func() [][]gettableAlert) {
	u, err := url.Parse(amURL)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		posts [][]gettableAlert
	)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				t.Error(err)
			}
			var body []gettableAlert
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Errorf("POST body: %v", err)
			}
			mu.Lock()
			posts = append(posts, body)
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(raw))
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() [][]gettableAlert {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(posts)
	}
}

func TestAlertmanagerRoundTrip(t *testing.T) {
	amURL := testenv.Alertmanager(t)
	run := fmt.Sprintf("t%d", time.Now().UnixNano())

	leak := leakAlert(run + "|leak")
	leak.Labels = map[string]string{"run": run, "election": "fr-2017-r2", "alertname": "forged", "desk-name": "paris"}
	burst := leakwatch.Alert{
		ID: run + "|burst", Rule: "BurstNearSilence", Severity: "warning", Kind: leakwatch.SignalBurst,
		Object:   "url:https://pastebin.com/raw/xyz",
		Summary:  "312 posts in 10 minutes against a baseline of 4",
		StartsAt: time.Date(2017, 5, 5, 18, 40, 0, 0, time.UTC),
		Labels:   map[string]string{"run": run},
	}
	for i := range 25 {
		burst.Evidence = append(burst.Evidence, fmt.Sprintf("https://twitter.com/u%d/status/%d", i, 860582014463463425+int64(i)))
	}

	cfg := AlertmanagerConfig{URL: amURL, Timeout: 5 * time.Second, ResolveTimeout: 10 * time.Minute}
	n, err := NewAlertmanagerNotifier(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if retry, err := n.Notify(context.Background(), leak, burst); err != nil {
		t.Fatalf("Notify: retry %v, %v", retry, err)
	}

	got := amAlerts(t, amURL, run)
	if len(got) != 2 {
		t.Fatalf("Alertmanager holds %d alerts for run %s, want 2: %+v", len(got), run, got)
	}
	l := got[leak.ID]
	wantLabels := map[string]string{
		"alertname": "LeakBeforeSilence", "severity": "critical", "kind": "leak",
		"object": "hashtag:macronleaks", "candidate": "macron", "alert_id": leak.ID,
		"run": run, "election": "fr-2017-r2", "desk_name": "paris",
	}
	if fmt.Sprint(l.Labels) != fmt.Sprint(wantLabels) {
		t.Errorf("leak labels\n got %v\nwant %v", l.Labels, wantLabels)
	}
	if l.Annotations["summary"] != leak.Summary ||
		l.Annotations["evidence"] != strings.Join(leak.Evidence, "\n") ||
		l.Annotations["link"] != leak.Link ||
		l.Annotations["raised_at"] != "2017-05-05T18:49:00Z" ||
		l.Annotations["detection"] != leak.Detection {
		t.Errorf("leak annotations = %v", l.Annotations)
	}
	if _, ok := got[burst.ID].Annotations["detection"]; ok {
		t.Errorf("burst annotations = %v: a detection annotation for an alert that names no record", got[burst.ID].Annotations)
	}
	if l.GeneratorURL != leak.Link {
		t.Errorf("generatorURL = %q, want the alert's link %q", l.GeneratorURL, leak.Link)
	}
	if !l.StartsAt.Equal(leak.StartsAt) {
		t.Errorf("startsAt = %v, want the leak onset %v", l.StartsAt, leak.StartsAt)
	}
	if lo, hi := before.Add(cfg.ResolveTimeout-time.Second), time.Now().Add(cfg.ResolveTimeout+time.Second); l.EndsAt.Before(lo) || l.EndsAt.After(hi) {
		t.Errorf("endsAt = %v, want delivery time + %s", l.EndsAt, cfg.ResolveTimeout)
	}

	b := got[burst.ID]
	if _, ok := b.Labels["candidate"]; ok {
		t.Errorf("burst without candidate has candidate label %q", b.Labels["candidate"])
	}
	if b.Labels["alertname"] != "BurstNearSilence" || b.Labels["severity"] != "warning" || b.Labels["object"] != burst.Object {
		t.Errorf("burst labels = %v", b.Labels)
	}
	lines := strings.Split(b.Annotations["evidence"], "\n")
	if len(lines) != maxEvidence+1 || lines[maxEvidence] != "(and 5 more)" {
		t.Errorf("evidence annotation has %d lines ending %q, want %d links and (and 5 more)", len(lines), lines[len(lines)-1], maxEvidence)
	}
	if b.GeneratorURL != burst.Evidence[0] {
		t.Errorf("generatorURL without a link = %q, want the first evidence URL %q", b.GeneratorURL, burst.Evidence[0])
	}
}

// Dedup keeps a repeat from reaching Alertmanager at all; after the interval it is sent
// again (and so stays firing).
func TestAlertmanagerDedup(t *testing.T) {
	amURL := testenv.Alertmanager(t)
	proxy, posts := countingProxy(t, amURL)
	run := fmt.Sprintf("t%d", time.Now().UnixNano())
	n, err := NewAlertmanagerNotifier(AlertmanagerConfig{URL: proxy, Timeout: 5 * time.Second, ResolveTimeout: 10 * time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(nil)
	r := NewReceiver("alertmanager", n, DedupConfig{Interval: time.Hour, MaxEntries: 100}, testPolicy, m, nil)
	clock := time.Now()
	r.dedup.now = func() time.Time { return clock }

	a := leakAlert(run + "|leak")
	a.Labels = map[string]string{"run": run}
	send := func() {
		t.Helper()
		if _, err := r.Notify(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	send()
	clock = clock.Add(59 * time.Minute)
	send()
	if got := posts.Load(); got != 1 {
		t.Fatalf("Alertmanager got %d POSTs within the dedup interval, want 1", got)
	}
	if got := counter(t, m.sent, "alertmanager", OutcomeSuppressed); got != 1 {
		t.Errorf("suppressed = %v, want 1", got)
	}
	if _, ok := amAlerts(t, amURL, run)[a.ID]; !ok {
		t.Fatalf("alert %s not in Alertmanager", a.ID)
	}
	clock = clock.Add(2 * time.Minute)
	send()
	if got := posts.Load(); got != 2 {
		t.Errorf("Alertmanager got %d POSTs after the interval, want 2", got)
	}
}

// An alert that replaces others resolves them in Alertmanager at once, where they would
// otherwise fire beside it until resolve_timeout: a leak incident that absorbed another, and
// the same group's alert under another label set (its candidate changed as it grew).
func TestAlertmanagerResolvesReplacedAlerts(t *testing.T) {
	amURL := testenv.Alertmanager(t)
	proxy, posts := recordingProxy(t, amURL)
	run := fmt.Sprintf("t%d", time.Now().UnixNano())
	n, err := NewAlertmanagerNotifier(AlertmanagerConfig{URL: proxy, Timeout: 5 * time.Second, ResolveTimeout: 10 * time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// An id with characters a regular expression reads as syntax is asked for literally.
	first := leakAlert(run + "|leak|2017-05-05T18:35:00Z")
	first.Labels = map[string]string{"run": run}
	other := leakAlert(run + "|leak|2017-05-05T18:36:00Z") // an alert nothing replaces
	other.Labels = map[string]string{"run": run}
	group := leakwatch.Alert{
		ID: run + "|group", Rule: "CoordinatedGroup", Severity: "warning", Kind: leakwatch.SignalGroup,
		Object: "group:g-f721da820cc9872e", Candidate: "macron", Summary: "6 accounts co-shared 14 objects",
		StartsAt: time.Date(2017, 5, 5, 18, 30, 0, 0, time.UTC), Labels: map[string]string{"run": run},
	}
	notify := func(as ...leakwatch.Alert) {
		t.Helper()
		if retry, err := n.Notify(context.Background(), as...); err != nil {
			t.Fatalf("Notify: retry %v, %v", retry, err)
		}
	}
	notify(first, other, group)
	if got := amAlerts(t, amURL, run); len(got) != 3 {
		t.Fatalf("Alertmanager holds %d alerts, want 3", len(got))
	}

	merged := leakAlert(run + "|leak|2017-05-05T18:20:00Z")
	merged.Labels = map[string]string{"run": run}
	merged.Supersedes = []string{first.ID}
	grown := group
	grown.Candidate, grown.Summary = "lepen", "9 accounts co-shared 31 objects"
	before := time.Now()
	notify(merged, grown)

	got := amAlerts(t, amURL, run)
	if _, ok := got[first.ID]; ok {
		t.Errorf("the superseded incident's alert %s still fires", first.ID)
	}
	if g, ok := got[group.ID]; !ok || g.Labels[LabelCandidate] != "lepen" {
		t.Errorf("group alert = %v, want it firing with candidate lepen", g.Labels)
	}
	for _, id := range []string{merged.ID, other.ID} {
		if _, ok := got[id]; !ok {
			t.Errorf("alert %s not firing", id)
		}
	}
	if len(got) != 3 {
		t.Errorf("Alertmanager holds %d alerts, want 3: %v", len(got), got)
	}

	// The resolutions went in the same POST as their replacements, with their own labels,
	// annotations and start, and the id of what replaced them.
	last := posts()[len(posts())-1]
	resolved := map[string]gettableAlert{}
	for _, a := range last[2:] {
		resolved[a.Labels[LabelCandidate]+" "+a.Labels[LabelID]] = a
	}
	if len(last) != 4 || len(resolved) != 2 {
		t.Fatalf("second POST carried %d alerts, want the 2 new and 2 resolutions: %v", len(last), last)
	}
	for key, want := range map[string]leakwatch.Alert{"macron " + first.ID: first, "macron " + group.ID: group} {
		r, ok := resolved[key]
		switch {
		case !ok:
			t.Errorf("no resolution of %s", key)
		case r.EndsAt.Before(before.Add(-time.Second)) || r.EndsAt.After(time.Now()):
			t.Errorf("%s: endsAt %v, want the time of the POST", key, r.EndsAt)
		case r.Annotations[AnnotationSummary] != want.Summary || !r.StartsAt.Equal(want.StartsAt):
			t.Errorf("%s: summary %q, start %v; want the alert's own %q, %v", key, r.Annotations[AnnotationSummary], r.StartsAt, want.Summary, want.StartsAt)
		}
	}
	if r := resolved["macron "+first.ID]; r.Annotations[AnnotationReplacedBy] != merged.ID {
		t.Errorf("superseded alert replaced_by %q, want %s", r.Annotations[AnnotationReplacedBy], merged.ID)
	}
	if r := resolved["macron "+group.ID]; r.Annotations[AnnotationReplacedBy] != group.ID {
		t.Errorf("relabelled group alert replaced_by %q, want its own id %s", r.Annotations[AnnotationReplacedBy], group.ID)
	}

	// A backlog holding an alert and, later, the alert that supersedes it: the first is not
	// made to fire.
	early := leakAlert(run + "|leak|2017-05-05T19:00:00Z")
	early.Labels = map[string]string{"run": run}
	later := leakAlert(run + "|leak|2017-05-05T18:58:00Z")
	later.Labels = map[string]string{"run": run}
	later.Supersedes = []string{early.ID}
	notify(early, later)
	got = amAlerts(t, amURL, run)
	if _, ok := got[early.ID]; ok {
		t.Errorf("alert %s fires although the same batch supersedes it", early.ID)
	}
	if _, ok := got[later.ID]; !ok || len(got) != 4 {
		t.Errorf("Alertmanager holds %d alerts, want 4 with %s: %v", len(got), later.ID, got)
	}

	// One id twice in a batch, raised again at another severity: the last stands.
	warn := leakAlert(run + "|leak|2017-05-05T20:00:00Z")
	warn.Labels, warn.Rule, warn.Severity = map[string]string{"run": run}, "LeakCandidate", "warning"
	crit := warn
	crit.Severity = "critical"
	notify(warn, crit)
	if a, ok := amAlerts(t, amURL, run)[warn.ID]; !ok || a.Labels[LabelSeverity] != "critical" {
		t.Errorf("alert %s: labels %v, want it once, critical", warn.ID, a.Labels)
	}

	// A held alert that a skewed clock started in the future is still resolved, and the
	// request that resolves it is not refused for ending before it starts.
	skewed := leakAlert(run + "|leak|2017-05-05T21:00:00Z")
	skewed.Labels, skewed.StartsAt = map[string]string{"run": run}, time.Now().Add(3*time.Minute)
	notify(skewed)
	successor := leakAlert(run + "|leak|2017-05-05T20:59:00Z")
	successor.Labels, successor.Supersedes = map[string]string{"run": run}, []string{skewed.ID}
	notify(successor)
	got = amAlerts(t, amURL, run)
	if _, ok := got[skewed.ID]; ok {
		t.Errorf("the future-started alert %s still fires after its successor", skewed.ID)
	}
	if _, ok := got[successor.ID]; !ok {
		t.Errorf("successor %s not firing", successor.ID)
	}
}

// A query Alertmanager (or a proxy in front of it) refuses or answers with something else
// does not hold back delivery: the alerts are posted without resolutions.
func TestAlertmanagerQueryRefused(t *testing.T) {
	for name, get := range map[string]http.HandlerFunc{
		"403": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "only POST here", http.StatusForbidden) },
		"html": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "<html><body>sign in</body></html>")
		},
	} {
		t.Run(name, func(t *testing.T) {
			var posted []gettableAlert
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					get(w, r)
					return
				}
				if err := json.NewDecoder(r.Body).Decode(&posted); err != nil {
					t.Error(err)
				}
			}))
			defer srv.Close()
			n, err := NewAlertmanagerNotifier(AlertmanagerConfig{URL: srv.URL, Timeout: 5 * time.Second, ResolveTimeout: time.Minute}, nil)
			if err != nil {
				t.Fatal(err)
			}
			a := leakAlert("leak|2")
			a.Supersedes = []string{"leak|1"}
			if retry, err := n.Notify(context.Background(), a); err != nil {
				t.Fatalf("Notify = (retry %v, %v), want the alert delivered", retry, err)
			}
			if len(posted) != 1 || posted[0].Labels[LabelID] != a.ID {
				t.Errorf("posted %v, want the one alert", posted)
			}
		})
	}
}

// Alertmanager refuses an alert without labels with 400: reported, not retried.
func TestAlertmanagerRejects(t *testing.T) {
	amURL := testenv.Alertmanager(t)
	proxy, posts := countingProxy(t, amURL)
	n, err := NewAlertmanagerNotifier(AlertmanagerConfig{URL: proxy, Timeout: 5 * time.Second, ResolveTimeout: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(nil)
	r := NewReceiver("alertmanager", n, DedupConfig{}, testPolicy, m, nil)
	retry, err := r.Notify(context.Background(), leakwatch.Alert{Summary: "no rule, no id, no labels"})
	var se *StatusError
	if retry || !errors.As(err, &se) || se.Code != http.StatusBadRequest {
		t.Fatalf("Notify = (retry %v, %v), want a 400 StatusError without retry", retry, err)
	}
	if posts.Load() != 1 {
		t.Errorf("%d POSTs, want 1 (no retry after 400)", posts.Load())
	}
	if got := counter(t, m.sent, "alertmanager", OutcomeRejected); got != 1 {
		t.Errorf("rejected = %v, want 1", got)
	}
}

// Alertmanager down: connection refused is retried until the policy gives up.
func TestAlertmanagerUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	dead := srv.URL
	srv.Close() // the port is now closed
	n, err := NewAlertmanagerNotifier(AlertmanagerConfig{URL: dead, Timeout: time.Second, ResolveTimeout: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(nil)
	r := NewReceiver("alertmanager", n, DedupConfig{}, testPolicy, m, nil)
	retry, err := r.Notify(context.Background(), leakAlert("x"))
	if !retry || !errors.Is(err, ErrGaveUp) {
		t.Fatalf("Notify = (retry %v, %v), want to give up after retries", retry, err)
	}
	if got := counter(t, m.retries, "alertmanager"); got != float64(testPolicy.MaxAttempts-1) {
		t.Errorf("retries = %v, want %d", got, testPolicy.MaxAttempts-1)
	}
}

// The local Alertmanager runs as deploy/local/alertmanager.sh starts it: the project's config
// and no gossip cluster.
func TestLocalAlertmanagerSetup(t *testing.T) {
	amURL := testenv.Alertmanager(t)
	resp, err := http.Get(amURL + "/api/v2/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Cluster struct {
			Status string `json:"status"`
		} `json:"cluster"`
		Config struct {
			Original string `json:"original"`
		} `json:"config"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Cluster.Status != "disabled" {
		t.Errorf("cluster status %q, want disabled (--cluster.listen-address=)", st.Cluster.Status)
	}
	for _, want := range []string{"receiver: hold", "group_wait: 1s"} {
		if !strings.Contains(st.Config.Original, want) {
			t.Errorf("running config lacks %q; is it deploy/local/alertmanager/alertmanager.yml?\n%s", want, st.Config.Original)
		}
	}
}

// Two monitors sharing one Alertmanager (a national and a regional election, each with its
// own rules.labels) raise the same id on a finding both see. Neither resolves the other's
// alert, as it resolves its own alert relabelled or superseded.
func TestAlertmanagerLeavesAnotherMonitorsAlerts(t *testing.T) {
	amURL := testenv.Alertmanager(t)
	run := fmt.Sprintf("t%d", time.Now().UnixNano())
	monitor := func() *AlertmanagerNotifier {
		n, err := NewAlertmanagerNotifier(AlertmanagerConfig{URL: amURL, Timeout: 5 * time.Second, ResolveTimeout: 10 * time.Minute}, nil)
		if err != nil {
			t.Fatal(err)
		}
		n.scope = []string{"election"}
		return n
	}
	national, regional := monitor(), monitor()
	alert := func(id, election, candidate string) leakwatch.Alert {
		a := leakAlert(run + "|" + id)
		a.Candidate, a.Labels = candidate, map[string]string{"run": run, "election": election}
		return a
	}
	notify := func(n *AlertmanagerNotifier, as ...leakwatch.Alert) {
		t.Helper()
		if retry, err := n.Notify(context.Background(), as...); err != nil {
			t.Fatalf("Notify: retry %v, %v", retry, err)
		}
	}
	firing := func() []string {
		t.Helper()
		var out []string
		for _, a := range amList(t, amURL, run) {
			out = append(out, strings.TrimPrefix(a.Labels[LabelID], run+"|")+" "+a.Labels["election"]+" "+a.Labels[LabelCandidate])
		}
		slices.Sort(out)
		return out
	}
	notify(national, alert("burst", "fr-2017", "macron"), alert("old", "fr-2017", "macron"))
	// The regional monitor names another candidate on the same burst, and its new incident
	// supersedes an id the national monitor raised too.
	merged := alert("merged", "idf-2017", "hidalgo")
	merged.Supersedes = []string{run + "|old"}
	notify(regional, alert("burst", "idf-2017", "hidalgo"), merged)
	want := []string{"burst fr-2017 macron", "burst idf-2017 hidalgo", "merged idf-2017 hidalgo", "old fr-2017 macron"}
	if got := firing(); !slices.Equal(got, want) {
		t.Errorf("firing after the regional monitor's alerts:\n%v\nwant\n%v", got, want)
	}
	// Each still resolves its own: the national burst relabelled, its old incident merged.
	merged.Labels["election"], merged.Candidate = "fr-2017", "macron"
	notify(national, alert("burst", "fr-2017", "lepen"), merged)
	want = []string{"burst fr-2017 lepen", "burst idf-2017 hidalgo", "merged fr-2017 macron", "merged idf-2017 hidalgo"}
	if got := firing(); !slices.Equal(got, want) {
		t.Errorf("firing after the national monitor's update:\n%v\nwant\n%v", got, want)
	}
}
