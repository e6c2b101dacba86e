package twitter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/collectors"
)

// The worked example of Twitter's "Creating a signature" guide.
func TestOAuth1Signature(t *testing.T) {
	o := oauth1{
		consumerKey:    "xvz1evFS4wEEPTGEFPHBog",
		consumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
		token:          "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
		tokenSecret:    "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
	}
	h, err := o.header("POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
		url.Values{"status": {"Hello Ladies + Gentlemen, a signed OAuth request!"}},
		time.Unix(1318622958, 0), "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h, `oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"`) {
		t.Errorf("header %s lacks the guide's signature hCtSmYh+iHYCEqBWrE7C7hYmtUk=", h)
	}
	if !strings.HasPrefix(h, `OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce=`) {
		t.Errorf("header = %s", h)
	}
}

func v1Config(t *testing.T, base string) V1Config {
	for _, k := range []string{"CK", "CS", "AT", "AS"} {
		t.Setenv("LEAKWATCH_TEST_"+k, "secret-"+k)
	}
	c := DefaultV1Config()
	c.BaseURL = base
	c.ConsumerKeyEnv, c.ConsumerSecretEnv, c.AccessTokenEnv, c.AccessSecretEnv = "LEAKWATCH_TEST_CK", "LEAKWATCH_TEST_CS", "LEAKWATCH_TEST_AT", "LEAKWATCH_TEST_AS"
	c.Track = []string{"#MacronLeaks", "macron leaks"}
	c.Follow = []string{"785533418"}
	c.StallTimeout = 2 * time.Second
	return c
}

func TestV1StreamEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var forms []url.Values
	conns := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/1.1/statuses/filter.json" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		auth := r.Header.Get("Authorization")
		if !strings.Contains(auth, `oauth_consumer_key="secret-CK"`) || !strings.Contains(auth, `oauth_token="secret-AT"`) || !strings.Contains(auth, "oauth_signature=") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.ParseForm()
		mu.Lock()
		forms = append(forms, r.PostForm)
		conns++
		n := conns
		mu.Unlock()
		switch n {
		case 1:
			replay(t, "v1/stream.txt", false)(w, r) // ends with a disconnect notice (code 4, stall)
		case 2:
			w.WriteHeader(420) // Enhance Your Calm, in the past: the backoff applies
			io.WriteString(w, "Exceeded connection limit for user")
		default:
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, string(read(t, "v1/reply_extended_mode.json"))+"\r\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()

	reg := prometheus.NewPedanticRegistry()
	metrics := collectors.NewMetrics(reg)
	past := func() time.Time { return time.Unix(1494010000, 0) } // 420's retry time lies in the past
	src, err := NewV1Stream(v1Config(t, srv.URL), Options{Metrics: metrics, Now: past})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var seq []string
	emit := func(ctx context.Context, r collectors.Record) error {
		switch {
		case r.Post != nil:
			seq = append(seq, r.Post.ID)
			if r.Post.ObservedAt != past().UTC() {
				t.Errorf("observed_at = %v", r.Post.ObservedAt)
			}
		case r.Bad != nil:
			seq = append(seq, "bad: "+r.Bad.Err.Error())
		}
		if len(seq) == 5 {
			cancel()
		}
		return nil
	}
	if err := collectors.Run(ctx, src, emit, collectors.RunOptions{Config: fastRun(), Metrics: metrics}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"860558958722088960",
		"860559067518001152",
		"bad: tweet 860561: invalid UTF-8 at byte 77",
		"860562250831446016",
		"860564113002123264", // after the disconnect notice and the 420
	}
	if strings.Join(seq, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(seq, "\n"), strings.Join(want, "\n"))
	}
	if conns != 3 {
		t.Errorf("%d connections, want 3", conns)
	}
	if f := forms[0]; f.Get("track") != "#MacronLeaks,macron leaks" || f.Get("follow") != "785533418" || f.Get("stall_warnings") != "true" {
		t.Errorf("form = %v", f)
	}
	notices := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "leakwatch_collector_notices_total" {
			continue
		}
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if l.GetName() == "kind" {
					notices[l.GetValue()] = m.Counter.GetValue()
				}
			}
		}
	}
	wantN := map[string]float64{"delete": 1, "limit": 1, "stall_warning": 1, "withheld": 1, "disconnect": 1}
	for k, v := range wantN {
		if notices[k] != v {
			t.Errorf("notices %s = %v, want %v (all: %v)", k, notices[k], v, notices)
		}
	}
}

func TestV1RevokedTokenStops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"disconnect":{"code":6,"stream_name":"leakwatch-filter","reason":"token revoked for userId 785533418"}}`+"\r\n")
	}))
	defer srv.Close()
	src, err := NewV1Stream(v1Config(t, srv.URL), Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = collectors.Run(context.Background(), src, func(context.Context, collectors.Record) error { return nil }, collectors.RunOptions{Config: fastRun()})
	if err == nil || !collectors.IsPermanent(err) || !strings.Contains(err.Error(), "code 6 (token revoked)") {
		t.Fatalf("err = %v, want a permanent stop naming the revoked token", err)
	}
}

func TestV1ConfigValidate(t *testing.T) {
	ok := DefaultV1Config()
	ok.Track = []string{"x"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid: %v", err)
	}
	tests := []struct {
		field  string
		mutate func(*V1Config)
	}{
		{"name", func(c *V1Config) { c.Name = "" }},
		{"base_url", func(c *V1Config) { c.BaseURL = "ftp://x" }},
		{"access_secret_file", func(c *V1Config) { c.AccessSecretEnv = "" }},
		{"track", func(c *V1Config) { c.Track = nil }},
		{"follow[0]", func(c *V1Config) { c.Follow = []string{"@JackPosobiec"} }},
		{"stall_timeout", func(c *V1Config) { c.StallTimeout = -1 }},
	}
	for _, tc := range tests {
		c := ok
		tc.mutate(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.field+":") {
			t.Errorf("%s: err = %v", tc.field, err)
		}
	}
}
