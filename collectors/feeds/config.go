package feeds

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config is the feed poller's configuration.
type Config struct {
	// Feeds are polled independently, each on its own interval.
	Feeds []FeedConfig `yaml:"feeds"`
	// Interval is the poll interval of a feed that sets none.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one HTTP request, body included.
	Timeout time.Duration `yaml:"timeout"`
	// UserAgent is sent with every request; many sites refuse Go's default one.
	UserAgent string `yaml:"user_agent"`
	// MaxBodyBytes bounds a feed document; a larger one is an error, not a truncated parse.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxSeen is how many item ids are remembered per feed for dedup. It must exceed the
	// number of items a feed lists at once, or items that drop out of memory come back as new.
	MaxSeen int `yaml:"max_seen"`
	// MaxRetryAfter caps how long a server's Retry-After can hold a feed back.
	MaxRetryAfter time.Duration `yaml:"max_retry_after"`
	// AllowPrivateNetworks lets every feed reach loopback, private, link-local and other
	// non-public addresses (see FeedConfig.AllowPrivateNetworks).
	AllowPrivateNetworks bool `yaml:"allow_private_networks"`
}

// FeedConfig is one polled feed.
type FeedConfig struct {
	URL string `yaml:"url"`
	// Interval overrides Config.Interval for this feed (0: use the default).
	Interval time.Duration `yaml:"interval"`
	// AllowPrivateNetworks lets this feed's polls, redirects included, reach loopback,
	// private (RFC 1918, fc00::/7), link-local, carrier-grade NAT and other non-public
	// addresses. Off (and off for the section), a connection to one is refused and the poll
	// fails: a feed may not send the poller to cloud metadata or to ClickHouse on 127.0.0.1.
	// A URL whose host is a literal IP needs no option for that exact IP and port.
	AllowPrivateNetworks bool `yaml:"allow_private_networks"`
}

// DefaultConfig returns a configuration without feeds and with production defaults.
func DefaultConfig() Config {
	return Config{
		Interval:      5 * time.Minute,
		Timeout:       30 * time.Second,
		UserAgent:     "leakwatch-feeds/1 (+https://github.com/leakwatch/leakwatch)",
		MaxBodyBytes:  10 << 20,
		MaxSeen:       10000,
		MaxRetryAfter: 6 * time.Hour,
	}
}

// minInterval keeps a configuration mistake ("5" read as 5ns) from hammering a site.
const minInterval = time.Second

// Validate reports the first field that is missing or out of range.
func (c Config) Validate() error {
	if len(c.Feeds) == 0 {
		return errors.New("feeds: at least one feed is required")
	}
	if c.Interval < minInterval {
		return fmt.Errorf("interval: %v is below the minimum %v", c.Interval, minInterval)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("timeout: must be positive, got %v", c.Timeout)
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("max_body_bytes: %d is below 1024", c.MaxBodyBytes)
	}
	if c.MaxSeen < 100 {
		return fmt.Errorf("max_seen: %d is below 100, feeds list more items than that", c.MaxSeen)
	}
	if c.MaxRetryAfter < 0 {
		return fmt.Errorf("max_retry_after: must not be negative, got %v", c.MaxRetryAfter)
	}
	seen := map[string]bool{}
	for i, f := range c.Feeds {
		u, err := url.Parse(f.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("feeds[%d].url: %q is not an absolute http(s) URL", i, f.URL)
		}
		if seen[f.URL] {
			return fmt.Errorf("feeds[%d].url: %q is listed twice", i, f.URL)
		}
		seen[f.URL] = true
		if f.Interval != 0 && f.Interval < minInterval {
			return fmt.Errorf("feeds[%d].interval: %v is below the minimum %v", i, f.Interval, minInterval)
		}
	}
	return nil
}
