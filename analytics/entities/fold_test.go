package entities

import (
	"math/rand/v2"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// TestFoldMatchesTransform checks the rune-by-rune fast path against the full x/text chain.
func TestFoldMatchesTransform(t *testing.T) {
	chain := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), cases.Fold(), norm.NFC)
	f := newFolder()
	for _, s := range []string{
		"Mélenchon", "ÉLYSÉE", "Straße", "Ærø", "Œuvre d’Éric", "Ça va ? 🇫🇷 …", "ΣΊΣΥΦΟΣ", "İstanbul",
		"Le Pen #LeGrandDébat @JLMélenchon", "naïve façade", "e\u0301te\u0301", "Ｆｕｌｌｗｉｄｔｈ",
	} {
		want, _, _ := transform.String(chain, s)
		if got := f.fold(s); got != want {
			t.Errorf("fold(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestLowRunesByTable checks the tables that fold and tell words for Latin, Greek and
// Cyrillic against the general path, for every character they cover, alone and in a word.
func TestLowRunesByTable(t *testing.T) {
	f := newFolder()
	for r := rune(0); r < lowRunes; r++ {
		want := unicode.IsLetter(r) || unicode.IsDigit(r)
		if r < utf8.RuneSelf {
			want = 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
		}
		if isWordRune(r) != want {
			t.Errorf("isWordRune(%U) = %v, want %v", r, isWordRune(r), want)
		}
		if r < utf8.RuneSelf {
			continue
		}
		for _, s := range []string{string(r), "Ab" + string(r) + "cD", string(r) + string(r)} {
			want := foldByRune(f, s)
			if got := f.appendFold(nil, s); string(got) != string(want) {
				t.Errorf("appendFold(%q) = %q, want %q", s, got, want)
			}
		}
	}
}

// TestLowerASCII checks the eight-bytes-a-step lower-casing against unicode.ToLower on every
// ASCII byte at every position of every length up to 24.
func TestLowerASCII(t *testing.T) {
	for n := 0; n <= 24; n++ {
		for i := range n {
			for c := range byte(utf8.RuneSelf) {
				b := []byte("aZ@[`{mQ0~\x7f\x00AzZa@[`{Mq9!")[:n]
				b = append([]byte(nil), b...)
				b[i] = c
				want := make([]byte, n)
				for k, x := range b {
					want[k] = byte(unicode.ToLower(rune(x)))
				}
				if lowerASCII(b); string(b) != string(want) {
					t.Fatalf("lowerASCII = %q, want %q", b, want)
				}
			}
		}
	}
}

// TestAppendFoldRuns: texts mixing ASCII runs of every length with other characters, folded
// at once, equal the character-by-character fold.
func TestAppendFoldRuns(t *testing.T) {
	f := newFolder()
	r := rand.New(rand.NewPCG(9, 10))
	others := []rune("éÉßΣЖ’…🇫🇷\u0301")
	for range 20_000 {
		var s []rune
		for range r.IntN(6) {
			for range r.IntN(20) {
				s = append(s, rune(r.IntN(utf8.RuneSelf)))
			}
			s = append(s, others[r.IntN(len(others))])
		}
		want := foldByRune(f, string(s))
		if got := f.appendFold([]byte("x"), string(s)); string(got) != "x"+string(want) {
			t.Fatalf("appendFold(%q) = %q, want %q", string(s), got[1:], want)
		}
	}
}

// foldByRune is appendFold's definition, one character at a time: ASCII lower-cased, any
// other character through appendRune.
func foldByRune(f *folder, s string) []byte {
	var b []byte
	for _, c := range s {
		if c < utf8.RuneSelf {
			b = append(b, byte(unicode.ToLower(c)))
		} else {
			b = f.appendRune(b, c)
		}
	}
	return b
}
