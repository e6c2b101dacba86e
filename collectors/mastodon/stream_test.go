package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/collectortest"
)

// sse writes a recorded event stream, then, if hold, heartbeats until the client leaves.
func sse(w http.ResponseWriter, r *http.Request, body []byte, hold bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	for len(body) > 0 {
		n := min(len(body), 500)
		w.Write(body[:n])
		w.(http.Flusher).Flush()
		body = body[n:]
	}
	for hold {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Millisecond):
			io.WriteString(w, ":thump\n")
			w.(http.Flusher).Flush()
		}
	}
}

func fastRun() collectors.RunConfig {
	c := collectors.DefaultRunConfig()
	c.InitialBackoff, c.MaxBackoff, c.Jitter = 5*time.Millisecond, 20*time.Millisecond, 0
	return c
}

func TestStreamsTwoInstances(t *testing.T) {
	aEmitted := make(chan struct{}) // instance B starts once A emitted its first status
	var aOnce sync.Once
	var mu sync.Mutex
	var aConns int
	var minIDs []string

	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer token-a" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"The access token is invalid"}`)
			return
		}
		switch r.URL.Path {
		case "/api/v1/streaming/public":
			mu.Lock()
			aConns++
			n := aConns
			mu.Unlock()
			if n == 1 {
				sse(w, r, read(t, "instance_a_first.sse"), false) // drops mid-event
			} else {
				sse(w, r, read(t, "instance_a_second.sse"), true)
			}
		case "/api/v1/timelines/public":
			mu.Lock()
			minIDs = append(minIDs, r.URL.Query().Get("min_id")+" limit="+r.URL.Query().Get("limit"))
			mu.Unlock()
			if r.URL.Query().Get("min_id") == "112514873365224001" {
				w.Write(read(t, "timeline_a.json"))
			} else {
				io.WriteString(w, "[]")
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer a.Close()
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("anonymous instance got Authorization %q", r.Header.Get("Authorization"))
		}
		if r.URL.Path != "/api/v1/streaming/hashtag" || r.URL.Query().Get("tag") != "EnsembleLeaks" {
			http.NotFound(w, r)
			return
		}
		select {
		case <-aEmitted:
		case <-r.Context().Done():
			return
		}
		sse(w, r, read(t, "instance_b.sse"), true)
	}))
	defer b.Close()

	t.Setenv("LEAKWATCH_TEST_MASTODON_A", "token-a")
	cfg := DefaultConfig()
	cfg.Instances = []InstanceConfig{
		{URL: a.URL, AccessTokenEnv: "LEAKWATCH_TEST_MASTODON_A", Streams: []string{"public"}},
		{URL: b.URL, Streams: []string{"hashtag:EnsembleLeaks"}},
	}
	cfg.StallTimeout = 5 * time.Second
	reg := prometheus.NewPedanticRegistry()
	metrics := collectors.NewMetrics(reg)
	srcs, err := Sources(cfg, Options{Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	nameA, nameB := srcs[0].Name(), srcs[1].Name()
	if !strings.HasPrefix(nameA, "mastodon:127.0.0.1:") || !strings.HasSuffix(nameB, ":hashtag:EnsembleLeaks") {
		t.Errorf("names %q %q", nameA, nameB)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := map[string][]string{}
	total := 0
	allEmitted := make(chan struct{})
	emitFor := func(name string) collectors.EmitFunc {
		return func(ctx context.Context, r collectors.Record) error {
			mu.Lock()
			defer mu.Unlock()
			var s string
			switch {
			case r.Post != nil:
				p := r.Post
				if p.ObservedAt.IsZero() || p.Platform != "mastodon" {
					t.Errorf("post %s: observed_at %v platform %q", p.URI, p.ObservedAt, p.Platform)
				}
				s = p.ID
				if p.ReshareOf != "" {
					s += " reshare_of=" + p.ReshareOf
				}
				if p.ReplyTo != "" {
					s += " reply_to=" + p.ReplyTo
				}
				if strings.Contains(string(p.Raw), `"edited_at":"2024-05-31T18:45:00.000Z"`) {
					s += " (edited)"
				}
				if name == nameA {
					aOnce.Do(func() { close(aEmitted) })
				}
			case r.Bad != nil:
				if r.Bad.Source != name || !strings.Contains(r.Bad.Ref, "/api/v1/streaming/") {
					t.Errorf("bad record names %q %q", r.Bad.Source, r.Bad.Ref)
				}
				s = "bad: " + r.Bad.Err.Error()
			}
			got[name] = append(got[name], s)
			total++
			if total == 10 {
				close(allEmitted)
			}
			return nil
		}
	}
	countNotices := func() map[string]float64 {
		notices := map[string]float64{}
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == "leakwatch_collector_notices_total" {
				for _, m := range mf.Metric {
					for _, l := range m.Label {
						if l.GetName() == "kind" {
							notices[l.GetValue()] += m.Counter.GetValue()
						}
					}
				}
			}
		}
		return notices
	}
	// Stop once the ten records are out and the last duplicate (the backfilled status
	// arriving again on the stream, after them) has been counted, or at the deadline.
	go func() {
		select {
		case <-allEmitted:
		case <-ctx.Done():
			return
		}
		for ctx.Err() == nil && countNotices()["duplicate"] < 2 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	var wg sync.WaitGroup
	for _, src := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := collectors.Run(ctx, src, emitFor(src.Name()), collectors.RunOptions{Config: fastRun(), Metrics: metrics}); err != nil {
				t.Errorf("%s: %v", src.Name(), err)
			}
		}()
	}
	wg.Wait()

	wantA := []string{
		"112514873365224001",
		`bad: update event: status https://piaille.fr/users/x/statuses/112514873365224777: decode status JSON: unexpected end of JSON input`,
		`bad: unknown event type "announcement"`,
		`bad: event "update": stream ended inside the event (not connected: ` + a.URL + `/api/v1/streaming/public: server closed the stream)`,
		"112514890000000001", // backfilled after the reconnect, oldest first
		"112514891000000002",
		"112514873365224001 (edited)",
		// the backfilled status arriving again on the stream is a duplicate
	}
	wantB := []string{
		// the federated copy of A's first status is a duplicate
		"112514880000000077 reshare_of=" + leakURI,
		"112514901234567890 reply_to=" + leakURI, // its parent's local id was seen on B
		"bad: update event: status https://mastodon.social/users/z/statuses/1: invalid UTF-8 at byte 118",
	}
	if g := strings.Join(got[nameA], "\n"); g != strings.Join(wantA, "\n") {
		t.Errorf("instance A:\n%s\nwant:\n%s", g, strings.Join(wantA, "\n"))
	}
	if g := strings.Join(got[nameB], "\n"); g != strings.Join(wantB, "\n") {
		t.Errorf("instance B:\n%s\nwant:\n%s", g, strings.Join(wantB, "\n"))
	}
	if strings.Join(minIDs, ",") != "112514873365224001 limit=40" {
		t.Errorf("backfill requests min_id = %v, want one from the last status read", minIDs)
	}
	if notices := countNotices(); notices["duplicate"] != 2 || notices["delete"] != 1 {
		t.Errorf("notices = %v, want 2 duplicates and 1 delete", notices)
	}
}

// TestBackfillPagesPastUndecodableStatuses: a whole timeline page of statuses that do not
// decode is dead-lettered once, and the backfill goes on from its newest status.
func TestBackfillPagesPastUndecodableStatuses(t *testing.T) {
	var good map[string]any
	if err := json.Unmarshal(read(t, "status.json"), &good); err != nil {
		t.Fatal(err)
	}
	// 40 statuses (a full page, newest first) whose created_at this decoder refuses.
	var page []map[string]any
	for i := 40; i >= 1; i-- {
		st := maps.Clone(good)
		st["id"] = fmt.Sprintf("1125148800000000%02d", i)
		st["uri"] = fmt.Sprintf("https://piaille.fr/users/fuites_2024/statuses/1125148800000000%02d", i)
		st["created_at"] = "2024-05-31 18:40:00"
		page = append(page, st)
	}
	badPage, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns int
	var minIDs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/streaming/public":
			mu.Lock()
			conns++
			first := conns == 1
			mu.Unlock()
			if first { // one status, then the stream ends
				sse(w, r, []byte("event: update\ndata: "+string(read(t, "status.json"))+"\n\n"), false)
			} else {
				sse(w, r, nil, true)
			}
		case "/api/v1/timelines/public":
			minID := r.URL.Query().Get("min_id")
			mu.Lock()
			minIDs = append(minIDs, minID)
			mu.Unlock()
			switch minID {
			case "112514873365224001":
				w.Write(badPage)
			case "112514880000000040":
				w.Write(read(t, "timeline_a.json"))
			default:
				io.WriteString(w, "[]")
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Instances = []InstanceConfig{{URL: srv.URL, Streams: []string{"public"}}}
	srcs, err := Sources(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	bad := 0
	err = collectors.Run(ctx, srcs[0], func(ctx context.Context, r collectors.Record) error {
		switch {
		case r.Bad != nil:
			bad++
		case r.Post != nil:
			got = append(got, r.Post.ID)
		}
		if len(got) == 3 || bad > 40 {
			cancel()
		}
		return nil
	}, collectors.RunOptions{Config: fastRun()})
	if err != nil {
		t.Fatal(err)
	}
	want := "112514873365224001 112514890000000001 112514891000000002"
	if strings.Join(got, " ") != want || bad != 40 {
		t.Errorf("posts %v and %d bad records; want %s and the 40 of the page once", got, bad, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(minIDs, " ") != "112514873365224001 112514880000000040" {
		t.Errorf("backfill min_id %v, want the last status read, then the newest of the undecodable page", minIDs)
	}
}

// A backfill that reaches backfill_pages with its last page still full leaves a gap: it once
// logged "backfilled" at info and went on from the live stream, the rest of the gap lost
// without a word.
func TestBackfillCappedWithFullPageIsReported(t *testing.T) {
	var good map[string]any
	if err := json.Unmarshal(read(t, "status.json"), &good); err != nil {
		t.Fatal(err)
	}
	// 120 statuses posted while disconnected: three full pages, of which two are fetched.
	const first = 112514880000000001
	status := func(id int64) json.RawMessage {
		st := maps.Clone(good)
		st["id"] = fmt.Sprint(id)
		st["uri"] = fmt.Sprintf("https://piaille.fr/users/fuites_2024/statuses/%d", id)
		b, _ := json.Marshal(st)
		return b
	}
	srv := backfillServer(t, func(w http.ResponseWriter, r *http.Request) {
		// min_id paging: the 40 statuses just after min_id, newest first.
		var minID int64
		fmt.Sscan(r.URL.Query().Get("min_id"), &minID)
		from := max(minID+1, first)
		var page []json.RawMessage
		for id := min(from+39, first+119); id >= from; id-- {
			page = append(page, status(id))
		}
		b, _ := json.Marshal(page)
		if page == nil {
			b = []byte("[]")
		}
		w.Write(b)
	})
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.BackfillPages = 2
	cfg.Instances = []InstanceConfig{{URL: srv.URL, Streams: []string{"public"}}}
	reg := prometheus.NewPedanticRegistry()
	metrics := collectors.NewMetrics(reg)
	var logs collectortest.LogBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srcs, err := Sources(cfg, Options{Metrics: metrics, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	posts := 0
	err = collectors.Run(ctx, srcs[0], func(ctx context.Context, r collectors.Record) error {
		if r.Post != nil {
			posts++
		}
		if posts == 81 { // the streamed status and the two pages backfilled
			cancel()
		}
		return nil
	}, collectors.RunOptions{Config: fastRun(), Metrics: metrics, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if posts != 81 {
		t.Fatalf("%d posts, want 81", posts)
	}
	incomplete := collectortest.Notices(t, reg, "backfill_incomplete")
	if incomplete != 1 {
		t.Errorf("backfill_incomplete notices = %v, want 1", incomplete)
	}
	var warn string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "backfill") {
			warn = l
		}
	}
	for _, want := range []string{"source=mastodon:" + strings.TrimPrefix(srv.URL, "http://") + ":public", "pages=2", "reached_id=112514880000000080", "gap continues"} {
		if !strings.Contains(warn, want) {
			t.Errorf("backfill warning %q does not say %q", warn, want)
		}
	}
}

// An over-long data line was dead-lettered with an empty value; its start names the status.
func TestStreamLineTooLongKeepsItsStart(t *testing.T) {
	var b bytes.Buffer
	if err := json.Compact(&b, read(t, "status.json")); err != nil {
		t.Fatal(err)
	}
	status := append(bytes.TrimSuffix(b.Bytes(), []byte("}")), `,"padding":"`+strings.Repeat("x", 5000)+`"}`...)
	line := append([]byte("data: "), status...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sse(w, r, append(append([]byte("event: update\n"), line...), "\n\n"...), true)
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.MaxLineBytes = 1024
	cfg.Instances = []InstanceConfig{{URL: srv.URL, Streams: []string{"public"}}}
	srcs, err := Sources(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := srcs[0].Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer srcs[0].Close(ctx)
	r, err := srcs[0].Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Bad == nil {
		t.Fatalf("record %+v, want a bad record", r)
	}
	if want := fmt.Sprintf(`event "update": line too long: %d bytes, limit 1024`, len(line)+1); r.Bad.Err.Error() != want {
		t.Errorf("reason %q, want %q", r.Bad.Err, want)
	}
	if len(r.Bad.Raw) != 1024 || !bytes.HasPrefix(line, r.Bad.Raw) || !bytes.Contains(r.Bad.Raw, []byte(`"id":"112514873365224001"`)) {
		t.Errorf("raw is %d bytes %.80q, want the line's first 1024, naming the status", len(r.Bad.Raw), r.Bad.Raw)
	}
}

func TestStreamConnectErrors(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		permanent bool
		retry     bool
		want      string
	}{
		{"bad token", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"The access token is invalid"}`)
		}, true, false, "HTTP 401"},
		{"rate limited", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Reset", "2099-01-01T00:00:00.000Z")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":"Too many requests"}`)
		}, false, true, "HTTP 429"},
		{"unavailable", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, false, false, "HTTP 503"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			cfg := DefaultConfig()
			cfg.Instances = []InstanceConfig{{URL: srv.URL, Streams: []string{"public:local"}}}
			srcs, err := Sources(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = srcs[0].Connect(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if collectors.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v", collectors.IsPermanent(err))
			}
			at, ok := collectors.RetryAfterTime(err)
			if ok != tc.retry || ok && at.Year() != 2099 {
				t.Errorf("retry after = %v %v", at, ok)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.Instances = []InstanceConfig{{URL: "https://mastodon.social", StreamingURL: "wss://streaming.mastodon.social", Streams: []string{"public", "hashtag:local:MacronLeaks"}}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid: %v", err)
	}
	tests := []struct {
		field  string
		mutate func(*Config)
	}{
		{"instances", func(c *Config) { c.Instances = nil }},
		{"instances[0].url", func(c *Config) { c.Instances = []InstanceConfig{{URL: "mastodon.social", Streams: []string{"public"}}} }},
		{"instances[0].streaming_url", func(c *Config) {
			c.Instances = []InstanceConfig{{URL: "https://a", StreamingURL: "ftp://streaming.a", Streams: []string{"public"}}}
		}},
		{"instances[0].streams", func(c *Config) { c.Instances = []InstanceConfig{{URL: "https://a"}} }},
		{"instances[0].streams[0]", func(c *Config) { c.Instances = []InstanceConfig{{URL: "https://a", Streams: []string{"user"}}} }},
		{"instances[0].streams[0]", func(c *Config) { c.Instances = []InstanceConfig{{URL: "https://a", Streams: []string{"hashtag:"}}} }},
		{"dedupe_size", func(c *Config) { c.DedupeSize = 0 }},
		{"backfill_pages", func(c *Config) { c.BackfillPages = -1 }},
		{"stall_timeout", func(c *Config) { c.StallTimeout = 0 }},
		{"max_line_bytes", func(c *Config) { c.MaxLineBytes = 1 }},
	}
	for _, tc := range tests {
		c := ok
		tc.mutate(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.field+":") {
			t.Errorf("%s: err = %v", tc.field, err)
		}
	}
}

func TestStreamingURLSeparateServer(t *testing.T) {
	web := httptest.NewServer(http.NotFoundHandler())
	defer web.Close()
	streaming := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/streaming/public/local" || r.Header.Get("Accept") != "text/event-stream" {
			http.NotFound(w, r)
			return
		}
		sse(w, r, []byte("event: update\ndata: "+string(read(t, "status.json"))+"\n\n"), true)
	}))
	defer streaming.Close()
	cfg := DefaultConfig()
	cfg.Instances = []InstanceConfig{{URL: web.URL, StreamingURL: "ws" + strings.TrimPrefix(streaming.URL, "http"), Streams: []string{"public:local"}}}
	srcs, err := Sources(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := srcs[0]
	if err := src.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer src.Close(context.Background())
	r, err := src.Read(context.Background())
	if err != nil || r.Post == nil || r.Post.URI != leakURI {
		t.Fatalf("read %+v %v", r, err)
	}
}

// backfillServer is a Mastodon instance whose public stream delivers one status, then drops,
// and at every reconnect opens with nothing; timelines answers the backfill's pages.
func backfillServer(t *testing.T, timelines http.HandlerFunc) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/streaming/public":
			mu.Lock()
			conns++
			first := conns == 1
			mu.Unlock()
			if first {
				sse(w, r, []byte("event: update\ndata: "+string(read(t, "status.json"))+"\n\n"), false)
			} else {
				sse(w, r, nil, true)
			}
		case "/api/v1/timelines/public":
			timelines(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	return srv
}
