// Package feeds polls RSS 2.0, RSS 1.0, Atom and JSON Feed documents and turns each new item
// into a leakwatch.Post (platform "feed"). It asks servers with conditional GET so an unchanged
// feed costs a 304, remembers a bounded number of item ids per feed so each item is emitted once,
// and reports throttling (429, 5xx) as errors carrying the server's Retry-After.
//
// It must not import stream, warehouse or analytics: the caller decides where records go, and
// reconnect/backoff lives in the collectors runner.
package feeds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/netguard"
)

// Source polls the configured feeds. It implements collectors.Source; like every source it is
// read by one goroutine.
type Source struct {
	cfg     Config
	client  *http.Client // as given by WithHTTPClient; feeds use the copies in clients
	clients []*http.Client
	now     func() time.Time
	after   func(time.Duration) <-chan time.Time

	feeds     []*feedState
	queue     []collectors.Record
	connected bool
}

type feedState struct {
	url          string
	docURL       string // where the last document was read, after redirects
	client       *http.Client
	interval     time.Duration
	next         time.Time
	etag         string
	lastModified string
	seen         *seenSet
	lastBad      [sha256.Size]byte // hash of the last undecodable body, reported once
	fails        int               // failed polls in a row, for this feed's own backoff
}

// Option changes how a Source is built.
type Option func(*Source)

// WithHTTPClient sets the client used for every request (proxies, custom TLS). Its Timeout is
// left as given; without this option the client uses Config.Timeout. Private addresses are
// refused through a copy of its transport, which must be an *http.Transport.
func WithHTTPClient(c *http.Client) Option { return func(s *Source) { s.client = c } }

// New checks cfg and returns a Source that polls every feed as soon as it is connected.
func New(cfg Config, opts ...Option) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("feeds config: %w", err)
	}
	s := &Source{cfg: cfg, now: time.Now, after: time.After}
	for _, o := range opts {
		o(s)
	}
	base := http.Client{Timeout: cfg.Timeout}
	if s.client != nil {
		base = *s.client
	}
	if base.CheckRedirect == nil {
		base.CheckRedirect = checkRedirect
	}
	guard := &netguard.Guard{Hint: privateHint}
	for _, f := range cfg.Feeds {
		guard.AllowLiteral(f.URL)
	}
	// Feeds that may reach private networks get their own transport, so a connection one of
	// them opened is never reused by a feed that may not.
	var guarded, open *http.Client
	for _, f := range cfg.Feeds {
		iv := f.Interval
		if iv == 0 {
			iv = cfg.Interval
		}
		c := &guarded
		g := guard
		if cfg.AllowPrivateNetworks || f.AllowPrivateNetworks {
			c, g = &open, nil
		}
		if *c == nil {
			nc, err := netguard.Client(&base, g)
			if err != nil {
				return nil, fmt.Errorf("feeds: feed %s: %w", f.URL, err)
			}
			*c = nc
			s.clients = append(s.clients, nc)
		}
		// Two keys an item (guid, guid and link): max_seen counts items.
		s.feeds = append(s.feeds, &feedState{url: f.URL, interval: iv, client: *c, seen: newSeenSet(2 * cfg.MaxSeen)})
	}
	return s, nil
}

// privateHint ends the error of a refused connection.
const privateHint = "a watched feed may not send leakwatch into private networks: set allow_private_networks on the feed (or the feeds section) if it is one of yours"

// checkRedirect is net/http's default (10 redirects at most) that also refuses schemes other
// than http and https.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("stopped after 10 redirects (%s first, then %s)", via[0].URL, req.URL)
	}
	return netguard.CheckScheme(req.URL)
}

// Name identifies the source in logs and dead-letter records.
func (s *Source) Name() string { return "feeds" }

// Connect makes the source readable. Feeds are plain HTTP polls, so there is no session to
// open; state (validators, seen ids, schedule) survives Close and Connect.
func (s *Source) Connect(ctx context.Context) error {
	s.connected = true
	return ctx.Err()
}

// Close stops reading. Records already fetched stay queued for the next Connect.
func (s *Source) Close(context.Context) error {
	s.connected = false
	for _, c := range s.clients {
		c.CloseIdleConnections()
	}
	return nil
}

// Read returns the next new item, polling feeds as they fall due and blocking in between.
// A failed poll returns its error (naming the feed) as collectors.Partial, so the runner logs
// it and the other feeds go on; that feed is tried again after its own backoff (its interval,
// doubled with each failure in a row up to maxFeedBackoff) or the server's Retry-After if
// that is later.
func (s *Source) Read(ctx context.Context) (collectors.Record, error) {
	if !s.connected {
		return collectors.Record{}, collectors.ErrNotConnected
	}
	for {
		if len(s.queue) > 0 {
			r := s.queue[0]
			s.queue[0] = collectors.Record{}
			s.queue = s.queue[1:]
			return r, nil
		}
		f := s.feeds[0]
		for _, g := range s.feeds[1:] {
			if g.next.Before(f.next) {
				f = g
			}
		}
		if wait := f.next.Sub(s.now()); wait > 0 {
			select {
			case <-ctx.Done():
				return collectors.Record{}, ctx.Err()
			case <-s.after(wait):
			}
		}
		recs, err := s.poll(ctx, f)
		if err != nil {
			if ctx.Err() != nil {
				return collectors.Record{}, ctx.Err()
			}
			f.fails++
			if back := s.now().Add(feedBackoff(f.interval, f.fails)); back.After(f.next) {
				f.next = back
			}
			return collectors.Record{}, collectors.Partial(err)
		}
		f.fails = 0
		s.queue = append(s.queue, recs...)
	}
}

// maxFeedBackoff caps how long a failing feed waits between tries (unless its own interval
// is longer): a feed fixed or back up is read again within minutes.
const maxFeedBackoff = 10 * time.Minute

// feedBackoff is the wait after the n-th failed poll in a row of a feed polled every
// interval: the interval, doubled with each further failure.
func feedBackoff(interval time.Duration, n int) time.Duration {
	d := interval << min(n-1, 16)
	return max(min(d, maxFeedBackoff), interval)
}

// StatusError is a feed answering with an HTTP error status.
type StatusError struct {
	URL    string
	Status int
	// Wait is the server's Retry-After (0 when absent).
	Wait time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("feed %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Wait > 0 {
		msg += fmt.Sprintf(" (retry after %v)", e.Wait)
	}
	return msg
}

// RetryAfter is how long the server asked clients to wait; the runner may use it as its backoff.
func (e *StatusError) RetryAfter() time.Duration { return e.Wait }

// Temporary reports whether trying again later can succeed (throttling or a server error).
func (e *StatusError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

const accept = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"

// poll fetches one feed and returns records for the items not seen before, oldest first.
func (s *Source) poll(ctx context.Context, f *feedState) ([]collectors.Record, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return nil, fmt.Errorf("feed %s: %w", f.url, err)
	}
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	req.Header.Set("Accept", accept)
	if f.etag != "" {
		req.Header.Set("If-None-Match", f.etag)
	}
	if f.lastModified != "" {
		req.Header.Set("If-Modified-Since", f.lastModified)
	}
	now := s.now()
	f.next = now.Add(f.interval)
	resp, err := f.client.Do(req)
	if err != nil {
		if re, ok := netguard.Refused(err); ok {
			// Named without the dialler's wrapping, with the redirect that led there.
			r := *re
			var ue *url.Error
			if errors.As(err, &ue) && ue.URL != f.url {
				r.Via = "to " + ue.URL + " from " + f.url
			}
			return nil, fmt.Errorf("feed %s: %w", f.url, &r)
		}
		return nil, fmt.Errorf("feed %s: %w", f.url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		se := &StatusError{URL: f.url, Status: resp.StatusCode}
		if se.Temporary() {
			se.Wait = min(parseRetryAfter(resp.Header.Get("Retry-After"), now), s.cfg.MaxRetryAfter)
			if next := now.Add(se.Wait); next.After(f.next) {
				f.next = next
			}
		}
		return nil, se
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("feed %s: read body: %w", f.url, err)
	}
	if int64(len(body)) > s.cfg.MaxBodyBytes {
		return nil, fmt.Errorf("feed %s: document larger than max_body_bytes (%d)", f.url, s.cfg.MaxBodyBytes)
	}
	f.docURL = resp.Request.URL.String()
	f.etag = resp.Header.Get("ETag")
	f.lastModified = resp.Header.Get("Last-Modified")

	feed, err := Parse(body, resp.Header.Get("Content-Type"))
	if err != nil {
		// An undecodable document goes to the dead-letter topic once, not on every poll.
		h := sha256.Sum256(body)
		if h == f.lastBad {
			return nil, nil
		}
		f.lastBad = h
		return []collectors.Record{{Bad: &collectors.BadRecord{
			Source: s.Name(), Ref: "feed " + f.url, Raw: body, Err: err,
		}}}, nil
	}
	f.lastBad = [sha256.Size]byte{}
	return s.newItems(f, feed, now), nil
}

// newItems converts the items not seen before. Feeds list newest first; records go out
// oldest first so event time mostly moves forward.
func (s *Source) newItems(f *feedState, feed *Feed, now time.Time) []collectors.Record {
	type rec struct {
		at time.Time
		r  collectors.Record
	}
	var out []rec
	// A misconfigured CMS gives several items one guid. Those with different links are
	// different items, told apart by guid and link; the rest are known by guid alone, so an
	// item whose link is edited is not emitted again.
	links := map[string]map[string]bool{}
	for i := range feed.Items {
		if it := &feed.Items[i]; it.ID != "" {
			if links[it.ID] == nil {
				links[it.ID] = map[string]bool{}
			}
			links[it.ID][it.Link] = true
		}
	}
	for i := range feed.Items {
		it := &feed.Items[i]
		key, linkKey := dedupKey(it), ""
		if it.ID != "" && it.Link != "" {
			linkKey = key + "\x00link:" + it.Link
		}
		known := f.seen.has(key)
		if len(links[it.ID]) > 1 {
			known = f.seen.has(linkKey)
		}
		if known {
			continue
		}
		// Both keys are kept: the guid for the next poll if the guid is unique by then, the
		// guid and link if it is shared by then.
		f.seen.add(key)
		if linkKey != "" {
			f.seen.add(linkKey)
		}
		p, err := toPost(f.url, f.docURL, feed, it, now)
		if err != nil {
			out = append(out, rec{r: collectors.Record{Bad: &collectors.BadRecord{
				Source: s.Name(), Ref: itemRef(f.url, i, it), Raw: it.Raw, Err: err,
			}}})
			continue
		}
		out = append(out, rec{at: p.CreatedAt, r: collectors.Record{Post: p}})
	}
	slices.SortStableFunc(out, func(a, b rec) int { return a.at.Compare(b.at) })
	recs := make([]collectors.Record, len(out))
	for i, r := range out {
		recs[i] = r.r
	}
	return recs
}

// itemRef names an item for error messages: its position and its id or link.
func itemRef(feedURL string, i int, it *Item) string {
	ref := fmt.Sprintf("feed %s item %d", feedURL, i+1)
	if id := firstNonEmpty(it.ID, it.Link); id != "" {
		ref += fmt.Sprintf(" (%s)", id)
	}
	return ref
}

// dedupKey identifies an item across polls: its id, else its link, else a hash of its text
// (RSS allows items with neither guid nor link).
func dedupKey(it *Item) string {
	if it.ID != "" {
		return "id:" + it.ID
	}
	if it.Link != "" {
		return "link:" + it.Link
	}
	h := sha256.Sum256([]byte(it.Title + "\x00" + it.Summary + "\x00" + it.Content))
	return fmt.Sprintf("hash:%x", h[:16])
}

// toPost maps an item to a post. feedURL names the feed (the author, bare guids); docURL
// is where the document was read after redirects, which relative links resolve against,
// through the item's xml:base. The errors are the item's own (Item.Err) and a date that is
// present but unreadable: a guessed time would misplace the item on the campaign timeline.
func toPost(feedURL, docURL string, feed *Feed, it *Item, observed time.Time) (*leakwatch.Post, error) {
	if it.Err != nil {
		return nil, it.Err
	}
	created := observed
	for _, d := range []string{it.Published, it.Updated} {
		if strings.TrimSpace(d) == "" {
			continue
		}
		t, err := parseDate(d)
		if err != nil {
			return nil, fmt.Errorf("date: %w", err)
		}
		// An item dated after it was fetched is placed when it was fetched: publishers
		// schedule items and mistype dates, and one dated an hour ahead moved event time
		// past every current post, which detect then refused as late for that hour (the
		// rule Bluesky applies to createdAt).
		if t.Before(observed) {
			created = t
		}
		break
	}
	// A feed that moved answers with a redirect; its relative links are relative to where it
	// now is (RFC 3986 section 5.1.3), not to the configured URL.
	base, err := url.Parse(docURL)
	if err != nil || docURL == "" {
		base, _ = url.Parse(feedURL)
	}
	for _, b := range it.XMLBase {
		if u, err := base.Parse(b); err == nil {
			base = u
		}
	}
	link := ""
	if it.Link != "" {
		if u, err := base.Parse(it.Link); err == nil {
			link = u.String()
			base = u
		}
	}
	key := dedupKey(it)
	p := &leakwatch.Post{
		Platform:   leakwatch.PlatformFeed,
		ID:         firstNonEmpty(it.ID, link, strings.TrimPrefix(key, "hash:")),
		CreatedAt:  created,
		ObservedAt: observed,
		Lang:       firstNonEmpty(it.Lang, feed.Lang),
	}
	switch {
	case link != "":
		p.URI = link
	case isAbsURL(it.ID) || strings.HasPrefix(it.ID, "tag:") || strings.HasPrefix(it.ID, "urn:"):
		p.URI = it.ID
	default:
		// A bare guid ("12345") is unique only within its feed.
		p.URI = feedURL + "#" + p.ID
	}

	feedTitle, _ := htmlText(feed.Title)
	p.Author = leakwatch.Account{ID: feedURL, Name: firstNonEmpty(feed.Author, feedTitle)}
	if it.Author != "" {
		p.Author = leakwatch.Account{ID: feedURL + "#" + it.Author, Handle: it.Author, Name: it.Author}
	}

	title, titleLinks := htmlText(it.Title)
	summary, summaryLinks := htmlText(it.Summary)
	content, contentLinks := htmlText(it.Content)
	if summary == "" {
		summary = content
	}
	p.Text = strings.TrimSpace(title + "\n" + summary)

	seen := map[string]bool{}
	for _, raw := range slices.Concat([]string{link}, titleLinks, summaryLinks, contentLinks) {
		if l, ok := makeLink(base, raw); ok && !seen[l.Expanded] {
			seen[l.Expanded] = true
			p.URLs = append(p.URLs, l)
		}
	}
	for _, m := range it.Media {
		if u, err := base.Parse(strings.TrimSpace(m.URL)); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			p.Media = append(p.Media, leakwatch.Media{Type: mediaType(m.Type), URL: u.String()})
		}
	}
	if json.Valid(it.Raw) {
		p.Raw = json.RawMessage(bytes.Clone(it.Raw))
	} else {
		// An XML element travels as a JSON string, its markup left readable.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(string(it.Raw))
		p.Raw = json.RawMessage(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	}
	return p, nil
}

// makeLink resolves an href against the item and keeps http(s) links only (mailto:,
// javascript: and in-page anchors are not shared objects).
func makeLink(base *url.URL, raw string) (leakwatch.Link, bool) {
	if raw == "" || strings.HasPrefix(raw, "#") {
		return leakwatch.Link{}, false
	}
	u, err := base.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return leakwatch.Link{}, false
	}
	l := leakwatch.Link{Raw: raw, Expanded: u.String()}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		l.Domain = d
	} else {
		l.Domain = host // an IP address or a bare public suffix
	}
	return l, true
}

func mediaType(mime string) string {
	major, _, _ := strings.Cut(strings.ToLower(mime), "/")
	switch major {
	case "image", "video", "audio":
		return major
	}
	return "file"
}

// parseRetryAfter reads delay-seconds or an HTTP date (RFC 9110 section 10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// seenSet remembers the last n keys (as 16-byte hashes, so memory does not depend on id length).
type seenSet struct {
	keys map[[16]byte]struct{}
	ring [][16]byte
	pos  int
}

func newSeenSet(n int) *seenSet {
	return &seenSet{keys: make(map[[16]byte]struct{}, n), ring: make([][16]byte, 0, n)}
}

// has reports whether key is remembered.
func (s *seenSet) has(key string) bool {
	_, ok := s.keys[seenHash(key)]
	return ok
}

func seenHash(key string) [16]byte {
	sum := sha256.Sum256([]byte(key))
	var k [16]byte
	copy(k[:], sum[:16])
	return k
}

// add records key and reports whether it was new. The oldest key is forgotten when full.
func (s *seenSet) add(key string) bool {
	k := seenHash(key)
	if _, ok := s.keys[k]; ok {
		return false
	}
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, k)
	} else {
		delete(s.keys, s.ring[s.pos])
		s.ring[s.pos] = k
		s.pos = (s.pos + 1) % len(s.ring)
	}
	s.keys[k] = struct{}{}
	return true
}

var _ collectors.Source = (*Source)(nil)
