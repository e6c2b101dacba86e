package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakwatch/leakwatch/stream"
	"github.com/leakwatch/leakwatch/stream/stages"
)

func init() {
	register(command{name: "process", summary: "run the processor stages (extract, detect, correlate) over Kafka", run: runProcess})
}

// idleFlags are the stages' idle flags of the commands that run them (process, run).
func idleFlags(fs *flag.FlagSet) (sourceIdle, flushIdle *time.Duration) {
	return fs.Duration("source-idle", stages.DefaultConfig().SourceIdle, "how long extract must find a posts partition read to its end before it stops holding detect back"),
		fs.Duration("flush-idle", 0, "flush detect's open windows after its input was idle this long (for finite replays, or sparse live input, longer than any pause of the input: 30s or more; 0: never)")
}

// stages is the stages' configuration from the config file and the idle flags.
func (c Config) stages() stages.Config {
	return stages.Config{Stream: c.Kafka, Pipeline: c.Analysis, SourceIdle: c.sourceIdle, FlushIdle: c.flushIdle}
}

// setIdle applies the idle flags; values the stages would refuse are a usage error, before
// anything starts.
func (c *Config) setIdle(sourceIdle, flushIdle time.Duration) error {
	c.sourceIdle, c.flushIdle = sourceIdle, flushIdle
	if err := c.stages().Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

func runProcess(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "process", "--stage extract|detect|correlate|all [flags]")
	stage := fs.String("stage", "all", "stage to run: "+strings.Join(stages.Names, ", ")+" or all (every stage in this process)")
	cfgPath := fs.String("config", "", "leakwatch config file (sections kafka, analysis, calendar, metrics); default: the local Kafka")
	sourceIdle, flushIdle := idleFlags(fs)
	metrics := metricsFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	var run []string
	if *stage == "all" {
		run = stages.Names
	} else {
		for _, s := range strings.Split(*stage, ",") {
			if !slices.Contains(stages.Names, s) {
				return fmt.Errorf("%w: --stage %q: want %s or all", errUsage, s, strings.Join(stages.Names, ", "))
			}
			run = append(run, s)
		}
	}
	c, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	c.setMetrics(*metrics)
	if err := c.setIdle(*sourceIdle, *flushIdle); err != nil {
		return err
	}
	cfg := c.stages()
	// The metrics address first: a start that fails on it must not touch Kafka (join the
	// consumer groups).
	ml, err := listenMetrics(c.Metrics)
	if err != nil {
		return err
	}
	if ml != nil {
		defer ml.Close()
	}
	if err := stream.EnsureTopics(ctx, cfg.Stream); err != nil {
		return err
	}
	reg := newRegistry()
	sm := stream.NewMetrics(reg)
	cfg.Registerer = reg
	log := e.log.With("cmd", "process")
	log.Info("processing", "stages", run, "brokers", cfg.Stream.Brokers, "group_prefix", cfg.Stream.GroupPrefix)

	g, gctx := errgroup.WithContext(ctx)
	if ml != nil {
		g.Go(func() error { return serveMetrics(gctx, ml, reg, log) })
	}
	for _, s := range run {
		g.Go(func() error {
			start := time.Now()
			err := stages.Run(gctx, s, cfg, e.log, sm)
			if err == nil && ctx.Err() == nil {
				err = fmt.Errorf("stage %s stopped after %s", s, time.Since(start).Round(time.Second))
			}
			return err
		})
	}
	err = g.Wait()
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
		return nil
	}
	return err
}
