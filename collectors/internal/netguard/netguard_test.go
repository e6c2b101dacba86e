package netguard

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"93.184.215.14", ""},
		{"8.8.8.8", ""},
		{"2001:4860:4860::8888", ""},
		{"172.32.0.1", ""}, // just past 172.16.0.0/12
		{"100.128.0.1", ""},
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.254", "private"},
		{"192.168.1.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"169.254.169.254", "link-local address (cloud metadata"},
		{"::ffff:169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"fd00:ec2::254", "private"}, // AWS's IPv6 metadata address
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.254", "carrier-grade NAT"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "this network"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "reserved"},
	} {
		got := Classify(netip.MustParseAddr(tc.ip))
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("Classify(%s) = %q, want %q", tc.ip, got, tc.want)
		}
	}
}

func TestGuardCheck(t *testing.T) {
	g := &Guard{Allow: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.5:8080")}, Hint: "set the option"}
	for _, tc := range []struct{ addr, want string }{
		{"93.184.215.14:443", ""},
		{"10.0.0.5:8080", ""}, // the configured literal address
		{"[::ffff:10.0.0.5]:8080", ""},
		{"10.0.0.5:8123", "refused: 10.0.0.5:8123 is a private address (RFC 1918); set the option"}, // another port of it
		{"127.0.0.1:18123", "refused: 127.0.0.1:18123 is a loopback address"},
		{"[fe80::1%eth0]:80", "link-local"},
		{"@/unix", "not an IP address"},
	} {
		err := g.Check(tc.addr)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Check(%s) = %v, want %q", tc.addr, err, tc.want)
		}
	}
}

func TestLiteralAddr(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"http://10.0.0.5/", "10.0.0.5:80"},
		{"https://10.0.0.5/", "10.0.0.5:443"},
		{"http://127.0.0.1:8080/x", "127.0.0.1:8080"},
		{"http://[::1]:9000/", "[::1]:9000"},
		{"http://localhost:8080/", ""},
		{"https://www.example.org/", ""},
	} {
		ap, ok := LiteralAddr(tc.url)
		if got := ap.String(); ok != (tc.want != "") || (ok && got != tc.want) {
			t.Errorf("LiteralAddr(%s) = %s %v, want %q", tc.url, got, ok, tc.want)
		}
	}
}
