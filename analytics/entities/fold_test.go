package entities

import (
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
			var want []byte
			for _, c := range s {
				if c < utf8.RuneSelf {
					want = append(want, byte(unicode.ToLower(c)))
				} else {
					want = f.appendRune(want, c)
				}
			}
			if got := f.appendFold(nil, s); string(got) != string(want) {
				t.Errorf("appendFold(%q) = %q, want %q", s, got, want)
			}
		}
	}
}
