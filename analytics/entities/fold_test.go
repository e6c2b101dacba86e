package entities

import (
	"testing"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
	"unicode"
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
