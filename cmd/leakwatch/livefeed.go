package main

import (
	"context"
	"log/slog"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/dashboards/live"
	"github.com/leakwatch/leakwatch/stream"
)

// liveStage is the consumer group of the live page; it only reads, so its offsets matter
// little, but a group lets several live pages share nothing and restart where they were.
const liveStage = "live"

// feedLive reads the topics the live page shows and keeps st up to date until ctx ends.
// Records it cannot read are counted as dead letters on the page and logged: the stages
// that own those topics dead-letter them, so nothing is lost by skipping them here.
func feedLive(ctx context.Context, cfg stream.Config, st *live.State, log *slog.Logger, m *stream.Metrics) error {
	t := cfg.Topics
	g, err := stream.NewGroup(cfg, liveStage, []string{t.Mentions, t.Signals, t.Alerts, t.SiteChanges, t.DeadLetter}, log, m)
	if err != nil {
		return err
	}
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
