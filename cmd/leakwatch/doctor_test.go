package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/alerts"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// doctorConfig writes a config for the local services with this test's own topics, ready
// (created, migrated) the way the roles leave them; clickhouse overrides its address.
func doctorConfig(t *testing.T, clickhouse string) string {
	t.Helper()
	kafka, ch, am := testenv.Kafka(t), testenv.ClickHouse(t), testenv.Alertmanager(t)
	if clickhouse != "" {
		ch = clickhouse
	}
	suffix := fmt.Sprintf("doctor%d", time.Now().UnixNano())
	body := fmt.Sprintf(`kafka:
  brokers: [%s]
  partitions: 1
  topics: {posts: %[2]s.posts, sitechanges: %[2]s.sitechanges, mentions: %[2]s.mentions, signals: %[2]s.signals, alerts: %[2]s.alerts, deadletter: %[2]s.deadletter, coshares: %[2]s.coshares}
clickhouse:
  addr: %s
  database: lw_doctor
alerts:
  alertmanager: {url: %s}
`, kafka, suffix, ch, am)
	p := filepath.Join(t.TempDir(), "leakwatch.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := stream.EnsureTopics(ctx, c.Kafka); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stream.DeleteTopics(context.Background(), c.Kafka, c.Kafka.Topics.All()...) })
	return p
}

func TestDoctorGreenWithServicesUp(t *testing.T) {
	cfg := doctorConfig(t, "")
	// A warehouse the sink has migrated, as the doctor expects.
	c, _ := loadConfig(cfg)
	if err := migrateOnce(t, c); err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	code := run(context.Background(), []string{"doctor", "--config", cfg}, &out, &errs)
	t.Logf("doctor:\n%s%s", out.String(), errs.String())
	if code != 0 {
		t.Fatalf("doctor exited %d with every service up", code)
	}
	for _, svc := range []string{"kafka", "clickhouse", "alertmanager"} {
		if !regexp.MustCompile(`(?m)^ok +` + svc + ` `).MatchString(out.String()) {
			t.Errorf("no ok line for %s", svc)
		}
	}
}

func TestDoctorNamesTheServiceThatIsDown(t *testing.T) {
	// Nothing listens on port 1: the doctor sees ClickHouse as stopped.
	cfg := doctorConfig(t, "127.0.0.1:1")
	var out, errs strings.Builder
	code := run(context.Background(), []string{"doctor", "--config", cfg, "--timeout", "3s"}, &out, &errs)
	t.Logf("doctor:\n%s%s", out.String(), errs.String())
	if code != 1 {
		t.Fatalf("doctor exited %d with ClickHouse down, want 1", code)
	}
	if !regexp.MustCompile(`(?m)^FAIL clickhouse +.*127\.0\.0\.1:1`).MatchString(out.String()) {
		t.Errorf("no failing line naming ClickHouse and its address")
	}
	if !regexp.MustCompile(`(?m)^ok +kafka `).MatchString(out.String()) {
		t.Errorf("kafka should still be ok")
	}
}

// On fresh services (deploy/local up, nothing run yet) the doctor says what to run: the
// topics and the database do not exist yet, and it answers at once, not after a timeout.
func TestDoctorSaysWhatAFreshSetupLacks(t *testing.T) {
	kafka, ch := testenv.Kafka(t), testenv.ClickHouse(t)
	suffix := fmt.Sprintf("fresh%d", time.Now().UnixNano())
	body := fmt.Sprintf(`kafka:
  brokers: [%s]
  topics: {posts: %[2]s.posts, sitechanges: %[2]s.sitechanges, mentions: %[2]s.mentions, signals: %[2]s.signals, alerts: %[2]s.alerts, deadletter: %[2]s.deadletter, coshares: %[2]s.coshares}
clickhouse:
  addr: %s
  database: lw_%[2]s
alerts:
  alertmanager: {url: ""}
`, kafka, suffix, ch)
	p := filepath.Join(t.TempDir(), "leakwatch.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	code := run(context.Background(), []string{"doctor", "--config", p, "--timeout", "20s"}, &out, &errs)
	t.Logf("doctor:\n%s%s", out.String(), errs.String())
	// Not a failure: the roles create these at their first start, and a script that waits
	// for doctor before starting them would wait for good.
	if code != 0 {
		t.Fatalf("doctor exited %d, want 0", code)
	}
	for _, want := range []string{`(?m)^new  kafka .*no leakwatch topic exists yet.*leakwatch process`, `(?m)^new  clickhouse .*no database lw_` + suffix + ` yet: run .leakwatch sink. once`,
		`(?m)^2 of 3 checks found a fresh install`} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("doctor output lacks %s", want)
		}
	}
}

// A webhook is checked without posting: its secret is read and its host reached. A closed
// port is named with the dial's reason, an unset secret with the variable.
func TestDoctorChecksWebhooks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the doctor posted to the webhook: %s %s", r.Method, r.URL)
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	t.Setenv("DOCTOR_HOOK_SECRET", "s3cret")
	ctx := context.Background()
	up := alerts.WebhookConfig{Name: "newsroom", URL: srv.URL + "/hook", SecretEnv: "DOCTOR_HOOK_SECRET"}
	if msg, err := checkWebhook(ctx, up, os.Getenv); err != nil || !strings.Contains(msg, "reachable") {
		t.Errorf("reachable webhook: %q, %v", msg, err)
	}
	down := up
	down.URL = closed.URL + "/nobody"
	if _, err := checkWebhook(ctx, down, os.Getenv); err == nil || !strings.Contains(err.Error(), closed.URL) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("closed port: %v, want the URL and the refusal", err)
	}
	noSecret := up
	noSecret.SecretEnv = "DOCTOR_HOOK_UNSET"
	if _, err := checkWebhook(ctx, noSecret, os.Getenv); err == nil || !strings.Contains(err.Error(), "DOCTOR_HOOK_UNSET") {
		t.Errorf("unset secret: %v, want the variable named", err)
	}
}

// The doctor checks what every role reads at start besides the services: a calendar path that
// does not exist and a metrics port out of range passed it, and the roles then refused them.
func TestDoctorChecksWhatRolesReadAtStart(t *testing.T) {
	cfg := doctorConfig(t, "")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(b, "calendar: nothere.yaml\nmetrics: 127.0.0.1:99999\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	code := run(context.Background(), []string{"doctor", "--config", cfg, "--timeout", "3s"}, &out, &errs)
	if code != 1 {
		t.Errorf("doctor exited %d, want 1", code)
	}
	for _, want := range []string{`(?m)^FAIL calendar +.*nothere\.yaml`, `(?m)^FAIL metrics +.*port 99999 is not from 0 to 65535`} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("doctor output lacks %s:\n%s", want, out.String())
		}
	}
}

// README says 'leakwatch COMMAND -h' lists a command's flags: every command answers -h with
// its usage on stdout and exit 0, including those whose flags belong to a subcommand
// (scenario generate, dashboards export and push), which name them.
func TestEveryCommandAnswersHelp(t *testing.T) {
	for name := range commands {
		code, stdout, stderr := runCmd(t, name, "-h")
		if code != 0 || !strings.Contains(stdout+stderr, "usage: leakwatch "+name) {
			t.Errorf("%s -h: exit %d\n%s%s", name, code, stdout, stderr)
		}
	}
	for name, sub := range map[string][]string{"scenario": {"scenario generate -h"}, "dashboards": {"dashboards export -h", "dashboards push -h"}} {
		_, stdout, _ := runCmd(t, name, "--help")
		for _, s := range sub {
			if !strings.Contains(stdout, s) {
				t.Errorf("%s --help does not say where its flags are (%q):\n%s", name, s, stdout)
			}
		}
	}
}

// doctor's output is pasted into tickets and chats: a password or API key in a receiver's
// URL (Alertmanager has no other place for basic auth) is left out of every line.
func TestDoctorHidesCredentialsInURLs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"cluster":{"status":"ready"},"versionInfo":{"version":"0.25.0"}}`))
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	t.Setenv("DOCTOR_HOOK_SECRET", "s3cret")
	ctx := context.Background()
	withAuth := func(base string) string { return strings.Replace(base, "http://", "http://amuser:AMpassw0rd@", 1) }
	var lines []string
	for _, base := range []string{srv.URL, closed.URL} {
		msg, err := checkAlertmanager(ctx, withAuth(base))
		lines = append(lines, fmt.Sprint(msg, err))
	}
	for _, base := range []string{srv.URL, closed.URL} {
		hook := alerts.WebhookConfig{Name: "desk", URL: withAuth(base) + "/hook?apikey=QUERYSECRET", SecretEnv: "DOCTOR_HOOK_SECRET"}
		msg, err := checkWebhook(ctx, hook, os.Getenv)
		lines = append(lines, fmt.Sprint(msg, err))
	}
	out := strings.Join(lines, "\n")
	for _, secret := range []string{"AMpassw0rd", "QUERYSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("doctor shows %s:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "amuser:xxxxx@") || !strings.Contains(out, "apikey=xxxxx") || !strings.Contains(out, "version 0.25.0") {
		t.Errorf("doctor output does not name the receivers:\n%s", out)
	}
}
