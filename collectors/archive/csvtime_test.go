package archive

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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
				got, err := parseTime(s, time.UTC, &f)
				want, werr := ParseTime(s)
				if err != nil || werr != nil || !got.Equal(want) || f != i {
					t.Errorf("%q starting at layout %d: %v %v, want %v %v, layout %d then %d", s, first, got, err, want, werr, i, f)
				}
			}
		}
	}
}

// TestCleanTextMatchesNormalizer checks the table path of cleanText against the normalizer:
// every rune of the table's ranges alone and after a letter, and random texts mixing table
// runes with combining marks, Hangul jamo, runes NFC changes and invalid bytes. A text the
// table calls NFC must be exactly what the normalizer gives.
func TestCleanTextMatchesNormalizer(t *testing.T) {
	want := func(s string) string { return norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD")) }
	check := func(s string) {
		t.Helper()
		if got := cleanText(s); got != want(s) {
			t.Fatalf("cleanText(%+q) = %+q, want %+q", s, got, want(s))
		}
	}
	var pool []rune
	for _, span := range [][2]rune{{0x80, nfcLow}, {nfcEmoji, nfcEmojiEnd}} {
		for r := span[0]; r < span[1]; r++ {
			if !utf8.ValidRune(r) {
				continue
			}
			check(string(r))
			check("e" + string(r))
			check(string(r) + "\u0301")
			pool = append(pool, r)
		}
	}
	// Runes outside the table, some of which NFC changes or composes with what is before.
	pool = append(pool, 0x1100, 0x1161, 0x11a8, 0xac00, 0x212b, 0x2126, 0xf900, 0x0344, 0x3099, 0x304b, 0xfb2a, 0x1d15e, 0x2f800)
	r := rand.New(rand.NewPCG(7, 8))
	var b strings.Builder
	for range 200_000 {
		b.Reset()
		for range 1 + r.IntN(12) {
			switch r.IntN(8) {
			case 0:
				b.WriteByte(byte('a' + r.IntN(26)))
			case 1:
				b.WriteByte(byte(0x80 + r.IntN(0x80))) // a stray byte: invalid UTF-8
			default:
				b.WriteRune(pool[r.IntN(len(pool))])
			}
		}
		check(b.String())
	}
	// The table must hold what it is for: accented Latin, curly quotes, emoji.
	for _, s := range []string{"élection présidentielle", "l’équipe", "Wahl 2017 – Größe", "выборы", "🇫🇷 #MacronLeaks 😂"} {
		if !inNFC(s) {
			t.Errorf("inNFC(%q) = false, want the table to take it", s)
		}
	}
}

// TestParseTimeMatchesLayouts holds the fast path for "YYYY-MM-DD HH:MM:SS" (and with a T)
// to time.Parse over the layouts: every day of a leap and a common year and their neighbours
// beyond month ends, every field at and past its range, and every byte of the form replaced.
func TestParseTimeMatchesLayouts(t *testing.T) {
	general := func(s string) (time.Time, error) {
		s = strings.TrimSpace(s) // as ParseTime does
		for _, layout := range timeLayouts {
			if at, err := time.Parse(layout, s); err == nil {
				return at.UTC(), nil
			}
		}
		return time.Time{}, errors.New("refused")
	}
	var inputs []string
	for _, y := range []int{0, 1900, 2000, 2016, 2017, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				inputs = append(inputs, fmt.Sprintf("%04d-%02d-%02d 12:34:56", y, m, d), fmt.Sprintf("%04d-%02d-%02dT23:59:59", y, m, d))
			}
		}
	}
	for _, hms := range []string{"00:00:00", "23:59:59", "24:00:00", "00:60:00", "00:00:60", "99:99:99", "2:50:00 ", " 2:50:00"} {
		inputs = append(inputs, "2016-08-02 "+hms, "2016-08-02T"+hms)
	}
	inputs = append(inputs, bytesReplaced("2016-08-02 02:50:00", "2016-08-02T02:50:00")...)
	fast := 0
	for _, in := range inputs {
		want, werr := general(in)
		got, err := ParseTime(in)
		if (err == nil) != (werr == nil) || !got.Equal(want) || got.Location() != want.Location() {
			t.Fatalf("ParseTime(%q) = %v, %v; the layouts give %v, %v", in, got, err, want, werr)
		}
		if _, ok := dateTime(in, 0); ok {
			fast++
		}
	}
	if fast < len(inputs)/2 {
		t.Fatalf("only %d of %d inputs took the fast path", fast, len(inputs))
	}
}
