package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/dashboards/live"
	"github.com/leakwatch/leakwatch/stream"
)

// liveStage names the live page's consumer groups and log lines.
const liveStage = "live"

// liveGroup is a consumer group of this process alone, read from the oldest retained record.
// The page keeps its state in memory: a restarted page must read the topics again to show
// what was detected before it, and two pages in one group would each get only some of the
// partitions. Its offsets are never read back.
func liveGroup() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%s-%d-%d", liveStage, host, os.Getpid(), time.Now().UnixNano())
}

// liveTopics are the topics the live page reads.
func liveTopics(t stream.Topics) []string {
	return []string{t.Mentions, t.Signals, t.Alerts, t.SiteChanges, t.DeadLetter}
}

// feedLive reads the topics the live page shows and keeps st up to date until ctx ends.
// Records it cannot read are counted as dead letters on the page and logged: the stages
// that own those topics dead-letter them, so nothing is lost by skipping them here.
func feedLive(ctx context.Context, cfg stream.Config, group string, st *live.State, log *slog.Logger, m *stream.Metrics) error {
	cfg.StartOffset = "first" // the whole retained history, whatever new groups of the roles do
	g, err := stream.NewGroup(cfg, group, liveTopics(cfg.Topics), log, m)
	if err != nil {
		return err
	}
	t := cfg.Topics
	log = log.With("stage", liveStage)
	return g.Run(ctx, func(ctx context.Context, batch []stream.Record) error {
		for _, r := range batch {
			typ, _ := r.Header(stream.HeaderType)
			var err error
			switch {
			case r.Topic == t.DeadLetter:
				st.DeadLetter()
			case r.Topic == t.Mentions && typ == stream.SchemaMention.Type:
				var mn leakwatch.Mention
				if mn, err = stream.Decode[leakwatch.Mention](r); err == nil {
					st.Mention(mn)
				}
			case r.Topic == t.Signals:
				var s leakwatch.Signal
				if s, err = stream.Decode[leakwatch.Signal](r); err == nil {
					st.Signal(s)
				}
			case r.Topic == t.Alerts:
				var a leakwatch.Alert
				if a, err = stream.Decode[leakwatch.Alert](r); err == nil {
					st.Alert(a)
				}
			case r.Topic == t.SiteChanges:
				var c leakwatch.SiteChange
				if c, err = stream.Decode[leakwatch.SiteChange](r); err == nil {
					st.SiteChange(c)
				}
			}
			if err != nil {
				log.Debug("live page skips a record it cannot read", "record", r.Where(), "err", err)
			}
		}
		return nil
	})
}
