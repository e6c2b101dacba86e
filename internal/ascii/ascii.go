// Package ascii measures runs of ASCII in text. Most of a post's text is ASCII, and every
// reader of it (the archive's normalisation, the extractor's folding) skips such runs before
// it does anything costlier: eight bytes a step instead of one.
package ascii

import (
	"math/bits"
	"unicode/utf8"
)

// Prefix is the length of s's leading run of ASCII bytes. The eight-byte loads combine into
// one, as in utf8.ValidString.
func Prefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if hi := w & 0x8080808080808080; hi != 0 {
			return i + bits.TrailingZeros64(hi)/8 // the first high bit is the first such byte
		}
	}
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	return i
}
