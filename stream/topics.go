package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// EnsureTopics creates every topic of cfg.Topics that does not exist yet, with cfg's partitions,
// replication and retention, and waits until each has a leader for every partition. Topics that
// exist are left as they are. Calling it again is harmless.
func EnsureTopics(ctx context.Context, cfg Config) error {
	return CreateTopics(ctx, cfg, cfg.Topics.All()...)
}

// CreateTopics is EnsureTopics for the named topics.
func CreateTopics(ctx context.Context, cfg Config, topics ...string) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	client := newClient(cfg)
	defer client.Transport.(*kafka.Transport).CloseIdleConnections()
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		tc := kafka.TopicConfig{Topic: t, NumPartitions: cfg.Partitions, ReplicationFactor: cfg.Replication}
		if cfg.Retention > 0 {
			tc.ConfigEntries = []kafka.ConfigEntry{{ConfigName: "retention.ms", ConfigValue: strconv.FormatInt(cfg.Retention.Milliseconds(), 10)}}
		}
		req.Topics = append(req.Topics, tc)
	}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		// kafka-go reports a broker it cannot reach as "Broker Not Available"; the dial says
		// why (connection refused, no such host), which is what an operator can act on.
		if why := dialBrokers(ctx, cfg.Brokers); why != nil {
			return fmt.Errorf("create topics: no broker of %v answers: %w (is Kafka running? leakwatch doctor checks every service)", cfg.Brokers, why)
		}
		return fmt.Errorf("create topics on %v: %w", cfg.Brokers, err)
	}
	var errs []error
	for _, t := range topics {
		if err := resp.Errors[t]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("create topic %s: %w", t, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return waitLeaders(ctx, client, topics)
}

// waitLeaders polls metadata until every partition of every topic has a leader, so the first
// write after creation does not fail with LeaderNotAvailable.
func waitLeaders(ctx context.Context, client *kafka.Client, topics []string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
		missing := ""
		if err != nil {
			missing = err.Error()
		} else {
			missing = leaderless(md, topics)
		}
		if missing == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topics created but not ready: %s: %w", missing, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func leaderless(md *kafka.MetadataResponse, topics []string) string {
	byName := map[string]kafka.Topic{}
	for _, t := range md.Topics {
		byName[t.Name] = t
	}
	for _, name := range topics {
		t, ok := byName[name]
		switch {
		case !ok:
			return name + " not in metadata"
		case t.Error != nil:
			return name + ": " + t.Error.Error()
		case len(t.Partitions) == 0:
			return name + " has no partitions yet"
		}
		for _, p := range t.Partitions {
			if p.Error != nil || p.Leader.ID < 0 || p.Leader.Host == "" {
				return fmt.Sprintf("%s partition %d has no leader", name, p.ID)
			}
		}
	}
	return ""
}

func newClient(cfg Config) *kafka.Client {
	return &kafka.Client{
		Addr:      kafka.TCP(cfg.Brokers...),
		Timeout:   cfg.WriteTimeout,
		Transport: &kafka.Transport{ClientID: cfg.ClientID},
	}
}

// dialBrokers returns why no broker of addrs accepts a TCP connection, or nil when one does.
func dialBrokers(ctx context.Context, addrs []string) error {
	var errs []error
	for _, a := range addrs {
		d := net.Dialer{Timeout: 3 * time.Second}
		c, err := d.DialContext(ctx, "tcp", a)
		if err == nil {
			c.Close()
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
