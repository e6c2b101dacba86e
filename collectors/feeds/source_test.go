package feeds

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/collectors"
)

// fakeClock makes waiting instant: after advances the clock by the wait.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	c.t = c.t.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.t
	return ch
}

func newTestSource(t *testing.T, feeds ...FeedConfig) (*Source, *fakeClock) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Interval = time.Minute
	cfg.Feeds = feeds
	return startSource(t, cfg)
}

// startSource makes a Source of cfg on a fake clock, connected.
func startSource(t *testing.T, cfg Config) (*Source, *fakeClock) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: observed}
	s.now, s.after = clk.now, clk.after
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, clk
}

// feedServer serves a feed document with validators and answers 304 when they match.
type feedServer struct {
	mu       sync.Mutex
	body     string
	etag     string
	modified string
	requests []http.Header
	status   []int // status of each response
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Header.Clone())
	if r.Header.Get("If-None-Match") == f.etag && r.Header.Get("If-Modified-Since") == f.modified {
		f.status = append(f.status, http.StatusNotModified)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.status = append(f.status, http.StatusOK)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Header().Set("ETag", f.etag)
	w.Header().Set("Last-Modified", f.modified)
	_, _ = w.Write([]byte(f.body))
}

func (f *feedServer) set(body, etag, modified string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body, f.etag, f.modified = body, etag, modified
}

func readN(t *testing.T, s *Source, n int) []collectors.Record {
	t.Helper()
	var out []collectors.Record
	for range n {
		r, err := s.Read(context.Background())
		if err != nil {
			t.Fatalf("Read after %d records: %v", len(out), err)
		}
		out = append(out, r)
	}
	return out
}

func TestConditionalGetAndDedup(t *testing.T) {
	news, err := os.ReadFile("testdata/news-rss.xml")
	if err != nil {
		t.Fatal(err)
	}
	srv := &feedServer{}
	srv.set(string(news), `"v1"`, "Fri, 05 May 2017 19:02:11 GMT")
	ts := httptest.NewServer(srv)
	defer ts.Close()
	s, _ := newTestSource(t, FeedConfig{URL: ts.URL + "/politique/rss.xml"})

	first := readN(t, s, 3)
	for _, r := range first {
		if r.Post == nil {
			t.Fatalf("bad record: %v", r.Bad)
		}
	}

	// Second poll: validators sent, 304, nothing emitted. Third poll: the feed gained one item
	// and re-lists the old ones; only the new one comes out.
	added := strings.Replace(string(news), "<item>", `<item>
      <title>Nouvelle fuite annoncée</title>
      <link>https://www.quotidien-national.example/politique/2017/05/06/nouvelle-fuite.html</link>
      <pubDate>Sat, 06 May 2017 11:00:00 +0200</pubDate>
      <description>Un compte anonyme annonce une deuxième salve.</description>
    </item>
    <item>`, 1)
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		srv.mu.Lock()
		n := len(srv.requests)
		srv.mu.Unlock()
		if n == 2 { // the update lands after the 304
			srv.set(added, `"v2"`, "Sat, 06 May 2017 09:01:00 GMT")
		}
	})
	recs := readN(t, s, 1)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if got := recs[0].Post.URI; got != "https://www.quotidien-national.example/politique/2017/05/06/nouvelle-fuite.html" {
		t.Fatalf("after update got %q, want only the new item", got)
	}
	if len(srv.status) != 3 || srv.status[1] != http.StatusNotModified || srv.status[2] != http.StatusOK {
		t.Fatalf("statuses = %v, want [200 304 200]", srv.status)
	}
	second := srv.requests[1]
	if second.Get("If-None-Match") != `"v1"` || second.Get("If-Modified-Since") != "Fri, 05 May 2017 19:02:11 GMT" {
		t.Errorf("conditional headers = %q / %q", second.Get("If-None-Match"), second.Get("If-Modified-Since"))
	}
	if ua := srv.requests[0].Get("User-Agent"); !strings.HasPrefix(ua, "leakwatch-feeds/") {
		t.Errorf("User-Agent = %q", ua)
	}
	if third := srv.requests[2]; third.Get("If-None-Match") != `"v1"` {
		t.Errorf("third request If-None-Match = %q", third.Get("If-None-Match"))
	}

	// The queue is empty and the feed unchanged: Read keeps polling (304s) until cancelled.
	srv.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		srv.mu.Lock()
		if len(srv.requests) >= 6 {
			cancel()
		}
		srv.mu.Unlock()
	})
	if r, err := s.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read on unchanged feed = %+v, %v; want context.Canceled", r, err)
	}
	srv.mu.Lock()
	for _, st := range srv.status[3:] {
		if st != http.StatusNotModified {
			t.Fatalf("statuses = %v, want 304s after the update", srv.status)
		}
	}
}

// polls records when each path of a growingFeeds server was asked for, by the fake clock.
type polls struct {
	mu   sync.Mutex
	hits map[string][]time.Time
	clk  *fakeClock
}

// growingFeeds serves at every path a feed that lists one more item at each poll, so each
// poll yields exactly one record; the paths in dead answer 502 Bad Gateway instead.
func growingFeeds(t *testing.T, dead ...string) (*httptest.Server, *polls) {
	t.Helper()
	p := &polls{hits: map[string][]time.Time{}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.hits[r.URL.Path] = append(p.hits[r.URL.Path], p.clk.now())
		n := len(p.hits[r.URL.Path])
		p.mu.Unlock()
		if slices.Contains(dead, r.URL.Path) {
			http.Error(w, "gone", http.StatusBadGateway)
			return
		}
		var items strings.Builder
		for i := range n {
			items.WriteString("<item><guid>" + r.URL.Path + "/" + strconv.Itoa(i) + "</guid><title>t</title></item>")
		}
		_, _ = w.Write([]byte(`<rss version="2.0"><channel><title>x</title>` + items.String() + `</channel></rss>`))
	}))
	t.Cleanup(ts.Close)
	return ts, p
}

func TestSeveralFeedsOwnIntervals(t *testing.T) {
	ts, p := growingFeeds(t)
	var s *Source
	s, p.clk = newTestSource(t,
		FeedConfig{URL: ts.URL + "/fast", Interval: time.Minute},
		FeedConfig{URL: ts.URL + "/slow", Interval: 5 * time.Minute})
	readN(t, s, 12)
	p.mu.Lock()
	defer p.mu.Unlock()
	hits := p.hits
	// In the first 10 minutes of fake time: fast polled at 0..9 (10 times), slow at 0 and 5.
	if len(hits["/fast"]) != 10 || len(hits["/slow"]) != 2 {
		t.Fatalf("polls fast=%d slow=%d, want 10 and 2", len(hits["/fast"]), len(hits["/slow"]))
	}
	if d := hits["/slow"][1].Sub(hits["/slow"][0]); d != 5*time.Minute {
		t.Errorf("slow feed interval = %v", d)
	}
}

func TestThrottlingRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantWait   time.Duration
		temporary  bool
	}{
		{"429 seconds", http.StatusTooManyRequests, "600", 10 * time.Minute, true},
		{"503 http date", http.StatusServiceUnavailable, observed.Add(2 * time.Hour).Format(http.TimeFormat), 2 * time.Hour, true},
		{"502 without header", http.StatusBadGateway, "", 0, true},
		{"404 is not retried early", http.StatusNotFound, "600", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
			}))
			defer ts.Close()
			s, _ := newTestSource(t, FeedConfig{URL: ts.URL + "/feed"})
			_, err := s.Read(context.Background())
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *StatusError", err)
			}
			if se.Status != tc.status || se.RetryAfter() != tc.wantWait || se.Temporary() != tc.temporary {
				t.Errorf("got status %d wait %v temporary %v", se.Status, se.RetryAfter(), se.Temporary())
			}
			if !strings.Contains(err.Error(), ts.URL+"/feed") {
				t.Errorf("error does not name the feed: %v", err)
			}
			// The next poll is not before the server's Retry-After (nor before the interval).
			if want := observed.Add(max(tc.wantWait, time.Minute)); !s.feeds[0].next.Equal(want) {
				t.Errorf("next poll at %v, want %v", s.feeds[0].next, want)
			}
		})
	}
}

func TestBadDocumentsReportedOnce(t *testing.T) {
	broken, err := os.ReadFile("testdata/broken.xml")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	body := string(broken)
	polls := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		polls++
		if polls == 3 { // fixed on the third poll, with one item carrying an unreadable date
			body = `<rss version="2.0"><channel><title>x</title>
<item><guid>ok</guid><title>fine</title><pubDate>Sat, 06 May 2017 10:00:00 GMT</pubDate></item>
<item><guid>p-17</guid><title>bad date</title><pubDate>le 6 mai vers midi</pubDate></item>
</channel></rss>`
		}
		_, _ = w.Write([]byte(body))
	}))
	defer ts.Close()
	s, _ := newTestSource(t, FeedConfig{URL: ts.URL + "/rss"})

	r := readN(t, s, 1)[0]
	if r.Bad == nil {
		t.Fatalf("broken feed gave %+v, want a bad record", r)
	}
	msg := r.Bad.Error()
	if !strings.Contains(msg, "feed "+ts.URL+"/rss") || !strings.Contains(msg, "XML syntax error on line 12") {
		t.Errorf("bad record error = %q, want feed URL and line", msg)
	}
	if string(r.Bad.Raw) != string(broken) {
		t.Error("bad record does not carry the document")
	}
	// Poll 2 serves the same broken body: not reported again. Poll 3 is fixed.
	recs := readN(t, s, 2)
	if polls != 3 {
		t.Fatalf("polls = %d, want 3", polls)
	}
	var bad, good []collectors.Record
	for _, r := range recs {
		if r.Bad != nil {
			bad = append(bad, r)
		} else {
			good = append(good, r)
		}
	}
	if len(good) != 1 || good[0].Post.ID != "ok" {
		t.Fatalf("good = %+v", good)
	}
	if len(bad) != 1 || !strings.Contains(bad[0].Bad.Error(), "item 2 (p-17)") || !strings.Contains(bad[0].Bad.Error(), `unrecognised date "le 6 mai vers midi"`) {
		t.Fatalf("bad item record = %v", bad)
	}
}

func TestReadNotConnected(t *testing.T) {
	s, _ := newTestSource(t, FeedConfig{URL: "http://127.0.0.1:1/feed"})
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(context.Background()); !errors.Is(err, collectors.ErrNotConnected) {
		t.Fatalf("err = %v, want ErrNotConnected", err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := s.Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "feed http://127.0.0.1:1/feed") {
		t.Fatalf("unreachable feed err = %v", err)
	}
}

func TestSeenSetBounded(t *testing.T) {
	s := newSeenSet(3)
	for _, k := range []string{"a", "b", "c"} {
		if !s.add(k) {
			t.Fatalf("%s not new", k)
		}
	}
	if s.add("a") {
		t.Fatal("a seen twice")
	}
	s.add("d") // evicts a
	if len(s.keys) != 3 || !s.add("a") {
		t.Fatalf("size %d; oldest key should have been forgotten", len(s.keys))
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.Feeds = []FeedConfig{{URL: "https://a.example/rss"}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no feeds", func(c *Config) { c.Feeds = nil }, "feeds: at least one"},
		{"relative url", func(c *Config) { c.Feeds[0].URL = "/rss" }, "feeds[0].url"},
		{"ftp url", func(c *Config) { c.Feeds[0].URL = "ftp://a.example/rss" }, "feeds[0].url"},
		{"duplicate", func(c *Config) { c.Feeds = append(c.Feeds, c.Feeds[0]) }, "feeds[1].url: \"https://a.example/rss\" is listed twice"},
		{"tiny interval", func(c *Config) { c.Feeds[0].Interval = 5 }, "feeds[0].interval"},
		{"default interval", func(c *Config) { c.Interval = 0 }, "interval:"},
		{"timeout", func(c *Config) { c.Timeout = 0 }, "timeout:"},
		{"max_seen", func(c *Config) { c.MaxSeen = 10 }, "max_seen:"},
		{"max_body_bytes", func(c *Config) { c.MaxBodyBytes = 10 }, "max_body_bytes:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			c.Feeds = append([]FeedConfig(nil), ok.Feeds...)
			tc.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// One dead feed URL among several must not hold the others back: its failures are the
// feed's own (it backs off alone, doubling its wait), the source is never reconnected, and
// the healthy feed is polled at its interval throughout.
func TestDeadFeedHoldsBackNoOther(t *testing.T) {
	ts, p := growingFeeds(t, "/dead.xml")
	var s *Source
	s, p.clk = newTestSource(t, FeedConfig{URL: ts.URL + "/good.xml"}, FeedConfig{URL: ts.URL + "/dead.xml"})
	reg := prometheus.NewRegistry()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := 0
	err := collectors.Run(ctx, s, func(_ context.Context, r collectors.Record) error {
		if r.Post != nil {
			if got++; got == 20 {
				cancel()
			}
		}
		return nil
	}, collectors.RunOptions{Metrics: collectors.NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	good, dead := p.hits["/good.xml"], p.hits["/dead.xml"]
	for i := 1; i < len(good); i++ {
		if d := good[i].Sub(good[i-1]); d != time.Minute {
			t.Fatalf("good feed polled %v after the one before (poll %d), want its 1m interval", d, i)
		}
	}
	var waits []time.Duration
	for i := 1; i < len(dead); i++ {
		waits = append(waits, dead[i].Sub(dead[i-1]))
	}
	if len(waits) < 3 || waits[0] != time.Minute || waits[1] != 2*time.Minute || waits[2] != 4*time.Minute {
		t.Errorf("dead feed polled after %v, want 1m, 2m, 4m, … (its own backoff)", waits)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "leakwatch_collector_reconnects_total" && len(mf.GetMetric()) > 0 && mf.GetMetric()[0].GetCounter().GetValue() > 0 {
			t.Errorf("the source was reconnected %v times for one dead feed", mf.GetMetric()[0].GetCounter().GetValue())
		}
	}
}

// An item dated after it was fetched (a scheduled item, a mistyped year) is placed when it
// was fetched: dated ahead, it would move event time past every current post, which detect
// would then refuse as late. An item dated before keeps its date.
func TestFutureDatedItemPlacedWhenFetched(t *testing.T) {
	ahead := observed.Add(21 * time.Minute).Format(time.RFC1123Z)
	before := observed.Add(-3 * time.Hour).Format(time.RFC1123Z)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`<rss version="2.0"><channel><title>x</title>` +
			`<item><guid>soon</guid><title>Programme</title><pubDate>` + ahead + `</pubDate></item>` +
			`<item><guid>old</guid><title>Meeting</title><pubDate>` + before + `</pubDate></item></channel></rss>`))
	}))
	defer ts.Close()
	s, _ := newTestSource(t, FeedConfig{URL: ts.URL + "/feed"})
	got := map[string]time.Time{}
	for _, r := range readN(t, s, 2) {
		got[r.Post.ID] = r.Post.CreatedAt
	}
	if !got["soon"].Equal(observed) || !got["old"].Equal(observed.Add(-3*time.Hour)) {
		t.Errorf("created at %v; want the future-dated item at the fetch (%v), the other at its date", got, observed)
	}
}

// Relative item links were resolved against the configured feed URL, not where the feed
// had moved to, and xml:base was ignored: the post's URI pointed at a page that does not
// exist.
func TestRelativeLinksFollowRedirectAndXMLBase(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rss.xml":
			http.Redirect(w, r, "/politique/v2/rss.xml", http.StatusMovedPermanently)
		case "/politique/v2/rss.xml":
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Politique</title><link>https://www.quotidien-national.example/politique/</link>
<item><title>Fuite des courriels de campagne</title><link>articles/fuite-courriels.html</link><guid isPermaLink="false">a-1</guid>
<description>&lt;a href="../annexes/liste.pdf"&gt;la liste&lt;/a&gt;</description><pubDate>Fri, 05 May 2017 20:35:00 +0200</pubDate></item>
</channel></rss>`))
		case "/atom.xml":
			w.Header().Set("Content-Type", "application/atom+xml")
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://leakboard.example.org/board/">
<title>Leakboard</title><id>tag:leakboard.example.org,2017:feed</id><updated>2017-05-05T18:40:00Z</updated>
<entry xml:base="dumps/"><title>Dump EM</title><id>tag:leakboard.example.org,2017:dump-9</id>
<link href="9.html"/><updated>2017-05-05T18:38:00Z</updated></entry>
</feed>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	s, _ := newTestSource(t, FeedConfig{URL: ts.URL + "/rss.xml"}, FeedConfig{URL: ts.URL + "/atom.xml"})
	got := map[string]string{}
	for _, r := range readN(t, s, 2) {
		if r.Post == nil {
			t.Fatalf("record %+v, want a post", r)
		}
		var urls []string
		for _, l := range r.Post.URLs {
			urls = append(urls, l.Expanded)
		}
		got[r.Post.ID] = r.Post.URI + " " + strings.Join(urls, " ")
	}
	want := map[string]string{
		"a-1":                                   ts.URL + "/politique/v2/articles/fuite-courriels.html " + ts.URL + "/politique/v2/articles/fuite-courriels.html " + ts.URL + "/politique/v2/annexes/liste.pdf",
		"tag:leakboard.example.org,2017:dump-9": "https://leakboard.example.org/board/dumps/9.html https://leakboard.example.org/board/dumps/9.html",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: URI and URLs %q, want %q", id, got[id], w)
		}
	}
}

// A JSON Feed item with invalid UTF-8 (a Latin-1 title pasted into a UTF-8 feed) was emitted
// with U+FFFD in its title; it is a Bad record naming the item, and the other items are posts.
func TestJSONFeedInvalidUTF8ItemIsBad(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/feed+json")
		_, _ = w.Write([]byte("{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"LeakBoard\",\"items\":[" +
			"{\"id\":\"d-2\",\"url\":\"https://leakboard.example.org/d/2\",\"title\":\"Courriels de l'\xe9quipe\",\"date_published\":\"2017-05-05T18:40:00Z\"}," +
			"{\"id\":\"d-1\",\"url\":\"https://leakboard.example.org/d/1\",\"title\":\"Dump EM\",\"date_published\":\"2017-05-05T18:35:00Z\"}]}"))
	}))
	defer ts.Close()
	s, _ := newTestSource(t, FeedConfig{URL: ts.URL + "/feed.json"})
	var posts, bad []string
	for _, r := range readN(t, s, 2) {
		switch {
		case r.Post != nil:
			posts = append(posts, r.Post.ID+" "+r.Post.Text)
		case r.Bad != nil:
			bad = append(bad, r.Bad.Ref+": "+r.Bad.Err.Error()+" raw kept "+strconv.FormatBool(strings.Contains(string(r.Bad.Raw), "l'\xe9quipe")))
		}
	}
	if len(posts) != 1 || posts[0] != "d-1 Dump EM" {
		t.Errorf("posts %q, want only d-1", posts)
	}
	want := "feed " + ts.URL + "/feed.json item 1 (d-2): invalid UTF-8 at byte 78 raw kept true"
	if len(bad) != 1 || bad[0] != want {
		t.Errorf("bad records %q, want %q", bad, want)
	}
}

// A CMS that gives every item the same guid had all items after the first dropped in
// silence. Items sharing a guid with different links are each emitted once, and not again on
// the next poll, also when the guid was unique at the first poll.
func TestItemsSharingAGuid(t *testing.T) {
	fs := &feedServer{}
	item := func(n string) string {
		return `<item><title>Communiqué ` + n + `</title><link>https://www.claire-durand.example/presse/` + n + `</link>` +
			`<guid isPermaLink="false">https://www.claire-durand.example/presse/</guid><pubDate>Fri, 05 May 2017 1` + n + `:00:00 +0000</pubDate></item>`
	}
	doc := func(items ...string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Presse</title>` + strings.Join(items, "") + `</channel></rss>`
	}
	fs.set(doc(item("1")), `"v1"`, "")
	ts := httptest.NewServer(fs)
	defer ts.Close()
	s, _ := newTestSource(t, FeedConfig{URL: ts.URL + "/rss.xml"})
	uris := func(n int) []string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var out []string
		for range n {
			r, err := s.Read(ctx)
			if err != nil {
				t.Fatalf("Read after %q: %v", out, err)
			}
			if r.Post == nil {
				t.Fatalf("record %+v, want a post", r)
			}
			out = append(out, r.Post.URI)
		}
		return out
	}
	if got := uris(1); got[0] != "https://www.claire-durand.example/presse/1" {
		t.Fatalf("first poll: %q", got)
	}
	fs.set(doc(item("3"), item("2"), item("1")), `"v2"`, "")
	if got := strings.Join(uris(2), " "); got != "https://www.claire-durand.example/presse/2 https://www.claire-durand.example/presse/3" {
		t.Fatalf("second poll: %q, want items 2 and 3 once each, not item 1 again", got)
	}
	fs.set(doc(item("4"), item("3"), item("2"), item("1")), `"v3"`, "")
	if got := uris(1); got[0] != "https://www.claire-durand.example/presse/4" {
		t.Fatalf("third poll: %q, want only item 4", got)
	}
}
