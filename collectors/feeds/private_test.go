package feeds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/collectortest"
	"github.com/leakwatch/leakwatch/collectors/internal/netguard"
)

// internalFeed is an internal-only service; it answers with a feed so that, reached, its
// content would come out as a post.
func internalFeed(t *testing.T) (*httptest.Server, *atomic.Int32) {
	return collectortest.InternalService(t, "application/rss+xml", `<rss version="2.0"><channel><title>metadata</title><item><guid>1</guid>`+
		`<title>AccessKeyId AKIAINTERNALSECRET</title></item></channel></rss>`)
}

// guardedSource uses the production client, with a short timeout: without the guard
// 169.254.169.254 would hang the poll for Config.Timeout.
func guardedSource(t *testing.T, section bool, feeds ...FeedConfig) *Source {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Timeout = 3 * time.Second
	cfg.Feeds = feeds
	cfg.AllowPrivateNetworks = section
	s, _ := startSource(t, cfg)
	return s
}

// A feed (at a literal 127.0.0.1 in the config: the operator's choice, polled without the
// option) redirects to an internal service or to the cloud metadata address. The poll fails
// like any failed fetch (collectors.Partial, the feed backs off), with an error naming the
// address and the redirect, and nothing of the internal service comes out.
func TestRedirectIntoPrivateNetworkRefused(t *testing.T) {
	internal, hits := internalFeed(t)
	for _, tc := range []struct{ name, location, want string }{
		{"loopback", internal.URL + "/latest/meta-data/", "refused: " + internal.Listener.Addr().String() + " is a loopback address"},
		{"metadata", "http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254:80 is a link-local address (cloud metadata lives there)"},
		{"scheme", "gopher://example.org/", "refused: redirect to gopher://example.org/: only http and https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tc.location, http.StatusFound)
			}))
			defer site.Close()
			s := guardedSource(t, false, FeedConfig{URL: site.URL + "/feed"})
			rec, err := s.Read(context.Background())
			if err == nil || collectors.IsPermanent(err) {
				t.Fatalf("Read = %+v, %v; want a failed poll", rec, err)
			}
			msg := err.Error()
			for _, want := range []string{"feed " + site.URL + "/feed: ", tc.want} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q\nwant it to contain %q", msg, want)
				}
			}
			if tc.name != "scheme" && (!strings.Contains(msg, "reached by the redirect to "+tc.location+" from "+site.URL+"/feed") ||
				!strings.Contains(msg, "set allow_private_networks on the feed")) {
				t.Errorf("error %q does not name the redirect or the option", msg)
			}
			if s.feeds[0].fails != 1 {
				t.Errorf("feed fails = %d, want 1 (backed off like any failed poll)", s.feeds[0].fails)
			}
			if hits.Load() != 0 || strings.Contains(msg, "AKIA") {
				t.Fatalf("internal service reached %d times: %s", hits.Load(), msg)
			}
		})
	}
}

// A host name resolving to loopback is refused as a redirect to it is.
func TestNameResolvingToLoopbackRefused(t *testing.T) {
	internal, hits := internalFeed(t)
	port := collectortest.Port(internal)
	url := "http://localhost:" + port + "/feed"
	s := guardedSource(t, false, FeedConfig{URL: url})
	_, err := s.Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "feed "+url+": refused: ") || !strings.Contains(err.Error(), ":"+port+" is a loopback address") {
		t.Fatalf("Read: %v; want a refusal naming the feed and the loopback address", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("internal service reached %d times", hits.Load())
	}
}

// allow_private_networks, on the feed or on the section, lets an operator's internal feed
// be polled, redirects to private addresses included. A feed without it stays guarded.
func TestAllowPrivateNetworks(t *testing.T) {
	internal, _ := internalFeed(t)
	port := collectortest.Port(internal)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/feed", http.StatusFound)
	}))
	defer site.Close()
	for _, tc := range []struct {
		name    string
		section bool
		feed    FeedConfig
	}{
		{"feed by name", false, FeedConfig{URL: "http://localhost:" + port + "/feed", AllowPrivateNetworks: true}},
		{"feed by redirect", false, FeedConfig{URL: site.URL + "/feed", AllowPrivateNetworks: true}},
		{"section", true, FeedConfig{URL: site.URL + "/feed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := guardedSource(t, tc.section, tc.feed)
			rec, err := s.Read(context.Background())
			if err != nil || rec.Post == nil || !strings.Contains(rec.Post.Text, "AKIAINTERNALSECRET") {
				t.Fatalf("Read = %+v, %v; want the internal feed's item", rec, err)
			}
		})
	}
	// The option is per feed: another feed of the same source is still refused.
	s := guardedSource(t, false,
		FeedConfig{URL: "http://localhost:" + port + "/feed", AllowPrivateNetworks: true},
		FeedConfig{URL: site.URL + "/other"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel() // unguarded, the second feed is read and Read then polls on for ever
	var refused error
	for range 3 {
		if _, err := s.Read(ctx); err != nil {
			refused = err
			break
		}
	}
	if _, ok := netguard.Refused(refused); !ok || !strings.Contains(refused.Error(), site.URL+"/other: refused: ") {
		t.Fatalf("guarded feed next to an allowed one: %v", refused)
	}
}
