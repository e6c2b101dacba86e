package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/alerts"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// `leakwatch alert` against real Kafka and Alertmanager: good alerts reach Alertmanager and a
// signed webhook once, a repeat is suppressed, an undecodable record (in each receiver's
// group) and an alert Alertmanager refuses go to the dead-letter topic with their reasons, and
// every offset of each receiver's group is committed.
func TestAlertCommand(t *testing.T) {
	broker := testenv.Kafka(t)
	amURL := testenv.Alertmanager(t)
	runID := fmt.Sprintf("t%d", time.Now().UnixNano())

	secret := "alert-command-test-secret"
	hook, hooked := recordingWebhook(t, secret)
	t.Setenv("LEAKWATCH_TEST_WEBHOOK_SECRET", secret)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	scfg := alertTopics(t, ctx, broker, runID, 2)

	good := func(n int) leakwatch.Alert {
		return leakwatch.Alert{
			ID: fmt.Sprintf("%s|burst|hashtag:h%d", runID, n), Rule: "BurstNearSilence", Severity: "warning",
			Kind: leakwatch.SignalBurst, Object: fmt.Sprintf("hashtag:h%d", n), Summary: "burst",
			StartsAt: time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC), Labels: map[string]string{"run": runID},
		}
	}
	// Starting a year from now, it would end before it starts: Alertmanager answers 400.
	refused := good(9)
	refused.StartsAt = time.Now().AddDate(1, 0, 0)
	var msgs []stream.Message
	for _, a := range []leakwatch.Alert{good(1), good(2), good(1), refused, good(3)} {
		m, err := stream.EncodeAlert(scfg.Topics.Alerts, a)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	msgs = append(msgs, stream.Message{Topic: scfg.Topics.Alerts, Key: []byte("junk"), Value: []byte("{not json")})
	w, err := stream.NewWriter(scfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}

	yaml := alertKafkaYAML(broker, scfg) + fmt.Sprintf(`alerts:
  alertmanager:
    url: %q
    resolve_timeout: 10m
  dedup:
    interval: 5m
  webhooks:
    - name: newsroom
      url: %q
      secret_env: LEAKWATCH_TEST_WEBHOOK_SECRET
  retry:
    initial: 10ms
    max: 100ms
    multiplier: 2
    max_attempts: 3
metrics: ""
`, amURL, hook.URL)
	alert := startAlert(t, ctx, yaml)
	defer alert.stop()
	done, stderr := alert.done, alert.stderr

	// Everything is handled when each group's committed offsets reach the end of the topic.
	for {
		caughtUp, state := true, ""
		for _, r := range []string{"alertmanager", "newsroom"} {
			ok, st := allCommitted(t, ctx, scfg, scfg.GroupPrefix+receiverStage(r), scfg.Topics.Alerts)
			caughtUp, state = caughtUp && ok, state+r+": "+st+"; "
		}
		if caughtUp {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("offsets not committed (%s); log:\n%s", state, stderr.String())
		case code := <-done:
			done <- code
			t.Fatalf("leakwatch alert exited %d before catching up:\n%s", code, stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
	}

	held := alertmanagerAlerts(t, amURL, runID)
	for _, n := range []int{1, 2, 3} {
		id := good(n).ID
		if held[id] != "BurstNearSilence" {
			t.Errorf("Alertmanager lacks %s (holds %v)", id, held)
		}
		if n := hooked()[id]; n != 1 {
			t.Errorf("webhook got %s %d times, want once (the repeat is suppressed)", id, n)
		}
	}
	if len(held) != 3 {
		t.Errorf("Alertmanager holds %d alerts of this run, want 3: %v", len(held), held)
	}

	// The junk record once per receiver's group, the refused alert by Alertmanager's only.
	dead := readDeadLetters(t, scfg, 3)
	got := map[string]string{} // stage + key -> reason
	for _, d := range dead {
		if d.Topic != scfg.Topics.Alerts {
			t.Errorf("dead letter %+v: want one from %s", d, scfg.Topics.Alerts)
		}
		got[d.Stage+" "+string(d.Key)] = d.Reason
	}
	for _, want := range []struct{ stage, key, reason string }{
		{receiverStage("alertmanager"), "junk", "decode"},
		{receiverStage("newsroom"), "junk", "decode"},
		{receiverStage("alertmanager"), refused.ID, "receiver alertmanager"},
	} {
		reason, ok := got[want.stage+" "+want.key]
		if !ok || !strings.Contains(reason, want.reason) {
			t.Errorf("no dead letter of %s from stage %s naming %q; got %v", want.key, want.stage, want.reason, got)
		}
	}
	if r := got[receiverStage("alertmanager")+" "+refused.ID]; !strings.Contains(r, "400") {
		t.Errorf("dead-letter reason %q does not give Alertmanager's 400", r)
	}
}

// alertmanagerAlerts maps alert_id to alertname for the alerts labelled run=RUN.
func alertmanagerAlerts(t *testing.T, amURL, runID string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, a := range heldAlerts(t, amURL, runID) {
		out[a.Labels[alerts.LabelID]] = a.Labels[alerts.LabelAlertname]
	}
	return out
}

// heldAlert is an alert as Alertmanager's API answers it.
type heldAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// heldAlerts are the alerts Alertmanager holds labelled run=RUN.
func heldAlerts(t *testing.T, amURL, runID string) []heldAlert {
	t.Helper()
	resp, err := http.Get(amURL + "/api/v2/alerts?" + url.Values{"filter": {fmt.Sprintf("run=%q", runID)}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []heldAlert
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	return list
}

// alertKafkaYAML is the kafka section of an alert role reading the test's topics.
func alertKafkaYAML(broker string, scfg stream.Config) string {
	return fmt.Sprintf(`kafka:
  brokers: [%q]
  group_prefix: %q
  topics:
    alerts: %q
    deadletter: %q
`, broker, scfg.GroupPrefix, scfg.Topics.Alerts, scfg.Topics.DeadLetter)
}

// readDeadLetters reads n dead letters from the test's dead-letter topic.
func readDeadLetters(t *testing.T, scfg stream.Config, n int) []stream.DeadLetter {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g, err := stream.NewGroup(scfg, "deadletter-check", []string{scfg.Topics.DeadLetter}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []stream.DeadLetter
	err = g.Run(ctx, func(_ context.Context, batch []stream.Record) error {
		for _, r := range batch {
			d, err := stream.ParseDeadLetter(r)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		if len(out) >= n {
			cancel()
		}
		return nil
	})
	if err != nil || len(out) != n {
		t.Fatalf("read %d dead letters (want %d): %v", len(out), n, err)
	}
	return out
}

// A webhook that keeps failing does not hold back Alertmanager: each receiver reads the
// alerts topic in its own consumer group, so alerts written while the webhook is still
// retrying an earlier one reach Alertmanager at once, and only the webhook's group lags.
func TestAlertFailingWebhookDelaysNoOther(t *testing.T) {
	broker := testenv.Kafka(t)
	amURL := testenv.Alertmanager(t)
	runID := fmt.Sprintf("t%d", time.Now().UnixNano())

	var hookRequests atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hookRequests.Add(1)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	defer hook.Close()
	t.Setenv("LEAKWATCH_TEST_WEBHOOK_SECRET", "s")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	scfg := alertTopics(t, ctx, broker, runID, 1)
	write := alertWriter(t, ctx, scfg, runID)

	// The webhook's retries outlast the test: max_elapsed 0 is no time limit.
	conf := filepath.Join(t.TempDir(), "leakwatch.yaml")
	yaml := fmt.Sprintf(`kafka:
  brokers: [%q]
  group_prefix: %q
  topics: {alerts: %q, deadletter: %q}
alerts:
  alertmanager: {url: %q}
  webhooks: [{name: newsroom, url: %q, secret_env: LEAKWATCH_TEST_WEBHOOK_SECRET}]
  retry: {initial: 100ms, max: 500ms, multiplier: 2, max_attempts: 10000, max_elapsed: 0}
metrics: ""
`, broker, scfg.GroupPrefix, scfg.Topics.Alerts, scfg.Topics.DeadLetter, amURL, hook.URL)
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(runCtx, []string{"alert", "-config", conf}, io.Discard, &stderr) }()
	defer func() {
		stop()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("leakwatch alert exited %d:\n%s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("leakwatch alert did not stop while a receiver was retrying:\n%s", stderr.String())
		}
	}()
	held := func(id string, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for alertmanagerAlerts(t, amURL, runID)[runID+"|"+id] == "" {
			if time.Now().After(deadline) {
				t.Fatalf("Alertmanager lacks alert %s after %s (webhook requests so far: %d); log:\n%s", id, within, hookRequests.Load(), stderr.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	write("first")
	held("first", time.Minute) // includes joining the group
	for hookRequests.Load() < 2 {
		time.Sleep(50 * time.Millisecond) // the webhook is retrying the first alert
	}
	write("second")
	held("second", 15*time.Second)

	amDone, state := allCommitted(t, ctx, scfg, scfg.GroupPrefix+receiverStage("alertmanager"), scfg.Topics.Alerts)
	for deadline := time.Now().Add(10 * time.Second); !amDone && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		amDone, state = allCommitted(t, ctx, scfg, scfg.GroupPrefix+receiverStage("alertmanager"), scfg.Topics.Alerts)
	}
	if !amDone {
		t.Errorf("Alertmanager's group did not commit both alerts: %s", state)
	}
	if hookDone, state := allCommitted(t, ctx, scfg, scfg.GroupPrefix+receiverStage("newsroom"), scfg.Topics.Alerts); hookDone {
		t.Errorf("the failing webhook's group committed everything: %s", state)
	}
}

// When Alertmanager refuses a batch for one bad alert, the alert role dead-letters only that
// one, and each alert is counted once: delivered or rejected, never both.
func TestAlertBatchRefusalCountedOnce(t *testing.T) {
	am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet { // which alerts it holds: none
			fmt.Fprint(w, "[]")
			return
		}
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"bad"`) {
			http.Error(w, "start time must be before end time", http.StatusBadRequest)
		}
	}))
	defer am.Close()
	reg := prometheus.NewRegistry()
	cfg := alerts.DefaultConfig()
	cfg.Alertmanager.URL = am.URL
	rs, err := cfg.Receivers(alerts.Options{Metrics: alerts.NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	d := &alertDelivery{fanout: alerts.NewFanout(nil, rs...), stage: receiverStage("alertmanager"), log: slog.New(slog.DiscardHandler)}
	var items []stream.Item[leakwatch.Alert]
	for i, id := range []string{"g1", "g2", "g3", "bad"} {
		a := leakwatch.Alert{ID: id, Rule: "R", Severity: "warning", Kind: leakwatch.SignalBurst, Summary: "s", StartsAt: time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)}
		items = append(items, stream.Item[leakwatch.Alert]{Record: stream.Record{Topic: "alerts", Offset: int64(i), Key: []byte(id)}, Value: a})
	}
	dead, err := d.deliver(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || string(dead[0].Key) != "bad" || !strings.Contains(dead[0].Reason, "400") {
		t.Errorf("dead letters %+v, want only the bad alert with the 400", dead)
	}
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "leakwatch_alerts_sent_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					got[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	want := map[string]float64{alerts.OutcomeDelivered: 3, alerts.OutcomeRejected: 1, alerts.OutcomeSuppressed: 0, alerts.OutcomeFailed: 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("leakwatch_alerts_sent_total{receiver=alertmanager} by outcome = %v, want %v", got, want)
	}
}

// Errors in the alerts section name it once, and "0" turns dedup off as the docs write it.
func TestAlertConfigSection(t *testing.T) {
	dir := t.TempDir()
	load := func(yaml string) (Config, error) {
		path := filepath.Join(dir, "leakwatch.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return loadConfig(path)
	}
	_, err := load("alerts:\n  retry: {initial: 1s, max: 10ms}\n")
	if err == nil || !strings.Contains(err.Error(), "alerts: retry.max: ") || strings.Contains(err.Error(), "alerts: alerts:") {
		t.Errorf("error %q, want it to name alerts: retry.max once", err)
	}
	_, err = load("alerts:\n  dedup: {interval: 1h, maxentries: 5}\n")
	if err == nil || !strings.Contains(err.Error(), "maxentries") {
		t.Errorf("unknown field in alerts.dedup: error %v, want one naming it", err)
	}
	c, err := load("alerts:\n  dedup: {interval: 0}\n  retry: {max_elapsed: 0}\n")
	if err != nil || c.Alerts.Dedup.Interval != 0 || c.Alerts.Retry.MaxElapsed != 0 {
		t.Errorf("bare 0: %+v, %v; want dedup and the time limit off", c.Alerts, err)
	}
}

// alertTopics makes an alerts topic and a dead-letter topic of their own for one test run,
// deleted when it ends, and the Kafka configuration naming them.
// recordingWebhook is a webhook receiver that checks each request's signature with secret
// and counts the alerts it got by id; hooked returns a copy of the counts.
func recordingWebhook(t *testing.T, secret string) (hook *httptest.Server, hooked func() map[string]int) {
	var mu sync.Mutex
	got := map[string]int{}
	hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := alerts.Verify([]byte(secret), r.Header, body); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var p alerts.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, a := range p.Alerts {
			got[a.ID]++
		}
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	return hook, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(got)
	}
}

// alertRun is a `leakwatch alert` started by startAlert.
type alertRun struct {
	done   chan int // its exit code, once it stopped
	stderr *syncBuffer
	stop   func() // ends it and checks that it exited 0
}

// startAlert runs `leakwatch alert` with the config yaml until stop is called.
func startAlert(t *testing.T, ctx context.Context, yaml string) alertRun {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "leakwatch.yaml")
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	r := alertRun{done: make(chan int, 1), stderr: &syncBuffer{}}
	go func() { r.done <- run(runCtx, []string{"alert", "-config", conf}, io.Discard, r.stderr) }()
	r.stop = func() {
		stopRun()
		if code := <-r.done; code != 0 {
			t.Errorf("leakwatch alert exited %d:\n%s", code, r.stderr.String())
		}
	}
	return r
}

// alertWriter returns a function that writes a warning alert with id runID|name, labelled
// with the run, to the test's alerts topic.
func alertWriter(t *testing.T, ctx context.Context, scfg stream.Config, runID string) func(name string) {
	t.Helper()
	w, err := stream.NewWriter(scfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return func(name string) {
		t.Helper()
		a := leakwatch.Alert{ID: runID + "|" + name, Rule: "BurstNearSilence", Severity: "warning", Kind: leakwatch.SignalBurst,
			Object: "hashtag:" + name, Summary: "burst", StartsAt: time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC), Labels: map[string]string{"run": runID}}
		m, err := stream.EncodeAlert(scfg.Topics.Alerts, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}

func alertTopics(t *testing.T, ctx context.Context, broker, runID string, partitions int) stream.Config {
	t.Helper()
	scfg := stream.DefaultConfig()
	scfg.Brokers = []string{broker}
	scfg.Partitions = partitions
	scfg.Topics.Alerts = "leakwatch.alerts.test-" + runID
	scfg.Topics.DeadLetter = "leakwatch.deadletter.test-" + runID
	scfg.GroupPrefix = "test-" + runID + "-"
	t.Cleanup(func() {
		_ = stream.DeleteTopics(context.Background(), scfg, scfg.Topics.Alerts, scfg.Topics.DeadLetter)
	})
	if err := stream.CreateTopics(ctx, scfg, scfg.Topics.Alerts, scfg.Topics.DeadLetter); err != nil {
		t.Fatal(err)
	}
	return scfg
}

// TestAlertCarriesOnFromTheOldGroup: earlier versions read the alerts topic in one group,
// <prefix>alert. On the first start after the upgrade, each receiver's new group carries on
// where that one stopped, so the alerts it had delivered are not sent again, and the old group
// is deleted; a receiver added once the upgrade is done starts at kafka.start_offset like any
// new group.
func TestAlertCarriesOnFromTheOldGroup(t *testing.T) {
	broker := testenv.Kafka(t)
	amURL := testenv.Alertmanager(t)
	runID := fmt.Sprintf("t%d", time.Now().UnixNano())
	hook, hooked := recordingWebhook(t, "s")
	t.Setenv("LEAKWATCH_TEST_WEBHOOK_SECRET", "s")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	scfg := alertTopics(t, ctx, broker, runID, 1)
	write := alertWriter(t, ctx, scfg, runID)
	id := func(name string) string { return runID + "|" + name }

	// An earlier version delivered two alerts and committed them in its single group.
	write("old1")
	write("old2")
	old, err := stream.NewGroup(scfg, "alert", []string{scfg.Topics.Alerts}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	oldCtx, stopOld := context.WithCancel(ctx)
	oldDone := make(chan error, 1)
	go func() { oldDone <- old.Run(oldCtx, func(context.Context, []stream.Record) error { return nil }) }()
	for done, state := allCommitted(t, ctx, scfg, old.ID(), scfg.Topics.Alerts); !done; done, state = allCommitted(t, ctx, scfg, old.ID(), scfg.Topics.Alerts) {
		if ctx.Err() != nil {
			t.Fatalf("the old group did not commit: %s", state)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopOld()
	<-oldDone
	write("new1")

	start := func(webhook bool) (stop func()) {
		hooks := ""
		if webhook {
			hooks = fmt.Sprintf("  webhooks: [{name: newsroom, url: %q, secret_env: LEAKWATCH_TEST_WEBHOOK_SECRET}]\n", hook.URL)
		}
		return startAlert(t, ctx, fmt.Sprintf("kafka:\n  brokers: [%q]\n  group_prefix: %q\n  topics: {alerts: %q, deadletter: %q}\nalerts:\n  alertmanager: {url: %q}\n%smetrics: \"\"\n",
			broker, scfg.GroupPrefix, scfg.Topics.Alerts, scfg.Topics.DeadLetter, amURL, hooks)).stop
	}
	stop := start(false)
	amGroup := scfg.GroupPrefix + receiverStage("alertmanager")
	for done, state := allCommitted(t, ctx, scfg, amGroup, scfg.Topics.Alerts); !done; done, state = allCommitted(t, ctx, scfg, amGroup, scfg.Topics.Alerts) {
		if ctx.Err() != nil {
			t.Fatalf("Alertmanager's group did not commit: %s", state)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	got := alertmanagerAlerts(t, amURL, runID)
	if got[id("new1")] == "" || got[id("old1")] != "" || got[id("old2")] != "" {
		t.Errorf("Alertmanager holds %v: want only new1, the old group having delivered old1 and old2", got)
	}
	if offs, err := stream.Committed(ctx, scfg, old.ID(), scfg.Topics.Alerts); err != nil || offs[0] != -1 {
		t.Errorf("the old group's offsets after the upgrade: %v, %v; want it deleted", offs, err)
	}

	// A webhook added now is a new receiver: it gets every retained alert.
	write("new2")
	stop = start(true)
	for {
		if len(hooked()) == 4 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the new webhook got %v, want all four alerts", hooked())
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
}

// A group alert whose evidence grew while dedup held it back reaches Alertmanager as it last
// was when the role stops: on a finite replay the rules never raise it again, and Alertmanager
// kept the first version ("9 objects" where the records said 20) until it resolved.
func TestAlertSendsGrownEvidenceOnStop(t *testing.T) {
	broker := testenv.Kafka(t)
	amURL := testenv.Alertmanager(t)
	runID := fmt.Sprintf("t%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	scfg := alertTopics(t, ctx, broker, runID, 1)
	w, err := stream.NewWriter(scfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	group := func(objects int) stream.Message {
		a := leakwatch.Alert{ID: runID + "|group", Rule: "CoordinatedGroup", Severity: "warning", Kind: leakwatch.SignalGroup,
			Object: "group:g-1", Summary: fmt.Sprintf("Coordinated group g-1 (%d objects)", objects),
			StartsAt: time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC), Labels: map[string]string{"run": runID}}
		m, err := stream.EncodeAlert(scfg.Topics.Alerts, a)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	yaml := alertKafkaYAML(broker, scfg) + fmt.Sprintf(`alerts:
  alertmanager:
    url: %q
    resolve_timeout: 2h
  dedup:
    interval: 1h
metrics: ""
`, amURL)
	alert := startAlert(t, ctx, yaml)
	summary := func() string {
		for _, a := range heldAlerts(t, amURL, runID) {
			if a.Labels[alerts.LabelID] == runID+"|group" {
				return a.Annotations[alerts.AnnotationSummary]
			}
		}
		return ""
	}
	waitFor := func(want string) {
		t.Helper()
		for summary() != want {
			select {
			case <-ctx.Done():
				t.Fatalf("Alertmanager holds %q, want %q; log:\n%s", summary(), want, alert.stderr.String())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	if err := w.Write(ctx, group(9)); err != nil {
		t.Fatal(err)
	}
	waitFor("Coordinated group g-1 (9 objects)")
	// An alert after the grown version shows when the role has read it: the role keeps the
	// version it holds back uncommitted, so waiting for its offset would wait for ever.
	if err := w.Write(ctx, group(20)); err != nil {
		t.Fatal(err)
	}
	write := alertWriter(t, ctx, scfg, runID)
	write("after")
	for alertmanagerAlerts(t, amURL, runID)[runID+"|after"] == "" {
		select {
		case <-ctx.Done():
			t.Fatalf("the alert after the update never reached Alertmanager; log:\n%s", alert.stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	if got := summary(); got != "Coordinated group g-1 (9 objects)" {
		t.Errorf("within the dedup interval Alertmanager holds %q, want the first version", got)
	}
	alert.stop()
	waitFor("Coordinated group g-1 (20 objects)")
	if !strings.Contains(alert.stderr.String(), "sent alerts whose evidence grew") {
		t.Errorf("no log line of the update:\n%s", alert.stderr.String())
	}
}
