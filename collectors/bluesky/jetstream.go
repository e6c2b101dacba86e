package bluesky

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/atomicfile"
	"github.com/leakwatch/leakwatch/collectors/internal/httpstream"
	"github.com/leakwatch/leakwatch/collectors/internal/lru"
)

// Options are what the source takes from its environment. Zero values work.
type Options struct {
	HTTP    *http.Client
	Log     *slog.Logger
	Metrics *collectors.Metrics
	Now     func() time.Time
}

// maxQueryDIDs is how many DIDs go in the URL; more are sent in an options_update message
// after connecting, since the URL would grow too long.
const maxQueryDIDs = 100

// Jetstream is a collectors.Source reading one Jetstream subscription.
//
// Its cursor is the time_us of the last event handed over: a record returned by Read counts
// as handed over when Read is called again (collectors.Run calls Read only after the record
// was emitted), so a reconnect or restart resumes after what was delivered, rewound by
// Config.Rewind. Delivery is at least once: an event read but not yet emitted at a crash is
// read again, never skipped.
type Jetstream struct {
	cfg     Config
	opts    Options
	log     *slog.Logger
	conn    *websocket.Conn
	url     string // redacted subscribe URL of the current connection
	stop    context.CancelFunc
	pingErr atomic.Pointer[error]
	msgs    int

	cursor  int64 // time_us of the last event handed over
	pending int64 // time_us of the record the last Read returned
	loaded  bool  // cursor file read
	// saved is the cursor the cursor file held at start: every post before it was handed
	// over by the run before, and the rewind replays them; the set of recent posts that
	// drops such repeats after a reconnect starts empty after a restart.
	saved    int64
	lastSave time.Time

	seen    *lru.Cache[struct{}]
	handles *lru.Cache[string]
}

// New checks cfg and returns the source.
func New(cfg Config, opts Options) (*Jetstream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bluesky %s: %w", cfg.Name, err)
	}
	if cfg.CursorFile != "" {
		// Refused now rather than found out at the first save: the cursor would never be
		// saved (a warning at close at most) and a restart would lose its resume point.
		if err := atomicfile.CheckDir(filepath.Dir(cfg.CursorFile)); err != nil {
			return nil, fmt.Errorf("bluesky %s: cursor_file %s: %w", cfg.Name, cfg.CursorFile, err)
		}
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
	return &Jetstream{
		cfg: cfg, opts: opts, log: opts.Log.With("source", cfg.Name),
		seen:    lru.New[struct{}](cfg.DedupeSize),
		handles: lru.New[string](cfg.HandleCacheSize),
	}, nil
}

// Name implements collectors.Source.
func (j *Jetstream) Name() string { return j.cfg.Name }

// Cursor is the time_us of the last event handed over (0 before any).
func (j *Jetstream) Cursor() int64 { return j.cursor }

// SubscribeURL is where the next connection goes: the configured collections and DIDs,
// the server-side size limit, and the cursor to resume from.
func (j *Jetstream) SubscribeURL() string {
	u, _ := url.Parse(j.cfg.URL)
	q := u.Query()
	for _, c := range j.cfg.Collections {
		q.Add("wantedCollections", c)
	}
	if len(j.cfg.DIDs) <= maxQueryDIDs {
		for _, d := range j.cfg.DIDs {
			q.Add("wantedDids", d)
		}
	} else {
		q.Set("requireHello", "true")
	}
	// Jetstream drops larger events itself instead of closing the socket on them, which
	// would replay the same event after every reconnect.
	q.Set("maxMessageSizeBytes", strconv.FormatInt(j.cfg.MaxMessageBytes, 10))
	switch {
	case j.cursor > 0:
		c := j.cursor - j.cfg.Rewind.Microseconds()
		q.Set("cursor", strconv.FormatInt(max(c, 1), 10))
	case j.cfg.StartCursor > 0:
		q.Set("cursor", strconv.FormatInt(j.cfg.StartCursor, 10))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Connect opens the WebSocket, resuming from the cursor.
func (j *Jetstream) Connect(ctx context.Context) error {
	if !j.loaded {
		if err := j.loadCursor(); err != nil {
			return collectors.Permanent(err)
		}
		j.loaded = true
	}
	j.pending = 0
	u := j.SubscribeURL()
	// The handshake (and the options_update after it) is bounded: a server that accepts the
	// connection and never answers would otherwise hold the source forever, unlogged.
	dctx, cancel := context.WithTimeout(ctx, j.cfg.ConnectTimeout)
	defer cancel()
	c, resp, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPClient: j.opts.HTTP})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			if serr := httpstream.StatusError(resp, j.opts.Now); serr != nil {
				return fmt.Errorf("GET %s: %w", u, serr)
			}
		}
		if ctx.Err() == nil && dctx.Err() != nil {
			return fmt.Errorf("GET %s: no WebSocket handshake within connect_timeout %v: %w", u, j.cfg.ConnectTimeout, err)
		}
		return fmt.Errorf("GET %s: %w", u, err)
	}
	// Read enforces max_message_bytes itself: the library's limit closes the socket on an
	// oversized message, and a Jetstream that ignores maxMessageSizeBytes (older or
	// self-hosted) would then send the same event after every reconnect, forever.
	c.SetReadLimit(-1)
	if len(j.cfg.DIDs) > maxQueryDIDs {
		hello, _ := json.Marshal(map[string]any{"type": "options_update", "payload": map[string]any{
			"wantedCollections": j.cfg.Collections, "wantedDids": j.cfg.DIDs, "maxMessageSizeBytes": j.cfg.MaxMessageBytes,
		}})
		if err := c.Write(dctx, websocket.MessageText, hello); err != nil {
			c.CloseNow()
			return fmt.Errorf("GET %s: send options_update: %w", u, err)
		}
	}
	pctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	j.conn, j.url, j.stop, j.msgs = c, u, stop, 0
	j.pingErr.Store(nil)
	go j.ping(pctx, c)
	j.log.Info("jetstream connected", "url", u)
	return nil
}

// ping checks the connection while events are sparse (a narrow DID filter); an unanswered
// ping closes it, and Read reports why.
func (j *Jetstream) ping(ctx context.Context, c *websocket.Conn) {
	t := time.NewTicker(j.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, j.cfg.PingTimeout)
		err := c.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			err = fmt.Errorf("no pong within %v: %w", j.cfg.PingTimeout, err)
			j.pingErr.Store(&err)
			c.CloseNow()
			return
		}
	}
}

// Read returns the next post or repost, or a Bad record. Identity events update the handle
// cache; deletions and account status changes are counted, not emitted.
func (j *Jetstream) Read(ctx context.Context) (collectors.Record, error) {
	j.commit()
	if j.conn == nil {
		return collectors.Record{}, collectors.ErrNotConnected
	}
	for {
		typ, msg, size, err := j.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return collectors.Record{}, ctx.Err()
			}
			if pe := j.pingErr.Load(); pe != nil {
				err = *pe
			}
			return collectors.Record{}, fmt.Errorf("%w: %s: %v", collectors.ErrNotConnected, j.url, err)
		}
		j.msgs++
		ref := j.url + " message " + strconv.Itoa(j.msgs)
		if size > j.cfg.MaxMessageBytes {
			j.pending = timeHintPrefix(msg) // past it on a reconnect, once handed over
			return j.bad(ref, msg, fmt.Errorf("message of %d bytes exceeds max_message_bytes %d (the server did not apply maxMessageSizeBytes); raw holds its first %d bytes",
				size, j.cfg.MaxMessageBytes, len(msg))), nil
		}
		if typ != websocket.MessageText {
			return j.bad(ref, msg, errors.New("binary message: compressed streams are not requested")), nil
		}
		d, err := Decode(msg)
		if err != nil {
			j.pending = timeHint(msg) // the Bad record is handed over like any other
			return j.bad(ref, msg, err), nil
		}
		switch {
		case d.Kind == "identity":
			if d.Handle != "" {
				j.handles.Put(d.DID, d.Handle)
			}
		case d.Kind == "account":
			j.opts.Metrics.Notice(j.cfg.Name, "account")
		case d.Deleted != "":
			if j.seen.Add(d.Key, struct{}{}) {
				j.opts.Metrics.Notice(j.cfg.Name, "delete")
				j.log.Debug("record deleted", "uri", d.Deleted)
			}
		case d.Post != nil:
			if !j.seen.Add(d.Key, struct{}{}) || d.TimeUS <= j.saved {
				j.opts.Metrics.Notice(j.cfg.Name, "duplicate")
				break
			}
			p := d.Post
			if h, ok := j.handles.Get(p.Author.ID); ok {
				p.Author.Handle = h
			}
			p.ObservedAt = j.opts.Now().UTC()
			j.pending = d.TimeUS
			return collectors.Record{Post: p}, nil
		}
		j.advance(d.TimeUS)
	}
}

// maxKeptPrefix bounds the raw bytes an oversized message keeps for its dead letter: enough
// to name the event (did, time_us and kind come first), little enough to send anywhere.
const maxKeptPrefix = 64 << 10

// next reads one message, holding at most max_message_bytes of it in memory. A larger one is
// read to its end and discarded but for a prefix, and size says how long it was; the
// connection stays usable for the messages after it.
func (j *Jetstream) next(ctx context.Context) (websocket.MessageType, []byte, int64, error) {
	typ, r, err := j.conn.Reader(ctx)
	if err != nil {
		return 0, nil, 0, err
	}
	limit := j.cfg.MaxMessageBytes
	msg, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return 0, nil, 0, err
	}
	if int64(len(msg)) <= limit {
		return typ, msg, int64(len(msg)), nil
	}
	prefix := append([]byte(nil), msg[:min(limit, maxKeptPrefix)]...)
	rest, err := io.Copy(io.Discard, r)
	if err != nil {
		return 0, nil, 0, err
	}
	return typ, prefix, int64(len(msg)) + rest, nil
}

// timeUSField finds time_us in the prefix of an event, which is not JSON on its own.
var timeUSField = regexp.MustCompile(`"time_us"\s*:\s*([0-9]{1,19})`)

// timeHintPrefix reads time_us from the start of an event cut short.
func timeHintPrefix(prefix []byte) int64 {
	m := timeUSField.FindSubmatch(prefix)
	if m == nil {
		return 0
	}
	t, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return t
}

// commit marks the record returned by the previous Read as handed over.
func (j *Jetstream) commit() {
	if j.pending != 0 {
		j.advance(j.pending)
		j.pending = 0
	}
	if j.cfg.CursorFile != "" && j.opts.Now().Sub(j.lastSave) >= j.cfg.CursorSaveInterval {
		j.saveCursor()
	}
}

func (j *Jetstream) advance(t int64) {
	if t > j.cursor {
		j.cursor = t
	}
}

// timeHint reads time_us from an event that did not decode.
func timeHint(msg []byte) int64 {
	var p struct {
		TimeUS int64 `json:"time_us"`
	}
	json.Unmarshal(msg, &p)
	return p.TimeUS
}

func (j *Jetstream) bad(ref string, raw []byte, err error) collectors.Record {
	return collectors.Record{Bad: &collectors.BadRecord{Source: j.cfg.Name, Ref: ref, Raw: append([]byte(nil), raw...), Err: err}}
}

// Close implements collectors.Source; it saves the cursor, without the record of the last
// Read, whose emit may have failed.
func (j *Jetstream) Close(ctx context.Context) error {
	if j.stop != nil {
		j.stop()
		j.stop = nil
	}
	var err error
	if j.conn != nil {
		err = j.conn.Close(websocket.StatusNormalClosure, "")
		if err != nil {
			j.conn.CloseNow()
			err = nil // the peer may already be gone; the socket is released either way
		}
		j.conn = nil
	}
	j.pending = 0
	if j.cfg.CursorFile != "" {
		if serr := j.saveCursor(); serr != nil {
			return serr
		}
	}
	return err
}

func (j *Jetstream) loadCursor() error {
	if j.cfg.CursorFile == "" {
		return nil
	}
	b, err := os.ReadFile(j.cfg.CursorFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cursor_file: %w", err)
	}
	if strings.TrimSpace(string(b)) == "" {
		// What a crash between creating and filling the file leaves: the position is lost,
		// which is no worse than a first start, and refusing to start would lose more.
		j.log.Warn("cursor file is empty, starting without a saved cursor", "file", j.cfg.CursorFile)
		return nil
	}
	c, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || c < 0 {
		return fmt.Errorf("cursor_file: %s does not hold a time_us cursor: %q", j.cfg.CursorFile, strings.TrimSpace(string(b)))
	}
	if c > j.cfg.StartCursor {
		j.cursor, j.saved = c, c
	}
	j.log.Info("resuming from saved cursor", "cursor", c, "file", j.cfg.CursorFile)
	return nil
}

// saveCursor writes the cursor atomically and durably (see atomicfile).
func (j *Jetstream) saveCursor() error {
	j.lastSave = j.opts.Now()
	if j.cursor == 0 {
		return nil
	}
	if err := atomicfile.WriteFile(j.cfg.CursorFile, []byte(strconv.FormatInt(j.cursor, 10)+"\n")); err != nil {
		j.log.Warn("cannot save cursor", "err", err)
		return fmt.Errorf("cursor_file: %w", err)
	}
	return nil
}
