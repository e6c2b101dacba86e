package bluesky

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/collectortest"
)

// fakeJetstream replays recorded events from the requested cursor, as Jetstream does.
type fakeJetstream struct {
	t       *testing.T
	events  [][]byte
	mu      sync.Mutex
	queries []url.Values
	// conn decides what connection n (from 1) does: drop after k events (k >= 0), refuse
	// with an HTTP status, or serve everything and hold (k < 0, status 0).
	conn func(n int) (dropAfter int, status int)
}

func (f *fakeJetstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.queries = append(f.queries, r.URL.Query())
	n := len(f.queries)
	f.mu.Unlock()
	dropAfter, status := f.conn(n)
	if status != 0 {
		w.Header().Set("Retry-After", "1")
		http.Error(w, http.StatusText(status), status)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		f.t.Error(err)
		return
	}
	cursor, _ := strconv.ParseInt(r.URL.Query().Get("cursor"), 10, 64)
	sent := 0
	for _, ev := range f.events {
		if cursor > 0 && timeHint(ev) < cursor {
			continue
		}
		if dropAfter >= 0 && sent == dropAfter {
			c.CloseNow() // the connection drops mid-stream, without a close frame
			return
		}
		if err := c.Write(r.Context(), websocket.MessageText, ev); err != nil {
			return
		}
		sent++
	}
	for { // hold, answering pings, until the client leaves
		if _, _, err := c.Read(r.Context()); err != nil {
			return
		}
	}
}

func fastRun() collectors.RunConfig {
	c := collectors.DefaultRunConfig()
	c.InitialBackoff, c.MaxBackoff, c.Jitter = 5*time.Millisecond, 20*time.Millisecond, 0
	return c
}

func wsURL(srv *httptest.Server) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/subscribe"
}

// collect runs src until n records arrived and returns their summaries.
func collect(t *testing.T, src collectors.Source, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	err := collectors.Run(ctx, src, func(ctx context.Context, r collectors.Record) error {
		switch {
		case r.Post != nil:
			got = append(got, r.Post.URI+" @"+r.Post.Author.Handle)
		case r.Bad != nil:
			got = append(got, "bad: "+r.Bad.Err.Error())
		}
		if len(got) == n {
			cancel()
		}
		return nil
	}, collectors.RunOptions{Config: fastRun()})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("timed out with %d of %d records: %q", len(got), n, got)
	}
	return got
}

func TestJetstreamResumesFromCursor(t *testing.T) {
	fj := &fakeJetstream{t: t, events: lines(t, "events.jsonl"), conn: func(n int) (int, int) {
		switch n {
		case 1:
			return 5, 0 // identity, post, repost, reply, account; then the drop
		case 2:
			return 0, http.StatusServiceUnavailable
		}
		return -1, 0
	}}
	srv := httptest.NewServer(fj)
	defer srv.Close()
	cursorFile := filepath.Join(t.TempDir(), "bluesky.cursor")
	cfg := DefaultConfig()
	cfg.URL = wsURL(srv)
	cfg.CursorFile = cursorFile

	src, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, src, 5)
	const (
		repost = "at://" + amp + "/app.bsky.feed.repost/3l3qo3aa2aa2x"
		reply  = "at://" + fact + "/app.bsky.feed.post/3l3qo4bb2aa2x"
		quote  = "at://" + amp + "/app.bsky.feed.post/3l3qo5cc2aa2x"
		odd    = "at://" + amp + "/app.bsky.feed.post/3l3qo7ee2aa2x"
	)
	want := []string{
		leakURI + " @leakbot.bsky.social", // handle from the identity event before it
		repost + " @",
		reply + " @",
		// the drop, a 503, then the replay from the rewound cursor: the reply again (dropped
		// as a duplicate), then what was never received
		quote + " @",
		odd + " @",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	fj.mu.Lock()
	qs := fj.queries
	fj.mu.Unlock()
	if len(qs) != 3 {
		t.Fatalf("%d connections, want 3", len(qs))
	}
	if qs[0].Has("cursor") || strings.Join(qs[0]["wantedCollections"], ",") != "app.bsky.feed.post,app.bsky.feed.repost" || qs[0].Get("maxMessageSizeBytes") != "2097152" {
		t.Errorf("first connection query = %v", qs[0])
	}
	// Last event handed over before the drop: the account event at t0+26 s; rewound 5 s.
	if c := qs[2].Get("cursor"); c != strconv.FormatInt(t0+26_000_000-5_000_000, 10) {
		t.Errorf("reconnect cursor = %s, want %d", c, t0+21_000_000)
	}
	b, err := os.ReadFile(cursorFile)
	if err != nil || strings.TrimSpace(string(b)) != strconv.FormatInt(t0+61_000_000, 10) {
		t.Fatalf("cursor file = %q %v, want the last event delivered", b, err)
	}

	// A restart resumes from the saved cursor, rewound: the replayed post was handed over
	// before the restart, and is dropped as a duplicate (each restart emitted it again).
	reg := prometheus.NewRegistry()
	src2, err := New(cfg, Options{Metrics: collectors.NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	got = nil
	collectors.Run(ctx, src2, func(ctx context.Context, r collectors.Record) error {
		if r.Post != nil {
			got = append(got, r.Post.URI)
		}
		return nil
	}, collectors.RunOptions{Config: fastRun()})
	if len(got) != 0 || collectortest.Notices(t, reg, "duplicate") == 0 {
		t.Errorf("after restart: records %q, %v duplicates dropped; want the rewound post dropped", got, collectortest.Notices(t, reg, "duplicate"))
	}
	fj.mu.Lock()
	last := fj.queries[len(fj.queries)-1]
	fj.mu.Unlock()
	if c := last.Get("cursor"); c != strconv.FormatInt(t0+56_000_000, 10) {
		t.Errorf("restart cursor = %s, want %d", c, t0+56_000_000)
	}
}

// TestJetstreamEmptyCursorFile: a crash can leave the cursor file empty; the source starts
// as without one and says so, and a cursor that is not one still stops it.
func TestJetstreamEmptyCursorFile(t *testing.T) {
	fj := &fakeJetstream{t: t, events: lines(t, "events.jsonl"), conn: func(int) (int, int) { return -1, 0 }}
	srv := httptest.NewServer(fj)
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.URL = wsURL(srv)
	cfg.CursorFile = filepath.Join(t.TempDir(), "bluesky.cursor")
	if err := os.WriteFile(cfg.CursorFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	src, err := New(cfg, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, src, 1); got[0] != leakURI+" @leakbot.bsky.social" {
		t.Errorf("first record %q, want the first event of the live tail", got[0])
	}
	if !strings.Contains(logs.String(), "cursor file is empty") {
		t.Errorf("no warning about the empty cursor file in the log:\n%s", logs.String())
	}
	fj.mu.Lock()
	q := fj.queries[0]
	fj.mu.Unlock()
	if q.Has("cursor") {
		t.Errorf("first connection asked for cursor %s, want none", q.Get("cursor"))
	}

	if err := os.WriteFile(cfg.CursorFile, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, _ = New(cfg, Options{})
	if err := src.Connect(context.Background()); !collectors.IsPermanent(err) || !strings.Contains(err.Error(), "does not hold a time_us cursor") {
		t.Errorf("garbled cursor file: err = %v, want a permanent error", err)
	}
}

func TestJetstreamBadEvents(t *testing.T) {
	fj := &fakeJetstream{t: t, events: lines(t, "bad.jsonl"), conn: func(int) (int, int) { return -1, 0 }}
	srv := httptest.NewServer(fj)
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.URL = wsURL(srv)
	src, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, src, 6)
	for i, g := range got {
		if !strings.HasPrefix(g, "bad: jetstream event") {
			t.Errorf("record %d = %q, want a bad record", i, g)
		}
	}
}

// A Jetstream that ignores maxMessageSizeBytes (older or self-hosted) once sent an event
// larger than max_message_bytes, the read failed, and the reconnect was sent it again,
// forever: nothing after it was read and nothing named it. It is a Bad record now, with a
// prefix of it as raw, and the stream goes on after it.
func TestJetstreamOversizedMessageIsBadRecord(t *testing.T) {
	events := lines(t, "events.jsonl")
	big := []byte(`{"did":"did:plc:b1gb1gb1gb1gb1gb1gb1gb1g","time_us":1726000001500000,"kind":"commit","commit":{"rev":"3l3qo2zzzzz2c","operation":"create","collection":"app.bsky.feed.post","rkey":"3l3qo2zzzzz2b","record":{"$type":"app.bsky.feed.post","createdAt":"2024-09-10T20:26:41.000Z","text":"` +
		strings.Repeat("fuite ", 100<<10/6) + `"},"cid":"bafyreib1g"}}`)
	events = append(events[:2:2], append([][]byte{big}, events[2:]...)...) // after the first post
	fj := &fakeJetstream{t: t, events: events, conn: func(int) (int, int) { return -1, 0 }}
	srv := httptest.NewServer(fj)
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.URL = wsURL(srv)
	cfg.MaxMessageBytes = 4096 // every recorded event fits; the big one does not
	src, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := fastRun()
	run.MaxAttempts = 3 // the endless reconnect loop ends the test instead of its deadline
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	var bad *collectors.BadRecord
	err = collectors.Run(ctx, src, func(ctx context.Context, r collectors.Record) error {
		switch {
		case r.Bad != nil:
			bad = r.Bad
			got = append(got, "bad")
		case r.Post != nil:
			got = append(got, r.Post.URI)
		}
		if len(got) == 6 { // the post before it, the bad record, the four posts after it
			cancel()
		}
		return nil
	}, collectors.RunOptions{Config: run})
	if err != nil {
		t.Fatalf("%v (records so far %q)", err, got)
	}
	if len(got) != 6 || got[0] != leakURI || got[1] != "bad" {
		t.Fatalf("records %q, want the first post, the bad record, then the rest", got)
	}
	if bad == nil {
		t.Fatal("no bad record")
	}
	if msg := bad.Err.Error(); !strings.Contains(msg, fmt.Sprintf("message of %d bytes", len(big))) || !strings.Contains(msg, "max_message_bytes 4096") {
		t.Errorf("reason %q does not give the size and the limit", msg)
	}
	if len(bad.Raw) != 4096 || !bytes.HasPrefix(big, bad.Raw) || !bytes.Contains(bad.Raw, []byte(`"time_us":1726000001500000`)) {
		t.Errorf("raw is %d bytes %.80q..., want the first 4096 bytes of the event", len(bad.Raw), bad.Raw)
	}
	fj.mu.Lock()
	defer fj.mu.Unlock()
	if len(fj.queries) != 1 {
		t.Errorf("%d connections, want 1: the oversized message must not drop the connection", len(fj.queries))
	}
	if src.pending != 0 || src.Cursor() < 1726000001500000 {
		t.Errorf("cursor %d, want past the oversized event once handed over", src.Cursor())
	}
}

func TestJetstreamConnectErrors(t *testing.T) {
	for _, tc := range []struct {
		status    int
		permanent bool
		retry     bool
	}{
		{http.StatusTooManyRequests, false, true},
		{http.StatusBadGateway, false, false},
		{http.StatusForbidden, true, false},
	} {
		fj := &fakeJetstream{t: t, conn: func(int) (int, int) { return 0, tc.status }}
		srv := httptest.NewServer(fj)
		cfg := DefaultConfig()
		cfg.URL = wsURL(srv)
		src, _ := New(cfg, Options{})
		err := src.Connect(context.Background())
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "HTTP "+strconv.Itoa(tc.status)) {
			t.Errorf("%d: err = %v", tc.status, err)
			continue
		}
		_, retry := collectors.RetryAfterTime(err)
		if collectors.IsPermanent(err) != tc.permanent || retry != tc.retry {
			t.Errorf("%d: permanent %v retry %v", tc.status, collectors.IsPermanent(err), retry)
		}
	}
}

func TestJetstreamDeadPeerIsDropped(t *testing.T) {
	// The server accepts, then neither sends nor reads: pings go unanswered.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		<-r.Context().Done()
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.URL = wsURL(srv)
	cfg.PingInterval, cfg.PingTimeout = 20*time.Millisecond, 50*time.Millisecond
	src, _ := New(cfg, Options{})
	if err := src.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer src.Close(context.Background())
	_, err := src.Read(context.Background())
	if !errors.Is(err, collectors.ErrNotConnected) || !strings.Contains(err.Error(), "no pong within 50ms") {
		t.Fatalf("err = %v, want a dropped connection naming the missing pong", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	tests := []struct {
		field  string
		mutate func(*Config)
	}{
		{"name", func(c *Config) { c.Name = "" }},
		{"url", func(c *Config) { c.URL = "jetstream.example" }},
		{"collections", func(c *Config) { c.Collections = nil }},
		{"collections[0]", func(c *Config) { c.Collections = []string{"app.bsky.feed.like"} }},
		{"dids[0]", func(c *Config) { c.DIDs = []string{"@someone.bsky.social"} }},
		{"start_cursor", func(c *Config) { c.StartCursor = -1 }},
		{"rewind", func(c *Config) { c.Rewind = -time.Second }},
		{"dedupe_size", func(c *Config) { c.DedupeSize = 0 }},
		{"ping_interval", func(c *Config) { c.PingInterval = 0 }},
		{"connect_timeout", func(c *Config) { c.ConnectTimeout = 0 }},
		{"max_message_bytes", func(c *Config) { c.MaxMessageBytes = 10 }},
	}
	for _, tc := range tests {
		c := DefaultConfig()
		tc.mutate(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.field+":") {
			t.Errorf("%s: err = %v", tc.field, err)
		}
	}
}

func TestSubscribeURLManyDIDs(t *testing.T) {
	cfg := DefaultConfig()
	for i := 0; i < maxQueryDIDs+1; i++ {
		cfg.DIDs = append(cfg.DIDs, "did:plc:"+strconv.Itoa(100000+i))
	}
	src, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(src.SubscribeURL())
	if u.Query().Has("wantedDids") || u.Query().Get("requireHello") != "true" {
		t.Errorf("URL %s: want DIDs sent after connecting", u)
	}
}
