package sites

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
)

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type rig struct {
	pages *pages
	net   *testNet
	dns   *fakeDNS
	clock *fakeClock
	srv   *httptest.Server
}

// newRig starts a plain HTTP test server that every host name resolves to.
func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{pages: newPages(), dns: newFakeDNS(), clock: &fakeClock{t: start}}
	r.srv = httptest.NewServer(r.pages)
	t.Cleanup(r.srv.Close)
	r.net = &testNet{addr: r.srv.Listener.Addr().String()}
	return r
}

func (r *rig) watcher(t *testing.T, roots *x509.CertPool, targets ...Target) *Watcher {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Targets = allowPrivate(targets)
	cfg.Interval = time.Minute
	w, err := New(cfg, WithHTTPClient(r.net.client(roots)), WithResolver(r.dns))
	if err != nil {
		t.Fatal(err)
	}
	w.now, w.after = r.clock.now, r.clock.after
	if err := w.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

// readUntil reads from w, stopping the read at the first wait at which stop says so. The
// fake clock makes every wait instant, and the read is stopped between checks, never while a
// response is on its way (a check cancelled then would be abandoned).
func readUntil(w *Watcher, stop func() bool) (collectors.Record, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	after := w.after
	w.after = func(d time.Duration) <-chan time.Time {
		if stop() {
			cancel()
			return nil // never fires: Read returns through ctx
		}
		return after(d)
	}
	defer func() { w.after = after }()
	return w.Read(ctx)
}

// next reads the next change. A change that never comes would spin Read forever on the
// instant clock: next gives up after maxChecks waits and fails instead.
func next(t *testing.T, w *Watcher) *leakwatch.SiteChange {
	t.Helper()
	waits := 0
	rec, err := readUntil(w, func() bool { waits++; return waits > maxChecks })
	if errors.Is(err, context.Canceled) {
		t.Fatalf("Read: no change in %d checks", maxChecks)
	}
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if rec.Change == nil {
		t.Fatalf("Read returned %+v, want a site change", rec)
	}
	return rec.Change
}

const maxChecks = 100

// quiet reads until the watcher has finished `checks` more checks of hostPath and asserts that
// no change came out in the meantime. It stops the read when the watcher next waits, not when
// the server sees the request: a read cancelled while the response is still on its way
// abandons that check, and the check quiet waited for (a baseline, say) would never be kept.
func quiet(t *testing.T, w *Watcher, r *rig, hostPath string, checks int) {
	t.Helper()
	target := r.pages.hits(hostPath) + checks
	rec, err := readUntil(w, func() bool { return r.pages.hits(hostPath) >= target })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("expected no change over %d checks, got %+v (err %v)", checks, rec.Change, err)
	}
}

var campaign = Target{ID: "durand-2017", URL: "http://www.claire-durand.example/", Watch: []string{"#content"}, Ignore: []string{".latest", "footer"}}

func TestBaselineThenNormalEdit(t *testing.T) {
	r := newRig(t)
	v1, v2 := readFile(t, "candidate-v1.html"), readFile(t, "candidate-v2-edit.html")
	r.pages.handle("www.claire-durand.example/", htmlAt(v1, v1, v2))
	w := r.watcher(t, nil, campaign)

	ch := next(t, w)
	if got := r.pages.hits("www.claire-durand.example/"); got != 3 {
		t.Fatalf("change came after %d checks, want 3 (baseline and an identical check emit nothing)", got)
	}
	if !changedIs(ch.Changed, "content") || ch.Defacement || len(ch.Reasons) != 0 {
		t.Fatalf("changed %v defacement %v reasons %v; want only content, no defacement", ch.Changed, ch.Defacement, ch.Reasons)
	}
	wantDiff := `--- previous
+++ current
@@ -1,4 +1,4 @@
 Notre programme pour la France
 Nous proposons une réforme du travail, une école exigeante et une Europe qui protège.
-Rendez-vous au meeting de Paris, dimanche à 15 heures, porte de Versailles.
+Rendez-vous au meeting de Paris, samedi à 18 heures, à Bercy.
 Consultez le programme complet et la liste officielle.
`
	if ch.Diff != wantDiff {
		t.Errorf("diff:\n%s\nwant:\n%s", ch.Diff, wantDiff)
	}
	if ch.Target != "durand-2017" || ch.Status != 200 || ch.Title != "Claire Durand – Présidentielle 2017" {
		t.Errorf("target %q status %d title %q", ch.Target, ch.Status, ch.Title)
	}
	if ch.PrevTextHash == "" || ch.PrevTextHash == ch.TextHash || len(ch.RawHash) != 64 {
		t.Errorf("hashes prev %q text %q raw %q", ch.PrevTextHash, ch.TextHash, ch.RawHash)
	}
	if got := strings.Join(ch.LinkDomains, " "); got != "claire-durand.example conseil-constitutionnel.fr" {
		t.Errorf("link domains %q (the ignored .latest box must not count)", got)
	}
	if got := strings.Join(ch.ScriptDomains, " "); got != "claire-durand.example googletagmanager.com" {
		t.Errorf("script domains %q", got)
	}
	if want := start.Add(2 * time.Minute); !ch.ObservedAt.Equal(want) {
		t.Errorf("observed at %v, want %v", ch.ObservedAt, want)
	}
}

func TestIgnoredRegionChangesDoNotEmit(t *testing.T) {
	r := newRig(t)
	v1, ign := readFile(t, "candidate-v1.html"), readFile(t, "candidate-v1-ignored.html")
	// Alternate between two pages that differ only outside #content, in .latest and in the clock.
	r.pages.handle("www.claire-durand.example/", func(n int, w http.ResponseWriter, req *http.Request) {
		htmlAt(v1, ign)(n%2, w, req)
	})
	w := r.watcher(t, nil, campaign)
	quiet(t, w, r, "www.claire-durand.example/", 6)

	// The same alternation inside the watched text does emit: the rig can see changes.
	edit := readFile(t, "candidate-v2-edit.html")
	r.pages.handle("www.claire-durand.example/", func(n int, w http.ResponseWriter, req *http.Request) {
		htmlAt(v1, edit)(n%2, w, req)
	})
	if ch := next(t, w); !changedIs(ch.Changed, "content") {
		t.Fatalf("changed %v", ch.Changed)
	}
}

func TestDefacement(t *testing.T) {
	r := newRig(t)
	r.pages.handle("www.claire-durand.example/", htmlAt(readFile(t, "candidate-v1.html"), readFile(t, "candidate-defaced.html")))
	w := r.watcher(t, nil, campaign)
	ch := next(t, w)
	if !changedIs(ch.Changed, "content", "title", "links", "scripts") {
		t.Errorf("changed %v", ch.Changed)
	}
	if !ch.Defacement {
		t.Fatalf("defacement not flagged; reasons %v", ch.Reasons)
	}
	want := []string{
		"100% of the text replaced",
		`text contains "hacked by"`,
		`title changed to "HaCkEd By GhostSquad" (contains "hacked by")`,
		"new script domain example.ru",
	}
	if strings.Join(ch.Reasons, "\n") != strings.Join(want, "\n") {
		t.Errorf("reasons:\n%s\nwant:\n%s", strings.Join(ch.Reasons, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(ch.Diff, "+Hacked by GhostSquad\n") || !strings.Contains(ch.Diff, "-Notre programme pour la France\n") {
		t.Errorf("diff:\n%s", ch.Diff)
	}
}

func TestRedirectChains(t *testing.T) {
	r := newRig(t)
	// /  -> 301 /fr/ -> 302 /fr/accueil ; later / -> 302 to a parking domain.
	r.pages.handle("durand.example/", func(n int, w http.ResponseWriter, req *http.Request) {
		if n < 2 {
			http.Redirect(w, req, "/fr/", http.StatusMovedPermanently)
			return
		}
		http.Redirect(w, req, "http://parking.example.net/lander?d=durand.example", http.StatusFound)
	})
	r.pages.handle("durand.example/fr/", func(_ int, w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/fr/accueil", http.StatusFound)
	})
	r.pages.handle("durand.example/fr/accueil", htmlAt(readFile(t, "candidate-v1.html")))
	r.pages.handle("parking.example.net/lander", htmlAt(`<html><head><title>durand.example is for sale</title></head><body><p>This domain may be for sale.</p></body></html>`))
	w := r.watcher(t, nil, Target{ID: "durand-short", URL: "http://durand.example/"})

	ch := next(t, w)
	if !changedIs(ch.Changed, "redirects", "content", "title", "links", "scripts") {
		t.Errorf("changed %v", ch.Changed)
	}
	want := []string{"302 http://parking.example.net/lander?d=durand.example"}
	if strings.Join(ch.Redirects, "|") != strings.Join(want, "|") {
		t.Errorf("redirects %q, want %q", ch.Redirects, want)
	}
	if w.targets[0].prev == nil {
		t.Fatal("no previous snapshot")
	}
	// The baseline chain is kept on the target; check it was read in full.
	r.pages.handle("durand.example/", func(n int, w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/fr/", http.StatusMovedPermanently)
	})
	ch = next(t, w)
	wantBack := []string{"301 http://durand.example/fr/", "302 http://durand.example/fr/accueil"}
	if strings.Join(ch.Redirects, "|") != strings.Join(wantBack, "|") || !changedIs(ch.Changed[:1], "redirects") {
		t.Errorf("redirects %q changed %v, want %q", ch.Redirects, ch.Changed, wantBack)
	}
}

func TestServerErrorsAndUnreachable(t *testing.T) {
	r := newRig(t)
	page := readFile(t, "candidate-v1.html")
	var phase atomic.Int32 // 0 ok, 1 503, 2 ok
	r.pages.handle("www.claire-durand.example/", func(n int, w http.ResponseWriter, req *http.Request) {
		if phase.Load() == 1 {
			http.Error(w, "<h1>Service Unavailable</h1><p>hacked by nobody, just down</p>", http.StatusServiceUnavailable)
			return
		}
		htmlAt(page)(n, w, req)
	})
	w := r.watcher(t, nil, campaign)
	quiet(t, w, r, "www.claire-durand.example/", 2)

	phase.Store(1)
	ch := next(t, w)
	if !changedIs(ch.Changed, "status") || ch.Status != 503 || ch.Defacement || ch.Diff != "" {
		t.Fatalf("5xx change: changed %v status %d defacement %v diff %q", ch.Changed, ch.Status, ch.Defacement, ch.Diff)
	}
	quiet(t, w, r, "www.claire-durand.example/", 3) // still 503: nothing new

	phase.Store(2)
	ch = next(t, w)
	if !changedIs(ch.Changed, "status") || ch.Status != 200 {
		t.Fatalf("recovery: changed %v status %d (content equals the last 2xx page)", ch.Changed, ch.Status)
	}

	// The server stops answering: one "unreachable" change, then silence, then recovery.
	r.net.setDown(true)
	w.closeIdle() // a dead server's connections are gone too
	ch = next(t, w)
	if !changedIs(ch.Changed, "unreachable") || !strings.Contains(ch.Error, "connection refused") || ch.Status != 0 {
		t.Fatalf("unreachable: changed %v error %q status %d", ch.Changed, ch.Error, ch.Status)
	}
	hits := r.pages.hits("www.claire-durand.example/")
	ctx, cancel := context.WithCancel(context.Background())
	polls := 0
	w.after = func(d time.Duration) <-chan time.Time {
		if polls++; polls > 5 {
			cancel()
		}
		return r.clock.after(d)
	}
	if _, err := w.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("second unreachable check emitted: %v", err)
	}
	w.after = r.clock.after
	if r.pages.hits("www.claire-durand.example/") != hits {
		t.Fatal("server reached while down")
	}
	r.net.setDown(false)
	ch = next(t, w)
	if !changedIs(ch.Changed, "status") || ch.Status != 200 || ch.Error != "" {
		t.Fatalf("back up: changed %v status %d", ch.Changed, ch.Status)
	}
}

func TestFirstCheckUnreachable(t *testing.T) {
	r := newRig(t)
	r.net.setDown(true)
	w := r.watcher(t, nil, campaign)
	ch := next(t, w)
	if !changedIs(ch.Changed, "unreachable") || ch.Error == "" {
		t.Fatalf("changed %v error %q", ch.Changed, ch.Error)
	}
}

// A target whose first answer is an error (a mistyped path, a site in maintenance from the
// start) is reported once, so the operator learns the page is not being watched; the first
// good page afterwards is reported as a status change and becomes the content baseline.
func TestFirstCheckErrorStatus(t *testing.T) {
	r := newRig(t)
	page := readFile(t, "candidate-v1.html")
	var ok atomic.Bool
	r.pages.handle("www.claire-durand.example/", func(n int, w http.ResponseWriter, req *http.Request) {
		if !ok.Load() {
			http.NotFound(w, req)
			return
		}
		htmlAt(page)(n, w, req)
	})
	w := r.watcher(t, nil, campaign)
	ch := next(t, w)
	if !changedIs(ch.Changed, "status") || ch.Status != 404 || !strings.Contains(ch.Error, "HTTP 404 Not Found at the first check") {
		t.Fatalf("first check 404: changed %v status %d error %q", ch.Changed, ch.Status, ch.Error)
	}
	quiet(t, w, r, "www.claire-durand.example/", 2) // still 404: nothing new
	ok.Store(true)
	ch = next(t, w)
	if !changedIs(ch.Changed, "status") || ch.Status != 200 || ch.Diff != "" {
		t.Fatalf("the page appears: changed %v status %d diff %q", ch.Changed, ch.Status, ch.Diff)
	}
	quiet(t, w, r, "www.claire-durand.example/", 2) // the page is the baseline now
}

func TestTLSCertificateChange(t *testing.T) {
	r := newRig(t)
	host := "www.claire-durand.example"
	oldCert, oldLeaf := selfSigned(t, host, time.Now().Add(30*24*time.Hour).Truncate(time.Second))
	newCert, newLeaf := selfSigned(t, host, time.Now().Add(90*24*time.Hour).Truncate(time.Second))
	var current atomic.Pointer[tls.Certificate]
	current.Store(&oldCert)
	srv := httptest.NewUnstartedServer(r.pages)
	srv.TLS = &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return current.Load(), nil }}
	srv.StartTLS()
	defer srv.Close()
	r.net.addr = srv.Listener.Addr().String()
	roots := x509.NewCertPool()
	roots.AddCert(oldLeaf)
	roots.AddCert(newLeaf)
	r.pages.handle(host+"/", htmlAt(readFile(t, "candidate-v1.html")))

	tgt := campaign
	tgt.URL = "https://" + host + "/"
	w := r.watcher(t, roots, tgt)
	quiet(t, w, r, host+"/", 2)
	if got := w.targets[0].prev.tlsSHA256; got != fingerprint(oldLeaf) {
		t.Fatalf("baseline fingerprint %s, want %s", got, fingerprint(oldLeaf))
	}

	current.Store(&newCert)
	w.closeIdle() // a renewed certificate shows on the next connection
	ch := next(t, w)
	if !changedIs(ch.Changed, "tls") {
		t.Fatalf("changed %v", ch.Changed)
	}
	if ch.TLSSHA256 != fingerprint(newLeaf) || !ch.TLSNotAfter.Equal(newLeaf.NotAfter) {
		t.Errorf("tls %s %v, want %s %v", ch.TLSSHA256, ch.TLSNotAfter, fingerprint(newLeaf), newLeaf.NotAfter)
	}
}

func TestDNSChanges(t *testing.T) {
	r := newRig(t)
	r.dns.ips["www.claire-durand.example"] = []string{"192.0.2.10", "2001:db8::10"}
	r.dns.cname["www.claire-durand.example"] = "durand.cdn.example.net."
	r.dns.mx["claire-durand.example"] = []*net.MX{{Host: "MX1.mail.example.", Pref: 10}}
	r.dns.ns["claire-durand.example"] = []string{"ns1.registrar.example.", "ns2.registrar.example."}
	r.dns.txt["claire-durand.example"] = []string{"v=spf1 include:_spf.mail.example ~all"}
	r.pages.handle("www.claire-durand.example/", htmlAt(readFile(t, "candidate-v1.html")))
	w := r.watcher(t, nil, campaign)
	quiet(t, w, r, "www.claire-durand.example/", 2)

	// A resolver outage is not a change.
	r.dns.mu.Lock()
	r.dns.fail = true
	r.dns.mu.Unlock()
	quiet(t, w, r, "www.claire-durand.example/", 2)

	// Name servers moved to another provider: a hijack looks like this.
	r.dns.mu.Lock()
	r.dns.fail = false
	r.dns.ns["claire-durand.example"] = []string{"ns1.bulletproof.example."}
	r.dns.mu.Unlock()
	ch := next(t, w)
	if !changedIs(ch.Changed, "dns") {
		t.Fatalf("changed %v", ch.Changed)
	}
	want := []string{
		"A 192.0.2.10", "AAAA 2001:db8::10", "CNAME durand.cdn.example.net",
		"MX 10 mx1.mail.example", "NS ns1.bulletproof.example", "TXT v=spf1 include:_spf.mail.example ~all",
	}
	if strings.Join(ch.DNS, "|") != strings.Join(want, "|") {
		t.Errorf("dns %q\nwant %q", ch.DNS, want)
	}

	// While the site is down, a DNS change is still reported (after the one "unreachable").
	r.net.setDown(true)
	w.closeIdle()
	if ch := next(t, w); !changedIs(ch.Changed, "unreachable") {
		t.Fatalf("changed %v, want unreachable", ch.Changed)
	}
	r.dns.mu.Lock()
	r.dns.ips["www.claire-durand.example"] = []string{"203.0.113.66"}
	r.dns.mu.Unlock()
	ch = next(t, w)
	if !changedIs(ch.Changed, "dns") || ch.Error == "" || ch.DNS[0] != "A 203.0.113.66" {
		t.Fatalf("changed %v error %q dns %q", ch.Changed, ch.Error, ch.DNS)
	}
}

// TestDNSAddressRotation: a CDN host answers another part of its pool on every check; only
// addresses it never answered before are a change.
func TestDNSAddressRotation(t *testing.T) {
	r := newRig(t)
	host := "www.claire-durand.example"
	r.dns.ns["claire-durand.example"] = []string{"ns1.registrar.example."}
	r.pages.handle(host+"/", htmlAt(readFile(t, "candidate-v1.html")))
	w := r.watcher(t, nil, campaign)
	setIPs := func(ips ...string) {
		r.dns.mu.Lock()
		r.dns.ips[host] = ips
		r.dns.mu.Unlock()
	}
	setIPs("192.0.2.1", "192.0.2.2", "2001:db8::1")
	quiet(t, w, r, host+"/", 1) // baseline
	for _, answer := range [][]string{
		{"192.0.2.2", "192.0.2.3"},                // one address kept
		{"192.0.2.3", "192.0.2.4", "2001:db8::2"}, // one kept, two new
		{"192.0.2.1", "2001:db8::1"},              // none of the last answer's, but seen before
		{"2001:db8::2"},
	} {
		setIPs(answer...)
		quiet(t, w, r, host+"/", 1)
	}

	// Every address new: the name points elsewhere.
	setIPs("203.0.113.66", "203.0.113.67")
	ch := next(t, w)
	if !changedIs(ch.Changed, "dns") || strings.Join(ch.DNS, "|") != "A 203.0.113.66|A 203.0.113.67|NS ns1.registrar.example" {
		t.Fatalf("changed %v dns %q", ch.Changed, ch.DNS)
	}
	// The new addresses are now the reference: the old pool coming back is a move again.
	setIPs("203.0.113.67")
	quiet(t, w, r, host+"/", 1)
	setIPs("192.0.2.1")
	if ch := next(t, w); !changedIs(ch.Changed, "dns") {
		t.Fatalf("changed %v, want dns", ch.Changed)
	}
}

func TestPlainTextPaste(t *testing.T) {
	r := newRig(t)
	r.pages.handle("paste.example.org/raw/a7Fq2Lk", func(n int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		body := "mirror list\n  mega: https://mega.example.nz/#F!x9GqAB  \n"
		if n > 0 {
			body += "torrent: magnet:?xt=urn:btih:0000\n"
		}
		_, _ = w.Write([]byte(body))
	})
	w := r.watcher(t, nil, Target{ID: "paste-a7fq2lk", URL: "http://paste.example.org/raw/a7Fq2Lk"})
	ch := next(t, w)
	if !changedIs(ch.Changed, "content") || !strings.HasSuffix(ch.Diff, "@@ -1,2 +1,3 @@\n mirror list\n mega: https://mega.example.nz/#F!x9GqAB\n+torrent: magnet:?xt=urn:btih:0000\n") {
		t.Fatalf("changed %v diff:\n%s", ch.Changed, ch.Diff)
	}
}

// A paste served in Latin-1 was read as UTF-8: the defacer's phrase did not match and the
// diff showed U+FFFD.
func TestPlainTextPasteInLatin1(t *testing.T) {
	r := newRig(t)
	r.pages.handle("paste.example.org/raw/b8Gr3Mm", func(n int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=iso-8859-1")
		body := "Communiqu\xe9 de presse\nR\xe9union publique \xe0 Lyon\n"
		if n > 0 {
			body += "Site pirat\xe9 par la Brigade Num\xe9rique\n"
		}
		_, _ = w.Write([]byte(body))
	})
	w := r.watcher(t, nil, Target{ID: "paste-b8gr3mm", URL: "http://paste.example.org/raw/b8Gr3Mm"})
	ch := next(t, w)
	if !changedIs(ch.Changed, "content") || !strings.Contains(ch.Diff, "+Site piraté par la Brigade Numérique\n") || strings.ContainsRune(ch.Diff, '\uFFFD') {
		t.Fatalf("changed %v diff:\n%s", ch.Changed, ch.Diff)
	}
	if !ch.Defacement || !strings.Contains(strings.Join(ch.Reasons, "|"), "piraté par") {
		t.Errorf("defacement %v reasons %q, want the phrase piraté par", ch.Defacement, ch.Reasons)
	}
}

func TestReadNotConnected(t *testing.T) {
	r := newRig(t)
	w := r.watcher(t, nil, campaign)
	_ = w.Close(context.Background())
	if _, err := w.Read(context.Background()); !errors.Is(err, collectors.ErrNotConnected) {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.Targets = []Target{campaign}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no targets", func(c *Config) { c.Targets = nil }, "targets: at least one"},
		{"bad id", func(c *Config) { c.Targets[0].ID = "Durand 2017" }, `targets[0].id: "Durand 2017"`},
		{"dup id", func(c *Config) { c.Targets = append(c.Targets, c.Targets[0]) }, `targets[1].id: "durand-2017" is used twice`},
		{"bad url", func(c *Config) { c.Targets[0].URL = "www.example.org" }, "targets[0].url"},
		{"bad watch", func(c *Config) { c.Targets[0].Watch = []string{"main > p"} }, `targets[0].watch[0]: selector "main > p": '>' at offset 5 is not supported`},
		{"bad ignore", func(c *Config) { c.Targets[0].Ignore = []string{"a[href]"} }, "targets[0].ignore[0]"},
		{"interval", func(c *Config) { c.Targets[0].Interval = time.Second }, "targets[0].interval"},
		{"fraction", func(c *Config) { c.ReplacedFraction = 1.5 }, "replaced_fraction"},
		{"dns timeout", func(c *Config) { c.DNSTimeout = 0 }, "dns_timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			c.Targets = []Target{campaign}
			tc.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCertificateVerification(t *testing.T) {
	r := newRig(t)
	expired := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	cert, leaf := selfSigned(t, "leaks.example.org", expired)
	srv := httptest.NewUnstartedServer(r.pages)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	r.net.addr = srv.Listener.Addr().String()
	r.pages.handle("leaks.example.org/", htmlAt(`<html><head><title>Leaks</title></head><body><p>Index</p></body></html>`))
	roots := x509.NewCertPool()
	roots.AddCert(leaf) // trusted, but expired
	strict := Target{ID: "leaks-strict", URL: "https://leaks.example.org/"}
	lax := Target{ID: "leaks-lax", URL: "https://leaks.example.org/", TLSSkipVerify: true}
	w := r.watcher(t, roots, strict, lax)

	ch := next(t, w)
	if ch.Target != "leaks-strict" || !changedIs(ch.Changed, "unreachable") || !strings.Contains(ch.Error, "expired") {
		t.Fatalf("strict target: %s changed %v error %q", ch.Target, ch.Changed, ch.Error)
	}
	quiet(t, w, r, "leaks.example.org/", 2) // the lax target's baseline and a repeat: no change
	base := w.targets[1].prev
	if base == nil || base.status != 200 || base.tlsSHA256 != fingerprint(leaf) || !base.tlsExpiry.Equal(expired) {
		t.Fatalf("lax target baseline %+v", base)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	r := newRig(t)
	v1, defaced := readFile(t, "candidate-v1.html"), readFile(t, "candidate-defaced.html")
	var phase atomic.Int32
	r.pages.handle("www.claire-durand.example/", func(n int, w http.ResponseWriter, req *http.Request) {
		htmlAt(v1, defaced)(int(phase.Load()), w, req)
	})
	stateFile := t.TempDir() + "/sites.json"
	build := func(tgt Target) *Watcher {
		cfg := DefaultConfig()
		cfg.Targets = allowPrivate([]Target{tgt})
		cfg.StateFile = stateFile
		w, err := New(cfg, WithHTTPClient(r.net.client(nil)), WithResolver(r.dns))
		if err != nil {
			t.Fatal(err)
		}
		w.now, w.after = r.clock.now, r.clock.after
		_ = w.Connect(context.Background())
		return w
	}
	quiet(t, build(campaign), r, "www.claire-durand.example/", 1) // baseline, saved

	// Defaced while the watcher was down: the restarted watcher compares with the saved check.
	phase.Store(1)
	ch := next(t, build(campaign))
	if !ch.Defacement || !changedIs(ch.Changed, "content", "title", "links", "scripts") {
		t.Fatalf("after restart: changed %v defacement %v", ch.Changed, ch.Defacement)
	}

	// A target whose watched parts were reconfigured starts from a new baseline.
	other := campaign
	other.Watch = []string{"body"}
	quiet(t, build(other), r, "www.claire-durand.example/", 2)

	// An empty file, as a crash while saving could leave: new baselines, not a refusal to start.
	if err := os.WriteFile(stateFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	quiet(t, build(campaign), r, "www.claire-durand.example/", 2)

	if err := os.WriteFile(stateFile, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Targets, cfg.StateFile = []Target{campaign}, stateFile
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "sites state "+stateFile) {
		t.Fatalf("corrupt state file: err = %v", err)
	}
}

// A state file whose directory does not exist is refused at start, naming the file and what
// to do, instead of every check failing to save it.
func TestStateFileDirectoryMustExist(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Targets = []Target{campaign}
	cfg.StateFile = t.TempDir() + "/nodir/sites.json"
	_, err := New(cfg)
	if err == nil || !strings.Contains(err.Error(), "nodir/sites.json") || !strings.Contains(err.Error(), "create the directory") {
		t.Fatalf("New with a state file in a missing directory: %v", err)
	}
}

// A redirect loop makes the target unreachable with an error that says where it looped:
// the client alone names only the last path.
func TestRedirectLoopNamesTheChain(t *testing.T) {
	r := newRig(t)
	r.pages.handle("loop.example/", func(_ int, w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/again", http.StatusFound)
	})
	r.pages.handle("loop.example/again", func(_ int, w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/", http.StatusFound)
	})
	w := r.watcher(t, nil, Target{ID: "loop", URL: "http://loop.example/"})
	ch := next(t, w)
	if !changedIs(ch.Changed, "unreachable") || !strings.Contains(ch.Error, "redirects (http://loop.example/ first, then http://loop.example/") {
		t.Fatalf("loop: changed %v error %q", ch.Changed, ch.Error)
	}
}

// A watch selector that matches nothing (mistyped, or a part the site removed) compared
// empty text forever, in silence. It is reported once, with a warning, like a 404 at the
// first check, and again when a selector that matched stops matching.
func TestWatchSelectorMatchingNothing(t *testing.T) {
	r := newRig(t)
	page := readFile(t, "candidate-v1.html")
	var redesigned atomic.Bool
	r.pages.handle("www.claire-durand.example/", func(n int, w http.ResponseWriter, req *http.Request) {
		if redesigned.Load() {
			htmlAt(strings.Replace(page, `<main id="content">`, `<main id="contenu-principal">`, 1))(n, w, req)
			return
		}
		htmlAt(page)(n, w, req)
	})
	var logs strings.Builder
	mistyped := campaign
	mistyped.ID, mistyped.Watch = "durand-typo", []string{"#contenu"}
	cfg := DefaultConfig()
	cfg.Targets = allowPrivate([]Target{mistyped})
	cfg.Interval = time.Minute
	w, err := New(cfg, WithHTTPClient(r.net.client(nil)), WithResolver(r.dns), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	w.now, w.after = r.clock.now, r.clock.after
	if err := w.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	ch := next(t, w)
	if !changedIs(ch.Changed, "content") || ch.Target != "durand-typo" || !strings.Contains(ch.Error, `watch ["#contenu"] matches no element at the first check`) {
		t.Fatalf("first check: changed %v error %q", ch.Changed, ch.Error)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "target=durand-typo") {
		t.Errorf("no warning naming the target:\n%s", logs.String())
	}
	quiet(t, w, r, "www.claire-durand.example/", 2) // reported once

	// A selector that matched and stops matching.
	w = r.watcher(t, nil, campaign)
	quiet(t, w, r, "www.claire-durand.example/", 1) // baseline
	redesigned.Store(true)
	ch = next(t, w)
	if !changedIs(ch.Changed, "content", "links") || !strings.Contains(ch.Error, `watch ["#content"] no longer matches any element`) {
		t.Fatalf("selector gone: changed %v error %q", ch.Changed, ch.Error)
	}
	quiet(t, w, r, "www.claire-durand.example/", 2)
}

// A page that sends its visitors to a landing page with a session id (or a nonce) in the
// query moved at every check, and every check was a "redirects" change. The same page under
// another query is no change; another page is.
func TestRedirectQueryChurnIsNoChange(t *testing.T) {
	r := newRig(t)
	r.pages.handle("martin.example/", func(n int, w http.ResponseWriter, req *http.Request) {
		to := fmt.Sprintf("/landing?session=%d", n)
		if n >= 5 {
			to = fmt.Sprintf("/maintenance?session=%d", n)
		}
		http.Redirect(w, req, to, http.StatusFound)
	})
	page := htmlAt(readFile(t, "candidate-v1.html"))
	r.pages.handle("martin.example/landing", page)
	r.pages.handle("martin.example/maintenance", page)
	w := r.watcher(t, nil, Target{ID: "martin", URL: "http://martin.example/"})
	quiet(t, w, r, "martin.example/", 4)
	ch := next(t, w)
	if !changedIs(ch.Changed, "redirects") || !strings.Contains(strings.Join(ch.Redirects, " "), "/maintenance?session=") {
		t.Errorf("moved to another page: changed %v, redirects %q", ch.Changed, ch.Redirects)
	}
}
