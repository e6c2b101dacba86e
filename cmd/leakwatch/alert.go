package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/alerts"
	"github.com/leakwatch/leakwatch/stream"
)

func init() {
	register(command{name: "alert", summary: "deliver the alerts topic to Alertmanager and signed webhooks", run: runAlert})
}

// alertStage prefixes the consumer groups and dead-letter stages of this role: each receiver
// has its own, alertStage+"-"+name (see receiverStage).
const alertStage = "alert"

// receiverStage names one receiver's consumer group (prefix + stage) and dead letters. Each
// receiver reads the alerts topic in its own group and commits its own offsets, so a failing
// receiver falls behind alone instead of holding back the others.
func receiverStage(receiver string) string { return alertStage + "-" + receiver }

// runAlert consumes the alerts topic and delivers every alert to each configured receiver.
// Each receiver commits a batch's offsets only when each of its alerts was delivered,
// suppressed as a repeat, or written to the dead-letter topic with the reason (refused, or
// still failing when the retry policy gave up), and never past an alert whose grown version
// dedup holds back as an update not yet sent. On shutdown an unfinished batch stays
// uncommitted and is delivered again on restart.
func runAlert(ctx context.Context, e *env, args []string) error {
	return runRoleCommand(ctx, e, "alert", args, "sections kafka, alerts, metrics; see docs/ALERTS.md")
}

// updateGrace bounds how long a stopping role spends sending the updates dedup still holds.
const updateGrace = 10 * time.Second

// alertRole delivers the alerts topic until ctx ends, one consumer group per receiver.
func alertRole(ctx context.Context, c Config, log *slog.Logger, reg prometheus.Registerer) error {
	cfg, scfg := c.Alerts, c.Kafka
	receivers, err := cfg.Receivers(alerts.Options{Metrics: alerts.NewMetrics(reg), Log: log.With("stage", alertStage),
		ScopeLabels: slices.Collect(maps.Keys(c.Analysis.Rules.Labels))})
	if err != nil {
		return err
	}
	sm := stream.NewMetrics(reg)
	if err := stream.CreateTopics(ctx, scfg, scfg.Topics.Alerts, scfg.Topics.DeadLetter); err != nil {
		return err
	}
	w, err := stream.NewWriter(scfg, alertStage, sm)
	if err != nil {
		return err
	}
	defer w.Close()

	if err := carryOldGroup(ctx, scfg, receivers, log); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, r := range receivers {
		stage := receiverStage(r.Name())
		group, err := stream.NewGroup(scfg, stage, []string{scfg.Topics.Alerts}, log, sm)
		if err != nil {
			return err
		}
		rlog := log.With("stage", stage)
		rlog.Info("delivering alerts", "topic", scfg.Topics.Alerts, "group", group.ID(), "receiver", r.Name())
		d := &alertDelivery{fanout: alerts.NewFanout(rlog, r), stage: stage, log: rlog}
		group.WithCommitHold(d.hold)
		g.Go(func() error { return r.KeepUpdated(gctx, updateGrace) })
		g.Go(func() error {
			return group.Run(gctx, stream.DecodeHandler(stage, w, scfg.Topics.DeadLetter, rlog, func(ctx context.Context, items []stream.Item[leakwatch.Alert]) error {
				dead, err := d.deliver(ctx, items)
				if err != nil {
					return err
				}
				return w.SendDeadLetters(ctx, scfg.Topics.DeadLetter, dead...)
			}))
		})
	}
	return g.Wait()
}

// carryOldGroup moves the receivers off the single group, alertStage, that earlier versions
// read the alerts topic in: each receiver's group that has committed nothing carries on from
// that group's offsets instead of sending every retained alert again, and once every
// receiver has, the old group is deleted, so a receiver added later starts at
// kafka.start_offset like any new group. A failure stops the role rather than let a receiver
// start over; the old group stays, and the next start tries again.
func carryOldGroup(ctx context.Context, scfg stream.Config, receivers []*alerts.Receiver, log *slog.Logger) error {
	old := scfg.GroupPrefix + alertStage
	offsets, err := stream.UntilUp(ctx, log, "the old alert group's offsets", func() (map[int]int64, error) {
		return stream.Committed(ctx, scfg, old, scfg.Topics.Alerts)
	})
	if err != nil {
		return fmt.Errorf("alert: offsets of the old group %s: %w", old, err)
	}
	if !stream.AnyCommitted(offsets) {
		return nil // no old group, as on every start after the one that moved the receivers
	}
	for _, r := range receivers {
		group := scfg.GroupPrefix + receiverStage(r.Name())
		carried, err := stream.UntilUp(ctx, log, "carry the old alert group's offsets", func() (bool, error) {
			return stream.CommitIfNone(ctx, scfg, group, scfg.Topics.Alerts, offsets)
		})
		if err != nil {
			return fmt.Errorf("alert: receiver %s: carry on from group %s: %w (to start it at kafka.start_offset instead, delete group %s)", r.Name(), old, err, old)
		}
		if carried {
			log.Info("carrying on from the old alert group's offsets", "old_group", old, "group", group)
		}
	}
	if err := stream.DeleteGroup(ctx, scfg, old); err != nil {
		// Mostly an old alert process still running (the group is not empty): it goes on
		// delivering what the new groups deliver too.
		log.Warn("could not delete the old alert group; stop any alert process of an earlier version", "group", old, "err", err)
	}
	return nil
}

// alertDelivery delivers decoded alerts and says which could not be delivered.
type alertDelivery struct {
	fanout *alerts.Fanout
	stage  string // of the dead letters
	log    *slog.Logger

	// waiting is where each alert's version that dedup holds back as an update was read
	// (by alert id), so its record stays uncommitted until the update is sent (see hold).
	mu      sync.Mutex
	waiting map[string]stream.Record
}

// hold is the offset of the earliest record of topic's partition whose alert version a
// receiver still waits to send as an update (stream.Group.WithCommitHold). The records from
// there on stay uncommitted: a process killed before the update went out reads them again on
// restart and sends it then, instead of having committed a version it never delivered.
// noteWaiting has kept only the alerts still waiting; one sent since waits for the next
// batch's commit, a record read again at worst.
func (d *alertDelivery) hold(topic string, partition int) (int64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	first, ok := int64(0), false
	for _, r := range d.waiting {
		if r.Topic == topic && r.Partition == partition && (!ok || r.Offset < first) {
			first, ok = r.Offset, true
		}
	}
	return first, ok
}

// noteWaiting records, after a batch, where each alert that waits as an update was read (the
// last copy of an id in the batch is the version dedup keeps), and forgets the alerts no
// longer waiting: sent since, or replaced by a newer delivered version. It asks the
// receivers once an alert and batch, not at every partition's commit.
func (d *alertDelivery) noteWaiting(items []stream.Item[leakwatch.Alert]) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.waiting == nil {
		d.waiting = map[string]stream.Record{}
	}
	for _, it := range items {
		r := it.Record
		d.waiting[it.Value.ID] = stream.Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}
	}
	for id := range d.waiting {
		if !d.fanout.Waiting(id) {
			delete(d.waiting, id)
		}
	}
}

// deliver sends the batch to every receiver at once and returns dead letters for the alerts
// some receiver refused or never accepted. A receiver that refuses a whole request (one bad
// alert makes Alertmanager answer 400 for all) sends the alerts again one by one itself, so
// only the bad ones are dead-lettered. An error (shutdown) means nothing may be committed.
func (d *alertDelivery) deliver(ctx context.Context, items []stream.Item[leakwatch.Alert]) ([]stream.DeadLetter, error) {
	as := make([]leakwatch.Alert, len(items))
	for i, it := range items {
		as[i] = it.Value
	}
	errs := d.fanout.DeliverEach(ctx, as...)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	d.noteWaiting(items)
	names := d.fanout.Receivers()
	var dead []stream.DeadLetter
	for j := range items {
		var reasons []string
		for i, name := range names {
			if err := errs[i][j]; err != nil {
				reasons = append(reasons, fmt.Sprintf("receiver %s: %v", name, err))
			}
		}
		if len(reasons) == 0 {
			continue
		}
		reason := errors.New("undelivered alert " + as[j].ID + ": " + strings.Join(reasons, "; "))
		d.log.Warn("dead-lettering an alert", "record", items[j].Record.Where(), "alert", as[j].ID, "err", reason)
		dead = append(dead, stream.DeadLetterFor(d.stage, items[j].Record, reason))
	}
	return dead, nil
}
