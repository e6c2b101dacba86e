package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/bluesky"
	"github.com/leakwatch/leakwatch/collectors/feeds"
	"github.com/leakwatch/leakwatch/collectors/mastodon"
	"github.com/leakwatch/leakwatch/collectors/sites"
	"github.com/leakwatch/leakwatch/collectors/twitter"
	"github.com/leakwatch/leakwatch/stream"
)

func init() {
	register(command{name: "collect", summary: "run the configured collectors into Kafka (posts, site changes)", run: runCollect})
}

// collectStage names the collectors' writer and dead letters.
const collectStage = "collect"

func runCollect(ctx context.Context, e *env, args []string) error {
	return runRoleCommand(ctx, e, "collect", args, "sections kafka, collectors; see docs/COLLECTORS.md")
}

// collectRole runs every configured source, each reconnecting by itself, and writes what
// they read to Kafka: posts, site changes, and what they could not decode to the dead-letter
// topic. A record is handed on only once the broker acknowledged it.
func collectRole(ctx context.Context, c Config, log *slog.Logger, reg prometheus.Registerer) error {
	log = log.With("stage", collectStage)
	cm := collectors.NewMetrics(reg)
	srcs, err := buildSources(c.Collectors, log, cm)
	if err != nil {
		return err
	}
	if len(srcs) == 0 {
		return fmt.Errorf("no source configured: add twitter_v2, twitter_v1, mastodon, bluesky, feeds or sites under collectors (see leakwatch.example.yaml)")
	}
	t := c.Kafka.Topics
	w, err := stream.NewWriter(c.Kafka, collectStage, stream.NewMetrics(reg))
	if err != nil {
		return err
	}
	defer w.Close()
	log.Info("collecting", "sources", len(srcs))
	emit := func(ctx context.Context, r collectors.Record) error {
		var m stream.Message
		var err error
		switch {
		case r.Post != nil:
			m, err = stream.EncodePost(t.Posts, *r.Post)
		case r.Change != nil:
			m, err = stream.EncodeSiteChange(t.SiteChanges, *r.Change)
		case r.Bad != nil:
			return w.SendDeadLetters(ctx, t.DeadLetter, stream.DeadLetter{Stage: collectStage, Reason: r.Bad.Error(), Ref: r.Bad.Ref, Value: r.Bad.Raw, At: time.Now().UTC()})
		default:
			return nil
		}
		if err != nil {
			// Accepted but unencodable (no key): kept, with the reason.
			return w.SendDeadLetters(ctx, t.DeadLetter, stream.DeadLetter{Stage: collectStage, Reason: err.Error(), At: time.Now().UTC()})
		}
		return w.Write(ctx, m)
	}
	return collectors.RunAll(ctx, srcs, emit, collectors.RunOptions{Config: c.Collectors.Run, Log: log, Metrics: cm})
}

// buildSources makes one source per configured endpoint.
func buildSources(c CollectorsConfig, log *slog.Logger, m *collectors.Metrics) ([]collectors.Source, error) {
	var srcs []collectors.Source
	// Streams stay open for days: no client timeout. Each source bounds what must not last
	// itself (response headers and REST calls by stall_timeout, the Bluesky handshake by
	// connect_timeout) and detects stalls.
	streaming := &http.Client{}
	for _, e := range c.TwitterV2 {
		s, err := twitter.NewV2Stream(e.Value, twitter.Options{HTTP: streaming, Log: log, Metrics: m})
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	for _, e := range c.TwitterV1 {
		s, err := twitter.NewV1Stream(e.Value, twitter.Options{HTTP: streaming, Log: log, Metrics: m})
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	if len(c.Mastodon.Instances) > 0 {
		ms, err := mastodon.Sources(c.Mastodon, mastodon.Options{HTTP: streaming, Log: log, Metrics: m})
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, ms...)
	}
	for _, e := range c.Bluesky {
		s, err := bluesky.New(e.Value, bluesky.Options{Log: log, Metrics: m})
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	if len(c.Feeds.Feeds) > 0 {
		s, err := feeds.New(c.Feeds)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	if len(c.Sites.Targets) > 0 {
		s, err := sites.New(c.Sites, sites.WithLogger(log))
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	return srcs, nil
}
