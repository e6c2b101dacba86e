// Package utf8x decodes the two-byte UTF-8 sequences (Latin accents, Greek, Cyrillic: every
// letter of a Russian post) in line. unicode/utf8 inlines ASCII only and calls out for
// anything longer, and the readers of a post's text (the archive's normalisation check, the
// extractor's tokens and folding, the leak vocabulary) decode every character of a
// non-Latin text.
package utf8x

// Two is the rune of the two-byte sequence s starts with, or -1 when it starts with anything
// else (ASCII, a longer sequence, invalid UTF-8): then utf8.DecodeRuneInString decides. It
// stays small enough to inline, which a version falling back itself did not.
func Two(s string) rune {
	if len(s) > 1 {
		if c, d := s[0], s[1]; c-0xC2 < 0xE0-0xC2 && d&0xC0 == 0x80 {
			return rune(c&0x1F)<<6 | rune(d&0x3F)
		}
	}
	return -1
}
