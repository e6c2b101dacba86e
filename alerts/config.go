package alerts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultTimeout bounds one HTTP request to a receiver when its timeout is not set.
const DefaultTimeout = 10 * time.Second

// Config is the delivery configuration (the `alerts:` part of a leakwatch config file).
type Config struct {
	// Alertmanager is off when its url is empty.
	Alertmanager AlertmanagerConfig `yaml:"alertmanager"`
	Webhooks     []WebhookConfig    `yaml:"webhooks,omitempty"`
	Dedup        DedupConfig        `yaml:"dedup"`
	Retry        RetryPolicy        `yaml:"retry"`
}

// AlertmanagerConfig points at an Alertmanager.
type AlertmanagerConfig struct {
	URL     string        `yaml:"url"`     // base URL, e.g. http://127.0.0.1:9093
	Timeout time.Duration `yaml:"timeout"` // per request; 0 means DefaultTimeout
	// ResolveTimeout is how long an alert stays firing in Alertmanager after its last
	// delivery (its endsAt); keep it longer than dedup.interval so repeats keep it firing.
	ResolveTimeout time.Duration `yaml:"resolve_timeout"`
}

// WebhookConfig is one signed webhook. The secret comes from a file or an environment
// variable, never from the config file itself.
type WebhookConfig struct {
	Name       string        `yaml:"name"` // metric label and payload "receiver"
	URL        string        `yaml:"url"`
	SecretFile string        `yaml:"secret_file,omitempty"`
	SecretEnv  string        `yaml:"secret_env,omitempty"` // name of the variable holding it
	Timeout    time.Duration `yaml:"timeout,omitempty"`    // per request; 0 means DefaultTimeout
}

// DedupConfig sets how long a delivered alert is not sent again.
type DedupConfig struct {
	Interval   time.Duration `yaml:"interval"`    // 0 turns dedup off
	MaxEntries int           `yaml:"max_entries"` // per receiver; bounds memory
}

// RetryPolicy is exponential backoff: waits of Initial, Initial*Multiplier, ... up to Max
// (each with equal jitter), until MaxAttempts attempts or MaxElapsed time (0: no time limit).
type RetryPolicy struct {
	Initial     time.Duration `yaml:"initial"`
	Max         time.Duration `yaml:"max"`
	Multiplier  float64       `yaml:"multiplier"`
	MaxAttempts int           `yaml:"max_attempts"`
	MaxElapsed  time.Duration `yaml:"max_elapsed"`
}

// UnmarshalYAML reads the section with a bare 0 allowed for timeout and resolve_timeout.
func (c *AlertmanagerConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain AlertmanagerConfig
	return decodeSection(n, (*plain)(c), "AlertmanagerConfig")
}

// UnmarshalYAML reads one webhook with a bare 0 allowed for timeout.
func (w *WebhookConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain WebhookConfig
	return decodeSection(n, (*plain)(w), "WebhookConfig")
}

// UnmarshalYAML reads the section with `interval: 0` (dedup off) allowed.
func (c *DedupConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain DedupConfig
	return decodeSection(n, (*plain)(c), "DedupConfig")
}

// UnmarshalYAML reads the section with `max_elapsed: 0` (no time limit) allowed.
func (p *RetryPolicy) UnmarshalYAML(n *yaml.Node) error {
	type plain RetryPolicy
	return decodeSection(n, (*plain)(p), "RetryPolicy")
}

var durationType = reflect.TypeFor[time.Duration]()

// decodeSection decodes a mapping into v, a pointer to a flat struct of yaml-tagged fields.
// YAML reads a bare 0 as an integer, which time.Duration refuses, yet `interval: 0` is the
// natural way to write "off": a zero integer in a duration field is read as 0s (any other
// number still needs its unit). Node.Decode does not carry the decoder's KnownFields down,
// so unknown keys are refused here, as they are everywhere else in the file.
func decodeSection(n *yaml.Node, v any, typeName string) error {
	if n.Kind == yaml.MappingNode {
		fields := map[string]reflect.Type{}
		t := reflect.TypeOf(v).Elem()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			fields[name] = t.Field(i).Type
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			typ, ok := fields[key.Value]
			if !ok {
				return fmt.Errorf("yaml: line %d: field %s not found in type alerts.%s", key.Line, key.Value, typeName)
			}
			if typ == durationType && val.Kind == yaml.ScalarNode && val.Tag == "!!int" {
				if z, err := strconv.ParseInt(val.Value, 0, 64); err == nil && z == 0 {
					val.Tag, val.Value = "!!str", "0s"
				}
			}
		}
	}
	return n.Decode(v)
}

// DefaultConfig delivers to the local Alertmanager of deploy/local.
func DefaultConfig() Config {
	return Config{
		Alertmanager: AlertmanagerConfig{URL: "http://127.0.0.1:9093", Timeout: DefaultTimeout, ResolveTimeout: 6 * time.Hour},
		Dedup:        DedupConfig{Interval: time.Hour, MaxEntries: 100_000},
		Retry:        RetryPolicy{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Multiplier: 2, MaxAttempts: 8, MaxElapsed: 2 * time.Minute},
	}
}

// ParseConfig reads YAML over DefaultConfig (unknown fields are errors) and validates it.
func ParseConfig(r io.Reader) (Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("alerts: %w", err)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("alerts: %w", err)
	}
	return c, nil
}

// errNoReceiver: only the alert role, which delivers, needs a receiver; the other roles
// read the same file and must not fail on it.
var errNoReceiver = errors.New("alerts: no receiver: set alertmanager.url or add webhooks")

// Validate reports the first problem, naming the field within the alerts section
// ("retry.max: ..."); callers add the section. A configuration without receivers
// is valid (alerts then only reach the alerts topic); Receivers refuses it.
func (c Config) Validate() error {
	if c.Alertmanager.URL != "" {
		if err := c.Alertmanager.Validate(); err != nil {
			return err
		}
		// Repeats inside the dedup interval are not sent, so only a re-send after it keeps an
		// ongoing finding firing; a shorter resolve timeout would let it lapse in between.
		if c.Dedup.Interval > 0 && c.Alertmanager.ResolveTimeout <= c.Dedup.Interval {
			return fmt.Errorf("alertmanager.resolve_timeout: %s must exceed dedup.interval %s, or an alert still repeating resolves in between",
				c.Alertmanager.ResolveTimeout, c.Dedup.Interval)
		}
	}
	names := map[string]bool{}
	for i, w := range c.Webhooks {
		if err := w.Validate(); err != nil {
			return fmt.Errorf("webhooks[%d]: %w", i, err)
		}
		// Reserved even while Alertmanager is off: turning it on later must not make two
		// receivers share metric series and a consumer group.
		if w.Name == "alertmanager" {
			return fmt.Errorf("webhooks[%d].name: %q is reserved for the Alertmanager receiver", i, w.Name)
		}
		if names[w.Name] {
			return fmt.Errorf("webhooks[%d].name: %q is used twice (names label metrics)", i, w.Name)
		}
		names[w.Name] = true
	}
	if err := c.Dedup.Validate(); err != nil {
		return err
	}
	return c.Retry.Validate()
}

// Validate checks the Alertmanager fields.
func (c AlertmanagerConfig) Validate() error {
	if err := checkURL(c.URL); err != nil {
		return fmt.Errorf("alertmanager.url: %w", err)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("alertmanager.timeout: %s is negative", c.Timeout)
	}
	if c.ResolveTimeout <= 0 {
		return fmt.Errorf("alertmanager.resolve_timeout: must be positive, got %s", c.ResolveTimeout)
	}
	return nil
}

// Validate checks one webhook; the caller adds its position.
func (w WebhookConfig) Validate() error {
	if w.Name == "" {
		return errors.New("name: empty")
	}
	if err := checkURL(w.URL); err != nil {
		return fmt.Errorf("url: %w", err)
	}
	switch {
	case w.SecretFile == "" && w.SecretEnv == "":
		return errors.New("secret_file, secret_env: one is required (webhooks are always signed)")
	case w.SecretFile != "" && w.SecretEnv != "":
		return errors.New("secret_file, secret_env: set only one")
	}
	if w.Timeout < 0 {
		return fmt.Errorf("timeout: %s is negative", w.Timeout)
	}
	return nil
}

// LoadSecret reads the webhook's secret from its file (surrounding whitespace trimmed, as
// files usually end in a newline) or its environment variable. getenv nil means os.Getenv.
func (w WebhookConfig) LoadSecret(getenv func(string) string) ([]byte, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if w.SecretFile != "" {
		b, err := os.ReadFile(w.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("secret_file: %w", err)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return nil, fmt.Errorf("secret_file: %s is empty", w.SecretFile)
		}
		return b, nil
	}
	s := getenv(w.SecretEnv)
	if s == "" {
		return nil, fmt.Errorf("secret_env: variable %s is unset or empty", w.SecretEnv)
	}
	return []byte(s), nil
}

// Validate checks the dedup fields.
func (c DedupConfig) Validate() error {
	if c.Interval < 0 {
		return fmt.Errorf("dedup.interval: %s is negative", c.Interval)
	}
	if c.Interval > 0 && c.MaxEntries <= 0 {
		return fmt.Errorf("dedup.max_entries: must be positive, got %d", c.MaxEntries)
	}
	return nil
}

// Validate checks the retry fields.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxAttempts < 1:
		return fmt.Errorf("retry.max_attempts: must be at least 1, got %d", p.MaxAttempts)
	case p.Initial <= 0:
		return fmt.Errorf("retry.initial: must be positive, got %s", p.Initial)
	case p.Max < p.Initial:
		return fmt.Errorf("retry.max: %s is below retry.initial %s", p.Max, p.Initial)
	case p.Multiplier < 1:
		return fmt.Errorf("retry.multiplier: must be at least 1, got %g", p.Multiplier)
	case p.MaxElapsed < 0:
		return fmt.Errorf("retry.max_elapsed: %s is negative", p.MaxElapsed)
	}
	return nil
}

func orDefault(timeout time.Duration) time.Duration {
	if timeout == 0 {
		return DefaultTimeout
	}
	return timeout
}

func checkURL(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: port %s is not from 1 to 65535", s, p)
		}
	}
	return nil
}

// Options are what building receivers needs beyond the config.
type Options struct {
	Metrics *Metrics     // nil: unregistered metrics
	Log     *slog.Logger // nil: discard
	// Client, when set, is used for every HTTP receiver instead of one per receiver timeout.
	Client *http.Client
	Getenv func(string) string // nil: os.Getenv
	// ScopeLabels name the labels this monitor's config puts on all its alerts (the rules'
	// labels: election, team), which tell its alerts from another monitor's in a shared
	// Alertmanager.
	ScopeLabels []string
}

// Receivers builds the configured receivers ("alertmanager" first, then webhooks in order),
// loading webhook secrets. Receivers reached in code (a Kafka Publisher) are added with
// NewReceiver and passed to NewFanout beside these.
func (c Config) Receivers(o Options) ([]*Receiver, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	if c.Alertmanager.URL == "" && len(c.Webhooks) == 0 {
		return nil, errNoReceiver
	}
	var rs []*Receiver
	if c.Alertmanager.URL != "" {
		n, err := NewAlertmanagerNotifier(c.Alertmanager, o.Client)
		if err != nil {
			return nil, err
		}
		if o.Log != nil {
			n.log = o.Log
		}
		n.scope = slices.Sorted(slices.Values(o.ScopeLabels))
		rs = append(rs, NewReceiver("alertmanager", n, c.Dedup, c.Retry, o.Metrics, o.Log))
	}
	for i, w := range c.Webhooks {
		secret, err := w.LoadSecret(o.Getenv)
		if err != nil {
			return nil, fmt.Errorf("alerts: webhooks[%d].%w", i, err)
		}
		n, err := NewWebhookNotifier(w, secret, o.Client)
		if err != nil {
			return nil, err
		}
		rs = append(rs, NewReceiver(w.Name, n, c.Dedup, c.Retry, o.Metrics, o.Log))
	}
	return rs, nil
}
