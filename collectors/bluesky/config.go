package bluesky

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config is one Jetstream subscription.
type Config struct {
	// Name labels the source in logs, metrics and dead letters.
	Name string `yaml:"name"`
	// URL is the subscribe endpoint, e.g. wss://jetstream2.us-east.bsky.network/subscribe.
	URL string `yaml:"url"`
	// Collections to receive: app.bsky.feed.post and/or app.bsky.feed.repost.
	Collections []string `yaml:"collections"`
	// DIDs limits the stream to these repositories (at most 10,000); empty means all.
	DIDs []string `yaml:"dids"`
	// StartCursor (Unix microseconds) replays from that time on the first connection when
	// no cursor file holds a later position; 0 starts at the live tail.
	StartCursor int64 `yaml:"start_cursor"`
	// CursorFile keeps the position across restarts; empty keeps it in memory only.
	CursorFile string `yaml:"cursor_file"`
	// CursorSaveInterval is how often the cursor file is rewritten while reading.
	CursorSaveInterval time.Duration `yaml:"cursor_save_interval"`
	// Rewind is how far before the last handed-over event a reconnect resumes, as Jetstream
	// advises for gapless playback; the replayed overlap is dropped by DedupeSize.
	Rewind time.Duration `yaml:"rewind"`
	// DedupeSize is how many recent commits are remembered to drop the rewound overlap.
	DedupeSize int `yaml:"dedupe_size"`
	// HandleCacheSize is how many DID -> handle pairs from identity events are kept.
	HandleCacheSize int `yaml:"handle_cache_size"`
	// PingInterval is how often a WebSocket ping checks the connection; a ping unanswered
	// for PingTimeout drops it.
	PingInterval time.Duration `yaml:"ping_interval"`
	PingTimeout  time.Duration `yaml:"ping_timeout"`
	// ConnectTimeout bounds the WebSocket handshake: a server that accepts the connection
	// and never answers it is dropped and dialled again after a backoff.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// MaxMessageBytes bounds one event.
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
}

// DefaultConfig reads posts and reposts from Bluesky's public Jetstream.
func DefaultConfig() Config {
	return Config{
		Name:               "bluesky",
		URL:                "wss://jetstream2.us-east.bsky.network/subscribe",
		Collections:        []string{CollectionPost, CollectionRepost},
		CursorSaveInterval: 5 * time.Second,
		Rewind:             5 * time.Second,
		DedupeSize:         200_000,
		HandleCacheSize:    500_000,
		PingInterval:       30 * time.Second,
		PingTimeout:        15 * time.Second,
		ConnectTimeout:     30 * time.Second,
		MaxMessageBytes:    2 << 20,
	}
}

// Validate names the first field that is wrong.
func (c Config) Validate() error {
	if c.Name == "" {
		return errors.New("name: must be set")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "wss" && u.Scheme != "ws" && u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("url: %q is not a ws(s) URL", c.URL)
	}
	if len(c.Collections) == 0 {
		return errors.New("collections: at least one collection is needed")
	}
	for i, col := range c.Collections {
		if col != CollectionPost && col != CollectionRepost {
			return fmt.Errorf("collections[%d]: %q is not read by leakwatch (want %s or %s)", i, col, CollectionPost, CollectionRepost)
		}
	}
	if len(c.DIDs) > 10_000 {
		return fmt.Errorf("dids: at most 10000, got %d", len(c.DIDs))
	}
	for i, d := range c.DIDs {
		if len(d) < 8 || d[:4] != "did:" {
			return fmt.Errorf("dids[%d]: %q is not a DID", i, d)
		}
	}
	switch {
	case c.StartCursor < 0:
		return fmt.Errorf("start_cursor: must not be negative, got %d", c.StartCursor)
	case c.CursorSaveInterval <= 0:
		return fmt.Errorf("cursor_save_interval: must be positive, got %v", c.CursorSaveInterval)
	case c.Rewind < 0:
		return fmt.Errorf("rewind: must not be negative, got %v", c.Rewind)
	case c.DedupeSize < 1:
		return fmt.Errorf("dedupe_size: must be positive, got %d", c.DedupeSize)
	case c.HandleCacheSize < 1:
		return fmt.Errorf("handle_cache_size: must be positive, got %d", c.HandleCacheSize)
	case c.PingInterval <= 0:
		return fmt.Errorf("ping_interval: must be positive, got %v", c.PingInterval)
	case c.PingTimeout <= 0:
		return fmt.Errorf("ping_timeout: must be positive, got %v", c.PingTimeout)
	case c.ConnectTimeout <= 0:
		return fmt.Errorf("connect_timeout: must be positive, got %v", c.ConnectTimeout)
	case c.MaxMessageBytes < 1024:
		return fmt.Errorf("max_message_bytes: must be at least 1024, got %d", c.MaxMessageBytes)
	}
	return nil
}
