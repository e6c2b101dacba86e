package stream_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/stream"
	"gopkg.in/yaml.v3"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := stream.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name   string
		change func(*stream.Config)
		want   string
	}{
		{"no brokers", func(c *stream.Config) { c.Brokers = nil }, "kafka.brokers: empty"},
		{"broker without port", func(c *stream.Config) { c.Brokers = []string{"kafka1:9092", "kafka2"} }, `kafka.brokers[1]: "kafka2": want host:port`},
		{"no client id", func(c *stream.Config) { c.ClientID = "" }, "kafka.client_id: empty"},
		{"empty topic", func(c *stream.Config) { c.Topics.Mentions = "" }, "kafka.topics.mentions: empty"},
		{"topic used twice", func(c *stream.Config) { c.Topics.Alerts = c.Topics.Signals }, `kafka.topics.alerts: "leakwatch.signals.v1" is also topics.signals`},
		{"no partitions", func(c *stream.Config) { c.Partitions = 0 }, "kafka.partitions: 0: want at least 1"},
		{"no replication", func(c *stream.Config) { c.Replication = 0 }, "kafka.replication: 0"},
		{"negative retention", func(c *stream.Config) { c.Retention = -time.Hour }, "kafka.retention: -1h0m0s"},
		{"zero batch timeout", func(c *stream.Config) { c.BatchTimeout = 0 }, "kafka.batch_timeout: 0s: want more than 0"},
		{"zero batch size", func(c *stream.Config) { c.BatchSize = 0 }, "kafka.batch_size: 0"},
		{"tiny batch bytes", func(c *stream.Config) { c.BatchBytes = 10 }, "kafka.batch_bytes: 10"},
		{"unknown compression", func(c *stream.Config) { c.Compression = "brotli" }, `kafka.compression: "brotli": want zstd, lz4, snappy, gzip or none`},
		{"zero fetch batch", func(c *stream.Config) { c.FetchBatch = 0 }, "kafka.fetch_batch: 0"},
		{"zero fetch wait", func(c *stream.Config) { c.FetchWait = 0 }, "kafka.fetch_wait: 0s"},
		{"short session", func(c *stream.Config) { c.SessionTimeout = time.Second }, "kafka.session_timeout: 1s: brokers refuse less than 6s"},
		{"slow heartbeat", func(c *stream.Config) { c.HeartbeatInterval = 5 * time.Second }, "kafka.heartbeat_interval: 5s"},
		{"start offset", func(c *stream.Config) { c.StartOffset = "earliest" }, `kafka.start_offset: "earliest": want first or last`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stream.DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestConfigFromYAML(t *testing.T) {
	c := stream.DefaultConfig()
	doc := `
brokers: [kafka-1:9092, kafka-2:9092]
client_id: leakwatch-fr
partitions: 12
replication: 3
retention: 720h
batch_timeout: 20ms
compression: lz4
topics:
  posts: fr.posts.v1
`
	if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.BatchTimeout != 20*time.Millisecond || c.Retention != 30*24*time.Hour || c.Partitions != 12 || c.Replication != 3 {
		t.Errorf("yaml not applied: %+v", c)
	}
	// Fields the file does not name keep their defaults.
	if c.Topics.Posts != "fr.posts.v1" || c.Topics.Mentions != stream.TopicMentions || c.FetchBatch != stream.DefaultConfig().FetchBatch {
		t.Errorf("defaults lost: %+v", c)
	}
}

// TestEnsureTopicsSaysWhyNoBrokerAnswers: with Kafka down the stages exit at start; the error
// must say the broker refused the connection, not kafka-go's "Broker Not Available: not a
// client facing error".
func TestEnsureTopicsSaysWhyNoBrokerAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cfg := stream.DefaultConfig()
	cfg.Brokers = []string{addr}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = stream.EnsureTopics(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "is Kafka running?") {
		t.Errorf("EnsureTopics with nothing on %s: %v; want the refused connection and a hint", addr, err)
	}
}
