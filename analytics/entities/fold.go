package entities

import (
	"encoding/binary"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/leakwatch/leakwatch/internal/ascii"
	"github.com/leakwatch/leakwatch/internal/utf8x"
)

// folder lower-cases and strips accents so "Mélenchon", "MELENCHON" and "melenchon" compare
// equal. ASCII text (most of any stream) takes a fast path with no allocation beyond the result;
// the rest goes through NFD, mark removal and Unicode case folding (ß -> ss). A folder is not
// safe for concurrent use: the transformer keeps state.
type folder struct {
	t     transform.Transformer
	cache map[rune]string // folded form of each non-ASCII letter met so far
	buf   []byte
	low   *[lowRunes]packedFold // lowFolds, once needed
}

func newFolder() *folder {
	return &folder{t: transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), cases.Fold(), norm.NFC), cache: map[rune]string{}}
}

// maxFoldCache bounds the per-rune cache (a stream in many scripts would otherwise grow it).
const maxFoldCache = 4096

// fold returns s case- and accent-folded: s itself when it is ASCII without upper case (most
// hashtags and handles), else a copy folded by appendFold.
func (f *folder) fold(s string) string {
	ascii, upper := true, false
	for i := 0; i < len(s) && ascii; i++ {
		c := s[i]
		ascii = c < utf8.RuneSelf
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if ascii && !upper {
		return s
	}
	f.buf = f.appendFold(f.buf[:0], s)
	return string(f.buf)
}

// appendFold appends s folded to dst, the way fold folds it, without making a string: for
// text that is only scanned, as a post's is.
func (f *folder) appendFold(dst []byte, s string) []byte {
	// Post text is NFC (collectors normalise it), so folding rune by rune is the same as
	// folding the string: a precomposed letter decomposes, loses its marks and case-folds on
	// its own. Only letters and marks change; other runes (emoji, punctuation) are copied.
	b := dst
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			// A run of ASCII, most of any text: copied at once, then lower-cased eight
			// bytes a step (a byte a step was 3 % of a batch analysis' instructions).
			j := i + ascii.Prefix(s[i:])
			n := len(b)
			b = append(b, s[i:j]...)
			lowerASCII(b[n:])
			i = j
			continue
		}
		r, size := utf8x.Two(s[i:]), 2
		if r < 0 {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		if r < lowRunes {
			if f.low == nil {
				f.low = lowFolds()
			}
			// A byte at a time: appending the folded string called memmove for every
			// letter of a Cyrillic post.
			switch v := f.low[r]; v >> 24 {
			case 1:
				b = append(b, byte(v))
			case 2:
				b = append(b, byte(v), byte(v>>8))
			case 3:
				b = append(b, byte(v), byte(v>>8), byte(v>>16))
			case longFold:
				b = append(b, lowFoldStrings()[r]...)
			}
			continue
		}
		b = f.appendRune(b, r)
	}
	return b
}

// lowerASCII lower-cases b, which holds only ASCII, in place.
func lowerASCII(b []byte) {
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		// Per byte (each below 0x80, so no carries between bytes): adding 0x3f sets the high
		// bit from 'A' up, adding 0x25 from past 'Z'; where exactly one is set the byte is
		// upper case, and 0x20 (the high bit moved down two) makes it lower case.
		upper := ((w + 0x3f3f3f3f3f3f3f3f) ^ (w + 0x2525252525252525)) & 0x8080808080808080
		binary.LittleEndian.PutUint64(b, w|upper>>2)
		b = b[8:]
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}

// appendRune appends the non-ASCII character r folded: nothing for a combining mark left in
// the text (NFD would drop it), a letter's folded form, anything else (emoji, punctuation)
// as it is.
func (f *folder) appendRune(b []byte, r rune) []byte {
	switch {
	case unicode.Is(unicode.Mn, r):
		return b
	case unicode.IsLetter(r) || unicode.IsUpper(r):
		return append(b, f.rune(r)...)
	default:
		return utf8.AppendRune(b, r)
	}
}

// lowRunes bounds the characters folded by table: Latin, Greek and Cyrillic (U+0000-04FF),
// where most non-ASCII text of a stream is. Looking each up in Unicode's category tables was
// most of the time spent folding Cyrillic posts.
const lowRunes = 0x500

// lowFoldStrings is what appendFold appends for each character below lowRunes, worked out
// the general way once per process, when the first such character is met.
var lowFoldStrings = sync.OnceValue(func() *[lowRunes]string {
	f := newFolder()
	t := new([lowRunes]string)
	for r := rune(utf8.RuneSelf); r < lowRunes; r++ {
		t[r] = string(f.appendRune(nil, r))
	}
	return t
})

// packedFold is a folded form of up to three bytes, first byte lowest, with its length in
// the top byte; longFold there means the form is longer (lowFoldStrings holds it).
type packedFold uint32

const longFold = 4

// lowFolds is lowFoldStrings packed.
var lowFolds = sync.OnceValue(func() *[lowRunes]packedFold {
	t := new([lowRunes]packedFold)
	for r, s := range lowFoldStrings() {
		if len(s) > 3 {
			t[r] = longFold << 24
			continue
		}
		v := packedFold(len(s)) << 24
		for i := range len(s) {
			v |= packedFold(s[i]) << (8 * i)
		}
		t[r] = v
	}
	return t
})

// rune folds one letter through the transform chain, once per distinct letter.
func (f *folder) rune(r rune) string {
	if v, ok := f.cache[r]; ok {
		return v
	}
	f.t.Reset()
	v, _, err := transform.String(f.t, string(r))
	if err != nil {
		v = string(unicode.ToLower(r))
	}
	if len(f.cache) >= maxFoldCache {
		clear(f.cache)
	}
	f.cache[r] = v
	return v
}

// Fold is the folding extraction applies to names, hashtags and text, for callers (config
// validation, tests, queries) that need to compare against extracted values.
func Fold(s string) string { return newFolder().fold(s) }
