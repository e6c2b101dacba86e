package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/health"
	"github.com/leakwatch/leakwatch/stream"
	"github.com/leakwatch/leakwatch/stream/stages"
	"github.com/leakwatch/leakwatch/warehouse"
)

func init() {
	register(command{name: "sink", summary: "store posts, mentions, signals, site changes and alerts in ClickHouse", run: runSink})
}

// sinkStage names the consumer group (prefix + "sink") and the dead letters of this role.
const sinkStage = "sink"

// runSink consumes the posts, site changes, mentions, signals and alerts topics into the
// warehouse. A batch's offsets are committed only after its rows were inserted and its
// unusable records (undecodable, or values ClickHouse cannot store) were written to the
// dead-letter topic. A batch interrupted by shutdown or a crash is delivered again and
// inserted again; the warehouse deduplicates it.
func runSink(ctx context.Context, e *env, args []string) error {
	return runRoleCommand(ctx, e, "sink", args, "sections kafka, clickhouse, calendar, metrics; see docs/WAREHOUSE.md")
}

// sinkRole is the sink: it runs until ctx ends or ClickHouse keeps refusing a batch.
func sinkRole(ctx context.Context, c Config, log *slog.Logger, reg prometheus.Registerer) error {
	scfg := c.Kafka
	base := log // the consumer group names its stage itself
	log = log.With("stage", sinkStage)
	sm := stream.NewMetrics(reg)

	wh, err := warehouse.Open(ctx, c.ClickHouse, log)
	if err != nil {
		return err
	}
	defer wh.Close()
	if cal := c.Analysis.Calendar; cal != nil {
		// Dashboards draw the calendar from the warehouse; re-importing it replaces its events.
		if err := wh.InsertCalendar(ctx, *cal); err != nil {
			return fmt.Errorf("calendar %s: %w", c.Calendar, err)
		}
		log.Info("calendar stored", "campaign", cal.Name, "events", len(cal.Events))
	}

	topics := sinkTopics(scfg.Topics)
	if err := stream.CreateTopics(ctx, scfg, append(topics, scfg.Topics.DeadLetter)...); err != nil {
		return err
	}
	w, err := stream.NewWriter(scfg, sinkStage, sm)
	if err != nil {
		return err
	}
	defer w.Close()
	group, err := newSinkGroup(scfg, c.ClickHouse, base, sm)
	if err != nil {
		return err
	}
	s := newSink(wh, w, scfg.Topics, log, newSinkMetrics(reg))
	log.Info("sinking", "topics", topics, "group", group.ID(), "clickhouse", c.ClickHouse.Addr, "database", wh.Database())
	return group.Run(ctx, s.handle)
}

// sinkTopics are the topics the sink stores.
func sinkTopics(t stream.Topics) []string {
	return []string{t.Posts, t.SiteChanges, t.Mentions, t.Signals, t.Alerts}
}

// newSinkGroup is the sink's consumer: batches as large as one ClickHouse insert, gathered
// for up to the warehouse's batch_wait (the stages' batches are small, for latency).
func newSinkGroup(scfg stream.Config, wcfg warehouse.Config, log *slog.Logger, sm *stream.Metrics) (*stream.Group, error) {
	g, err := stream.NewGroup(scfg, sinkStage, sinkTopics(scfg.Topics), log, sm)
	if err != nil {
		return nil, err
	}
	return g.WithBatch(wcfg.BatchSize, wcfg.BatchWait), nil
}

// sinkMetrics count what reached ClickHouse; records read and dead-lettered are counted by
// the stream metrics.
type sinkMetrics struct {
	rows     *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	failures *prometheus.CounterVec
	// health hears of inserts failing and passing again, for /readyz: a sink waiting out an
	// outage is alive (/healthz) but stores nothing.
	health *health.Board
}

func newSinkMetrics(reg prometheus.Registerer) *sinkMetrics {
	m := &sinkMetrics{
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_sink_rows_total", Help: "Rows inserted into ClickHouse, redeliveries included.",
		}, []string{"kind"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leakwatch_sink_insert_seconds", Help: "Time of one successful insert of a batch.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"kind"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_sink_insert_failures_total", Help: "Inserts ClickHouse refused or did not answer (each is retried).",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.rows, m.seconds, m.failures)
	m.health = health.On(reg)
	return m
}

// nearTextKey starts the key (the object) of a near-duplicate band mention.
var nearTextKey = []byte(string(leakwatch.KindNearText) + ":")

// sink turns batches of topic records into warehouse inserts.
type sink struct {
	wh     *warehouse.Warehouse
	dl     *stream.Writer
	topics stream.Topics
	log    *slog.Logger
	m      *sinkMetrics
	// Inserts failing for a reason other than the data (server down, timeout) are retried
	// with doubling waits from backoff (at most 30 s), until they succeed or the role stops,
	// with the batch uncommitted: an outage of ClickHouse is waited out, not given up on. A
	// refusal waiting does not cure (warehouse.Permanent) stops the role instead.
	// attempts > 0 bounds the tries instead.
	attempts int
	backoff  time.Duration
}

func newSink(wh *warehouse.Warehouse, dl *stream.Writer, topics stream.Topics, log *slog.Logger, m *sinkMetrics) *sink {
	return &sink{wh: wh, dl: dl, topics: topics, log: log, m: m, backoff: 500 * time.Millisecond}
}

// sinkBatch is one consumer batch sorted by destination.
type sinkBatch struct {
	posts    []leakwatch.Post
	changes  []leakwatch.SiteChange
	mentions []leakwatch.Mention
	signals  []leakwatch.Signal
	alerts   []leakwatch.Alert
	dead     []stream.DeadLetter
}

// sinkAdd decodes r as T and keeps it if the warehouse can store it, else dead-letters it.
func sinkAdd[T any](b *sinkBatch, r stream.Record, dst *[]T, check func(T) error) {
	v, err := stream.Decode[T](r)
	if err == nil {
		err = check(v)
	}
	if err != nil {
		b.dead = append(b.dead, stream.DeadLetterFor(sinkStage, r, err))
		return
	}
	*dst = append(*dst, v)
}

// handle stores one batch. It returns nil only when every record is in ClickHouse or on the
// dead-letter topic, so the group may commit.
func (s *sink) handle(ctx context.Context, batch []stream.Record) error {
	var b sinkBatch
	for _, r := range batch {
		switch r.Topic {
		case s.topics.Posts:
			sinkAdd(&b, r, &b.posts, warehouse.CheckPost)
		case s.topics.SiteChanges:
			sinkAdd(&b, r, &b.changes, warehouse.CheckSiteChange)
		case s.topics.Mentions:
			if typ, _ := r.Header(stream.HeaderType); typ == stages.SchemaWatermark.Type {
				continue // extract's event-time progress for detect, not data to store
			}
			if bytes.HasPrefix(r.Key, nearTextKey) {
				// Near-duplicate band keys serve co-share detection only: no panel or report
				// can show them, and they were nearly half the rows (docs/WAREHOUSE.md).
				continue
			}
			sinkAdd(&b, r, &b.mentions, warehouse.CheckMention)
		case s.topics.Signals:
			sinkAdd(&b, r, &b.signals, warehouse.CheckSignal)
		case s.topics.Alerts:
			sinkAdd(&b, r, &b.alerts, warehouse.CheckAlert)
		default:
			b.dead = append(b.dead, stream.DeadLetterFor(sinkStage, r, fmt.Errorf("topic %s: not one the sink stores", r.Topic)))
		}
	}
	steps := []struct {
		kind string
		n    int
		fn   func(context.Context) error
	}{
		{"posts", len(b.posts), func(ctx context.Context) error { return s.wh.InsertPosts(ctx, b.posts) }},
		{"sitechanges", len(b.changes), func(ctx context.Context) error { return s.wh.InsertSiteChanges(ctx, b.changes) }},
		{"mentions", len(b.mentions), func(ctx context.Context) error { return s.wh.InsertMentions(ctx, b.mentions) }},
		{"signals", len(b.signals), func(ctx context.Context) error { return s.wh.InsertSignals(ctx, b.signals) }},
		{"alerts", len(b.alerts), func(ctx context.Context) error { return s.wh.InsertAlerts(ctx, b.alerts) }},
	}
	for _, st := range steps {
		if st.n == 0 {
			continue
		}
		if err := s.insert(ctx, st.kind, st.n, st.fn); err != nil {
			return err
		}
	}
	// After the inserts: a batch that failed to insert is redelivered, and its dead letters
	// would otherwise be written twice.
	for _, d := range b.dead {
		s.log.Warn("dead-lettering a record", "record", d.Where(), "err", d.Reason)
	}
	return s.dl.SendDeadLetters(ctx, s.topics.DeadLetter, b.dead...)
}

// insert runs one insert, retrying failures that are not about the data.
func (s *sink) insert(ctx context.Context, kind string, n int, fn func(context.Context) error) error {
	wait := s.backoff
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := fn(ctx)
		if err == nil {
			s.m.health.OK("sink " + kind)
			s.m.rows.WithLabelValues(kind).Add(float64(n))
			s.m.seconds.WithLabelValues(kind).Observe(time.Since(start).Seconds())
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		s.m.failures.WithLabelValues(kind).Inc()
		var re *warehouse.RecordError
		if errors.As(err, &re) || (s.attempts > 0 && attempt >= s.attempts) {
			// Records were checked before: a refusal now is not something waiting cures.
			return fmt.Errorf("insert %d %s (attempt %d): %w", n, kind, attempt, err)
		}
		if warehouse.Permanent(err) {
			return fmt.Errorf("insert %d %s: ClickHouse refuses it for a reason waiting will not cure (the schema or the user), so the sink stops with the batch uncommitted; fix the warehouse and start it again: %w", n, kind, err)
		}
		s.m.health.Fail("sink "+kind, err)
		s.log.Warn("insert failed; retrying", "kind", kind, "rows", n, "attempt", attempt, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}
