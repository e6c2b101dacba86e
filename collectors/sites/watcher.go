// Package sites watches web pages (candidates' sites, known leak and paste sites) and emits a
// leakwatch.SiteChange when a check differs from the one before: HTTP status, redirect chain,
// visible text of the watched parts, title, link and script domains, TLS certificate, DNS
// records. It flags changes that look like defacements and says why.
//
// The first successful check of a target is its baseline and emits nothing (Config.StateFile
// carries the last check over restarts); an unreachable target emits one "unreachable"
// change, not one per check. The package must not import stream, warehouse or analytics: the
// caller decides where changes go, and reconnect/backoff lives in the collectors runner.
package sites

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/netguard"
)

// Resolver is the DNS the watcher asks; *net.Resolver satisfies it, tests pass a fake.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupCNAME(ctx context.Context, host string) (string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNS(ctx context.Context, name string) ([]*net.NS, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Watcher checks every target on its interval. It implements collectors.Source and is read
// by one goroutine; targets are checked one after another.
type Watcher struct {
	cfg      Config
	client   *http.Client // as given by WithHTTPClient; targets use the copies in clients
	clients  map[clientKind]*http.Client
	resolver Resolver
	log      *slog.Logger
	now      func() time.Time
	after    func(time.Duration) <-chan time.Time

	targets   []*target
	connected bool
}

type target struct {
	cfg           Target
	interval      time.Duration
	watch, ignore []Selector
	domain        string // registrable domain of the URL, for "foreign script" checks
	client        *http.Client
	next          time.Time

	prev        *snapshot // last check that got an HTTP response
	content     *snapshot // last check with a 2xx body, the base of text comparisons
	unreachable bool      // an "unreachable" change was emitted and the target has not answered since
	dns         []string  // last DNS answer that was complete
	dnsKnown    bool
	addrs       []string // A and AAAA records seen since addresses last moved, oldest first
}

// snapshot is what one check saw.
type snapshot struct {
	at        time.Time
	err       error
	status    int
	redirects []string
	rawHash   string
	hasBody   bool // 2xx: the text fields below describe the page
	textHash  string
	lines     []string
	page      page
	tlsSHA256 string
	tlsExpiry time.Time
	dns       []string
	dnsOK     bool
}

// Option changes how a Watcher is built.
type Option func(*Watcher)

// WithHTTPClient sets the client (transport, TLS roots, proxy). The watcher installs its own
// CheckRedirect on a copy to record redirect chains, and refuses private addresses through a
// copy of its transport, which must be an *http.Transport (see netguard.Transport).
func WithHTTPClient(c *http.Client) Option { return func(w *Watcher) { w.client = c } }

// WithResolver replaces net.DefaultResolver.
func WithResolver(r Resolver) Option { return func(w *Watcher) { w.resolver = r } }

// WithLogger sets where DNS and parse troubles that are not changes are reported.
func WithLogger(l *slog.Logger) Option { return func(w *Watcher) { w.log = l } }

// New checks cfg and returns a Watcher that checks every target as soon as it is connected.
func New(cfg Config, opts ...Option) (*Watcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sites config: %w", err)
	}
	w := &Watcher{cfg: cfg, now: time.Now, after: time.After}
	for _, o := range opts {
		o(w)
	}
	if w.resolver == nil {
		w.resolver = net.DefaultResolver
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("source", w.Name())
	var base http.Client
	if w.client != nil {
		base = *w.client
	}
	base.Timeout = 0 // each check sets a context deadline instead
	base.CheckRedirect = w.checkRedirect
	guard := &netguard.Guard{Hint: privateHint}
	for _, tc := range cfg.Targets {
		guard.AllowLiteral(tc.URL)
	}
	w.clients = map[clientKind]*http.Client{}
	for _, tc := range cfg.Targets {
		t := &target{cfg: tc, interval: tc.Interval}
		kind := clientKind{insecure: tc.TLSSkipVerify, private: tc.AllowPrivateNetworks}
		if t.client = w.clients[kind]; t.client == nil {
			c, err := newClient(&base, kind, guard)
			if err != nil {
				return nil, fmt.Errorf("sites: target %s: %w", tc.ID, err)
			}
			t.client, w.clients[kind] = c, c
		}
		if t.interval == 0 {
			t.interval = cfg.Interval
		}
		for _, s := range tc.Watch {
			sel, _ := ParseSelector(s) // Validate parsed them already
			t.watch = append(t.watch, sel)
		}
		for _, s := range tc.Ignore {
			sel, _ := ParseSelector(s)
			t.ignore = append(t.ignore, sel)
		}
		u, _ := url.Parse(tc.URL)
		t.domain = registrable(u.Hostname())
		w.targets = append(w.targets, t)
	}
	if cfg.StateFile != "" {
		if err := w.loadState(cfg.StateFile); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Name identifies the source in logs and dead-letter records.
func (w *Watcher) Name() string { return "sites" }

// Connect makes the watcher readable. There is no session; target state survives Close.
func (w *Watcher) Connect(ctx context.Context) error {
	w.connected = true
	return ctx.Err()
}

// Close stops reading and drops idle connections.
func (w *Watcher) Close(context.Context) error {
	w.connected = false
	w.closeIdle()
	return nil
}

func (w *Watcher) closeIdle() {
	for _, c := range w.clients {
		c.CloseIdleConnections()
	}
}

// privateHint ends the error of a refused connection.
const privateHint = "a watched site may not send leakwatch into private networks: set allow_private_networks on the target if it is one of yours"

// clientKind says which of the watcher's clients a target uses. Targets that may reach
// private networks get their own transport, so a connection one of them opened is never
// reused for a target that may not.
type clientKind struct{ insecure, private bool }

// newClient copies base for targets of one kind: guarded unless they allow private networks,
// certificate verification off for tls_skip_verify.
func newClient(base *http.Client, kind clientKind, guard *netguard.Guard) (*http.Client, error) {
	if kind.private {
		guard = nil
	}
	c, err := netguard.Client(base, guard)
	if err != nil {
		return nil, err
	}
	if kind.insecure {
		return skipVerify(c)
	}
	return c, nil
}

// skipVerify copies c with certificate verification off: leak sites often run on self-signed
// or expired certificates, and their fingerprint is still worth tracking.
func skipVerify(c *http.Client) (*http.Client, error) {
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	tr, ok := rt.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("sites: tls_skip_verify needs an *http.Transport, the client has %T", rt)
	}
	tr = tr.Clone()
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	tr.TLSClientConfig.InsecureSkipVerify = true
	ic := *c
	ic.Transport = tr
	return &ic, nil
}

// Read checks targets as they fall due and returns the next change. Checks that find nothing
// new return nothing, so Read blocks until something changes or ctx ends. Fetch failures are
// not errors of the source: they are the "unreachable" change.
func (w *Watcher) Read(ctx context.Context) (collectors.Record, error) {
	if !w.connected {
		return collectors.Record{}, collectors.ErrNotConnected
	}
	for {
		t := w.targets[0]
		for _, u := range w.targets[1:] {
			if u.next.Before(t.next) {
				t = u
			}
		}
		if wait := t.next.Sub(w.now()); wait > 0 {
			select {
			case <-ctx.Done():
				return collectors.Record{}, ctx.Err()
			case <-w.after(wait):
			}
		}
		snap := w.check(ctx, t)
		if ctx.Err() != nil {
			// Cancelled mid-check: the target did not fail, we stopped asking.
			return collectors.Record{}, ctx.Err()
		}
		t.next = snap.at.Add(t.interval)
		ch := w.compare(t, snap)
		if w.cfg.StateFile != "" {
			if err := w.saveState(w.cfg.StateFile); err != nil {
				// The change is still emitted; after a restart it would be seen again.
				w.log.Error("saving state failed", "file", w.cfg.StateFile, "err", err)
			}
		}
		if ch != nil {
			return collectors.Record{Change: ch}, nil
		}
	}
}

type redirectsKey struct{}

// sameHop says whether two hops of redirect chains ("302 https://host/path?query") go to the
// same page with the same status, their queries left out: a landing page with a session id
// or a nonce in its query moved at every check, and flooded the topic with "redirects".
func sameHop(a, b string) bool {
	if a == b {
		return true
	}
	page := func(h string) string {
		status, u, _ := strings.Cut(h, " ")
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			u = u[:i]
		}
		return status + " " + u
	}
	return page(a) == page(b)
}

func (w *Watcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > w.cfg.MaxRedirects {
		// The client names only the last request's path; the chain says where it went.
		return fmt.Errorf("stopped after %d redirects (%s first, then %s)", w.cfg.MaxRedirects, via[0].URL, req.URL)
	}
	if err := netguard.CheckScheme(req.URL); err != nil {
		return err
	}
	if chain, ok := req.Context().Value(redirectsKey{}).(*[]string); ok {
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		*chain = append(*chain, fmt.Sprintf("%d %s", status, req.URL))
	}
	return nil
}

// check fetches the target once and reads everything a change may be about.
func (w *Watcher) check(ctx context.Context, t *target) *snapshot {
	s := &snapshot{at: w.now()}
	if w.cfg.DNS {
		s.dns, s.dnsOK = w.lookup(ctx, t)
	}
	var chain []string
	cctx, cancel := context.WithTimeout(context.WithValue(ctx, redirectsKey{}, &chain), w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, t.cfg.URL, nil)
	if err != nil {
		s.err = err
		return s
	}
	req.Header.Set("User-Agent", w.cfg.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5")
	resp, err := t.client.Do(req)
	if err != nil {
		s.err = err
		if re, ok := netguard.Refused(err); ok {
			s.err = refusal(t.cfg.URL, chain, re)
			s.redirects = chain
		}
		return s
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, w.cfg.MaxBodyBytes))
	if err != nil {
		s.err = fmt.Errorf("read body: %w", err)
		return s
	}
	s.status = resp.StatusCode
	s.redirects = chain
	sum := sha256.Sum256(body)
	s.rawHash = hex.EncodeToString(sum[:])
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		leaf := resp.TLS.PeerCertificates[0]
		fp := sha256.Sum256(leaf.Raw)
		s.tlsSHA256 = hex.EncodeToString(fp[:])
		s.tlsExpiry = leaf.NotAfter.UTC()
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return s // an error page is not the site's content; text comparisons wait for a 2xx
	}
	s.hasBody = true
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case mt == "" || mt == "text/html" || mt == "application/xhtml+xml":
		r, err := charset.NewReader(bytes.NewReader(body), ct)
		if err != nil {
			r = bytes.NewReader(body)
		}
		doc, err := html.Parse(r)
		if err != nil {
			s.err = fmt.Errorf("parse HTML: %w", err)
			return s
		}
		s.page = readPage(doc, resp.Request.URL, t.watch, t.ignore)
		s.lines = s.page.lines
	case strings.HasPrefix(mt, "text/"):
		// A paste or a text file: every non-blank line, whitespace collapsed. It is decoded
		// from its declared charset like HTML: read as UTF-8, a Latin-1 "piraté par" is
		// U+FFFD and no defacement phrase matches.
		text := body
		if r, err := charset.NewReader(bytes.NewReader(body), ct); err == nil {
			if b, err := io.ReadAll(r); err == nil {
				text = b
			}
		}
		for _, l := range strings.Split(string(text), "\n") {
			if l = collapse(l); l != "" {
				s.lines = append(s.lines, l)
			}
		}
	default:
		s.textHash = s.rawHash // a PDF or an image changes when its bytes do
		return s
	}
	th := sha256.Sum256([]byte(strings.Join(s.lines, "\n")))
	s.textHash = hex.EncodeToString(th[:])
	return s
}

// refusal names the redirect that led to a refused address, or the configured URL whose
// name resolved to one.
func refusal(target string, chain []string, re *netguard.RefusedError) error {
	r := *re
	if len(chain) == 0 {
		return fmt.Errorf("GET %s: %w", target, &r)
	}
	from := target
	if len(chain) > 1 {
		_, from, _ = strings.Cut(chain[len(chain)-2], " ")
	}
	r.Via = chain[len(chain)-1] + " from " + from
	return &r
}

// lookup returns the target's DNS records as sorted "TYPE value" strings. ok is false when a
// lookup failed for another reason than "no such record": then the answer is not compared.
// A, AAAA and CNAME are asked for the host; MX, NS and TXT for its registrable domain, where
// they are published.
func (w *Watcher) lookup(ctx context.Context, t *target) ([]string, bool) {
	u, _ := url.Parse(t.cfg.URL)
	host := u.Hostname()
	if net.ParseIP(host) != nil {
		return nil, true
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.DNSTimeout)
	defer cancel()
	var recs []string
	ok := true
	fail := func(kind string, err error) {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return
		}
		ok = false
		w.log.Warn("DNS lookup failed", "target", t.cfg.ID, "type", kind, "err", err)
	}
	if ips, err := w.resolver.LookupIPAddr(ctx, host); err != nil {
		fail("A", err)
	} else {
		for _, ip := range ips {
			if ip.IP.To4() != nil {
				recs = append(recs, "A "+ip.IP.String())
			} else {
				recs = append(recs, "AAAA "+ip.IP.String())
			}
		}
	}
	if cname, err := w.resolver.LookupCNAME(ctx, host); err != nil {
		fail("CNAME", err)
	} else if c := strings.TrimSuffix(cname, "."); c != "" && !strings.EqualFold(c, host) {
		recs = append(recs, "CNAME "+strings.ToLower(c))
	}
	zone := t.domain
	if mxs, err := w.resolver.LookupMX(ctx, zone); err != nil {
		fail("MX", err)
	} else {
		for _, mx := range mxs {
			recs = append(recs, fmt.Sprintf("MX %d %s", mx.Pref, strings.TrimSuffix(strings.ToLower(mx.Host), ".")))
		}
	}
	if nss, err := w.resolver.LookupNS(ctx, zone); err != nil {
		fail("NS", err)
	} else {
		for _, ns := range nss {
			recs = append(recs, "NS "+strings.TrimSuffix(strings.ToLower(ns.Host), "."))
		}
	}
	if txts, err := w.resolver.LookupTXT(ctx, zone); err != nil {
		fail("TXT", err)
	} else {
		for _, txt := range txts {
			recs = append(recs, "TXT "+txt)
		}
	}
	return sortedUnique(recs), ok
}

// maxKnownAddrs bounds the addresses remembered for a host: enough for the pool a CDN rotates
// through towards one resolver, without growing the state file for ever.
const maxKnownAddrs = 64

// dnsMoved takes a complete answer as the reference and reports whether it is a "dns" change.
// NS, MX, CNAME and TXT are compared exactly. A and AAAA are not: round-robin and CDN hosts
// (CloudFront, Akamai, ELB) answer another subset of their pool on nearly every check, and an
// exact comparison buried the hijack signal under a change per check. Addresses count as
// moved when the answer shares none with those seen since they last moved, as when a hijack
// points the name at servers the site never used. That is reported at the first check:
// waiting for a new set to hold over two checks would never settle on a CDN host, whose
// answer differs every time, and would delay a hijack by an interval.
func (t *target) dnsMoved(cur []string) bool {
	addrs, other := splitAddrs(cur)
	_, prevOther := splitAddrs(t.dns)
	addrsMoved := len(addrs)+len(t.addrs) > 0 && !slices.ContainsFunc(addrs, func(a string) bool { return slices.Contains(t.addrs, a) })
	moved := t.dnsKnown && (addrsMoved || !slices.Equal(other, prevOther))
	if addrsMoved {
		t.addrs = addrs
	} else {
		t.addrs = rememberAddrs(t.addrs, addrs)
	}
	t.dns, t.dnsKnown = cur, true
	return moved
}

// splitAddrs splits sorted DNS records into the A and AAAA ones and the others, both sorted.
func splitAddrs(recs []string) (addrs, other []string) {
	for _, r := range recs {
		if strings.HasPrefix(r, "A ") || strings.HasPrefix(r, "AAAA ") {
			addrs = append(addrs, r)
		} else {
			other = append(other, r)
		}
	}
	return addrs, other
}

// rememberAddrs moves addrs to the end of known, forgetting the oldest beyond maxKnownAddrs.
func rememberAddrs(known, addrs []string) []string {
	known = slices.DeleteFunc(slices.Clone(known), func(a string) bool { return slices.Contains(addrs, a) })
	known = append(known, addrs...)
	return known[max(0, len(known)-maxKnownAddrs):]
}

// compare updates the target's state with a new snapshot and returns the change to emit, if any.
func (w *Watcher) compare(t *target, cur *snapshot) *leakwatch.SiteChange {
	ch := &leakwatch.SiteChange{
		Target:      t.cfg.ID,
		URL:         t.cfg.URL,
		ObservedAt:  cur.at,
		Status:      cur.status,
		Redirects:   cur.redirects,
		RawHash:     cur.rawHash,
		TLSSHA256:   cur.tlsSHA256,
		TLSNotAfter: cur.tlsExpiry,
		DNS:         cur.dns,
	}
	dnsChanged := false
	if cur.dnsOK {
		dnsChanged = t.dnsMoved(cur.dns)
	} else {
		ch.DNS = t.dns // the last complete answer, flagged as unchanged
	}

	if cur.err != nil {
		ch.Error = cur.err.Error()
		if t.unreachable {
			if dnsChanged { // records moving while the site is down (a hijack) still count
				ch.Changed = []string{"dns"}
				return ch
			}
			return nil
		}
		t.unreachable = true
		ch.Changed = []string{"unreachable"}
		if dnsChanged {
			ch.Changed = append(ch.Changed, "dns")
		}
		return ch
	}

	recovered := t.unreachable
	t.unreachable = false
	prev, prevContent := t.prev, t.content
	t.prev = cur
	if cur.hasBody {
		t.content = cur
	}
	if prev == nil && !recovered {
		if cur.status < 200 || cur.status > 299 {
			// A first answer that is an error (a mistyped path's 404, a 503 from the start)
			// is no baseline to keep quiet about: nothing would say the page is not being
			// watched. It is reported once, as an error status later is.
			ch.Changed = []string{"status"}
			ch.Error = fmt.Sprintf("HTTP %d %s at the first check: no page to watch yet (is the URL right?)", cur.status, http.StatusText(cur.status))
			w.log.Warn("site answers with an error status at the first check", "target", t.cfg.ID, "url", t.cfg.URL, "status", cur.status)
			return ch
		}
		if cur.hasBody && cur.page.unwatched {
			// A mistyped watch selector compares empty text forever: the page would be
			// watched in silence, as a mistyped path once was. Reported once, like a 404.
			ch.Changed = []string{"content"}
			ch.Error = fmt.Sprintf("watch %q matches no element at the first check: no text of the page is watched (is the selector right?)", t.cfg.Watch)
			ch.TextHash, ch.Title = cur.textHash, cur.page.title
			w.log.Warn("watch selectors match no element at the first check", "target", t.cfg.ID, "url", t.cfg.URL, "watch", t.cfg.Watch)
			return ch
		}
		return nil // baseline
	}

	var changed []string
	if recovered || (prev != nil && prev.status != cur.status) {
		changed = append(changed, "status")
	}
	if prev != nil && !slices.EqualFunc(prev.redirects, cur.redirects, sameHop) {
		changed = append(changed, "redirects")
	}
	var edits []edit
	titleChanged := false
	if cur.hasBody && prevContent != nil {
		ch.PrevTextHash = prevContent.textHash
		if prevContent.textHash != cur.textHash {
			changed = append(changed, "content")
			edits = diffLines(prevContent.lines, cur.lines, w.cfg.MaxDiffEdits)
			ch.Diff = unified(edits, 3, w.cfg.MaxDiffBytes)
		}
		if prevContent.page.title != cur.page.title {
			changed = append(changed, "title")
			titleChanged = true
		}
		if !slices.Equal(prevContent.page.links, cur.page.links) {
			changed = append(changed, "links")
		}
		if !slices.Equal(prevContent.page.scripts, cur.page.scripts) {
			changed = append(changed, "scripts")
		}
	}
	if prev != nil && (prev.tlsSHA256 != cur.tlsSHA256 || !prev.tlsExpiry.Equal(cur.tlsExpiry)) {
		changed = append(changed, "tls")
	}
	if dnsChanged {
		changed = append(changed, "dns")
	}
	if cur.hasBody && cur.page.unwatched && prevContent != nil && !prevContent.page.unwatched {
		// The watched part is gone (a redesign renamed it, or a defacer replaced the page):
		// from now on nothing is compared, which must not pass for a quiet page.
		if !slices.Contains(changed, "content") {
			changed = append(changed, "content")
		}
		ch.Error = fmt.Sprintf("watch %q no longer matches any element: no text of the page is watched (did the page change its layout?)", t.cfg.Watch)
		w.log.Warn("watch selectors no longer match any element", "target", t.cfg.ID, "url", t.cfg.URL, "watch", t.cfg.Watch)
	}
	if len(changed) == 0 {
		return nil
	}
	ch.Changed = changed
	if cur.hasBody {
		ch.TextHash = cur.textHash
		ch.Title = cur.page.title
		ch.LinkDomains = cur.page.links
		ch.ScriptDomains = cur.page.scripts
	}
	if cur.hasBody && prevContent != nil {
		d := assess(assessInput{
			edits:            edits,
			oldTitle:         prevContent.page.title,
			newTitle:         cur.page.title,
			titleChanged:     titleChanged,
			oldScripts:       prevContent.page.scripts,
			newScripts:       cur.page.scripts,
			siteDomain:       t.domain,
			commonScripts:    w.cfg.CommonScriptDomains,
			replacedFraction: w.cfg.ReplacedFraction,
			extraTerms:       w.cfg.DefacementTerms,
			minOldChars:      minReplacedChars,
			hadContent:       len(prevContent.lines) > 0,
		})
		ch.Reasons = d.reasons
		ch.Defacement = d.is()
	}
	return ch
}

// minReplacedChars keeps a tiny page (a placeholder, "coming soon") from counting as "mostly
// replaced" when one word changes.
const minReplacedChars = 80

var _ collectors.Source = (*Watcher)(nil)
