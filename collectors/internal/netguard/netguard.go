// Package netguard keeps collectors that fetch URLs chosen by others (watched leak sites,
// feeds: hostile by definition) out of private networks. A site can redirect to the cloud
// metadata address, to ClickHouse's HTTP port on 127.0.0.1 or to any LAN host, or its name
// can resolve to one; the collector would fetch it and store what came back. The guard
// checks the address of every connection as it is dialled (a net.Dialer Control function),
// so redirects, DNS answers and DNS rebinding are covered alike.
// It must not import leakwatch or any source package.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// RefusedError is a connection the guard did not let through.
type RefusedError struct {
	Addr string // "ip:port" as dialled
	// Reason says what kind of address it is: "a loopback address".
	Reason string
	// Via names the redirect that led there, when the caller knows it.
	Via string
	// Hint tells the operator what to do if the address is theirs.
	Hint string
}

func (e *RefusedError) Error() string {
	msg := "refused: " + e.Addr + " is " + e.Reason
	if e.Via != "" {
		msg += ", reached by the redirect " + e.Via
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// ranges are the non-public networks, in the order they are looked up; the first match names
// the address. Loopback, link-local, multicast and unspecified come from netip's own tests.
var ranges = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "in 0.0.0.0/8 (\"this network\", which Linux dials as the local host)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address (100.64.0.0/10, RFC 6598)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address (240.0.0.0/4, broadcast included)"},
	{netip.MustParsePrefix("fc00::/7"), "a private address (IPv6 unique local, fc00::/7)"},
}

// Classify says why ip is not a public address, or returns "" when it is one.
func Classify(ip netip.Addr) string {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case !ip.IsValid():
		return "not an IP address"
	case ip.IsLoopback():
		return "a loopback address (this host's own services, ClickHouse and Kafka among them)"
	case ip.IsUnspecified():
		return "the unspecified address (the local host when dialled)"
	case ip.IsLinkLocalUnicast():
		return "a link-local address (cloud metadata lives there)"
	case ip.IsMulticast():
		return "a multicast address"
	}
	for _, r := range ranges {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	return ""
}

// Guard refuses connections to non-public addresses. The zero value refuses all of them.
type Guard struct {
	// Allow lets these exact addresses and ports through although they are private: the
	// literal IP of a configured URL, which the operator wrote and no site chose.
	Allow []netip.AddrPort
	// Hint ends every refusal: what the operator can set if the address is theirs.
	Hint string
	// Classify replaces the package's Classify (tests); nil uses it.
	Classify func(netip.Addr) string
}

// AllowLiteral lets through the address and port of a configured URL whose host is a literal
// IP: the operator wrote it, no site chose it. Where it redirects to is checked like any
// other address. Other URLs are left to the check.
func (g *Guard) AllowLiteral(rawURL string) {
	if ap, ok := LiteralAddr(rawURL); ok {
		g.Allow = append(g.Allow, ap)
	}
}

// Check refuses address ("ip:port", as a dialler sees it after resolution) unless it is
// public or allowed.
func (g *Guard) Check(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Addr: address, Reason: "not an IP address and port, so it cannot be checked", Hint: g.Hint}
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if slices.Contains(g.Allow, ap) {
		return nil
	}
	classify := g.Classify
	if classify == nil {
		classify = Classify
	}
	if reason := classify(ap.Addr()); reason != "" {
		return &RefusedError{Addr: ap.String(), Reason: reason, Hint: g.Hint}
	}
	return nil
}

// Control is a net.Dialer Control function: it runs after name resolution and before the
// connection is made, for every address tried.
func (g *Guard) Control(_, address string, _ syscall.RawConn) error { return g.Check(address) }

// Transport returns a copy of base (nil: http.DefaultTransport) whose connections g checks.
// A nil g copies base unchanged (allow_private_networks). The default dialler gets g as its
// Control function; a dial function set on base (a proxy dialler, a test network) is kept and
// its connection checked by the address it reached, before a byte is sent.
func Transport(base http.RoundTripper, g *Guard) (*http.Transport, error) {
	if base == nil {
		base = http.DefaultTransport
	}
	tr, ok := base.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("the HTTP client's transport is a %T; refusing private addresses needs an *http.Transport", base)
	}
	dflt := tr == http.DefaultTransport
	tr = tr.Clone()
	if g == nil {
		return tr, nil
	}
	// Dial is deprecated but still honoured by net/http, so a client setting it is guarded too.
	switch {
	case dflt || (tr.DialContext == nil && tr.Dial == nil):
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: g.Control}
		tr.DialContext, tr.Dial = d.DialContext, nil
	case tr.DialContext != nil:
		tr.DialContext = g.checked(tr.DialContext)
	default:
		dial := tr.Dial
		tr.DialContext = g.checked(func(_ context.Context, network, addr string) (net.Conn, error) { return dial(network, addr) })
		tr.Dial = nil
	}
	if tr.DialTLSContext != nil {
		tr.DialTLSContext = g.checked(tr.DialTLSContext)
	}
	return tr, nil
}

type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// checked wraps a dial function that g cannot hook into: the connection is checked by its
// remote address and closed, unused, when refused.
func (g *Guard) checked(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if err := g.Check(c.RemoteAddr().String()); err != nil {
			c.Close()
			return nil, &net.OpError{Op: "dial", Net: network, Addr: c.RemoteAddr(), Err: err}
		}
		return c, nil
	}
}

// Client returns a copy of c (nil: a zero client) whose transport g guards; see Transport.
// A nil g copies c as it is.
func Client(c *http.Client, g *Guard) (*http.Client, error) {
	var out http.Client
	if c != nil {
		out = *c
	}
	if g == nil {
		return &out, nil // any transport will do when nothing is refused
	}
	tr, err := Transport(out.Transport, g)
	if err != nil {
		return nil, err
	}
	out.Transport = tr
	return &out, nil
}

// LiteralAddr returns the address and port of rawURL when its host is a literal IP, the
// port defaulting to the scheme's (80, 443).
func LiteralAddr(rawURL string) (netip.AddrPort, bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return netip.AddrPort{}, false
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil || ip.Zone() != "" {
		return netip.AddrPort{}, false
	}
	port := uint64(80)
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.ParseUint(p, 10, 16); err != nil {
			return netip.AddrPort{}, false
		}
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), true
}

// CheckScheme refuses a redirect to anything but http and https.
func CheckScheme(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("refused: redirect to %s: only http and https redirects are followed", u.Redacted())
	}
	return nil
}

// Refused returns the refusal inside err, if there is one.
func Refused(err error) (*RefusedError, bool) {
	var re *RefusedError
	ok := errors.As(err, &re)
	return re, ok
}
