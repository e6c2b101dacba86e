package utf8x

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// TestTwoMatchesUTF8 decodes every one- and two-byte string, every pair of bytes before
// another byte, and random bytes at every offset: Two gives the standard decoder's rune
// exactly when that decoder reads two bytes, and -1 otherwise.
func TestTwoMatchesUTF8(t *testing.T) {
	check := func(s string) {
		t.Helper()
		r := Two(s)
		wr, wn := utf8.DecodeRuneInString(s)
		if wn == 2 && r != wr || wn != 2 && r != -1 {
			t.Fatalf("Two(%q) = %U, want %U (%d bytes)", s, r, wr, wn)
		}
	}
	twos := 0
	for a := range 256 {
		check(string([]byte{byte(a)}))
		for b := range 256 {
			check(string([]byte{byte(a), byte(b)}))
			check(string([]byte{byte(a), byte(b), 0x80}))
			if Two(string([]byte{byte(a), byte(b)})) >= 0 {
				twos++
			}
		}
	}
	if twos != 0x800-0x80 { // U+0080..U+07FF, each once
		t.Fatalf("%d two-byte sequences decoded, want %d", twos, 0x800-0x80)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 64)
	for range 20000 {
		for k := range b {
			b[k] = byte(rng.UintN(256))
		}
		s := string(b)
		for i := 0; i < len(s); i++ {
			check(s[i:])
		}
	}
	check("")
}
