package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch/alerts"
	"github.com/leakwatch/leakwatch/stream"
	"github.com/leakwatch/leakwatch/warehouse"
)

func init() {
	register(command{name: "doctor", summary: "check every configured service, one line each", run: runDoctor})
}

// notYet is a check that found its service answering but without what the roles create at
// their first start (the topics, the database, its latest schema): a fresh install, reported
// as such, not a failure. A script that waits for doctor before starting the roles would
// otherwise wait for good.
type notYet struct{ error }

func (e notYet) Unwrap() error { return e.error }

// check is one line of the doctor's report.
type check struct {
	name string
	run  func(ctx context.Context) (string, error)
}

func runDoctor(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "doctor", "[--config FILE]")
	cfgPath := fs.String("config", "", "config file (default: the local services of deploy/local)")
	timeout := fs.Duration("timeout", 5*time.Second, "time allowed for each check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := readConfig(*cfgPath, false) // it checks services, not the calendar
	if err != nil {
		return err
	}
	checks := []check{
		{"kafka", func(ctx context.Context) (string, error) { return checkKafka(ctx, cfg.Kafka) }},
		{"clickhouse", func(ctx context.Context) (string, error) { return checkClickHouse(ctx, cfg.ClickHouse) }},
	}
	if cfg.Alerts.Alertmanager.URL != "" {
		checks = append(checks, check{"alertmanager", func(ctx context.Context) (string, error) {
			return checkAlertmanager(ctx, cfg.Alerts.Alertmanager.URL)
		}})
	}
	for _, w := range cfg.Alerts.Webhooks {
		checks = append(checks, check{"webhook " + w.Name, func(ctx context.Context) (string, error) {
			return checkWebhook(ctx, w, os.Getenv)
		}})
	}
	// What every role reads at start besides the services: a doctor that passed a config the
	// roles then refused (a calendar path that does not exist, a port out of range) misled.
	if cfg.Calendar != "" {
		checks = append(checks, check{"calendar", func(context.Context) (string, error) {
			cal, err := loadCalendar(cfg.Calendar)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s: %q, %d events", cfg.Calendar, cal.Name, len(cal.Events)), nil
		}})
	}
	if cfg.Metrics != "" {
		checks = append(checks, check{"metrics", func(context.Context) (string, error) { return checkListenAddr(cfg.Metrics) }})
	}
	failed, fresh := 0, 0
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, *timeout)
		msg, err := c.run(cctx)
		cancel()
		var ny notYet
		switch {
		case errors.As(err, &ny):
			fresh++
			fmt.Fprintf(e.stdout, "new  %-12s %v\n", c.name, ny.error)
		case err != nil:
			failed++
			fmt.Fprintf(e.stdout, "FAIL %-12s %v\n", c.name, err)
		default:
			fmt.Fprintf(e.stdout, "ok   %-12s %s\n", c.name, msg)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(checks))
	}
	if fresh > 0 {
		fmt.Fprintf(e.stdout, "%d of %d checks found a fresh install (\"new\"): the roles create what is missing at their first start\n", fresh, len(checks))
	}
	return nil
}

// checkKafka reads metadata of every leakwatch topic: it proves the brokers answer and the
// topics exist with their partitions.
func checkKafka(ctx context.Context, cfg stream.Config) (string, error) {
	var missing []string
	parts := 0
	var records int64
	for _, topic := range cfg.Topics.All() {
		ranges, exists, err := stream.TopicState(ctx, cfg, topic)
		if err != nil { // the brokers, not the topic: refused, unknown host, timed out
			return "", fmt.Errorf("brokers %s: %w", strings.Join(cfg.Brokers, ","), err)
		}
		if !exists {
			missing = append(missing, topic)
			continue
		}
		parts += len(ranges)
		records += stream.Count(ranges)
	}
	if len(missing) == len(cfg.Topics.All()) {
		return "", notYet{fmt.Errorf("brokers %s answer, but no leakwatch topic exists yet (%s): `leakwatch process` or `leakwatch replay` creates them, or check kafka.topics", strings.Join(cfg.Brokers, ","), strings.Join(missing, ", "))}
	}
	if len(missing) > 0 {
		return "", notYet{fmt.Errorf("brokers %s: topics missing: %s (the role that writes each creates it at its start)", strings.Join(cfg.Brokers, ","), strings.Join(missing, ", "))}
	}
	return fmt.Sprintf("brokers %s, %d topics, %d partitions, %d records", strings.Join(cfg.Brokers, ","), len(cfg.Topics.All()), parts, records), nil
}

func checkClickHouse(ctx context.Context, cfg warehouse.Config) (string, error) {
	// The doctor looks; it does not migrate.
	cfg.SkipMigrations = true
	w, err := warehouse.Open(ctx, cfg, nil)
	var nodb *warehouse.NoDatabaseError
	if errors.As(err, &nodb) {
		return "", notYet{err}
	}
	if err != nil {
		return "", err
	}
	defer w.Close()
	v, err := w.ServerVersion(ctx)
	if err != nil {
		return "", fmt.Errorf("%s: %w", cfg.Addr, err)
	}
	sv, err := w.SchemaVersion(ctx)
	if err != nil {
		return "", fmt.Errorf("%s version %s, database %s: schema: %w", cfg.Addr, v, cfg.Database, err)
	}
	if want := warehouse.LatestSchemaVersion(); sv < want {
		// The sink migrates at its start.
		return "", notYet{fmt.Errorf("%s version %s, database %s: schema version %d, want %d (run `leakwatch sink` once to migrate)", cfg.Addr, v, cfg.Database, sv, want)}
	} else if sv > want {
		return "", fmt.Errorf("%s version %s, database %s: schema version %d, newer than this build's %d: a newer leakwatch migrated it; run that version", cfg.Addr, v, cfg.Database, sv, want)
	}
	return fmt.Sprintf("%s version %s, database %s, schema version %d", cfg.Addr, v, cfg.Database, sv), nil
}

func checkAlertmanager(ctx context.Context, base string) (string, error) {
	shown := redactURL(base)
	url := strings.TrimRight(base, "/") + "/api/v2/status"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: %w", shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: status %s", shown, resp.Status)
	}
	var st struct {
		Cluster struct {
			Status string `json:"status"`
		} `json:"cluster"`
		VersionInfo struct {
			Version string `json:"version"`
		} `json:"versionInfo"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return "", fmt.Errorf("%s: %w", shown, err)
	}
	if st.VersionInfo.Version == "" {
		return "", errors.New(shown + ": no version in the status answer: is this an Alertmanager?")
	}
	return fmt.Sprintf("%s version %s, cluster %s", shown, st.VersionInfo.Version, st.Cluster.Status), nil
}

// checkWebhook reads the webhook's secret and reaches its host (a TLS handshake for https),
// but posts nothing: a test delivery would be news to whoever reads the receiver.
func checkWebhook(ctx context.Context, w alerts.WebhookConfig, getenv func(string) string) (string, error) {
	if _, err := w.LoadSecret(getenv); err != nil {
		return "", err
	}
	shown := redactURL(w.URL)
	u, err := url.Parse(w.URL)
	if err != nil {
		return "", fmt.Errorf("%s: %w", shown, err)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s: %w", shown, err)
	}
	defer conn.Close()
	how := "reachable"
	if u.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: u.Hostname()})
		if err := tc.HandshakeContext(ctx); err != nil {
			return "", fmt.Errorf("%s: TLS: %w", shown, err)
		}
		how = "reachable over TLS"
	}
	return fmt.Sprintf("%s %s, secret read (nothing posted)", shown, how), nil
}

// redactURL is how doctor shows a receiver's URL: its output is pasted into tickets and
// chats, and a URL may carry credentials (user:password@, ?apikey=): the password and the
// query's values are left out.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if q := u.Query(); len(q) > 0 {
		for k := range q {
			q.Set(k, "xxxxx")
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// checkListenAddr checks that addr is one a role can listen on (host:port, port 1..65535, or
// 0 for any), without binding it: the role may be running and hold it.
func checkListenAddr(addr string) (string, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q: %w", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%q: port %s is not from 0 to 65535", addr, port)
	}
	return addr + " (each role on a host needs its own: --metrics)", nil
}
