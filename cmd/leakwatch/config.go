package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/alerts"
	"github.com/leakwatch/leakwatch/analytics/calendar"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/dashboards/live"
	"github.com/leakwatch/leakwatch/stream"
	"github.com/leakwatch/leakwatch/stream/stages"
	"github.com/leakwatch/leakwatch/warehouse"
)

// Config is the one configuration file of every role (leakwatch.example.yaml documents it).
// Each section belongs to the package that uses it; this file only assembles them.
type Config struct {
	Kafka      stream.Config    `yaml:"kafka"`
	ClickHouse warehouse.Config `yaml:"clickhouse"`
	Alerts     alerts.Config    `yaml:"alerts"`
	Analysis   pipeline.Config  `yaml:"analysis"`
	Collectors CollectorsConfig `yaml:"collectors"`
	Live       live.Config      `yaml:"live"`
	// Calendar is the campaign calendar file (YAML, see shared calendars); empty: none.
	Calendar string `yaml:"calendar"`
	// Metrics is where /metrics and /healthz listen; empty turns them off.
	Metrics string `yaml:"metrics"`

	// sourceIdle and flushIdle are the stages' idle times (stages.Config), set by the flags of
	// the commands that run stages (process, run), not by the file.
	sourceIdle, flushIdle time.Duration
}

// DefaultConfig is every section's default: the services deploy/local starts, on loopback.
func DefaultConfig() Config {
	return Config{
		Kafka:      stream.DefaultConfig(),
		ClickHouse: warehouse.DefaultConfig(),
		Alerts:     alerts.DefaultConfig(),
		Analysis:   pipeline.DefaultConfig(),
		Collectors: DefaultCollectorsConfig(),
		Live:       live.DefaultConfig(),
		Metrics:    "127.0.0.1:9464",
		sourceIdle: stages.DefaultConfig().SourceIdle,
	}
}

// Validate checks every section; each error names the section and field.
func (c *Config) Validate() error {
	var errs []error
	add := func(section string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", section, err))
		}
	}
	add("kafka", c.Kafka.Validate())
	add("clickhouse", c.ClickHouse.Validate())
	add("alerts", c.Alerts.Validate())
	add("analysis", c.Analysis.Validate())
	add("collectors", c.Collectors.Validate())
	// A restarted detect or correlate stage rebuilds its state by reading its topics again
	// from their oldest record: a retention shorter than the burst baselines' learning day
	// would have every restart start from nothing, without a word.
	if r, floor := c.Kafka.Retention, c.Analysis.Burst.Learning+c.Analysis.Lateness; r > 0 && r < floor {
		errs = append(errs, fmt.Errorf("kafka: retention: %s is shorter than what a restarted stage reads again to rebuild its state (analysis.burst.learning and lateness, %s; edges and groups count the whole campaign): keep the campaign, such as 336h, or 0 for the broker's default", r, floor))
	}
	// The live section is checked by the live role itself: other roles read the same file
	// without the page's token.
	return errors.Join(errs...)
}

// loadConfig reads a config file over the defaults, and the calendar file it names. Unknown
// fields are errors, so a typo is reported instead of silently ignored. An empty path gives
// the defaults.
func loadConfig(path string) (Config, error) { return readConfig(path, true) }

// readConfig is loadConfig; withCalendar false leaves the calendar file unread, for a command
// given a calendar of its own (analyze --calendar) or drawing none (doctor): a calendar path
// meant for the server it runs on must not stop it.
func readConfig(path string, withCalendar bool) (Config, error) {
	c := DefaultConfig()
	liveTokenFromEnv(&c.Live)
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		// An empty file (io.EOF) means all defaults.
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if path != "" {
		// A token file named by the environment is the shell's path, not the file's.
		envFile := os.Getenv("LEAKWATCH_LIVE_TOKEN_FILE")
		fromEnv := envFile != "" && c.Live.TokenFile == envFile
		resolveFiles(reflect.ValueOf(&c).Elem(), filepath.Dir(path))
		if fromEnv {
			c.Live.TokenFile = envFile
		}
	}
	if err := c.Validate(); err != nil {
		where := "defaults"
		if path != "" {
			where = path
		}
		return c, fmt.Errorf("config %s:\n  %s", where, strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	if c.Calendar != "" && withCalendar {
		cal, err := loadCalendar(c.Calendar)
		if err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
		c.Analysis.Calendar = &cal
	}
	return c, nil
}

// resolveFiles takes the config's relative file paths (calendar, and every field whose
// YAML name ends in _file) from dir, the config file's directory: a config and the calendar
// and secrets beside it work from any working directory, as a service's unit file and a
// user's shell start it from different ones. Absolute paths stay as written.
func resolveFiles(v reflect.Value, dir string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			resolveFiles(v.Elem(), dir)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			resolveFiles(v.Index(i), dir)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f, fv := t.Field(i), v.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if fv.Kind() == reflect.String && (name == "calendar" || strings.HasSuffix(name, "_file")) {
				if p := fv.String(); p != "" && !filepath.IsAbs(p) {
					fv.SetString(filepath.Join(dir, p))
				}
				continue
			}
			resolveFiles(fv, dir)
		}
	}
}

// liveTokenFromEnv takes the live page's token from the environment, where a deployment's
// secret store puts it; surrounding white space (a secret written with a final newline) is
// not part of it, as for live.token_file.
func liveTokenFromEnv(c *live.Config) {
	if tok := strings.TrimSpace(os.Getenv("LEAKWATCH_LIVE_TOKEN")); tok != "" {
		c.Token = tok
	}
	if f := os.Getenv("LEAKWATCH_LIVE_TOKEN_FILE"); f != "" {
		c.TokenFile = f
	}
}

func loadCalendar(path string) (leakwatch.Calendar, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return leakwatch.Calendar{}, fmt.Errorf("calendar: %w", err)
	}
	cal, err := calendar.Parse(b)
	if err != nil {
		return leakwatch.Calendar{}, fmt.Errorf("calendar %s: %w", path, err)
	}
	return cal, nil
}
