package entities

import (
	"errors"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// defaultTracking are query parameters that say who clicked, not what was shared; keeping them
// would split one article into as many objects as there are campaigns linking it.
var defaultTracking = []string{
	"utm_*", "fbclid", "gclid", "dclid", "msclkid", "igshid", "mc_cid", "mc_eid", "yclid",
	"_ga", "_gl", "ref_src", "ref_url", "s_cid", "cmpid", "ocid", "spm", "__twitter_impression",
}

// defaultShorteners are link shorteners and platform wrappers: their registrable domain says
// nothing about what was shared, and every post of a platform carries them, so a domain object
// for them would only make every pair of posters look coordinated.
var defaultShorteners = []string{
	"t.co", "bit.ly", "ow.ly", "goo.gl", "buff.ly", "dlvr.it", "ift.tt", "tinyurl.com",
	"fb.me", "trib.al", "is.gd", "lnkd.in", "youtu.be", "tiny.cc", "shar.es", "wp.me", "po.st",
}

var errNotWeb = errors.New("not an http(s) URL with a host")

// urlNormalizer applies the URL rules of docs/DETECTION.md.
type urlNormalizer struct {
	exact  map[string]bool // tracking parameter names
	prefix []string        // tracking parameter prefixes ("utm_")
}

func newURLNormalizer(tracking []string) *urlNormalizer {
	n := &urlNormalizer{exact: map[string]bool{}}
	for _, t := range tracking {
		t = strings.ToLower(t)
		if p, ok := strings.CutSuffix(t, "*"); ok {
			n.prefix = append(n.prefix, p)
		} else {
			n.exact[t] = true
		}
	}
	return n
}

func (n *urlNormalizer) tracking(name string) bool {
	name = strings.ToLower(name)
	if n.exact[name] {
		return true
	}
	for _, p := range n.prefix {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// normalize returns the canonical form of raw and its host:
// lower-case scheme and host, "www." dropped, default port dropped, fragment dropped,
// tracking parameters dropped, remaining parameters sorted by name then value, and a
// trailing slash removed from the path ("/" alone becomes empty) because servers answer both
// forms with the same page far more often than not.
func (n *urlNormalizer) normalize(raw string) (norm, host string, err error) {
	if norm, host, ok := plainURL(raw); ok {
		if host == "" {
			return "", "", errNotWeb
		}
		return norm, host, nil
	}
	return n.parse(raw)
}

// plainURL normalises, without parsing, the form most shared links take ("https://t.co/x9Zk",
// "http://example.org/a/b-c.html"): a lower-case http(s) scheme and host, no user, port,
// query, fragment or escape, and a path of characters that need no escaping. It gives what
// parse would (TestPlainURLAsParsed), without the URL parser's allocations, and the link
// itself, not a copy, when nothing is dropped. ok is false for any other form.
func plainURL(raw string) (norm, host string, ok bool) {
	rest, found := strings.CutPrefix(raw, "https://")
	if !found {
		if rest, found = strings.CutPrefix(raw, "http://"); !found {
			return "", "", false
		}
	}
	h := 0
	for h < len(rest) && rest[h] != '/' {
		if c := rest[h]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return "", "", false
		}
		h++
	}
	for i := h; i < len(rest); i++ {
		if !pathSafe[rest[i]] {
			return "", "", false
		}
	}
	host = strings.TrimPrefix(strings.TrimSuffix(rest[:h], "."), "www.")
	path := strings.TrimRight(rest[h:], "/")
	if len(host) == h && len(path) == len(rest)-h {
		return raw, host, true
	}
	return raw[:len(raw)-len(rest)] + host + path, host, true
}

// pathSafe marks the bytes a URL path keeps as they are: letters, digits, "-._~" and "/".
var pathSafe = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/", byte(c)) >= 0
	}
	return t
}()

// parse normalises any URL through the URL parser.
func (n *urlNormalizer) parse(raw string) (norm, host string, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", "", err
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Host == "" {
		return "", "", errNotWeb
	}
	host = strings.TrimPrefix(asciiHost(u.Hostname()), "www.")
	if host == "" {
		return "", "", errNotWeb
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	var b strings.Builder
	b.Grow(len(raw))
	b.WriteString(scheme)
	b.WriteString("://")
	if strings.IndexByte(host, ':') >= 0 {
		// An IPv6 address keeps its brackets, or its colons would read as a port; a zone's
		// '%' is escaped again, as it was written.
		b.WriteByte('[')
		b.WriteString(strings.ReplaceAll(host, "%", "%25"))
		b.WriteByte(']')
	} else {
		b.WriteString(host)
	}
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	// The path as written (RawPath is empty when it is Go's own escaping of Path): Path has
	// "%2F" decoded into a segment boundary, so it cannot say which slashes were written.
	path := u.RawPath
	if path == "" {
		path = u.EscapedPath()
	}
	path = strings.TrimRight(normalizeEscapes(path), "/")
	b.WriteString(path)
	if u.RawQuery != "" {
		query := u.RawQuery
		if strings.IndexByte(query, ';') >= 0 {
			// ';' separates parameters as '&' does on many servers (and in the HTML 4
			// recommendation); Go's parser refuses it, which kept tracking parameters after one.
			query = strings.ReplaceAll(query, ";", "&")
		}
		q, qerr := url.ParseQuery(query)
		if qerr != nil {
			// Keep an unparsable query verbatim rather than lose part of the object's identity.
			b.WriteByte('?')
			b.WriteString(u.RawQuery)
		} else {
			keys := make([]string, 0, len(q))
			for k := range q {
				if !n.tracking(k) {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			sep := byte('?')
			for _, k := range keys {
				vs := q[k]
				sort.Strings(vs)
				for _, v := range vs {
					b.WriteByte(sep)
					sep = '&'
					b.WriteString(url.QueryEscape(k))
					b.WriteByte('=')
					b.WriteString(url.QueryEscape(v))
				}
			}
		}
	}
	return b.String(), host, nil
}

// normalizeEscapes gives one spelling to paths that name the same resource (RFC 3986 6.2.2):
// an escaped unreserved character is decoded ("%7E" -> "~"), the hex digits of what stays
// escaped are upper-case ("%c3%a9" -> "%C3%A9"), and bytes a path cannot hold as they are
// (non-ASCII, space, '"', '|', ...) are escaped ("é" -> "%C3%A9"). An escaped reserved
// character stays escaped: "%2F" is not a segment boundary, and a server may tell "%3B"
// from ";". A path without '%' or such a byte, as most are, is returned as it is.
func normalizeEscapes(p string) string {
	i := 0
	for i < len(p) && pathKeep[p[i]] {
		i++
	}
	if i == len(p) {
		return p
	}
	var b strings.Builder
	b.Grow(len(p) + 8)
	b.WriteString(p[:i])
	for ; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			d := unhex(p[i+1])<<4 | unhex(p[i+2])
			if pathSafe[d] && d != '/' {
				b.WriteByte(d)
			} else {
				writeEscaped(&b, d)
			}
			i += 2
		case pathKeep[c]:
			b.WriteByte(c)
		default: // a '%' that escapes nothing too: it stands for itself
			writeEscaped(&b, c)
		}
	}
	return b.String()
}

// pathKeep marks the bytes a path holds as they are: unreserved characters, '/', and the
// reserved characters a path may hold (sub-delimiters, ':', '@'; '[' and ']', which the URL
// parser takes too).
var pathKeep = func() (t [256]bool) {
	for c := range 256 {
		t[c] = pathSafe[c] || strings.IndexByte("!$&'()*+,;=:@[]", byte(c)) >= 0
	}
	return t
}()

func writeEscaped(b *strings.Builder, c byte) {
	const hex = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&15])
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// asciiHost is host lower-case, without a final dot, and in its ASCII form when it is an
// internationalised name ("Bücher.de" -> "xn--bcher-kva.de"): the form DNS, certificates and
// most tools use, so both spellings of one site give one object. A name IDNA refuses is kept
// lower-case as written: it still names what was shared.
func asciiHost(host string) string {
	for i := 0; i < len(host); i++ {
		if host[i] >= utf8.RuneSelf {
			if a, err := idna.Lookup.ToASCII(host); err == nil {
				host = a
			}
			break
		}
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// RegistrableDomain is the eTLD+1 of host ("news.bbc.co.uk" -> "bbc.co.uk"), or host itself
// when it has none (an IP address, a bare public suffix); an internationalised name in its
// ASCII form ("bücher.de" -> "xn--bcher-kva.de"), as URL objects have it.
func RegistrableDomain(host string) string {
	host = asciiHost(host)
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// NormalizeURL applies the default URL rules (see urlNormalizer.normalize).
func NormalizeURL(raw string) (string, error) {
	s, _, err := newURLNormalizer(defaultTracking).normalize(raw)
	return s, err
}

// scanURLs finds http(s) URLs in text, in order. A URL ends at white space; trailing
// punctuation that closes a sentence is not part of it. URLs cut by the platform with an
// ellipsis ("https://t.co/ab…") are skipped: they do not name the object.
func scanURLs(text string, found func(start, end int, usable bool)) {
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], "http")
		if j < 0 {
			return
		}
		start := i + j
		rest := text[start:]
		if !strings.HasPrefix(rest, "http://") && !strings.HasPrefix(rest, "https://") {
			i = start + 4
			continue
		}
		end := start
		for end < len(text) && !isSpaceByte(text[end]) {
			end++
		}
		i = end
		u := text[start:end]
		if strings.Contains(u, "…") {
			found(start, end, false) // blank it out of the text, but no object
			continue
		}
		for len(u) > 0 && strings.IndexByte(".,;:!?)]}\"'»", u[len(u)-1]) >= 0 {
			u = u[:len(u)-1]
		}
		found(start, start+len(u), true)
	}
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
}
