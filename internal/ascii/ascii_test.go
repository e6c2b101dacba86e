package ascii

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPrefix puts a byte beyond ASCII at every place of strings around the eight-byte words
// Prefix reads, and checks where it stops against a byte-by-byte look.
func TestPrefix(t *testing.T) {
	for n := 0; n <= 20; n++ {
		plain := strings.Repeat("a", n)
		if got := Prefix(plain); got != n {
			t.Errorf("Prefix(%q) = %d, want %d", plain, got, n)
		}
		for i := range n {
			for _, c := range []byte{0x80, 0xc3, 0xff} {
				b := []byte(plain)
				b[i] = c
				if got := Prefix(string(b)); got != i {
					t.Errorf("Prefix(%q) = %d, want %d", b, got, i)
				}
			}
		}
	}
	for _, s := range []string{"\x7f\x00\x7f\x7f\x7f\x7f\x7f\x7f\x7f", "é", "Former KKK member #BlackLivesMatter https://t.co/x", "…", "12345678é"} {
		want := strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf })
		if want < 0 {
			want = len(s)
		}
		if got := Prefix(s); got != want {
			t.Errorf("Prefix(%q) = %d, want %d", s, got, want)
		}
	}
}
