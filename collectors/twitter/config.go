package twitter

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Rule is one filtered-stream rule (https://developer.x.com/en/docs/x-api/tweets/filtered-stream/integrate/build-a-rule).
type Rule struct {
	Value string `yaml:"value" json:"value"`
	Tag   string `yaml:"tag,omitempty" json:"tag,omitempty"`
}

// V2Config configures the v2 filtered-stream source.
type V2Config struct {
	// Name labels the source in logs, metrics and dead letters.
	Name string `yaml:"name"`
	// BaseURL is the API root; tests and proxies point it elsewhere.
	BaseURL string `yaml:"base_url"`
	// BearerTokenFile holds the app bearer token; BearerTokenEnv names the environment
	// variable read when no file is set.
	BearerTokenFile string `yaml:"bearer_token_file"`
	BearerTokenEnv  string `yaml:"bearer_token_env"`
	// Rules are put in place before the stream opens. With PruneRules, rules on the app that
	// are not listed here are deleted, since every rule of the app feeds this one stream.
	Rules      []Rule `yaml:"rules"`
	PruneRules bool   `yaml:"prune_rules"`
	// Expansions and fields requested with each tweet. The defaults are what DecodeV2 reads.
	Expansions  []string `yaml:"expansions"`
	TweetFields []string `yaml:"tweet_fields"`
	UserFields  []string `yaml:"user_fields"`
	MediaFields []string `yaml:"media_fields"`
	// BackfillMinutes asks the server to replay up to 5 minutes missed while disconnected
	// (only some access levels allow it; 0 leaves the parameter out).
	BackfillMinutes int `yaml:"backfill_minutes"`
	// StallTimeout drops a connection that sent nothing, not even the 20-second keep-alive,
	// for this long. It also bounds the rules sync and the wait for the stream's headers.
	StallTimeout time.Duration `yaml:"stall_timeout"`
	// MaxLineBytes bounds one stream line.
	MaxLineBytes int `yaml:"max_line_bytes"`
}

// DefaultV2Config returns the settings for api.twitter.com with the token in
// $TWITTER_BEARER_TOKEN.
func DefaultV2Config() V2Config {
	return V2Config{
		Name:           "twitter-v2",
		BaseURL:        "https://api.twitter.com",
		BearerTokenEnv: "TWITTER_BEARER_TOKEN",
		PruneRules:     true,
		Expansions:     []string{"author_id", "referenced_tweets.id", "referenced_tweets.id.author_id", "attachments.media_keys", "entities.mentions.username"},
		TweetFields:    []string{"created_at", "author_id", "lang", "entities", "referenced_tweets", "attachments", "conversation_id", "in_reply_to_user_id", "note_tweet"},
		UserFields:     []string{"created_at", "username", "name", "public_metrics"},
		MediaFields:    []string{"media_key", "type", "url", "preview_image_url"},
		StallTimeout:   90 * time.Second,
		MaxLineBytes:   8 << 20,
	}
}

// Validate names the first field that is wrong.
func (c V2Config) Validate() error {
	if c.Name == "" {
		return errors.New("name: must be set")
	}
	if err := validBaseURL(c.BaseURL); err != nil {
		return err
	}
	if c.BearerTokenFile == "" && c.BearerTokenEnv == "" {
		return errors.New("bearer_token_file: set it or bearer_token_env")
	}
	if len(c.Rules) == 0 {
		return errors.New("rules: at least one rule is needed, or the stream delivers nothing")
	}
	seen := map[string]bool{}
	for i, r := range c.Rules {
		if strings.TrimSpace(r.Value) == "" {
			return fmt.Errorf("rules[%d].value: must be set", i)
		}
		if seen[r.Value] {
			return fmt.Errorf("rules[%d].value: %q is listed twice", i, r.Value)
		}
		seen[r.Value] = true
	}
	if c.BackfillMinutes < 0 || c.BackfillMinutes > 5 {
		return fmt.Errorf("backfill_minutes: must be within [0,5], got %d", c.BackfillMinutes)
	}
	if c.StallTimeout <= 0 {
		return fmt.Errorf("stall_timeout: must be positive, got %v", c.StallTimeout)
	}
	if c.MaxLineBytes < 1024 {
		return fmt.Errorf("max_line_bytes: must be at least 1024, got %d", c.MaxLineBytes)
	}
	return nil
}

// V1Config configures the v1.1 statuses/filter source.
type V1Config struct {
	Name    string `yaml:"name"`
	BaseURL string `yaml:"base_url"`
	// OAuth 1.0a user-context credentials, each from a file or an environment variable.
	ConsumerKeyFile    string `yaml:"consumer_key_file"`
	ConsumerKeyEnv     string `yaml:"consumer_key_env"`
	ConsumerSecretFile string `yaml:"consumer_secret_file"`
	ConsumerSecretEnv  string `yaml:"consumer_secret_env"`
	AccessTokenFile    string `yaml:"access_token_file"`
	AccessTokenEnv     string `yaml:"access_token_env"`
	AccessSecretFile   string `yaml:"access_secret_file"`
	AccessSecretEnv    string `yaml:"access_secret_env"`
	// Track, Follow (user ids) and Locations ("sw_lon,sw_lat,ne_lon,ne_lat" boxes) are the
	// statuses/filter predicates; at least one must be set.
	Track     []string `yaml:"track"`
	Follow    []string `yaml:"follow"`
	Locations []string `yaml:"locations"`
	Language  []string `yaml:"language"`
	// StallTimeout drops a connection silent for this long (the server sends a keep-alive
	// newline every 30 seconds). It also bounds the wait for the stream's headers.
	StallTimeout time.Duration `yaml:"stall_timeout"`
	MaxLineBytes int           `yaml:"max_line_bytes"`
}

// DefaultV1Config returns the settings for stream.twitter.com with credentials in
// $TWITTER_CONSUMER_KEY, $TWITTER_CONSUMER_SECRET, $TWITTER_ACCESS_TOKEN and
// $TWITTER_ACCESS_SECRET.
func DefaultV1Config() V1Config {
	return V1Config{
		Name:              "twitter-v1",
		BaseURL:           "https://stream.twitter.com",
		ConsumerKeyEnv:    "TWITTER_CONSUMER_KEY",
		ConsumerSecretEnv: "TWITTER_CONSUMER_SECRET",
		AccessTokenEnv:    "TWITTER_ACCESS_TOKEN",
		AccessSecretEnv:   "TWITTER_ACCESS_SECRET",
		StallTimeout:      90 * time.Second,
		MaxLineBytes:      8 << 20,
	}
}

// Validate names the first field that is wrong.
func (c V1Config) Validate() error {
	if c.Name == "" {
		return errors.New("name: must be set")
	}
	if err := validBaseURL(c.BaseURL); err != nil {
		return err
	}
	for _, s := range [][3]string{
		{"consumer_key", c.ConsumerKeyFile, c.ConsumerKeyEnv},
		{"consumer_secret", c.ConsumerSecretFile, c.ConsumerSecretEnv},
		{"access_token", c.AccessTokenFile, c.AccessTokenEnv},
		{"access_secret", c.AccessSecretFile, c.AccessSecretEnv},
	} {
		if s[1] == "" && s[2] == "" {
			return fmt.Errorf("%s_file: set it or %s_env", s[0], s[0])
		}
	}
	if len(c.Track)+len(c.Follow)+len(c.Locations) == 0 {
		return errors.New("track: set track, follow or locations")
	}
	if len(c.Track) > 400 {
		return fmt.Errorf("track: at most 400 phrases, got %d", len(c.Track))
	}
	if len(c.Follow) > 5000 {
		return fmt.Errorf("follow: at most 5000 user ids, got %d", len(c.Follow))
	}
	for i, f := range c.Follow {
		if f == "" || strings.Trim(f, "0123456789") != "" {
			return fmt.Errorf("follow[%d]: %q is not a numeric user id", i, f)
		}
	}
	if c.StallTimeout <= 0 {
		return fmt.Errorf("stall_timeout: must be positive, got %v", c.StallTimeout)
	}
	if c.MaxLineBytes < 1024 {
		return fmt.Errorf("max_line_bytes: must be at least 1024, got %d", c.MaxLineBytes)
	}
	return nil
}

func validBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("base_url: %q is not an http(s) URL", s)
	}
	return nil
}
