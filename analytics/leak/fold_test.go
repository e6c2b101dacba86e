package leak

import (
	"math/rand/v2"
	"testing"
)

// foldRunes is appendFolded without the ASCII table: every character through the rune path.
func foldRunes(dst []byte, s string, seps bool) []byte {
	f := folding{dst: dst, seps: seps}
	for _, r := range s {
		f.rune(r)
	}
	return f.dst
}

// TestASCIIFoldMatchesRunePath: the ASCII table folds exactly as the rune path does, on text
// mixing ASCII, accents, combining marks, hashtags, dots and other scripts.
func TestASCIIFoldMatchesRunePath(t *testing.T) {
	alphabet := []rune("aZz09 .#-_'!@/:\u00e9\u00c9\u00e7\u0301\u0435\u4e2d\u1ec7\u00df\t\n")
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		rs := make([]rune, rng.IntN(40))
		for i := range rs {
			rs[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(rs)
		for _, seps := range []bool{true, false} {
			if got, want := string(appendFolded(nil, s, seps)), string(foldRunes(nil, s, seps)); got != want {
				t.Fatalf("fold %q (seps %v) = %q, rune path %q", s, seps, got, want)
			}
		}
	}
}
