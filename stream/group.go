package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// Handler processes one batch of records. Returning nil lets the batch commit; returning an
// error stops the group without committing, so the batch is delivered again (to this process
// after a restart, or to another member).
type Handler func(ctx context.Context, batch []Record) error

// Group is one member of a Kafka consumer group: it reads batches from its share of the
// partitions of its topics and commits each batch only after the handler returned nil.
// Delivery is at least once: a member that dies between handling and committing has its last
// batch handled again by whoever takes over its partitions.
type Group struct {
	cfg    Config
	id     string
	stage  string
	topics []string
	log    *slog.Logger
	m      *Metrics
	idle   time.Duration
	reset  func() error
	// batch and wait: most records per handler call and longest wait to fill a batch
	// (cfg.FetchBatch and cfg.FetchWait unless WithBatch changed them)
	batch int
	wait  time.Duration
	// hold and committed: see WithCommitHold (committed is the next offset Run committed,
	// per partition)
	hold      func(topic string, partition int) (offset int64, ok bool)
	committed map[topicPartition]int64
}

type topicPartition struct {
	topic     string
	partition int
}

// WithBatch makes batches of up to n records gathered for at most wait, for a handler whose
// cost is per call more than per record (the sink: one ClickHouse insert per table and
// batch). n and wait below 1 keep the configured values. It returns g.
func (g *Group) WithBatch(n int, wait time.Duration) *Group {
	if n > 0 {
		g.batch = n
	}
	if wait > 0 {
		g.wait = wait
	}
	return g
}

// OnReconnect sets what Run calls after it reconnected to a broker that went away, before
// the first batch of the new reader. Records handled but not committed are delivered again
// from the committed offsets, as after a restart: a stateful handler starts over from the
// state a restarted process would have (and rebuilds it the same way). It returns g.
func (g *Group) OnReconnect(reset func() error) *Group {
	g.reset = reset
	return g
}

// WithIdleCalls makes Run call the handler with an empty batch when no record arrived for d,
// so a stage holding records back (to merge inputs by event time) can release them when its
// inputs go quiet. It returns g.
func (g *Group) WithIdleCalls(d time.Duration) *Group {
	g.idle = d
	return g
}

// WithCommitHold makes Run commit no partition past a record whose effect is not yet final:
// after each batch, hold(topic, partition) returns the offset of the earliest such record of
// the partition (ok false when there is none), and that record and the ones after it stay
// uncommitted, to be read again after a restart. The alert role holds back an alert whose
// update dedup still waits to send: a process killed in the meantime would otherwise have
// committed a version it never delivered. Only partitions of the batch are committed, so a
// hold released while its partition is quiet is committed with the partition's next batch
// (until then a restart reads the records again, a repeat and never a loss). It returns g.
func (g *Group) WithCommitHold(hold func(topic string, partition int) (offset int64, ok bool)) *Group {
	g.hold = hold
	g.committed = map[topicPartition]int64{}
	return g
}

// NewGroup returns a member of group cfg.GroupPrefix+stage reading topics.
func NewGroup(cfg Config, stage string, topics []string, log *slog.Logger, m *Metrics) (*Group, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if stage == "" {
		return nil, errors.New("consumer group: empty stage name")
	}
	if len(topics) == 0 {
		return nil, fmt.Errorf("consumer group %s: no topics", stage)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id := cfg.GroupPrefix + stage
	return &Group{cfg: cfg, id: id, stage: stage, topics: topics, log: log.With("stage", stage, "group", id), m: m, batch: cfg.FetchBatch, wait: cfg.FetchWait}, nil
}

// ID is the Kafka group id.
func (g *Group) ID() string { return g.id }

// maxCommitFailures is how many commits in a row may fail (a rebalance moving partitions
// away, a coordinator change) before Run gives up, unless the broker is merely unreachable:
// that is waited out. Uncommitted batches are only redelivered,
// so carrying on after one failure loses nothing.
const maxCommitFailures = 5

// Run reads and hands batches to h until ctx is done (then it returns nil) or h fails (then it
// returns h's error, leaving the batch uncommitted).
func (g *Group) Run(ctx context.Context, h Handler) error {
	r := g.reader()
	defer func() {
		if r == nil {
			return
		}
		if err := r.Close(); err != nil {
			g.log.Warn("closing consumer", "err", err)
		}
	}()
	g.log.Info("consumer started", "topics", g.topics)

	wait := 250 * time.Millisecond // between readers while the broker is away
	reconnected := false
	commitFailures := 0
	for {
		msgs, err := g.fetch(ctx, r)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			// The broker went away (a restart, a network cut): nothing was handled, so a
			// new reader after a wait resumes at the committed offsets, as a restart would.
			g.log.Warn("fetch failed; reconnecting", "wait", wait, "err", err)
			g.m.retry(g.stage, "fetch", err)
			if cerr := r.Close(); cerr != nil {
				g.log.Debug("closing consumer", "err", cerr)
			}
			select {
			case <-ctx.Done():
				r = nil
				return nil
			case <-time.After(wait):
			}
			wait = min(2*wait, 10*time.Second)
			r = g.reader()
			reconnected = true
			continue
		}
		wait = 250 * time.Millisecond
		g.m.passed(g.stage, "fetch")
		if reconnected && len(msgs) == 0 {
			continue // no idle calls on the old state; reset when records flow again
		}
		if reconnected && g.reset != nil {
			// Reset once the broker answers again: the handler's reset may need it.
			if err := g.reset(); err != nil {
				return fmt.Errorf("group %s: reset after reconnecting: %w", g.id, err)
			}
		}
		reconnected = false
		if len(msgs) == 0 {
			if err := h(ctx, nil); err != nil {
				g.m.handlerError(g.stage)
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("group %s: idle call: %w", g.id, err)
			}
			continue
		}
		batch := make([]Record, len(msgs))
		for i, m := range msgs {
			batch[i] = Record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Headers: fromKafkaHeaders(m.Headers), Time: m.Time, HighWaterMark: m.HighWaterMark}
		}
		if err := h(ctx, batch); err != nil {
			g.m.handlerError(g.stage)
			if ctx.Err() != nil {
				g.log.Info("stopped during a batch; it stays uncommitted", "records", len(batch), "err", err)
				return nil
			}
			return fmt.Errorf("group %s: batch of %d records from %s: %w", g.id, len(batch), batch[0].Where(), err)
		}
		// The batch is handled: commit even when shutdown began meanwhile, so it is not
		// handled twice without need.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.WriteTimeout)
		err = g.commit(cctx, r, msgs)
		cancel()
		if err != nil {
			commitFailures++
			g.log.Warn("commit failed; the batch will be redelivered", "records", len(msgs), "from", batch[0].Where(), "err", err)
			if commitFailures >= maxCommitFailures && !Transient(err) {
				return fmt.Errorf("group %s: %d commits in a row failed: %w", g.id, commitFailures, err)
			}
			if Transient(err) {
				// The broker is away: wait before the next fetch rather than spin.
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				}
				wait = min(2*wait, 10*time.Second)
			}
			continue
		}
		commitFailures = 0
		g.account(msgs)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// commit commits a handled batch, no further on each partition than the hold allows.
func (g *Group) commit(ctx context.Context, r *kafka.Reader, msgs []kafka.Message) error {
	if g.hold == nil {
		return r.CommitMessages(ctx, msgs...)
	}
	next := map[topicPartition]int64{}
	for _, m := range msgs {
		k := topicPartition{m.Topic, m.Partition}
		next[k] = max(next[k], m.Offset+1)
	}
	var commits []kafka.Message
	for k, off := range next {
		if h, ok := g.hold(k.topic, k.partition); ok && h < off {
			off = h
		}
		// A hold never reaches below what was committed before it (its record came later),
		// so nothing goes back; an unchanged offset needs no commit.
		if c, ok := g.committed[k]; ok && off <= c {
			continue
		}
		// kafka-go commits a message's offset + 1, the next one to read.
		commits = append(commits, kafka.Message{Topic: k.topic, Partition: k.partition, Offset: off - 1})
	}
	if len(commits) == 0 {
		return nil
	}
	if err := r.CommitMessages(ctx, commits...); err != nil {
		return err
	}
	for _, c := range commits {
		g.committed[topicPartition{c.Topic, c.Partition}] = c.Offset + 1
	}
	return nil
}

// reader opens a group member on the configured topics.
func (g *Group) reader() *kafka.Reader {
	start, _ := startOffset(g.cfg.StartOffset)
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:     g.cfg.Brokers,
		GroupID:     g.id,
		GroupTopics: g.topics,
		Dialer:      &kafka.Dialer{ClientID: g.cfg.ClientID, Timeout: 10 * time.Second, DualStack: true},
		// Room for two batches, so the next one is fetched while the handler works.
		QueueCapacity:         2 * g.batch,
		MinBytes:              1,
		MaxBytes:              16 << 20,
		MaxWait:               250 * time.Millisecond,
		HeartbeatInterval:     g.cfg.HeartbeatInterval,
		SessionTimeout:        g.cfg.SessionTimeout,
		RebalanceTimeout:      g.cfg.SessionTimeout,
		JoinGroupBackoff:      time.Second,
		CommitInterval:        0, // synchronous: CommitMessages returns once the broker stored the offsets
		WatchPartitionChanges: true,
		StartOffset:           start,
		ReadBackoffMin:        50 * time.Millisecond,
		ReadBackoffMax:        time.Second,
		ErrorLogger:           &readerErrors{log: g.log},
	})
}

// fetch blocks for one record, then gathers more until the batch is full or its wait passed.
// With idle calls on, it returns an empty batch after the idle time without records.
func (g *Group) fetch(ctx context.Context, r *kafka.Reader) ([]kafka.Message, error) {
	fctx := ctx
	if g.idle > 0 {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(ctx, g.idle)
		defer cancel()
	}
	first, err := r.FetchMessage(fctx)
	if err != nil {
		if g.idle > 0 && ctx.Err() == nil && fctx.Err() != nil {
			return nil, nil
		}
		return nil, err
	}
	msgs := make([]kafka.Message, 1, g.batch)
	msgs[0] = first
	wctx, cancel := context.WithTimeout(ctx, g.wait)
	defer cancel()
	for len(msgs) < g.batch {
		m, err := r.FetchMessage(wctx)
		if err != nil {
			if wctx.Err() != nil {
				break // batch window over (or shutdown: Run sees ctx)
			}
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// account counts a committed batch and records each partition's lag after it.
func (g *Group) account(msgs []kafka.Message) {
	if g.m == nil {
		return
	}
	n := map[string]int{}
	last := map[topicPartition]kafka.Message{}
	for _, m := range msgs {
		n[m.Topic]++
		last[topicPartition{m.Topic, m.Partition}] = m
	}
	for t, c := range n {
		g.m.addRecords(t, g.stage, c)
	}
	for k, m := range last {
		if m.HighWaterMark > 0 {
			g.m.setLag(g.id, k.topic, k.partition, max(0, m.HighWaterMark-m.Offset-1))
		}
	}
}

// Item is a record decoded as T.
type Item[T any] struct {
	Record Record
	Value  T
}

// DecodeHandler adapts a handler of decoded values: records that do not decode as T go to the
// dead-letter topic through w (before the batch commits), with the decode error as the reason;
// the rest reach h. The batch commits when both succeeded.
func DecodeHandler[T any](stage string, w *Writer, deadLetterTopic string, log *slog.Logger, h func(ctx context.Context, items []Item[T]) error) Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, batch []Record) error {
		items := make([]Item[T], 0, len(batch))
		var dead []DeadLetter
		for _, r := range batch {
			v, err := Decode[T](r)
			if err != nil {
				log.Warn("dead-lettering a record", "record", r.Where(), "err", err)
				dead = append(dead, DeadLetterFor(stage, r, err))
				continue
			}
			items = append(items, Item[T]{Record: r, Value: v})
		}
		if err := w.SendDeadLetters(ctx, deadLetterTopic, dead...); err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		return h(ctx, items)
	}
}

// readerErrors passes kafka-go's reader errors on at Debug, and at Warn when an error of one
// kind (its message's form) comes again and again: ten times within a minute, then at most
// once a minute, with the count. A reader looping on an error it cannot get past (a record it
// cannot decode, a broker that lost its files) was silent at the default level while its
// partition stood still; a single failure, such as the i/o timeout of a fetch while a topic
// is being created, is retried and passes, and at Warn it was a false alarm at every start.
// A stop (context canceled) is never a warning.
type readerErrors struct {
	log   *slog.Logger
	mu    sync.Mutex
	kinds map[string]*errorKind
}

type errorKind struct {
	since  time.Time // start of the minute counted
	n      int       // errors in it
	warned time.Time
}

// loopAfter is how many errors of one kind within a minute make a loop worth a warning.
const loopAfter = 10

func (r *readerErrors) Printf(msg string, args ...any) {
	text := "kafka: " + fmt.Sprintf(msg, args...)
	if strings.Contains(text, context.Canceled.Error()) {
		r.log.Debug(text)
		return
	}
	r.mu.Lock()
	if r.kinds == nil {
		r.kinds = map[string]*errorKind{}
	}
	k := r.kinds[msg]
	if k == nil {
		k = &errorKind{}
		r.kinds[msg] = k
	}
	now := time.Now()
	if now.Sub(k.since) >= time.Minute {
		k.since, k.n = now, 0
	}
	k.n++
	n := k.n
	warn := n >= loopAfter && now.Sub(k.warned) >= time.Minute
	if warn {
		k.warned = now
	}
	r.mu.Unlock()
	if warn {
		r.log.Warn(text, "times_in_the_last_minute", n)
		return
	}
	r.log.Debug(text)
}
