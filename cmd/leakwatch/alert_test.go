package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/alerts"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// `leakwatch alert` against real Kafka and Alertmanager: good alerts reach Alertmanager and a
// signed webhook once, a repeat is suppressed, an undecodable record and an alert Alertmanager
// refuses go to the dead-letter topic with their reasons, and every offset is committed.
func TestAlertCommand(t *testing.T) {
	broker := testenv.Kafka(t)
	amURL := testenv.Alertmanager(t)
	runID := fmt.Sprintf("t%d", time.Now().UnixNano())

	var mu sync.Mutex
	hooked := map[string]int{}
	secret := "alert-command-test-secret"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
			hooked[a.ID]++
		}
		mu.Unlock()
	}))
	defer hook.Close()
	t.Setenv("LEAKWATCH_TEST_WEBHOOK_SECRET", secret)

	scfg := stream.DefaultConfig()
	scfg.Brokers = []string{broker}
	scfg.Partitions = 2
	scfg.Topics.Alerts = "leakwatch.alerts.test-" + runID
	scfg.Topics.DeadLetter = "leakwatch.deadletter.test-" + runID
	scfg.GroupPrefix = "test-" + runID + "-"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		_ = stream.DeleteTopics(context.Background(), scfg, scfg.Topics.Alerts, scfg.Topics.DeadLetter)
	})
	if err := stream.CreateTopics(ctx, scfg, scfg.Topics.Alerts, scfg.Topics.DeadLetter); err != nil {
		t.Fatal(err)
	}

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

	conf := filepath.Join(t.TempDir(), "leakwatch.yaml")
	yaml := fmt.Sprintf(`kafka:
  brokers: [%q]
  group_prefix: %q
  topics:
    alerts: %q
    deadletter: %q
alerts:
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
		if code := <-done; code != 0 {
			t.Errorf("leakwatch alert exited %d:\n%s", code, stderr.String())
		}
	}()

	// Everything is handled when the group's committed offsets reach the end of the topic.
	for {
		caughtUp, state := allCommitted(t, ctx, scfg, scfg.GroupPrefix+alertStage, scfg.Topics.Alerts)
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
		mu.Lock()
		if hooked[id] != 1 {
			t.Errorf("webhook got %s %d times, want once (the repeat is suppressed)", id, hooked[id])
		}
		mu.Unlock()
	}
	if len(held) != 3 {
		t.Errorf("Alertmanager holds %d alerts of this run, want 3: %v", len(held), held)
	}

	dead := readDeadLetters(t, scfg, 2)
	var reasons []string
	for _, d := range dead {
		if d.Stage != alertStage || d.Topic != scfg.Topics.Alerts {
			t.Errorf("dead letter %+v: want stage %s from %s", d, alertStage, scfg.Topics.Alerts)
		}
		reasons = append(reasons, d.Reason)
	}
	all := strings.Join(reasons, "\n")
	if !strings.Contains(all, "decode") || !strings.Contains(all, "receiver alertmanager") || !strings.Contains(all, "400") {
		t.Errorf("dead-letter reasons do not name the decode failure and Alertmanager's 400:\n%s", all)
	}
}

// alertmanagerAlerts maps alert_id to alertname for the alerts labelled run=RUN.
func alertmanagerAlerts(t *testing.T, amURL, runID string) map[string]string {
	t.Helper()
	resp, err := http.Get(amURL + "/api/v2/alerts?" + url.Values{"filter": {fmt.Sprintf("run=%q", runID)}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range list {
		out[a.Labels[alerts.LabelID]] = a.Labels[alerts.LabelAlertname]
	}
	return out
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
