package archive

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestTimeLayoutsExclusive: no time cell parses under two of the layouts, so trying the last
// one that worked first (parseTime) never changes a result.
func TestTimeLayoutsExclusive(t *testing.T) {
	times := []time.Time{
		time.Date(2016, 7, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2017, 5, 5, 18, 35, 12, 123456789, time.FixedZone("", 2*3600)),
		time.Date(2017, 12, 31, 23, 59, 59, 0, time.FixedZone("", -5*3600)),
	}
	for i, li := range timeLayouts {
		for _, at := range times {
			s := at.Format(li)
			for j, lj := range timeLayouts {
				if _, err := time.Parse(lj, s); j != i && err == nil {
					t.Errorf("%q (layout %q) also parses as %q", s, li, lj)
				}
			}
			for first := range timeLayouts {
				f := first
				got, err := parseTime(s, &f)
				want, werr := ParseTime(s)
				if err != nil || werr != nil || !got.Equal(want) || f != i {
					t.Errorf("%q starting at layout %d: %v %v, want %v %v, layout %d then %d", s, first, got, err, want, werr, i, f)
				}
			}
		}
	}
}

// TestIsASCII puts a byte beyond ASCII at every place of strings around the eight-byte word
// isASCII reads, and checks it against a byte-by-byte look.
func TestIsASCII(t *testing.T) {
	for n := 0; n <= 20; n++ {
		plain := strings.Repeat("a", n)
		if !isASCII(plain) {
			t.Errorf("isASCII(%q) = false", plain)
		}
		for i := range n {
			for _, c := range []byte{0x80, 0xc3, 0xff} {
				b := []byte(plain)
				b[i] = c
				if isASCII(string(b)) {
					t.Errorf("isASCII(%q) = true", b)
				}
			}
		}
	}
	for _, s := range []string{"\x7f\x00\x7f\x7f\x7f\x7f\x7f\x7f\x7f", "é", "Former KKK member #BlackLivesMatter https://t.co/x", "…"} {
		want := !strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf })
		if got := isASCII(s); got != want {
			t.Errorf("isASCII(%q) = %v, want %v", s, got, want)
		}
	}
}
