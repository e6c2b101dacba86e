package sites

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"math/big"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

var start = time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)

// fakeClock makes waiting instant: after advances the clock by the wait.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.t
	return ch
}

// testNet sends every host name to one test server, so targets can have real-looking names
// that the fake resolver answers for; down makes dials fail as a dead server would.
type testNet struct {
	mu   sync.Mutex
	addr string
	down bool
}

func (n *testNet) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	n.mu.Lock()
	addr, down := n.addr, n.down
	n.mu.Unlock()
	if down {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func (n *testNet) setDown(v bool) {
	n.mu.Lock()
	n.down = v
	n.mu.Unlock()
}

func (n *testNet) client(roots *x509.CertPool) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:     n.dial,
		TLSClientConfig: &tls.Config{RootCAs: roots},
	}}
}

// fakeDNS answers from tables; fail makes every lookup fail with a temporary error.
type fakeDNS struct {
	mu    sync.Mutex
	ips   map[string][]string
	cname map[string]string
	mx    map[string][]*net.MX
	ns    map[string][]string
	txt   map[string][]string
	fail  bool
}

func newFakeDNS() *fakeDNS {
	return &fakeDNS{ips: map[string][]string{}, cname: map[string]string{}, mx: map[string][]*net.MX{}, ns: map[string][]string{}, txt: map[string][]string{}}
}

func (f *fakeDNS) do(name string, fn func()) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true}
	}
	fn()
	return nil
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeDNS) LookupIPAddr(_ context.Context, host string) (out []net.IPAddr, err error) {
	if e := f.do(host, func() {
		for _, s := range f.ips[host] {
			out = append(out, net.IPAddr{IP: net.ParseIP(s)})
		}
	}); e != nil {
		return nil, e
	}
	if len(out) == 0 {
		return nil, notFound(host)
	}
	return out, nil
}

func (f *fakeDNS) LookupCNAME(_ context.Context, host string) (c string, err error) {
	err = f.do(host, func() { c = f.cname[host] })
	if c == "" && err == nil {
		c = host + "."
	}
	return c, err
}

func (f *fakeDNS) LookupMX(_ context.Context, name string) (out []*net.MX, err error) {
	err = f.do(name, func() { out = f.mx[name] })
	return out, err
}

func (f *fakeDNS) LookupNS(_ context.Context, name string) (out []*net.NS, err error) {
	err = f.do(name, func() {
		for _, h := range f.ns[name] {
			out = append(out, &net.NS{Host: h})
		}
	})
	return out, err
}

func (f *fakeDNS) LookupTXT(_ context.Context, name string) (out []string, err error) {
	err = f.do(name, func() { out = f.txt[name] })
	if len(out) == 0 && err == nil {
		return nil, notFound(name)
	}
	return out, err
}

// selfSigned makes a certificate for host expiring at notAfter.
func selfSigned(t *testing.T, host string, notAfter time.Time) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(notAfter.Unix()),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

func fingerprint(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}

// pages serves a sequence of responses per host+path: the n-th request gets resp(n).
type pages struct {
	mu    sync.Mutex
	count map[string]int
	serve map[string]func(n int, w http.ResponseWriter, r *http.Request)
}

func newPages() *pages {
	return &pages{count: map[string]int{}, serve: map[string]func(int, http.ResponseWriter, *http.Request){}}
}

func (p *pages) handle(hostPath string, f func(n int, w http.ResponseWriter, r *http.Request)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serve[hostPath] = f
}

func (p *pages) hits(hostPath string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count[hostPath]
}

func (p *pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Host + r.URL.Path
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		key = h + r.URL.Path
	}
	p.mu.Lock()
	n := p.count[key]
	p.count[key]++
	f := p.serve[key]
	p.mu.Unlock()
	if f == nil {
		http.NotFound(w, r)
		return
	}
	f(n, w, r)
}

// htmlAt serves bodies[min(n, len-1)] as HTML.
func htmlAt(bodies ...string) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(bodies[min(n, len(bodies)-1)]))
	}
}

func changedIs(got []string, want ...string) bool { return slices.Equal(got, want) }

// allowPrivate opts targets in to private networks: the rig's test server listens on
// 127.0.0.1, which the watcher refuses otherwise.
func allowPrivate(targets []Target) []Target {
	out := slices.Clone(targets)
	for i := range out {
		out[i].AllowPrivateNetworks = true
	}
	return out
}
