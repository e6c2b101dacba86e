package twitter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
)

// fakeAPI is a local stand-in for api.twitter.com: the rules endpoints keep rules in memory,
// and each stream connection plays the next scripted response.
type fakeAPI struct {
	t      *testing.T
	token  string
	mu     sync.Mutex
	rules  []ruleWithID
	nextID int
	conns  []func(w http.ResponseWriter, r *http.Request)
	n      int
	query  string
	reject map[string]string // rule value -> reason the server refuses it
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`)
		return
	}
	switch r.URL.Path {
	case "/2/tweets/search/stream/rules":
		f.rulesHandler(w, r)
	case "/2/tweets/search/stream":
		f.mu.Lock()
		f.query = r.URL.RawQuery
		i := f.n
		f.n++
		f.mu.Unlock()
		if i >= len(f.conns) {
			i = len(f.conns) - 1
		}
		f.conns[i](w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeAPI) rulesHandler(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	meta := map[string]any{"sent": "2023-05-02T14:00:00.000Z"}
	if r.Method == http.MethodGet {
		meta["result_count"] = len(f.rules)
		json.NewEncoder(w).Encode(map[string]any{"data": f.rules, "meta": meta})
		return
	}
	var body struct {
		Add    []Rule `json:"add"`
		Delete *struct {
			IDs []string `json:"ids"`
		} `json:"delete"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if body.Delete != nil {
		n := 0
		for _, id := range body.Delete.IDs {
			for i, ru := range f.rules {
				if ru.ID == id {
					f.rules = append(f.rules[:i], f.rules[i+1:]...)
					n++
					break
				}
			}
		}
		meta["summary"] = map[string]int{"deleted": n, "not_deleted": len(body.Delete.IDs) - n}
		json.NewEncoder(w).Encode(map[string]any{"meta": meta})
		return
	}
	var data []ruleWithID
	var errs []map[string]any
	for _, a := range body.Add {
		if reason, ok := f.reject[a.Value]; ok {
			errs = append(errs, map[string]any{"value": a.Value, "details": []string{reason}, "title": "UnprocessableEntity", "type": "https://api.twitter.com/2/problems/invalid-rules"})
			continue
		}
		dup := false
		for _, ru := range f.rules {
			if ru.Value == a.Value {
				dup = true
				errs = append(errs, map[string]any{"value": a.Value, "id": ru.ID, "title": "DuplicateRule", "type": "https://api.twitter.com/2/problems/duplicate-rules"})
			}
		}
		if !dup {
			f.nextID++
			ru := ruleWithID{ID: strconv.Itoa(1653397820346368000 + f.nextID), Value: a.Value, Tag: a.Tag}
			f.rules = append(f.rules, ru)
			data = append(data, ru)
		}
	}
	meta["summary"] = map[string]int{"created": len(data), "not_created": len(body.Add) - len(data), "valid": len(data), "invalid": len(errs)}
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"data": data, "meta": meta, "errors": errs})
}

// replay writes a recorded stream body in small flushed pieces, as a live stream arrives.
func replay(t *testing.T, file string, hold bool) func(w http.ResponseWriter, r *http.Request) {
	body := read(t, file)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		for len(body) > 0 {
			n := min(len(body), 700)
			chunk := body[:n]
			w.Write(chunk)
			w.(http.Flusher).Flush()
			body = body[n:]
		}
		for hold {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
				io.WriteString(w, "\r\n") // keep-alive
				w.(http.Flusher).Flush()
			}
		}
	}
}

func status(code int, hdr map[string]string, body string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func fastRun() collectors.RunConfig {
	c := collectors.DefaultRunConfig()
	c.InitialBackoff, c.MaxBackoff, c.Jitter = 5*time.Millisecond, 20*time.Millisecond, 0
	return c
}

func v2Config(t *testing.T, base string) V2Config {
	t.Setenv("LEAKWATCH_TEST_BEARER", "AAAA-test-token")
	cfg := DefaultV2Config()
	cfg.BaseURL = base
	cfg.BearerTokenEnv = "LEAKWATCH_TEST_BEARER"
	cfg.Rules = []Rule{{Value: "#FuiteBundestag", Tag: "leaks-de"}, {Value: "(leak OR fuite) has:links lang:fr", Tag: "leaks-fr"}}
	cfg.StallTimeout = 2 * time.Second
	return cfg
}

func TestV2StreamEndToEnd(t *testing.T) {
	api := &fakeAPI{t: t, token: "AAAA-test-token", rules: []ruleWithID{
		{ID: "1", Value: "old rule nobody wants", Tag: "stale"},
		{ID: "2", Value: "#FuiteBundestag", Tag: "leaks-de"},
	}}
	api.conns = []func(http.ResponseWriter, *http.Request){
		replay(t, "v2/stream_first.txt", false),                           // cut mid-line
		status(http.StatusServiceUnavailable, nil, "Service Unavailable"), // back off
		replay(t, "v2/stream_second.txt", true),                           // ends with an operational-disconnect
		replay(t, "v2/stream_second.txt", true),
	}
	srv := httptest.NewServer(api)
	defer srv.Close()

	src, err := NewV2Stream(v2Config(t, srv.URL), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	var got []collectors.Record
	emit := func(ctx context.Context, r collectors.Record) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r)
		if len(got) == 8 {
			cancel()
		}
		return nil
	}
	if err := collectors.Run(ctx, src, emit, collectors.RunOptions{Config: fastRun()}); err != nil {
		t.Fatal(err)
	}

	var seq []string
	for _, r := range got[:8] { // records already buffered when the test cancelled may follow
		switch {
		case r.Post != nil:
			if r.Post.ObservedAt.IsZero() {
				t.Errorf("post %s has no observed_at", r.Post.ID)
			}
			seq = append(seq, r.Post.ID)
		case r.Bad != nil:
			if r.Bad.Source != "twitter-v2" || !strings.Contains(r.Bad.Ref, "/2/tweets/search/stream?") {
				t.Errorf("bad record does not name source and stream: %+v", r.Bad)
			}
			seq = append(seq, "bad("+strings.SplitN(r.Bad.Ref, " line ", 2)[1]+"): "+r.Bad.Err.Error())
		}
	}
	want := []string{
		"1653398580986417152",
		"1653398702528954368",
		"bad(5): tweet 1653399000000000000: decode v2 JSON: unexpected end of JSON input",
		"1653402432552800256",
		"bad(8): tweet 1653398702528954368: decode v2 JSON: unexpected end of JSON input", // the line cut by the drop
		"1653398702528954368", // after the 503 and the reconnect
		"bad(3): v2 response: payload holds only errors: operational-disconnect: UpstreamOperationalDisconnect: This stream has been disconnected upstream for operational reasons.",
		"1653398702528954368", // reconnected after the disconnect notice, without waiting for the server to close
	}
	if strings.Join(seq, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(seq, "\n"), strings.Join(want, "\n"))
	}
	if api.n != 4 {
		t.Errorf("%d stream connections, want 4", api.n)
	}
	for _, p := range []string{"expansions=author_id%2Creferenced_tweets.id%2C", "tweet.fields=created_at%2C", "user.fields=created_at%2Cusername"} {
		if !strings.Contains(api.query, p) {
			t.Errorf("stream query %q lacks %q", api.query, p)
		}
	}
	var values []string
	for _, r := range api.rules {
		values = append(values, r.Value+"|"+r.Tag)
	}
	if strings.Join(values, ",") != "#FuiteBundestag|leaks-de,(leak OR fuite) has:links lang:fr|leaks-fr" {
		t.Errorf("rules on the server = %v", values)
	}
}

func TestSyncRules(t *testing.T) {
	api := &fakeAPI{t: t, token: "tok", rules: []ruleWithID{
		{ID: "1", Value: "a", Tag: "old-tag"},
		{ID: "2", Value: "b"},
		{ID: "3", Value: "unlisted"},
	}, reject: map[string]string{"(fuite OR leak has:links": "Mismatched parenthesis (at position 1)"}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	ctx := context.Background()
	want := []Rule{{Value: "a", Tag: "new-tag"}, {Value: "b"}, {Value: "c", Tag: "t"}}
	tests := []struct {
		name   string
		rules  []Rule
		prune  bool
		change RuleChange
		server string
		err    string
	}{
		{name: "keep unlisted without prune", rules: want, change: RuleChange{Added: 2, Deleted: 1, Kept: 1}, server: "b|,unlisted|,a|new-tag,c|t"},
		{name: "second run changes nothing", rules: want, change: RuleChange{Kept: 3}, server: "b|,unlisted|,a|new-tag,c|t"},
		{name: "prune deletes unlisted", rules: want, prune: true, change: RuleChange{Deleted: 1, Kept: 3}, server: "b|,a|new-tag,c|t"},
		// The server's reason, not only its title ("UnprocessableEntity"), says what to fix.
		{name: "rejected rule is named with the reason", rules: append(want, Rule{Value: "(fuite OR leak has:links"}), prune: true,
			err: `rule "(fuite OR leak has:links" rejected: UnprocessableEntity: Mismatched parenthesis (at position 1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := SyncRules(ctx, srv.Client(), srv.URL, "tok", tc.rules, tc.prune, time.Now)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !collectors.IsPermanent(err) {
					t.Fatalf("err = %v, want permanent %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch != tc.change {
				t.Errorf("change = %+v, want %+v", ch, tc.change)
			}
			var s []string
			for _, r := range api.rules {
				s = append(s, r.Value+"|"+r.Tag)
			}
			if strings.Join(s, ",") != tc.server {
				t.Errorf("server rules = %s, want %s", strings.Join(s, ","), tc.server)
			}
		})
	}
}

func TestV2StreamConnectErrors(t *testing.T) {
	reset := time.Now().Add(7 * time.Minute).Truncate(time.Second)
	tests := []struct {
		name      string
		handler   func(http.ResponseWriter, *http.Request)
		token     string
		permanent bool
		retryAt   time.Time
		want      string
	}{
		{name: "bad token", token: "wrong", permanent: true, want: "HTTP 401"},
		{name: "rate limited", handler: status(http.StatusTooManyRequests, map[string]string{"x-rate-limit-reset": strconv.FormatInt(reset.Unix(), 10)},
			`{"title":"ConnectionException","detail":"This stream is currently at the maximum allowed connection limit.","connection_issue":"TooManyConnections","type":"https://api.twitter.com/2/problems/streaming-connection"}`),
			retryAt: reset, want: "HTTP 429: {\"title\":\"ConnectionException\""},
		{name: "server error", handler: status(http.StatusBadGateway, nil, "bad gateway"), want: "HTTP 502: bad gateway"},
		{name: "not enrolled", handler: status(http.StatusForbidden, nil, `{"client_id":"1","reason":"client-not-enrolled"}`), permanent: true, want: "HTTP 403"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeAPI{t: t, token: "AAAA-test-token", rules: []ruleWithID{{ID: "1", Value: "#FuiteBundestag", Tag: "leaks-de"}, {ID: "2", Value: "(leak OR fuite) has:links lang:fr", Tag: "leaks-fr"}}}
			api.conns = []func(http.ResponseWriter, *http.Request){tc.handler}
			srv := httptest.NewServer(api)
			defer srv.Close()
			cfg := v2Config(t, srv.URL)
			if tc.token != "" {
				t.Setenv("LEAKWATCH_TEST_BEARER", tc.token)
			}
			src, err := NewV2Stream(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = src.Connect(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if collectors.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v, want %v", collectors.IsPermanent(err), tc.permanent)
			}
			at, ok := collectors.RetryAfterTime(err)
			if ok != !tc.retryAt.IsZero() || ok && !at.Equal(tc.retryAt) {
				t.Errorf("retry after = %v %v, want %v", at, ok, tc.retryAt)
			}
		})
	}
}

func TestV2StreamStall(t *testing.T) {
	api := &fakeAPI{t: t, token: "AAAA-test-token"}
	api.conns = []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // headers, then silence
	}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	cfg := v2Config(t, srv.URL)
	cfg.StallTimeout = 100 * time.Millisecond
	src, err := NewV2Stream(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer src.Close(context.Background())
	_, err = src.Read(context.Background())
	if !errors.Is(err, collectors.ErrNotConnected) || !strings.Contains(err.Error(), "stalled, nothing received for 100ms") {
		t.Fatalf("err = %v, want a stall", err)
	}
}

func TestV2ConfigValidate(t *testing.T) {
	ok := DefaultV2Config()
	ok.Rules = []Rule{{Value: "x"}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	tests := []struct {
		field  string
		mutate func(*V2Config)
	}{
		{"name", func(c *V2Config) { c.Name = "" }},
		{"base_url", func(c *V2Config) { c.BaseURL = "api.twitter.com" }},
		{"bearer_token_file", func(c *V2Config) { c.BearerTokenEnv = "" }},
		{"rules", func(c *V2Config) { c.Rules = nil }},
		{"rules[1].value", func(c *V2Config) { c.Rules = []Rule{{Value: "x"}, {Value: " "}} }},
		{"rules[1].value", func(c *V2Config) { c.Rules = []Rule{{Value: "x"}, {Value: "x"}} }},
		{"backfill_minutes", func(c *V2Config) { c.BackfillMinutes = 6 }},
		{"stall_timeout", func(c *V2Config) { c.StallTimeout = 0 }},
		{"max_line_bytes", func(c *V2Config) { c.MaxLineBytes = 10 }},
	}
	for _, tc := range tests {
		c := ok
		tc.mutate(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.field+":") {
			t.Errorf("%s: err = %v", tc.field, err)
		}
	}
}
