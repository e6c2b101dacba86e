package entities

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestPlainURLAsParsed checks the parser-free path against the URL parser: on every link it
// takes, it must give the parser's object and host, and it must leave to the parser every
// link it cannot take exactly.
func TestPlainURLAsParsed(t *testing.T) {
	n := newURLNormalizer(defaultTracking)
	links := []string{
		"https://t.co/FebJcMKNae", "http://example.org/a/b-c.html", "https://www.lemonde.fr/", "https://www./",
		"https://x.org//a//", "https://example.com.", "https://./", "https://", "https:///x", "http://a..b/~x_y.z",
		"https://www.www.x.org/p/", "https://x.org/Case/Path", "https://x.org/a%20b", "https://x.org/a?b=1",
		"https://x.org/a#f", "https://X.org/a", "https://x.org:443/a", "https://u@x.org/a", " https://x.org/a",
		"https://x.org/a ", "https://[::1]/a", "https://x.org/a b", "https://x.org/é", "HTTPS://x.org/a",
		"https://x.org/a/./b/../c", "ftp://x.org/a", "https:x.org", "https://-/-",
	}
	// And random links over the characters that matter at each place.
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(from string, n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(from[r.IntN(len(from))])
		}
		return b.String()
	}
	for range 20000 {
		link := []string{"https://", "http://", "HTTP://", "https:/"}[r.IntN(4)]
		if r.IntN(3) == 0 {
			link += "www."
		}
		link += pick("abcxyz019.-.AZ:@%_", r.IntN(12)) + pick("/abAZ09-._~/%?#&=é :@+!", r.IntN(16))
		links = append(links, link)
	}
	for _, link := range links {
		norm, host, ok := plainURL(link)
		wantNorm, wantHost, err := n.parse(link)
		if !ok {
			continue
		}
		if err != nil {
			if host != "" {
				t.Errorf("%q: plain path gives %q, %q; the parser refuses it: %v", link, norm, host, err)
			}
			continue
		}
		if norm != wantNorm || host != wantHost {
			t.Errorf("%q: plain path gives %q, %q; the parser %q, %q", link, norm, host, wantNorm, wantHost)
		}
	}
	if _, _, ok := plainURL("https://t.co/FebJcMKNae"); !ok {
		t.Error("plain path refuses a t.co link")
	}
}

// The table-driven hex digits against fmt, appended after a prefix as keys are built.
func TestAppendHexMatchesFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 100_000 {
		h := r.Uint64() >> (i % 64) // short and long numbers alike: leading zeros kept
		prefix := "neartext:" + strconv.Itoa(i%9) + "-"
		got := string(appendHex([]byte(prefix), h))
		if want := prefix + fmt.Sprintf("%016x", h); got != want {
			t.Fatalf("appendHex(%q, %#x) = %q, want %q", prefix, h, got, want)
		}
	}
}
