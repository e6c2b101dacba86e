package alerts

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	f, err := os.Open("testdata/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := ParseConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Alertmanager.ResolveTimeout != 2*time.Hour || c.Dedup.Interval != 30*time.Minute || c.Retry.MaxAttempts != 6 || c.Retry.MaxElapsed != 5*time.Minute {
		t.Errorf("parsed %+v", c)
	}
	if len(c.Webhooks) != 2 || c.Webhooks[1].Timeout != 3*time.Second || c.Webhooks[0].SecretFile != "testdata/newsroom.secret" {
		t.Errorf("webhooks %+v", c.Webhooks)
	}

	env := map[string]string{"FACTCHECK_WEBHOOK_SECRET": "from-env"}
	rs, err := c.Receivers(Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name())
	}
	if strings.Join(names, ",") != "alertmanager,newsroom,factcheck" {
		t.Errorf("receivers %v", names)
	}
	secret, err := c.Webhooks[0].LoadSecret(nil)
	if err != nil || string(secret) != "newsroom-hmac-key" {
		t.Errorf("secret_file gave %q, %v; want the file without its newline", secret, err)
	}

	delete(env, "FACTCHECK_WEBHOOK_SECRET")
	if _, err := c.Receivers(Options{Getenv: func(k string) string { return env[k] }}); err == nil ||
		!strings.Contains(err.Error(), "webhooks[1].secret_env") || !strings.Contains(err.Error(), "FACTCHECK_WEBHOOK_SECRET") {
		t.Errorf("missing secret: %v, want an error naming webhooks[1].secret_env and the variable", err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown field", "dedup:\n  intervall: 1h\n", "intervall"},
		{"unknown webhook field", "webhooks: [{name: w, url: 'https://example.org', secret_env: S, secret: x}]\n", "line 1: field secret not found"},
		{"bad duration", "retry:\n  initial: soon\n", "soon"},
		{"a number without unit", "dedup: {interval: 5}\n", "!!int"},
		{"empty file keeps defaults", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(strings.NewReader(tc.yaml))
			if tc.want == "" {
				if err != nil || c.Alertmanager.URL != DefaultConfig().Alertmanager.URL {
					t.Errorf("ParseConfig = %+v, %v; want the defaults", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseConfig error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// "0" turns dedup and the retry time limit off, as docs/ALERTS.md writes it; YAML reads it as
// an integer, not a duration.
func TestParseConfigBareZero(t *testing.T) {
	tests := []struct {
		yaml  string
		check func(Config) bool
	}{
		{"dedup: {interval: 0}\n", func(c Config) bool { return c.Dedup.Interval == 0 }},
		{"retry: {max_elapsed: 0}\n", func(c Config) bool { return c.Retry.MaxElapsed == 0 && c.Retry.MaxAttempts == 8 }},
		{"alertmanager: {url: 'http://127.0.0.1:9093', timeout: 0}\n", func(c Config) bool { return c.Alertmanager.Timeout == 0 }},
		{"webhooks: [{name: w, url: 'https://example.org', secret_env: S, timeout: 0}]\n", func(c Config) bool { return c.Webhooks[0].Timeout == 0 }},
		{"dedup: {interval: 0s, max_entries: 0}\n", func(c Config) bool { return c.Dedup == DedupConfig{} }},
	}
	for _, tc := range tests {
		c, err := ParseConfig(strings.NewReader(tc.yaml))
		if err != nil || !tc.check(c) {
			t.Errorf("ParseConfig(%q) = %+v, %v", tc.yaml, c, err)
		}
	}
}

// Errors name the field once under the section: "alerts: retry.max: ...".
func TestParseConfigErrorPrefix(t *testing.T) {
	_, err := ParseConfig(strings.NewReader("retry: {initial: 1s, max: 10ms}\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "alerts: retry.max: ") {
		t.Errorf("ParseConfig error %q, want it to start with %q", err, "alerts: retry.max: ")
	}
}

// The alert role cannot deliver without a receiver: Receivers says so, naming the fields.
func TestReceiversNeedOne(t *testing.T) {
	c := DefaultConfig()
	c.Alertmanager.URL = ""
	if _, err := c.Receivers(Options{}); err == nil || !strings.Contains(err.Error(), "alertmanager.url or add webhooks") {
		t.Errorf("Receivers without any = %v, want the no-receiver error", err)
	}
}

func TestValidate(t *testing.T) {
	hook := WebhookConfig{Name: "w", URL: "https://example.org/h", SecretEnv: "S"}
	tests := []struct {
		name   string
		modify func(*Config)
		field  string // "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"webhook only", func(c *Config) { c.Alertmanager.URL = ""; c.Webhooks = []WebhookConfig{hook} }, ""},
		{"no receiver: alerts reach the topic only", func(c *Config) { c.Alertmanager.URL = "" }, ""},
		{"relative alertmanager url", func(c *Config) { c.Alertmanager.URL = "localhost:9093" }, "alertmanager.url"},
		{"zero resolve timeout", func(c *Config) { c.Alertmanager.ResolveTimeout = 0 }, "alertmanager.resolve_timeout"},
		{"resolve before dedup re-sends", func(c *Config) { c.Alertmanager.ResolveTimeout = c.Dedup.Interval }, "alertmanager.resolve_timeout"},
		{"short resolve with dedup off", func(c *Config) { c.Alertmanager.ResolveTimeout = time.Minute; c.Dedup.Interval = 0 }, ""},
		{"negative timeout", func(c *Config) { c.Alertmanager.Timeout = -time.Second }, "alertmanager.timeout"},
		{"webhook without name", func(c *Config) { w := hook; w.Name = ""; c.Webhooks = []WebhookConfig{w} }, "webhooks[0]: name"},
		{"webhook bad url", func(c *Config) { w := hook; w.URL = "ftp://x"; c.Webhooks = []WebhookConfig{hook, w} }, "webhooks[1]: url"},
		{"webhook port out of range", func(c *Config) { w := hook; w.URL = "http://127.0.0.1:99999/x"; c.Webhooks = []WebhookConfig{w} }, "port 99999 is not from 1 to 65535"},
		{"webhook without secret", func(c *Config) { w := hook; w.SecretEnv = ""; c.Webhooks = []WebhookConfig{w} }, "webhooks[0]: secret_file, secret_env"},
		{"webhook with two secrets", func(c *Config) { w := hook; w.SecretFile = "/run/s"; c.Webhooks = []WebhookConfig{w} }, "set only one"},
		{"duplicate names", func(c *Config) { c.Webhooks = []WebhookConfig{hook, hook} }, "webhooks[1].name"},
		{"webhook named alertmanager", func(c *Config) { w := hook; w.Name = "alertmanager"; c.Webhooks = []WebhookConfig{w} }, "webhooks[0].name"},
		{"webhook named alertmanager while it is off", func(c *Config) {
			w := hook
			w.Name = "alertmanager"
			c.Alertmanager.URL = ""
			c.Webhooks = []WebhookConfig{w}
		}, `webhooks[0].name: "alertmanager" is reserved`},
		{"negative dedup", func(c *Config) { c.Dedup.Interval = -time.Minute }, "dedup.interval"},
		{"unbounded dedup", func(c *Config) { c.Dedup.MaxEntries = 0 }, "dedup.max_entries"},
		{"dedup off needs no bound", func(c *Config) { c.Dedup = DedupConfig{} }, ""},
		{"no attempts", func(c *Config) { c.Retry.MaxAttempts = 0 }, "retry.max_attempts"},
		{"zero initial", func(c *Config) { c.Retry.Initial = 0 }, "retry.initial"},
		{"max below initial", func(c *Config) { c.Retry.Max = time.Millisecond }, "retry.max"},
		{"shrinking backoff", func(c *Config) { c.Retry.Multiplier = 0.5 }, "retry.multiplier"},
		{"negative elapsed", func(c *Config) { c.Retry.MaxElapsed = -1 }, "retry.max_elapsed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.modify(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Errorf("Validate = %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Validate = %v, want an error naming %q", err, tc.field)
			}
		})
	}
}
