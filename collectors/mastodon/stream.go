package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/httpstream"
	"github.com/leakwatch/leakwatch/collectors/internal/lines"
	"github.com/leakwatch/leakwatch/collectors/internal/lru"
)

// Options are what the sources take from their environment. Zero values work.
type Options struct {
	HTTP    *http.Client // no Timeout: streams stay open; stalls are caught by StallTimeout
	Log     *slog.Logger
	Metrics *collectors.Metrics
	Now     func() time.Time
}

// instance is state shared by the streams of one server.
type instance struct {
	host, base, streaming string
	tokenFile, tokenEnv   string
	mu                    sync.Mutex
	token                 string
	tokenRead             bool
	ids                   *lru.Cache[string] // local status id -> uri, to resolve replies
}

func (in *instance) bearer() (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.tokenRead {
		return in.token, nil
	}
	if in.tokenFile != "" || in.tokenEnv != "" {
		t, err := collectors.Secret("access_token", in.tokenFile, in.tokenEnv)
		if err != nil {
			return "", err
		}
		in.token = t
	}
	in.tokenRead = true
	return in.token, nil
}

func (in *instance) resolve(id string) (string, bool) { return in.ids.Get(id) }

// Stream is one streaming endpoint of one instance, a collectors.Source.
type Stream struct {
	name    string
	inst    *instance
	spec    streamSpec
	cfg     Config
	opts    Options
	log     *slog.Logger
	seen    *lru.Cache[struct{}] // shared by every stream of the Config
	c       *httpstream.Conn
	lastID  string // newest status id read, where a backfill resumes
	pending []collectors.Record
	// dropped is the drop that cut the last event, reported by the Read after its Bad record.
	dropped error
}

// Sources returns one source per configured stream. They share one dedupe set, so a status
// federated to several instances is emitted once; run them with collectors.RunAll.
func Sources(cfg Config, opts Options) ([]collectors.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mastodon: %w", err)
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	seen := lru.New[struct{}](cfg.DedupeSize)
	var out []collectors.Source
	for _, ic := range cfg.Instances {
		u, _ := url.Parse(ic.URL)
		in := &instance{
			host:      u.Host,
			base:      strings.TrimRight(ic.URL, "/"),
			streaming: strings.TrimRight(streamingHTTP(ic.StreamingURL), "/"),
			tokenFile: ic.AccessTokenFile,
			tokenEnv:  ic.AccessTokenEnv,
			ids:       lru.New[string](cfg.DedupeSize),
		}
		if in.streaming == "" {
			in.streaming = in.base
		}
		for _, s := range ic.Streams {
			spec, _ := parseStream(s) // checked by Validate
			name := "mastodon:" + in.host + ":" + s
			out = append(out, &Stream{name: name, inst: in, spec: spec, cfg: cfg, opts: opts, log: opts.Log.With("source", name), seen: seen})
		}
	}
	return out, nil
}

// Name implements collectors.Source.
func (s *Stream) Name() string { return s.name }

// Connect opens the stream, then, if statuses were read before, fetches what was posted
// while disconnected from the REST timeline (the stream itself cannot resume).
func (s *Stream) Connect(ctx context.Context) error {
	token, err := s.inst.bearer()
	if err != nil {
		return collectors.Permanent(err)
	}
	u := s.inst.streaming + s.spec.path
	if len(s.spec.streamQuery) > 0 {
		u += "?" + s.spec.streamQuery.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return collectors.Permanent(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c, err := httpstream.Open(ctx, s.opts.HTTP, req, s.cfg.StallTimeout, s.cfg.MaxLineBytes, s.opts.Now)
	if err != nil {
		return err
	}
	s.c, s.dropped = c, nil
	if s.lastID != "" && s.cfg.BackfillPages > 0 {
		since := s.lastID
		n, more, err := s.backfill(ctx, token)
		switch {
		case err != nil:
			// The live stream is open; the gap stays open, and says so.
			s.opts.Metrics.Notice(s.name, "backfill_failed")
			s.log.Warn("backfill after reconnect failed; statuses posted while disconnected may be missing", "since_id", since, "err", err)
		case more:
			// The cap was reached with the last page still full: what lies between the id
			// reached and the reopened stream is lost, and must not pass for a full backfill.
			s.opts.Metrics.Notice(s.name, "backfill_incomplete")
			s.log.Warn("backfill after reconnect stopped at backfill_pages with the last page full; the gap continues after the id reached, statuses posted there are missing",
				"pages", s.cfg.BackfillPages, "statuses", n, "since_id", since, "reached_id", s.lastID)
		default:
			s.log.Info("backfilled after reconnect", "statuses", n)
		}
	}
	return nil
}

// backfill pages forward from lastID (min_id paging), oldest first. more reports that it
// stopped at BackfillPages while the last page was full: the timeline goes on past it.
func (s *Stream) backfill(ctx context.Context, token string) (n int, more bool, err error) {
	for page := 0; page < s.cfg.BackfillPages; page++ {
		q := url.Values{}
		for k, v := range s.spec.timelineQuery {
			q[k] = v
		}
		q.Set("min_id", s.lastID)
		q.Set("limit", "40")
		u := s.inst.base + s.spec.timeline + "?" + q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return n, false, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		var body []byte
		// Each page is bounded by stall_timeout: Connect waits for the backfill, and a
		// timeline that never answers would otherwise hold the open stream unread forever.
		err = httpstream.Timeout(ctx, s.cfg.StallTimeout, "GET "+u+" (stall_timeout)", func(ctx context.Context) error {
			resp, err := s.opts.HTTP.Do(req.WithContext(ctx))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if err := httpstream.StatusError(resp, s.opts.Now); err != nil {
				return fmt.Errorf("GET %s: %w", u, err)
			}
			if body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20)); err != nil {
				return fmt.Errorf("GET %s: %w", u, err)
			}
			return nil
		})
		if err != nil {
			return n, false, err
		}
		var statuses []json.RawMessage
		if err := json.Unmarshal(body, &statuses); err != nil {
			return n, false, fmt.Errorf("GET %s: not a list of statuses: %v", u, err)
		}
		if len(statuses) == 0 {
			return n, false, nil
		}
		// Newest first on the wire; emit oldest first, as the stream would have.
		for i := len(statuses) - 1; i >= 0; i-- {
			ref := fmt.Sprintf("%s status %d", u, i)
			if r, ok := s.decode("update", statuses[i], ref); ok {
				s.pending = append(s.pending, r)
				n++
			}
		}
		if len(statuses) < 40 {
			return n, false, nil
		}
	}
	return n, true, nil
}

// Read returns the next status, or a Bad record for an event it cannot use. Deletions are
// counted (leakwatch_collector_notices_total{kind="delete"}), not emitted: they carry no post.
func (s *Stream) Read(ctx context.Context) (collectors.Record, error) {
	if len(s.pending) > 0 {
		r := s.pending[0]
		s.pending = s.pending[1:]
		return r, nil
	}
	if s.c == nil {
		return collectors.Record{}, collectors.ErrNotConnected
	}
	if err := s.dropped; err != nil {
		s.dropped = nil
		return collectors.Record{}, err
	}
	for {
		ev, err := nextEvent(ctx, s.c)
		ref := s.c.URL + " event ending at line " + strconv.Itoa(s.c.Line)
		if errors.Is(err, lines.ErrTooLong) {
			return s.bad(ref, lines.Prefix(err), fmt.Errorf("event %q: %w", ev.Name, err)), nil // the start names the status
		}
		if errors.Is(err, errCut) {
			if errors.Is(err, collectors.ErrNotConnected) {
				s.dropped = err // after the Bad record, the drop is reported
			}
			return s.bad(ref, ev.Data, fmt.Errorf("event %q: %w", ev.Name, err)), nil
		}
		if err != nil {
			return collectors.Record{}, err
		}
		switch ev.Name {
		case "update", "status.update":
			if r, ok := s.decode(ev.Name, ev.Data, ref); ok {
				return r, nil
			}
		case "delete":
			id := strings.TrimSpace(string(ev.Data))
			s.opts.Metrics.Notice(s.name, "delete")
			uri, _ := s.inst.resolve(id)
			s.log.Debug("status deleted", "id", id, "uri", uri)
		default:
			return s.bad(ref, ev.Data, fmt.Errorf("unknown event type %q", ev.Name)), nil
		}
	}
}

// decode turns a status payload into a record; ok is false for a duplicate.
func (s *Stream) decode(kind string, data []byte, ref string) (collectors.Record, bool) {
	p, editedAt, err := decodeStatus(data, s.inst.host, s.inst.resolve)
	if err != nil {
		// The status was read all the same: backfill must page past it, or a page of statuses
		// that never decode is fetched again and again and the rest of the gap never is.
		s.advance(kind, rawID(data))
		return s.bad(ref, data, fmt.Errorf("%s event: %w", kind, err)), true
	}
	s.inst.ids.Put(p.ID, p.URI)
	s.advance(kind, p.ID)
	// An edit is a new version of the post under the same URI; only an identical copy
	// (another instance, another stream, a backfill overlap) is a duplicate.
	key := p.URI
	if kind == "status.update" || editedAt != "" {
		key += " edited " + editedAt
	}
	if !s.seen.Add(key, struct{}{}) {
		s.opts.Metrics.Notice(s.name, "duplicate")
		return collectors.Record{}, false
	}
	p.ObservedAt = s.opts.Now().UTC()
	return collectors.Record{Post: &p}, true
}

// advance moves the backfill position to id when it is a later new status.
func (s *Stream) advance(kind, id string) {
	if kind == "update" && newerID(id, s.lastID) {
		s.lastID = id
	}
}

// rawID is the id of a status that did not decode, when the payload is JSON with a numeric
// string id; anything else would move the backfill position to a guess.
func rawID(data []byte) string {
	var probe struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(data, &probe) != nil || probe.ID == "" || strings.Trim(probe.ID, "0123456789") != "" {
		return ""
	}
	return probe.ID
}

// newerID compares Mastodon's snowflake ids, decimal strings of varying length.
func newerID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

func (s *Stream) bad(ref string, raw []byte, err error) collectors.Record {
	return collectors.Record{Bad: &collectors.BadRecord{Source: s.name, Ref: ref, Raw: append([]byte(nil), raw...), Err: err}}
}

// Close implements collectors.Source. Backfilled records not yet read are kept for the
// next connection, so a drop during backfill loses nothing.
func (s *Stream) Close(ctx context.Context) error {
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
	return nil
}
