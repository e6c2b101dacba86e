package sites

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/collectors/internal/collectortest"
)

// secret is what an internal-only service (cloud metadata, ClickHouse's HTTP port) answers.
const secret = "AccessKeyId: AKIAINTERNALSECRET"

// internalService counts its requests: a refused fetch must not reach it at all.
func internalService(t *testing.T) (*httptest.Server, *atomic.Int32) {
	return collectortest.InternalService(t, "text/plain", secret+"\n")
}

// guardedWatcher uses the production transport (no WithHTTPClient), so connections go
// through the guard's dialler Control function.
func guardedWatcher(t *testing.T, tgt Target) *Watcher {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DNS = false
	cfg.Interval = time.Minute
	cfg.Timeout = 3 * time.Second // 169.254.169.254 would otherwise hang a check for 30 s
	cfg.Targets = []Target{tgt}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: start}
	w.now, w.after = clock.now, clock.after
	if err := w.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	return w
}

// A watched site (at a literal 127.0.0.1 in the config: the operator's choice, fetched
// without the option) redirects to an internal service, to the cloud metadata address or to
// a non-HTTP scheme. The redirect is refused, the target is reported unreachable with an
// error naming the address and the redirect, and nothing of the internal service shows.
func TestRedirectIntoPrivateNetworkRefused(t *testing.T) {
	internal, internalHits := internalService(t)
	for _, tc := range []struct {
		name, location string
		want           []string
	}{
		{"loopback", internal.URL + "/latest/meta-data/iam/security-credentials/",
			[]string{"refused: " + internal.Listener.Addr().String() + " is a loopback address",
				"reached by the redirect 302 " + internal.URL + "/latest/meta-data/iam/security-credentials/ from http://127.0.0.1:"}},
		{"metadata", "http://169.254.169.254/latest/meta-data/",
			[]string{"refused: 169.254.169.254:80 is a link-local address (cloud metadata lives there)",
				"reached by the redirect 302 http://169.254.169.254/latest/meta-data/ from http://127.0.0.1:"}},
		{"scheme", "file:///etc/passwd", []string{"refused: redirect to file:///etc/passwd: only http and https"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var siteHits atomic.Int32
			site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				siteHits.Add(1)
				http.Redirect(w, r, tc.location, http.StatusFound)
			}))
			defer site.Close()
			w := guardedWatcher(t, Target{ID: "dump-site", URL: site.URL + "/"})
			ch := next(t, w)
			if !changedIs(ch.Changed, "unreachable") || ch.Status != 0 {
				t.Fatalf("changed %v status %d error %q, want unreachable", ch.Changed, ch.Status, ch.Error)
			}
			for _, want := range tc.want {
				if !strings.Contains(ch.Error, want) {
					t.Errorf("error %q\nwant it to contain %q", ch.Error, want)
				}
			}
			if tc.name != "scheme" && !strings.Contains(ch.Error, "set allow_private_networks on the target") {
				t.Errorf("error %q does not say how to allow it", ch.Error)
			}
			if siteHits.Load() == 0 {
				t.Error("the site at the configured literal IP was not fetched")
			}
			if b, _ := json.Marshal(ch); strings.Contains(string(b), "AKIA") || internalHits.Load() != 0 {
				t.Fatalf("internal service reached (%d requests): %s", internalHits.Load(), b)
			}
		})
	}
}

// A host name that resolves to a loopback address is refused as a redirect to one is: the
// check is on the address dialled, whatever name led there.
func TestNameResolvingToLoopbackRefused(t *testing.T) {
	internal, hits := internalService(t)
	port := collectortest.Port(internal)
	url := "http://localhost:" + port + "/"
	w := guardedWatcher(t, Target{ID: "local-name", URL: url})
	ch := next(t, w)
	if !changedIs(ch.Changed, "unreachable") || !strings.Contains(ch.Error, "GET "+url+": refused: ") ||
		!strings.Contains(ch.Error, ":"+port+" is a loopback address") {
		t.Fatalf("changed %v error %q, want unreachable naming the URL and the loopback address", ch.Changed, ch.Error)
	}
	if hits.Load() != 0 {
		t.Fatalf("internal service reached %d times", hits.Load())
	}
}

// With allow_private_networks the operator's internal site is fetched, redirects to other
// private addresses included.
func TestAllowPrivateNetworks(t *testing.T) {
	internal, hits := internalService(t)
	port := collectortest.Port(internal)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/status", http.StatusFound)
	}))
	defer site.Close()
	for _, url := range []string{"http://localhost:" + port + "/", site.URL + "/"} {
		w := guardedWatcher(t, Target{ID: "intranet", URL: url, AllowPrivateNetworks: true})
		before := hits.Load()
		if _, err := readUntil(w, func() bool { return hits.Load() > before }); err != context.Canceled {
			t.Fatalf("%s: read: %v", url, err)
		}
		if p := w.targets[0].prev; p == nil || p.err != nil || p.status != 200 || strings.Join(p.lines, "\n") != secret {
			t.Fatalf("%s: check %+v, want the internal page as baseline", url, p)
		}
	}
}

// A test client with its own dial function (the rig's) is guarded too: the connection is
// checked by the address it reached.
func TestCustomDialerGuarded(t *testing.T) {
	r := newRig(t)
	r.pages.handle("www.claire-durand.example/", htmlAt("<p>internal</p>"))
	cfg := DefaultConfig()
	cfg.DNS = false
	cfg.Targets = []Target{campaign}
	w, err := New(cfg, WithHTTPClient(r.net.client(nil)))
	if err != nil {
		t.Fatal(err)
	}
	w.now, w.after = r.clock.now, r.clock.after
	_ = w.Connect(context.Background())
	ch := next(t, w)
	if !changedIs(ch.Changed, "unreachable") || !strings.Contains(ch.Error, "refused: "+r.srv.Listener.Addr().String()+" is a loopback address") {
		t.Fatalf("changed %v error %q", ch.Changed, ch.Error)
	}
	if n := r.pages.hits("www.claire-durand.example/"); n != 0 {
		t.Fatalf("server reached %d times", n)
	}
}
