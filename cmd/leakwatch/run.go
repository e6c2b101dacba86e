package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/leakwatch/leakwatch/dashboards/live"
	"github.com/leakwatch/leakwatch/stream"
	"github.com/leakwatch/leakwatch/stream/embedded"
	"github.com/leakwatch/leakwatch/stream/stages"
)

func init() {
	register(command{name: "run", summary: "run chosen roles (collect, extract, detect, correlate, sink, alert, live) from a config file", run: runRun})
}

// role is one job a leakwatch process can do. It runs until ctx ends (returning nil) or it
// fails; several roles share a process, a registry and a config.
type role func(ctx context.Context, c Config, log *slog.Logger, reg prometheus.Registerer) error

// roles by name: the processor stages, the collectors, the sink, alert delivery, the live page.
var roles = map[string]role{
	"collect":        collectRole,
	stages.Extract:   stageRole(stages.Extract),
	stages.Detect:    stageRole(stages.Detect),
	stages.Correlate: stageRole(stages.Correlate),
	"sink":           sinkRole,
	"alert":          alertRole,
	"live":           liveRole,
}

func roleNames() string {
	names := make([]string, 0, len(roles))
	for n := range roles {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func runRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "run", "[--config FILE] [--roles LIST] [--embedded]")
	cfgPath := fs.String("config", "", "config file (default: the local services of deploy/local)")
	roleList := fs.String("roles", "", "comma-separated roles among "+roleNames()+" (default: all; with --embedded: collect,extract,detect,correlate,live)")
	emb := fs.Bool("embedded", false, "run on an in-process broker: one analyst, no Kafka to install (sink and alert still need ClickHouse and Alertmanager)")
	brokerDir := fs.String("broker-data", "", "with --embedded: where the broker keeps its data (default: the user cache dir)")
	sourceIdle, flushIdle := idleFlags(fs)
	metrics := metricsFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	names, err := parseRoles(*roleList, *emb)
	if err != nil {
		return err
	}
	c, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	c.setMetrics(*metrics)
	if err := c.setIdle(*sourceIdle, *flushIdle); err != nil {
		return err
	}
	if *emb {
		dir := *brokerDir
		if dir == "" {
			dir, err = cacheDir("embedded-broker")
			if err != nil {
				return err
			}
		}
		b, err := embedded.Start(dir, 0, c.Kafka.Partitions)
		if err != nil {
			return err
		}
		defer b.Close()
		c.Kafka.Brokers = b.Addrs()
		e.log.Info("embedded broker", "addr", b.Addrs(), "data", dir)
	}
	return runRoles(ctx, e, c, names)
}

// parseRoles reads --roles before anything is started: a typo found after the topics were
// created and the first roles started left both behind, and a role named twice ran twice.
func parseRoles(list string, embedded bool) ([]string, error) {
	if list == "" {
		if embedded {
			return []string{"collect", stages.Extract, stages.Detect, stages.Correlate, "live"}, nil
		}
		return []string{"collect", stages.Extract, stages.Detect, stages.Correlate, "sink", "alert", "live"}, nil
	}
	var names []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if _, ok := roles[n]; !ok {
			return nil, fmt.Errorf("%w: --roles: %q is no role: want some of %s", errUsage, n, roleNames())
		}
		if slices.Contains(names, n) {
			return nil, fmt.Errorf("%w: --roles: %s is named twice", errUsage, n)
		}
		names = append(names, n)
	}
	return names, nil
}

// runRoleCommand is the body of a one-role subcommand (sink, alert, collect).
func runRoleCommand(ctx context.Context, e *env, name string, args []string, sections string) error {
	fs := newFlags(e, name, "[--config FILE]")
	cfgPath := fs.String("config", "", "leakwatch config file ("+sections+"); default: the local services")
	metrics := metricsFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	c, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	c.setMetrics(*metrics)
	return runRoles(ctx, e, c, []string{name})
}

// runRoles runs roles side by side with the metrics endpoint until ctx ends (a clean stop,
// nil) or one role fails (the others are stopped, the error returned).
func runRoles(ctx context.Context, e *env, c Config, names []string) error {
	reg := newRegistry()
	// The metrics address first: a start that fails on it must not touch Kafka (join the
	// consumer groups).
	ml, err := listenMetrics(c.Metrics)
	if err != nil {
		return err
	}
	if ml != nil {
		defer ml.Close()
	}
	if err := stream.EnsureTopics(ctx, c.Kafka); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, n := range names {
		r, ok := roles[strings.TrimSpace(n)]
		if !ok {
			return fmt.Errorf("%w: role %q: want some of %s", errUsage, n, roleNames())
		}
		g.Go(func() error {
			err := r(gctx, c, e.log, reg)
			if err == nil && ctx.Err() == nil {
				err = fmt.Errorf("role %s stopped", n)
			}
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("role %s: %w", n, err)
			}
			return nil
		})
	}
	if ml != nil {
		g.Go(func() error { return serveMetrics(gctx, ml, reg, e.log) })
	}
	e.log.Info("running", "roles", names, "metrics", c.Metrics)
	err = g.Wait()
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
		return nil
	}
	return err
}

// stageRole runs one processor stage (the same code the demo runs on the embedded broker).
func stageRole(name string) role {
	return func(ctx context.Context, c Config, log *slog.Logger, reg prometheus.Registerer) error {
		sc := c.stages()
		sc.Registerer = reg
		return stages.Run(ctx, name, sc, log, stream.NewMetrics(reg))
	}
}

// liveRole serves the live page fed from the topics.
func liveRole(ctx context.Context, c Config, log *slog.Logger, reg prometheus.Registerer) error {
	if err := c.Live.Validate(); err != nil {
		return err
	}
	st := live.NewState(15 * time.Minute)
	if c.Analysis.Calendar != nil {
		st.SetCalendar(*c.Analysis.Calendar)
	}
	// The page's address before its reader: a port taken fails here, leaving no consumer group.
	ln, err := net.Listen("tcp", c.Live.Listen)
	if err != nil {
		return fmt.Errorf("live: listen %s: %w", c.Live.Listen, err)
	}
	defer ln.Close()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return feedLive(ctx, c.Kafka, liveGroup(), st, log, stream.NewMetrics(reg)) })
	g.Go(func() error {
		return serveListener(ctx, ln, live.Handler(c.Live, st, log), log, func(a net.Addr) {
			log.Info("live page", "url", "http://"+a.String()+"/")
		})
	})
	return g.Wait()
}

// cacheDir is a directory of leakwatch's under the user cache dir.
func cacheDir(name string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "leakwatch", name)
	return dir, os.MkdirAll(dir, 0o755)
}
