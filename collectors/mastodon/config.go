package mastodon

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is every Mastodon instance and stream to follow.
type Config struct {
	Instances []InstanceConfig `yaml:"instances"`
	// DedupeSize is how many status URIs are remembered to drop the same status arriving from
	// another instance or stream (and again after a backfill).
	DedupeSize int `yaml:"dedupe_size"`
	// BackfillPages caps the timeline pages (40 statuses each) fetched after a reconnect to
	// cover the gap; 0 turns backfill off.
	BackfillPages int `yaml:"backfill_pages"`
	// StallTimeout drops a connection silent for this long; the server sends a heartbeat
	// comment every 15 seconds. It also bounds the wait for the stream's headers and each
	// backfill page.
	StallTimeout time.Duration `yaml:"stall_timeout"`
	MaxLineBytes int           `yaml:"max_line_bytes"`
}

// InstanceConfig is one server and the streams read from it.
type InstanceConfig struct {
	// URL is the instance, e.g. https://mastodon.social.
	URL string `yaml:"url"`
	// StreamingURL is the streaming server when it is not behind URL (the instance's
	// configuration.urls.streaming, wss:// accepted); empty means URL.
	StreamingURL string `yaml:"streaming_url"`
	// AccessToken of a user or app with read:statuses, from a file or the environment. Both
	// empty means anonymous, which many instances refuse for streaming.
	AccessTokenFile string `yaml:"access_token_file"`
	AccessTokenEnv  string `yaml:"access_token_env"`
	// Streams: "public", "public:local", "public:remote", "hashtag:TAG", "hashtag:local:TAG".
	Streams []string `yaml:"streams"`
}

// DefaultConfig has no instances; add them.
func DefaultConfig() Config {
	return Config{
		DedupeSize:    200_000,
		BackfillPages: 5,
		StallTimeout:  time.Minute,
		MaxLineBytes:  4 << 20,
	}
}

// Validate names the first field that is wrong.
func (c Config) Validate() error {
	if len(c.Instances) == 0 {
		return errors.New("instances: at least one instance is needed")
	}
	for i, in := range c.Instances {
		if err := in.validate(); err != nil {
			return fmt.Errorf("instances[%d].%w", i, err)
		}
	}
	switch {
	case c.DedupeSize < 1:
		return fmt.Errorf("dedupe_size: must be positive, got %d", c.DedupeSize)
	case c.BackfillPages < 0:
		return fmt.Errorf("backfill_pages: must not be negative, got %d", c.BackfillPages)
	case c.StallTimeout <= 0:
		return fmt.Errorf("stall_timeout: must be positive, got %v", c.StallTimeout)
	case c.MaxLineBytes < 1024:
		return fmt.Errorf("max_line_bytes: must be at least 1024, got %d", c.MaxLineBytes)
	}
	return nil
}

func (in InstanceConfig) validate() error {
	if err := httpURL(in.URL); err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if in.StreamingURL != "" {
		if err := httpURL(streamingHTTP(in.StreamingURL)); err != nil {
			return fmt.Errorf("streaming_url: %w", err)
		}
	}
	if len(in.Streams) == 0 {
		return errors.New("streams: at least one stream is needed")
	}
	for i, s := range in.Streams {
		if _, err := parseStream(s); err != nil {
			return fmt.Errorf("streams[%d]: %w", i, err)
		}
	}
	return nil
}

func httpURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// streamingHTTP accepts the instance's advertised streaming URL as given
// (configuration.urls.streaming is wss://...): server-sent events are read over https.
func streamingHTTP(s string) string {
	if r, ok := strings.CutPrefix(s, "wss://"); ok {
		return "https://" + r
	}
	if r, ok := strings.CutPrefix(s, "ws://"); ok {
		return "http://" + r
	}
	return s
}

// streamSpec is where a stream is read and where its gap is backfilled from.
type streamSpec struct {
	name          string // as configured
	path          string // streaming endpoint
	streamQuery   url.Values
	timeline      string // REST timeline with the same statuses, for backfill
	timelineQuery url.Values
}

func parseStream(s string) (streamSpec, error) {
	spec := streamSpec{name: s, streamQuery: url.Values{}, timelineQuery: url.Values{}}
	switch {
	case s == "public":
		spec.path, spec.timeline = "/api/v1/streaming/public", "/api/v1/timelines/public"
	case s == "public:local":
		spec.path, spec.timeline = "/api/v1/streaming/public/local", "/api/v1/timelines/public"
		spec.timelineQuery.Set("local", "true")
	case s == "public:remote":
		spec.path, spec.timeline = "/api/v1/streaming/public/remote", "/api/v1/timelines/public"
		spec.timelineQuery.Set("remote", "true")
	case strings.HasPrefix(s, "hashtag:"):
		tag := strings.TrimPrefix(s, "hashtag:")
		spec.path = "/api/v1/streaming/hashtag"
		if t, ok := strings.CutPrefix(tag, "local:"); ok {
			tag, spec.path = t, "/api/v1/streaming/hashtag/local"
			spec.timelineQuery.Set("local", "true")
		}
		tag = strings.TrimPrefix(tag, "#")
		if tag == "" || strings.ContainsAny(tag, " /?#&") {
			return streamSpec{}, fmt.Errorf("%q: want hashtag:TAG with a tag of letters, digits and _", s)
		}
		spec.timeline = "/api/v1/timelines/tag/" + url.PathEscape(tag)
		spec.streamQuery.Set("tag", tag)
	default:
		return streamSpec{}, fmt.Errorf("%q: want public, public:local, public:remote, hashtag:TAG or hashtag:local:TAG", s)
	}
	return spec, nil
}
