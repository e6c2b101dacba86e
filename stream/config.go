package stream

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

// Topic names. The suffix is the topic's version: it changes when the key or partitioning of
// a topic changes (readers would see one object split across partitions), not when a value's
// schema does (that is the leakwatch-version header).
const (
	TopicPosts       = "leakwatch.posts.v1"
	TopicSiteChanges = "leakwatch.sitechanges.v1"
	TopicMentions    = "leakwatch.mentions.v1"
	TopicSignals     = "leakwatch.signals.v1"
	TopicAlerts      = "leakwatch.alerts.v1"
	TopicDeadLetter  = "leakwatch.deadletter.v1"
	// TopicCoShares carries co-share observations from detect to correlate, keyed by account
	// pair. It is internal to the processor: apart from signals, so the sink and alert roles
	// reading signals never see them.
	TopicCoShares = "leakwatch.coshares.v1"
)

// Topics are the topic names a deployment uses. They default to the constants above; another
// set lets two monitors (or test runs) share one cluster.
type Topics struct {
	Posts       string `yaml:"posts"`
	SiteChanges string `yaml:"sitechanges"`
	Mentions    string `yaml:"mentions"`
	Signals     string `yaml:"signals"`
	Alerts      string `yaml:"alerts"`
	DeadLetter  string `yaml:"deadletter"`
	CoShares    string `yaml:"coshares"`
}

// DefaultTopics returns the standard topic names.
func DefaultTopics() Topics {
	return Topics{
		Posts:       TopicPosts,
		SiteChanges: TopicSiteChanges,
		Mentions:    TopicMentions,
		Signals:     TopicSignals,
		Alerts:      TopicAlerts,
		DeadLetter:  TopicDeadLetter,
		CoShares:    TopicCoShares,
	}
}

// All returns every topic name, in flow order.
func (t Topics) All() []string {
	return []string{t.Posts, t.SiteChanges, t.Mentions, t.CoShares, t.Signals, t.Alerts, t.DeadLetter}
}

// Config is how leakwatch talks to Kafka.
type Config struct {
	Brokers  []string `yaml:"brokers"`
	ClientID string   `yaml:"client_id"`
	Topics   Topics   `yaml:"topics"`

	// Partitions and Replication apply to topics EnsureTopics creates; an existing topic keeps
	// its own (changing partitions would move keys to other partitions).
	Partitions  int `yaml:"partitions"`
	Replication int `yaml:"replication"`
	// Retention of created topics; 0 keeps the broker's default. Windowed stage state is
	// rebuilt by re-reading topics, so it must exceed the longest detection window.
	Retention time.Duration `yaml:"retention"`

	// Producer.
	BatchTimeout time.Duration `yaml:"batch_timeout"` // longest a partial batch waits before it is sent
	BatchSize    int           `yaml:"batch_size"`    // records per partition batch
	BatchBytes   int64         `yaml:"batch_bytes"`   // bytes per produce request, below the broker's message.max.bytes
	Compression  string        `yaml:"compression"`   // zstd, lz4, snappy, gzip or none
	WriteTimeout time.Duration `yaml:"write_timeout"`
	MaxAttempts  int           `yaml:"max_attempts"` // tries per batch before Write fails

	// Consumer groups.
	GroupPrefix       string        `yaml:"group_prefix"`       // group id = prefix + stage name
	FetchBatch        int           `yaml:"fetch_batch"`        // most records per handler call
	FetchWait         time.Duration `yaml:"fetch_wait"`         // longest a handler call waits to fill a batch
	SessionTimeout    time.Duration `yaml:"session_timeout"`    // a member silent this long is dropped
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"` // also how soon a member notices a rebalance
	StartOffset       string        `yaml:"start_offset"`       // where a new group starts: first or last
}

// DefaultConfig is the local broker of deploy/local with the standard topics.
func DefaultConfig() Config {
	return Config{
		Brokers:           []string{"127.0.0.1:19092"},
		ClientID:          "leakwatch",
		Topics:            DefaultTopics(),
		Partitions:        4,
		Replication:       1,
		BatchTimeout:      5 * time.Millisecond,
		BatchSize:         1000,
		BatchBytes:        1 << 20,
		Compression:       "zstd",
		WriteTimeout:      10 * time.Second,
		MaxAttempts:       10,
		GroupPrefix:       "leakwatch-",
		FetchBatch:        5000, // see FetchBatch's note in docs/STREAM.md
		FetchWait:         100 * time.Millisecond,
		SessionTimeout:    10 * time.Second,
		HeartbeatInterval: time.Second,
		StartOffset:       "first",
	}
}

// Validate names every field that is missing or out of range.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("kafka."+field+": "+format, args...))
	}
	if len(c.Brokers) == 0 {
		bad("brokers", "empty: name at least one host:port")
	}
	for i, b := range c.Brokers {
		if colon := strings.LastIndexByte(b, ':'); colon <= 0 || colon == len(b)-1 {
			bad(fmt.Sprintf("brokers[%d]", i), "%q: want host:port", b)
		}
	}
	if c.ClientID == "" {
		bad("client_id", "empty")
	}
	seen := map[string]string{}
	for _, t := range []struct{ field, name string }{
		{"posts", c.Topics.Posts}, {"sitechanges", c.Topics.SiteChanges}, {"mentions", c.Topics.Mentions},
		{"signals", c.Topics.Signals}, {"alerts", c.Topics.Alerts}, {"deadletter", c.Topics.DeadLetter},
		{"coshares", c.Topics.CoShares},
	} {
		switch {
		case t.name == "":
			bad("topics."+t.field, "empty")
		case seen[t.name] != "":
			bad("topics."+t.field, "%q is also topics.%s", t.name, seen[t.name])
		default:
			seen[t.name] = t.field
		}
	}
	if c.Partitions < 1 {
		bad("partitions", "%d: want at least 1", c.Partitions)
	}
	if c.Replication < 1 {
		bad("replication", "%d: want at least 1", c.Replication)
	}
	if c.Retention < 0 {
		bad("retention", "%s: want 0 (broker default) or more", c.Retention)
	}
	if c.BatchTimeout <= 0 {
		bad("batch_timeout", "%s: want more than 0 (for example 5ms)", c.BatchTimeout)
	}
	if c.BatchSize < 1 {
		bad("batch_size", "%d: want at least 1", c.BatchSize)
	}
	if c.BatchBytes < 1024 {
		bad("batch_bytes", "%d: want at least 1024", c.BatchBytes)
	}
	if _, err := compression(c.Compression); err != nil {
		bad("compression", "%v", err)
	}
	if c.WriteTimeout <= 0 {
		bad("write_timeout", "%s: want more than 0", c.WriteTimeout)
	}
	if c.MaxAttempts < 1 {
		bad("max_attempts", "%d: want at least 1", c.MaxAttempts)
	}
	if c.FetchBatch < 1 {
		bad("fetch_batch", "%d: want at least 1", c.FetchBatch)
	}
	if c.FetchWait <= 0 {
		bad("fetch_wait", "%s: want more than 0", c.FetchWait)
	}
	if c.SessionTimeout < 6*time.Second {
		bad("session_timeout", "%s: brokers refuse less than 6s (group.min.session.timeout.ms)", c.SessionTimeout)
	}
	if c.HeartbeatInterval <= 0 || c.HeartbeatInterval*3 > c.SessionTimeout {
		bad("heartbeat_interval", "%s: want more than 0 and at most a third of session_timeout", c.HeartbeatInterval)
	}
	if _, err := startOffset(c.StartOffset); err != nil {
		bad("start_offset", "%v", err)
	}
	return errors.Join(errs...)
}

func compression(name string) (kafka.Compression, error) {
	switch name {
	case "zstd":
		return kafka.Zstd, nil
	case "lz4":
		return kafka.Lz4, nil
	case "snappy":
		return kafka.Snappy, nil
	case "gzip":
		return kafka.Gzip, nil
	case "none", "":
		return 0, nil
	}
	return 0, fmt.Errorf("%q: want zstd, lz4, snappy, gzip or none", name)
}

func startOffset(name string) (int64, error) {
	switch name {
	case "first":
		return kafka.FirstOffset, nil
	case "last":
		return kafka.LastOffset, nil
	}
	return 0, fmt.Errorf("%q: want first or last", name)
}
