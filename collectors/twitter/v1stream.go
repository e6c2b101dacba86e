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

// V1Stream reads POST /1.1/statuses/filter.json. Notices that are not tweets (delete,
// limit, warning, scrub_geo, withheld) are counted as leakwatch_collector_notices_total and
// logged, not emitted: they carry no post. A disconnect notice ends the connection, and
// collectors.Run reconnects unless the credentials were revoked.
type V1Stream struct {
	cfg  V1Config
	opts Options
	auth *oauth1
	c    *httpstream.Conn
	// dropped is the drop that cut the last line, reported by the Read after its Bad record.
	dropped error
}

// NewV1Stream checks cfg and returns the source; credentials are read at Connect.
func NewV1Stream(cfg V1Config, opts Options) (*V1Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("twitter v1.1 %s: %w", cfg.Name, err)
	}
	return &V1Stream{cfg: cfg, opts: opts.withDefaults()}, nil
}

// Name implements collectors.Source.
func (s *V1Stream) Name() string { return s.cfg.Name }

func (s *V1Stream) form() url.Values {
	f := url.Values{}
	set := func(k string, v []string) {
		if len(v) > 0 {
			f.Set(k, strings.Join(v, ","))
		}
	}
	set("track", s.cfg.Track)
	set("follow", s.cfg.Follow)
	set("locations", s.cfg.Locations)
	set("language", s.cfg.Language)
	f.Set("stall_warnings", "true")
	return f
}

// Connect reads the OAuth credentials and opens the stream.
func (s *V1Stream) Connect(ctx context.Context) error {
	if s.auth == nil {
		var vals [4]string
		for i, c := range [][3]string{
			{"consumer_key", s.cfg.ConsumerKeyFile, s.cfg.ConsumerKeyEnv},
			{"consumer_secret", s.cfg.ConsumerSecretFile, s.cfg.ConsumerSecretEnv},
			{"access_token", s.cfg.AccessTokenFile, s.cfg.AccessTokenEnv},
			{"access_secret", s.cfg.AccessSecretFile, s.cfg.AccessSecretEnv},
		} {
			v, err := collectors.Secret(c[0], c[1], c[2])
			if err != nil {
				return collectors.Permanent(err)
			}
			vals[i] = v
		}
		s.auth = &oauth1{vals[0], vals[1], vals[2], vals[3]}
	}
	endpoint := strings.TrimRight(s.cfg.BaseURL, "/") + "/1.1/statuses/filter.json"
	form := s.form()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return collectors.Permanent(err)
	}
	h, err := s.auth.header(http.MethodPost, endpoint, form, s.opts.Now(), newNonce())
	if err != nil {
		return collectors.Permanent(err)
	}
	req.Header.Set("Authorization", h)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c, err := httpstream.Open(ctx, s.opts.HTTP, req, s.cfg.StallTimeout, s.cfg.MaxLineBytes, s.opts.Now)
	if err != nil {
		return err
	}
	s.c, s.dropped = c, nil
	return nil
}

// v1Notice is the union of the stream's non-tweet messages
// (https://developer.twitter.com/en/docs/twitter-api/v1/tweets/filter-realtime/guides/streaming-message-types).
type v1Notice struct {
	IDStr  string          `json:"id_str"`
	Delete json.RawMessage `json:"delete"`
	Limit  *struct {
		Track int64 `json:"track"`
	} `json:"limit"`
	Disconnect *struct {
		Code       int    `json:"code"`
		StreamName string `json:"stream_name"`
		Reason     string `json:"reason"`
	} `json:"disconnect"`
	Warning *struct {
		Code        string `json:"code"`
		Message     string `json:"message"`
		PercentFull int    `json:"percent_full"`
	} `json:"warning"`
	ScrubGeo       json.RawMessage `json:"scrub_geo"`
	StatusWithheld json.RawMessage `json:"status_withheld"`
	UserWithheld   json.RawMessage `json:"user_withheld"`
}

// Disconnect codes after which reconnecting with the same credentials cannot work.
var v1PermanentDisconnect = map[int]string{6: "token revoked", 7: "admin logout"}

// Read returns the next tweet or Bad record, handling notices on the way.
func (s *V1Stream) Read(ctx context.Context) (collectors.Record, error) {
	if s.c == nil {
		return collectors.Record{}, collectors.ErrNotConnected
	}
	if err := s.dropped; err != nil {
		s.dropped = nil
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
			s.dropped = err
			return s.bad(ref, line, err), nil
		}
		if err != nil {
			return collectors.Record{}, err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue // keep-alive
		}
		var n v1Notice
		if json.Unmarshal(line, &n) == nil && n.IDStr == "" {
			if done, err := s.notice(&n); done {
				if err != nil {
					return collectors.Record{}, err
				}
				continue
			}
		}
		p, err := DecodeV1(line)
		if err != nil {
			return s.bad(ref, line, err), nil
		}
		p.ObservedAt = s.opts.Now().UTC()
		return collectors.Record{Post: &p}, nil
	}
}

// notice handles a non-tweet message; done is false when n is none of them.
func (s *V1Stream) notice(n *v1Notice) (done bool, err error) {
	log, name := s.opts.Log.With("source", s.cfg.Name), s.cfg.Name
	switch {
	case n.Delete != nil:
		s.opts.Metrics.Notice(name, "delete")
		log.Debug("status deletion notice", "notice", string(n.Delete))
	case n.Limit != nil:
		s.opts.Metrics.Notice(name, "limit")
		log.Warn("stream limit notice: matches over the rate limit were not delivered", "undelivered_total", n.Limit.Track)
	case n.Warning != nil:
		s.opts.Metrics.Notice(name, "stall_warning")
		log.Warn("stall warning: the collector reads too slowly", "code", n.Warning.Code, "message", n.Warning.Message, "percent_full", n.Warning.PercentFull)
	case n.ScrubGeo != nil:
		s.opts.Metrics.Notice(name, "scrub_geo")
	case n.StatusWithheld != nil, n.UserWithheld != nil:
		s.opts.Metrics.Notice(name, "withheld")
	case n.Disconnect != nil:
		s.opts.Metrics.Notice(name, "disconnect")
		d := n.Disconnect
		err := fmt.Errorf("%w: %s: disconnect notice code %d: %s", collectors.ErrNotConnected, s.c.URL, d.Code, d.Reason)
		if why, ok := v1PermanentDisconnect[d.Code]; ok {
			return true, collectors.Permanent(fmt.Errorf("%s: disconnect notice code %d (%s): %s", s.c.URL, d.Code, why, d.Reason))
		}
		return true, err
	default:
		return false, nil
	}
	return true, nil
}

func (s *V1Stream) bad(ref string, raw []byte, err error) collectors.Record {
	return collectors.Record{Bad: &collectors.BadRecord{Source: s.cfg.Name, Ref: ref, Raw: append([]byte(nil), raw...), Err: err}}
}

// Close implements collectors.Source.
func (s *V1Stream) Close(ctx context.Context) error {
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
	return nil
}
