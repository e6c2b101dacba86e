package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Writer produces messages to any topic. Every write waits for all in-sync replicas
// (acks=all), so a nil error means the records survive a broker loss; the same key always
// lands on the same partition (murmur2, as Java clients hash, so other producers agree).
type Writer struct {
	w     *kafka.Writer
	stage string
	m     *Metrics
}

// NewWriter returns a producer for cfg. stage labels its metrics ("replay", "extract").
func NewWriter(cfg Config, stage string, m *Metrics) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	comp, _ := compression(cfg.Compression)
	return &Writer{
		w: &kafka.Writer{
			Addr:     kafka.TCP(cfg.Brokers...),
			Balancer: balancer{},
			// A struct-literal kafka-go Writer defaults to no acks; leakwatch never wants that.
			RequiredAcks:           kafka.RequireAll,
			BatchTimeout:           cfg.BatchTimeout,
			BatchSize:              cfg.BatchSize,
			BatchBytes:             cfg.BatchBytes,
			Compression:            comp,
			WriteTimeout:           cfg.WriteTimeout,
			ReadTimeout:            cfg.WriteTimeout,
			MaxAttempts:            cfg.MaxAttempts,
			AllowAutoTopicCreation: false,
			Transport:              &kafka.Transport{ClientID: cfg.ClientID},
		},
		stage: stage,
		m:     m,
	}, nil
}

// Write sends msgs and returns when the broker acknowledged every one of them, or with an
// error naming how many failed, which topics and keys, and why. Pass many messages per call:
// they are batched per partition, and each call waits at most one batch timeout for a
// partial batch.
func (w *Writer) Write(ctx context.Context, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	kms := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		if m.Topic == "" {
			return fmt.Errorf("write: message %d (key %q) has no topic", i, m.Key)
		}
		kms[i] = kafka.Message{Topic: m.Topic, Key: m.Key, Value: m.Value, Time: m.Time, Headers: toKafkaHeaders(m.Headers)}
	}
	err := w.w.WriteMessages(ctx, kms...)
	// While the broker is away (restarting, a leader moving), the messages that failed for
	// that are sent again, with growing waits, until they are stored or ctx ends: a stage
	// mid-batch waits the outage out instead of ending. A message stored whose ack got lost
	// is then stored twice: delivery is at least once, and every consumer dedupes.
	wait := 250 * time.Millisecond
	for err != nil && ctx.Err() == nil {
		var werrs kafka.WriteErrors
		retry := kms
		if errors.As(err, &werrs) && len(werrs) == len(kms) {
			retry = nil
			for i, e := range werrs {
				if e == nil {
					continue
				}
				if !Transient(e) {
					retry = nil
					break
				}
				retry = append(retry, kms[i])
			}
		} else if !Transient(err) {
			retry = nil
		}
		if len(retry) == 0 {
			break
		}
		w.m.retry(w.stage, "write", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
		if ctx.Err() != nil {
			break
		}
		if e := w.w.WriteMessages(ctx, retry...); e == nil {
			err = nil
		} else {
			err, kms = e, retry
			msgs = msgs[:0]
			for _, k := range retry {
				msgs = append(msgs, Message{Topic: k.Topic, Key: k.Key, Value: k.Value, Time: k.Time, Headers: fromKafkaHeaders(k.Headers)})
			}
		}
	}
	if err == nil {
		w.m.passed(w.stage, "write")
		w.count(msgs, nil)
		return nil
	}
	var werrs kafka.WriteErrors
	if !errors.As(err, &werrs) || len(werrs) != len(msgs) {
		return fmt.Errorf("write %d messages (%s): %w", len(msgs), topicsOf(msgs, nil), err)
	}
	w.count(msgs, werrs)
	failed := make([]int, 0, werrs.Count())
	for i, e := range werrs {
		if e != nil {
			failed = append(failed, i)
		}
	}
	first := failed[0]
	return fmt.Errorf("write: %d of %d messages failed (%s); first: %s key %q: %w",
		len(failed), len(msgs), topicsOf(msgs, werrs), msgs[first].Topic, msgs[first].Key, werrs[first])
}

// UntilUp calls f until it succeeds, fails with an error Transient does not accept, or ctx
// ends: a stage waits a broker outage out, as its fetches and writes do, instead of stopping
// (and with it every stage of the process).
func UntilUp[T any](ctx context.Context, log *slog.Logger, what string, f func() (T, error)) (T, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wait := 250 * time.Millisecond
	for {
		v, err := f()
		if err == nil || !Transient(err) || ctx.Err() != nil {
			return v, err
		}
		log.Warn("broker unreachable; retrying", "call", what, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// Transient reports whether err is about the broker being unreachable or busy for now (a
// connection refused or reset, a timeout, a leader being elected) rather than about the
// request: retrying later can succeed.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var kerr kafka.Error
	if errors.As(err, &kerr) {
		return kerr.Temporary()
	}
	if errors.Is(err, protocol.ErrNoLeader) || strings.Contains(err.Error(), string(protocol.ErrNoLeader)) {
		return true // the broker is back but partition leaders are still being elected
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.DeadlineExceeded)
}

// balancer hashes keys with murmur2, unless the message names its partition (ToPartition).
type balancer struct{}

func (balancer) Balance(msg kafka.Message, partitions ...int) int {
	for i := len(msg.Headers) - 1; i >= 0; i-- {
		if msg.Headers[i].Key == HeaderPartition {
			if p, err := strconv.Atoi(string(msg.Headers[i].Value)); err == nil && slices.Contains(partitions, p) {
				return p
			}
			break
		}
	}
	return kafka.Murmur2Balancer{Consistent: true}.Balance(msg, partitions...)
}

// Close flushes nothing (Write is synchronous) and releases connections.
func (w *Writer) Close() error { return w.w.Close() }

func (w *Writer) count(msgs []Message, werrs kafka.WriteErrors) {
	if w.m == nil {
		return
	}
	n := map[string]int{}
	for i, m := range msgs {
		if werrs == nil || werrs[i] == nil {
			n[m.Topic]++
		}
	}
	for t, c := range n {
		w.m.addWritten(t, w.stage, c)
	}
}

// topicsOf lists the topics of the messages (only the failed ones when werrs is set).
func topicsOf(msgs []Message, werrs kafka.WriteErrors) string {
	set := map[string]bool{}
	for i, m := range msgs {
		if werrs == nil || werrs[i] != nil {
			set[m.Topic] = true
		}
	}
	ts := make([]string, 0, len(set))
	for t := range set {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return strings.Join(ts, ", ")
}

func toKafkaHeaders(hs []Header) []kafka.Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]kafka.Header, len(hs))
	for i, h := range hs {
		out[i] = kafka.Header{Key: h.Key, Value: h.Value}
	}
	return out
}

func fromKafkaHeaders(hs []kafka.Header) []Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]Header, len(hs))
	for i, h := range hs {
		out[i] = Header{Key: h.Key, Value: h.Value}
	}
	return out
}
