package leak

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch"
)

// refFold and refSplit are the two passes foldSpans replaced: fold the whole text, then scan
// the folded buffer for the words between separators. refFold is the fold as it was, with a
// state of its own, so that it shares nothing with foldSpans but the per-rune helpers.
func refFold(dst []byte, s string, seps bool) []byte {
	var sepRunes int
	var last rune
	word := func() {
		if sepRunes > 0 && seps {
			switch {
			case last == '#':
				dst = append(dst, '#')
			case sepRunes == 1 && last == '.' && len(dst) > 0:
				dst = append(dst, '.')
			case len(dst) > 0:
				dst = append(dst, ' ')
			}
		}
		sepRunes = 0
	}
	for _, r := range s {
		switch {
		case r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r):
		case !isWord(r):
			sepRunes++
			last = r
		default:
			word()
			dst = appendFoldedRune(dst, r)
		}
	}
	return dst
}

func refSplit(dst []span, buf []byte) []span {
	start := -1
	for i := 0; i <= len(buf); i++ {
		sep := i == len(buf) || buf[i] == ' ' || buf[i] == '.' || buf[i] == '#'
		if !sep && start < 0 {
			start = i
		}
		if sep && start >= 0 {
			dst = append(dst, span{start: start, end: i, hash: start > 0 && buf[start-1] == '#'})
			start = -1
		}
	}
	return dst
}

// refText is Matcher.text over refFold and refSplit, scanning for domains whatever the text.
func refText(m *Matcher, s *scratch, text string) {
	if text == "" {
		return
	}
	buf := refFold(nil, text, true)
	toks := refSplit(nil, buf)
	for i := 0; i < len(toks); {
		j := i
		for j+1 < len(toks) && toks[j+1].start == toks[j].end+1 && buf[toks[j].end] == '.' {
			j++
		}
		if j > i {
			for k := i; k <= j; k++ {
				toks[k].host = true
			}
			end := toks[j].end
			for k := i; k < j; k++ {
				if d, ok := m.domains[string(buf[toks[k].start:end])]; ok {
					s.found = append(s.found, d)
					break
				}
			}
		}
		i = j + 1
	}
	for i, tk := range toks {
		if tk.host {
			continue
		}
		w := buf[tk.start:tk.end]
		for _, ti := range m.words[string(w)] {
			if m.matchAt(buf, toks, i, &m.terms[ti]) {
				s.found = append(s.found, m.terms[ti].ev)
			}
		}
		for _, ti := range m.prefixes {
			t := &m.terms[ti]
			if hasPrefix(w, t.words[0]) && (!t.hash || tk.hash) {
				s.found = append(s.found, t.ev)
			}
		}
	}
}

// spanTexts are texts of the kinds posts carry, and pieces for random ones.
var spanTexts = []string{
	"", " ", ".", "#", "##", "#.", ".#", "a", "A.", ".a", "#a", "a#", "a.b", "a..b", "a. b", "a .b",
	"a#b", "a #b", "a# b", "a.#b", "a#.b", "#a#b", "'", "l'état", "aujourd'hui", "don't",
	"Leaked emails from pastebin.com/xyz", "PASTEBIN.COM", "see www.pastebin.com.", "mega.co.nz!",
	"https://pastebin.com/raw/Ab12?x=1#frag", "http://t.co/abc… #DNCLeaks", "x.archive.org/web/2016",
	"Fuite de données : les documents volés de l'Élysée #MacronLeaks",
	"Des courriels piratés ont été piratés… a été piraté", "Œuvre, cœur, Æsir, Straße, Łódź, Đorđe",
	"Утечка документов: взломанные письма #слив", "🔥🔥 LEAKED 🔥 #Wikileaks 😱", "e\u0301te\u0301 e\u0301",
	"mails  internes\tet\ncourriels internes", "e-mails internes", "data.dump", "data dump.",
	"1.2.3.4", "v1.0", "Việt Nam", "ǅemal", "Kelvin \u212a", "İstanbul", "中文 leak 中文", "#leak#leaks",
	"document dump#x", "  leading and trailing  ", "dcleaks.com/x wikileaks.org",
}

var spanPieces = []string{
	"a", "Z", "z", "0", "9", " ", ".", "..", "#", "-", "_", "'", "’", "!", "@", "/", ":", "\t", "\n",
	"é", "É", "ç", "\u0301", "œ", "Œ", "ß", "е", "Ж", "中", "ệ", "🔥", "leak", "Leaked", "emails",
	"pastebin", "com", "www", "fuitées", "piratés", "données", "\u212a", "\xff", "\xe2\x80",
}

func randomSpanTexts(n int) []string {
	rng := rand.New(rand.NewPCG(5, 6))
	out := slices.Clone(spanTexts)
	for range n {
		var b strings.Builder
		for range rng.IntN(30) {
			b.WriteString(spanPieces[rng.IntN(len(spanPieces))])
		}
		out = append(out, b.String())
	}
	return out
}

// TestFoldSpansMatchesTwoPasses: folding and splitting in one pass writes the same buffer and
// finds the same words as folding then splitting the folded buffer.
func TestFoldSpansMatchesTwoPasses(t *testing.T) {
	for _, s := range randomSpanTexts(50000) {
		wantBuf := refFold(nil, s, true)
		wantToks := refSplit(nil, wantBuf)
		buf, toks, dots := foldSpans(nil, nil, s)
		if string(buf) != string(wantBuf) {
			t.Fatalf("foldSpans(%q) wrote %q, two passes %q", s, buf, wantBuf)
		}
		if !slices.Equal(toks, wantToks) {
			t.Fatalf("foldSpans(%q) words %v, two passes %v", s, toks, wantToks)
		}
		if dots != strings.Contains(string(wantBuf), ".") {
			t.Fatalf("foldSpans(%q) dots %v, buffer %q", s, dots, wantBuf)
		}
		for _, seps := range []bool{true, false} {
			if got, want := string(appendFolded(nil, s, seps)), string(refFold(nil, s, seps)); got != want {
				t.Fatalf("appendFolded(%q, %v) = %q, reference %q", s, seps, got, want)
			}
		}
	}
}

// TestFoldedWordsHoldNoSeparator: no word character folds to ' ', '.' or '#', which is what
// lets foldSpans find the words as it writes the separators.
func TestFoldedWordsHoldNoSeparator(t *testing.T) {
	var b []byte
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !isWord(r) {
			continue
		}
		b = appendFoldedRune(b[:0], r)
		if strings.ContainsAny(string(b), " .#") {
			t.Fatalf("%U folds to %q", r, b)
		}
	}
}

// TestTextMatchesReference: the matcher finds the same evidence, in the same order, as the
// two-pass reference, with the default terms and with prefix and hashtag terms.
func TestTextMatchesReference(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ExtraTerms = []string{"pirat*", "#leak*", "data dump*", "état", "#слив", "утечка документов"}
	cfg.ExtraDomains = []string{"t.co", "co.nz", "archive.org"}
	for _, m := range []*Matcher{NewMatcher(DefaultConfig()), NewMatcher(cfg)} {
		seen := map[string]bool{}
		for _, s := range randomSpanTexts(50000) {
			got, want := new(scratch), new(scratch)
			m.text(got, s)
			refText(m, want, s)
			if !slices.Equal(got.found, want.found) {
				t.Fatalf("text(%q) found %v, reference %v", s, got.found, want.found)
			}
			ev := m.Evidence(leakwatch.Post{Text: s})
			want.found = slices.Compact(slices.Sorted(slices.Values(want.found)))
			var wantEv []string
			for _, f := range want.found {
				wantEv = append(wantEv, m.evidence[f])
			}
			slices.Sort(wantEv)
			if !slices.Equal(ev, wantEv) {
				t.Fatalf("Evidence(%q) = %v, reference %v", s, ev, wantEv)
			}
			for _, e := range ev {
				seen[e[:strings.IndexByte(e, ':')]] = true
			}
		}
		if !seen["domain"] || !seen["term"] {
			t.Fatalf("the texts found only %v: they do not exercise the matcher", seen)
		}
	}
}

// TestRuneTablesMatchRunePath: every character, between words, next to separators and
// alone, folds by the tables and ranges of fold as it does the general way.
func TestRuneTablesMatchRunePath(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if 0xD800 <= r && r < 0xE000 {
			continue
		}
		c := string(r)
		for _, s := range []string{c, "a" + c + "b", ". " + c + ".#x", "é" + c + c + "ж"} {
			if got, want := string(appendFolded(nil, s, true)), string(refFold(nil, s, true)); got != want {
				t.Fatalf("fold %q (%U) = %q, rune path %q", s, r, got, want)
			}
		}
	}
}
