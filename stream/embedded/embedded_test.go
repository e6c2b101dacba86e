package embedded_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/leakwatch/leakwatch/stream/embedded"
)

// The demo runs the production kafka-go code against this broker, so what matters is that
// kafka-go's writer, consumer groups and commits work on it, and that data survives a restart.
func TestKafkaGoGroupsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	b, err := embedded.Start(dir, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addrs()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	conn, err := kafka.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: "t", NumPartitions: 4, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: "t", RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond, Balancer: &kafka.Hash{}}
	const n = 1000
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte(fmt.Sprint(i % 37)), Value: []byte(fmt.Sprint(i))}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()

	consume := func(limit int) map[string]bool {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, GroupID: "g", Topic: "t", MaxWait: 100 * time.Millisecond})
		defer r.Close()
		seen := map[string]bool{}
		for len(seen) < limit {
			cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
			m, err := r.FetchMessage(cctx)
			ccancel()
			if err != nil {
				break
			}
			seen[string(m.Value)] = true
			if err := r.CommitMessages(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		return seen
	}
	first := consume(n / 2)
	if len(first) != n/2 {
		t.Fatalf("consumed %d, want %d", len(first), n/2)
	}
	b.Close()

	b, err = embedded.Start(dir, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr = b.Addrs()[0]
	rest := consume(n)
	for v := range first {
		if rest[v] {
			t.Fatalf("record %s delivered again after its commit survived the restart", v)
		}
	}
	if got := len(first) + len(rest); got != n {
		t.Fatalf("consumed %d records across the restart, want %d", got, n)
	}
}
