package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/alerts"
	"github.com/leakwatch/leakwatch/stream"
)

func init() {
	register(command{name: "alert", summary: "deliver the alerts topic to Alertmanager and signed webhooks", run: runAlert})
}

// alertStage names the consumer group (prefix + "alert") and the dead letters of this role.
const alertStage = "alert"

// runAlert consumes the alerts topic and delivers every alert to each configured receiver.
// A batch's offsets are committed only when each of its alerts was delivered to every
// receiver, suppressed as a repeat, or written to the dead-letter topic with the reason
// (refused by a receiver, or still failing when the retry policy gave up). On shutdown an
// unfinished batch stays uncommitted and is delivered again on restart.
func runAlert(ctx context.Context, e *env, args []string) error {
	return runRoleCommand(ctx, e, "alert", args, "sections kafka, alerts, metrics; see docs/ALERTS.md")
}

// alertRole delivers the alerts topic until ctx ends.
func alertRole(ctx context.Context, c Config, log *slog.Logger, reg prometheus.Registerer) error {
	cfg, scfg := c.Alerts, c.Kafka
	log = log.With("stage", alertStage)
	receivers, err := cfg.Receivers(alerts.Options{Metrics: alerts.NewMetrics(reg), Log: log})
	if err != nil {
		return err
	}
	fanout := alerts.NewFanout(log, receivers...)
	sm := stream.NewMetrics(reg)

	if err := stream.CreateTopics(ctx, scfg, scfg.Topics.Alerts, scfg.Topics.DeadLetter); err != nil {
		return err
	}
	w, err := stream.NewWriter(scfg, alertStage, sm)
	if err != nil {
		return err
	}
	defer w.Close()
	group, err := stream.NewGroup(scfg, alertStage, []string{scfg.Topics.Alerts}, log, sm)
	if err != nil {
		return err
	}
	log.Info("delivering alerts", "topic", scfg.Topics.Alerts, "group", group.ID(), "receivers", fanout.Receivers())

	d := &alertDelivery{fanout: fanout, receivers: receivers, log: log}
	return group.Run(ctx, stream.DecodeHandler(alertStage, w, scfg.Topics.DeadLetter, log, func(ctx context.Context, items []stream.Item[leakwatch.Alert]) error {
		dead, err := d.deliver(ctx, items)
		if err != nil {
			return err
		}
		return w.SendDeadLetters(ctx, scfg.Topics.DeadLetter, dead...)
	}))
}

// alertDelivery delivers decoded alerts and says which could not be delivered.
type alertDelivery struct {
	fanout    *alerts.Fanout
	receivers []*alerts.Receiver // in fanout order
	log       *slog.Logger
}

// deliver sends the batch to every receiver and returns dead letters for the alerts some
// receiver refused or never accepted. A receiver that refuses a whole request (one bad alert
// makes Alertmanager answer 400 for all) gets the alerts again one by one, so only the bad
// ones are dead-lettered; the others are remembered by dedup and not sent twice elsewhere.
// An error (shutdown) means nothing may be committed.
func (d *alertDelivery) deliver(ctx context.Context, items []stream.Item[leakwatch.Alert]) ([]stream.DeadLetter, error) {
	as := make([]leakwatch.Alert, len(items))
	for i, it := range items {
		as[i] = it.Value
	}
	reasons := make([][]string, len(items))
	for i, res := range d.fanout.Deliver(ctx, as...) {
		if res.Err == nil {
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if res.Retry || len(as) == 1 {
			for j := range as {
				reasons[j] = append(reasons[j], fmt.Sprintf("receiver %s: %v", res.Receiver, res.Err))
			}
			continue
		}
		for j, a := range as {
			if _, err := d.receivers[i].Notify(ctx, a); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				reasons[j] = append(reasons[j], fmt.Sprintf("receiver %s: %v", res.Receiver, err))
			}
		}
	}
	var dead []stream.DeadLetter
	for j, rs := range reasons {
		if len(rs) == 0 {
			continue
		}
		reason := errors.New("undelivered alert " + as[j].ID + ": " + strings.Join(rs, "; "))
		d.log.Warn("dead-lettering an alert", "record", items[j].Record.Where(), "alert", as[j].ID, "err", reason)
		dead = append(dead, stream.DeadLetterFor(alertStage, items[j].Record, reason))
	}
	return dead, nil
}
