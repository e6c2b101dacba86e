package twitter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/httpstream"
	"github.com/leakwatch/leakwatch/collectors/internal/lines"
)

// V2Stream reads GET /2/tweets/search/stream. It is a collectors.Source: collectors.Run
// reconnects it.
type V2Stream struct {
	cfg   V2Config
	opts  Options
	token string
	ruled bool // rules are in place; checked once per source, not on every reconnect
	c     *httpstream.Conn
	// disconnect is set when the server announced it is closing the stream; the next Read
	// reports it instead of waiting for the close.
	disconnect error
}

// NewV2Stream checks cfg and returns the source; credentials are read at Connect.
func NewV2Stream(cfg V2Config, opts Options) (*V2Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("twitter v2 %s: %w", cfg.Name, err)
	}
	return &V2Stream{cfg: cfg, opts: opts.withDefaults()}, nil
}

// Name implements collectors.Source.
func (s *V2Stream) Name() string { return s.cfg.Name }

// StreamURL is the stream endpoint with the configured expansions and fields.
func (s *V2Stream) StreamURL() string {
	q := url.Values{}
	set := func(k string, v []string) {
		if len(v) > 0 {
			q.Set(k, strings.Join(v, ","))
		}
	}
	set("expansions", s.cfg.Expansions)
	set("tweet.fields", s.cfg.TweetFields)
	set("user.fields", s.cfg.UserFields)
	set("media.fields", s.cfg.MediaFields)
	if s.cfg.BackfillMinutes > 0 {
		q.Set("backfill_minutes", strconv.Itoa(s.cfg.BackfillMinutes))
	}
	return strings.TrimRight(s.cfg.BaseURL, "/") + "/2/tweets/search/stream?" + q.Encode()
}

// Connect reads the token, puts the rules in place (first time only) and opens the stream.
func (s *V2Stream) Connect(ctx context.Context) error {
	if s.token == "" {
		tok, err := collectors.Secret("bearer_token", s.cfg.BearerTokenFile, s.cfg.BearerTokenEnv)
		if err != nil {
			return collectors.Permanent(err)
		}
		s.token = tok
	}
	if !s.ruled {
		// Bounded like the stream's headers: a rules endpoint that never answers would
		// otherwise keep the source from ever connecting, with nothing in the log.
		var ch RuleChange
		err := httpstream.Timeout(ctx, s.cfg.StallTimeout, "sync (stall_timeout)", func(ctx context.Context) error {
			var err error
			ch, err = SyncRules(ctx, s.opts.HTTP, s.cfg.BaseURL, s.token, s.cfg.Rules, s.cfg.PruneRules, s.opts.Now)
			return err
		})
		if err != nil {
			return fmt.Errorf("rules: %w", err)
		}
		s.opts.Log.Info("filtered-stream rules in place", "source", s.cfg.Name, "added", ch.Added, "deleted", ch.Deleted, "kept", ch.Kept)
		s.ruled = true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.StreamURL(), nil)
	if err != nil {
		return collectors.Permanent(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	c, err := httpstream.Open(ctx, s.opts.HTTP, req, s.cfg.StallTimeout, s.cfg.MaxLineBytes, s.opts.Now)
	if err != nil {
		return err
	}
	s.c, s.disconnect = c, nil
	return nil
}

// Read returns the next tweet, or a Bad record for a line that is not one (an error object
// from the server included). Keep-alive newlines are skipped.
func (s *V2Stream) Read(ctx context.Context) (collectors.Record, error) {
	if s.c == nil {
		return collectors.Record{}, collectors.ErrNotConnected
	}
	if err := s.disconnect; err != nil {
		s.disconnect = nil
		return collectors.Record{}, err
	}
	for {
		line, err := s.c.Next(ctx)
		ref := s.c.URL + " line " + strconv.Itoa(s.c.Line)
		if errors.Is(err, lines.ErrTooLong) {
			return s.bad(ref, lines.Prefix(err), err), nil // the start names the tweet
		}
		if errors.Is(err, lines.ErrCut) {
			// A tweet cut by the connection dropping goes to the dead letters with what
			// arrived of it; the drop itself is reported by the next Read.
			s.disconnect = err
			return s.bad(ref, line, err), nil
		}
		if err != nil {
			return collectors.Record{}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue // keep-alive, sent every 20 seconds
		}
		p, err := DecodeV2(line)
		if err == nil {
			p.ObservedAt = s.opts.Now().UTC()
			return collectors.Record{Post: &p}, nil
		}
		if errors.Is(err, ErrV2Errors) {
			if d := disconnectNotice(line); d != "" {
				s.opts.Metrics.Notice(s.cfg.Name, "disconnect")
				s.disconnect = fmt.Errorf("%w: %s: server disconnected: %s", collectors.ErrNotConnected, s.c.URL, d)
			}
		}
		return s.bad(ref, line, err), nil
	}
}

func (s *V2Stream) bad(ref string, raw []byte, err error) collectors.Record {
	return collectors.Record{Bad: &collectors.BadRecord{Source: s.cfg.Name, Ref: ref, Raw: append([]byte(nil), raw...), Err: err}}
}

// disconnectNotice returns the description of an operational-disconnect error object.
func disconnectNotice(line []byte) string {
	var env struct {
		Errors []v2Error `json:"errors"`
	}
	if json.Unmarshal(line, &env) != nil {
		return ""
	}
	for _, e := range env.Errors {
		if e.DisconnectType != "" || e.Title == "operational-disconnect" {
			return e.String()
		}
	}
	return ""
}

// Close implements collectors.Source.
func (s *V2Stream) Close(ctx context.Context) error {
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
	return nil
}
