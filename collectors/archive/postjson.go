package archive

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/ascii"
)

// fastPost decodes a line leakwatch wrote itself into p, which must be zero, without
// reflection: reflection-driven decoding was most of the time spent reading leakwatch JSONL.
// It takes the shape leakwatch writes (known keys in any order, strings with any escapes,
// nulls, times, the author, hashtags and mentions) and reports false for anything else (a
// key it does not know or spelt in other case, a key twice, links, media, object references,
// a raw payload, invalid UTF-8, a malformed line), leaving the line to the general decoder,
// which gives the same result and names any error. TestFastPostMatchesDecoder and
// FuzzFastPost hold the two to the same result.
//
// own reports whether platform and author are there and not null: with every other key one
// of a Post's, that is what makes DecodeLine take a line for a leakwatch post. nfc reports
// that the text is already what cleanText would make of it (see postText).
func fastPost(line []byte, p *leakwatch.Post) (ok, own, nfc bool) {
	s := scanner{b: line}
	var set uint32
	ok = readFields(&s, postFields, p, &set) && s.end()
	return ok, set&platformAndAuthor == platformAndAuthor, s.textNFC
}

// platformAndAuthor are the bits of platform and author in a set readFields fills.
var platformAndAuthor = func() (bits uint32) {
	for i, f := range postFields {
		if f.name == "platform" || f.name == "author" {
			bits |= 1 << i
		}
	}
	return bits
}()

// field is one key a fast decoder takes: at returns the field of a T its value goes to (a
// *string, *time.Time, *int64, *[]string or *leakwatch.Account).
type field[T any] struct {
	name   string
	at     func(*T) any
	intern bool // a platform name: the known ones are not copied
	text   bool // a post's text: read by postText
}

var postFields = []field[leakwatch.Post]{
	{"platform", func(p *leakwatch.Post) any { return &p.Platform }, true, false},
	{"id", func(p *leakwatch.Post) any { return &p.ID }, false, false},
	{"uri", func(p *leakwatch.Post) any { return &p.URI }, false, false},
	{"created_at", func(p *leakwatch.Post) any { return &p.CreatedAt }, false, false},
	{"observed_at", func(p *leakwatch.Post) any { return &p.ObservedAt }, false, false},
	{"author", func(p *leakwatch.Post) any { return &p.Author }, false, false},
	{"reshare_of", func(p *leakwatch.Post) any { return &p.ReshareOf }, false, false},
	{"quote_of", func(p *leakwatch.Post) any { return &p.QuoteOf }, false, false},
	{"reply_to", func(p *leakwatch.Post) any { return &p.ReplyTo }, false, false},
	{"text", func(p *leakwatch.Post) any { return &p.Text }, false, true},
	{"lang", func(p *leakwatch.Post) any { return &p.Lang }, false, false},
	{"hashtags", func(p *leakwatch.Post) any { return &p.Hashtags }, false, false},
	{"mentions", func(p *leakwatch.Post) any { return &p.Mentions }, false, false},
}

var accountFields = []field[leakwatch.Account]{
	{"id", func(a *leakwatch.Account) any { return &a.ID }, false, false},
	{"handle", func(a *leakwatch.Account) any { return &a.Handle }, false, false},
	{"name", func(a *leakwatch.Account) any { return &a.Name }, false, false},
	{"created_at", func(a *leakwatch.Account) any { return &a.CreatedAt }, false, false},
	{"created_precision", func(a *leakwatch.Account) any { return &a.CreatedPrecision }, false, false},
	{"followers", func(a *leakwatch.Account) any { return &a.Followers }, false, false},
	{"following", func(a *leakwatch.Account) any { return &a.Following }, false, false},
	{"posts", func(a *leakwatch.Account) any { return &a.Posts }, false, false},
}

// readFields reads into v an object whose keys are all in known, each at most once; a null
// value leaves the field as it is, as encoding/json does. set gets a bit for each key with a
// value other than null, by index in known.
//
// It is object's loop written out, with a shortcut: leakwatch writes keys in the order of
// known, so the key after the last one is first tried as it stands, quoted, instead of
// scanned as a string and looked up (a fifth of decoding a line went on keys).
func readFields[T any](s *scanner, known []field[T], v *T, set *uint32) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	var seen uint32
	next := 0 // where the key after the last one is looked for first
	for {
		s.ws()
		i := -1
		if next < len(known) && s.quoted(known[next].name) {
			i = next
		} else {
			start, end, escaped, ok := s.span()
			if !ok || escaped {
				return false
			}
			i = lookup(known, s.b[start:end])
		}
		if i < 0 || seen&(1<<i) != 0 || !s.next(':') {
			return false
		}
		seen |= 1 << i
		next = i + 1
		s.ws()
		if !s.null() {
			*set |= 1 << i
			if !readField(s, known[i], v) {
				return false
			}
		}
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

// readField reads the value of field f of v.
func readField[T any](s *scanner, f field[T], v *T) bool {
	switch dst := f.at(v).(type) {
	case *string:
		switch {
		case f.intern:
			return s.platform(dst)
		case f.text:
			return s.postText(dst)
		}
		return s.strTo(dst)
	case *time.Time:
		start, end, escaped, ok := s.span()
		if !ok || escaped {
			return false
		}
		// A line's observed_at is mostly its created_at, spelt the same: parsed once.
		if raw := s.b[start:end]; len(s.timeRaw) > 0 && string(raw) == string(s.timeRaw) {
			*dst = s.time
			return true
		} else if t, ok := utcTime(raw); ok {
			*dst, s.time, s.timeRaw = t, t, raw
			return true
		}
		// The field's own UnmarshalJSON, so a time parses exactly as the general decoder
		// parses it.
		return dst.UnmarshalJSON(s.b[start-1:end+1]) == nil
	case *int64:
		return s.int(dst)
	case *[]string:
		return s.strings(dst)
	case *leakwatch.Account:
		var fields uint32
		return readFields(s, accountFields, dst, &fields)
	}
	return false
}

// quoted reads the string "name" if it is next, exactly: name is plain ASCII, so those
// bytes are the string a span would find, with nothing to unescape or check.
func (s *scanner) quoted(name string) bool {
	b := s.b[s.i:]
	if len(b) < len(name)+2 || b[0] != '"' || b[len(name)+1] != '"' || string(b[1:len(name)+1]) != name {
		return false
	}
	s.i += len(name) + 2
	return true
}

// lookup returns the index in known of the field named key, or -1 (readFields has tried the
// key it expected next before).
func lookup[T any](known []field[T], key []byte) int {
	for i := range known {
		if known[i].name == string(key) {
			return i
		}
	}
	return -1
}

// scanner reads JSON values from b at i. Every method reports false, rather than an error,
// on what it does not take.
type scanner struct {
	b []byte
	i int
	// copied is b as a string, made at the first unescaped string value: a line's strings
	// (ids, URI, handle, text, language) are cut from one copy instead of each allocated
	// (six allocations a tweet were a fiftieth of a batch analysis). They keep the whole line
	// alive as long as any of them lives; what outlives the line (accounts and post ids in
	// the windows, remembered texts) is bounded by the windows and tables that hold it.
	copied string
	// textNFC: the post's text, as read, is valid UTF-8 in NFC (postText).
	textNFC bool
	// time is the last time utcTime read, from timeRaw.
	time    time.Time
	timeRaw []byte
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		// Any byte above the space ends it at one comparison: between tokens there is
		// mostly nothing at all, and ws runs before every token.
		if c := s.b[s.i]; c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return
		}
		s.i++
	}
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads {"key": value, ...}, calling field with each key (unescaped keys only) to
// read the value.
func (s *scanner) object(field func(key []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		s.ws()
		start, end, escaped, ok := s.span()
		if !ok || escaped || !s.next(':') {
			return false
		}
		s.ws()
		if !field(s.b[start:end]) {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

// null reads a JSON null if one is next.
func (s *scanner) null() bool {
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// span reads a string and returns where its contents are, and whether they hold escapes.
// Control characters and invalid UTF-8 are refused.
//
// It looks at eight bytes a step: a word with no quote, backslash or control character is
// passed whole, non-ASCII bytes included (they only decide whether the contents need a
// UTF-8 check). Byte by byte, a text in Cyrillic took a branch on every byte, and the scan
// was a twentieth of what analyze spends on a tweet.
func (s *scanner) span() (start, end int, escaped, ok bool) {
	start, end, escaped, _, ok = s.spanUTF8(true)
	return start, end, escaped, ok
}

// spanUTF8 is span, with the UTF-8 check of non-ASCII contents left to the caller when check
// is false; high has a byte's high bit set if any byte of the contents has.
func (s *scanner) spanUTF8(check bool) (start, end int, escaped bool, high uint64, ok bool) {
	b := s.b
	if s.i >= len(b) || b[s.i] != '"' {
		return 0, 0, false, 0, false
	}
	start = s.i + 1
	j := start // high: the high bits of every byte looked at, zero for ASCII contents
	for {
		for j+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[j:])
			high |= w
			if m := stopBytes(w); m != 0 {
				j += bits.TrailingZeros64(m) / 8
				break
			}
			j += 8
		}
		for j < len(b) && !stopByte[b[j]] {
			high |= uint64(b[j])
			j++
		}
		if j >= len(b) {
			return 0, 0, false, 0, false
		}
		switch c := b[j]; {
		case c == '"':
			s.i = j + 1
			high &= highBits
			if check && high != 0 {
				if !utf8.Valid(b[start:j]) {
					return 0, 0, false, 0, false
				}
			}
			return start, j, escaped, high, true
		case c == '\\':
			escaped = true
			if j+1 < len(b) {
				high |= uint64(b[j+1]) // invalid UTF-8 is refused after a backslash too
			}
			j += 2 // the escaped character cannot end the string
		default: // a control character
			return 0, 0, false, 0, false
		}
	}
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// stopBytes marks the bytes of w that end a run of plain string contents (a quote, a
// backslash, a control character) with their high bit. Only the lowest mark is sure (a
// borrow can mark bytes above it), and only the lowest is used.
func stopBytes(w uint64) uint64 {
	q := w ^ (lowBits * '"')
	e := w ^ (lowBits * '\\')
	return ((q-lowBits)&^q | (e-lowBits)&^e | (w-lowBits*0x20)&^w) & highBits
}

// stopByte is stopBytes for one byte.
var stopByte = func() (t [256]bool) {
	for c := range t {
		t[c] = c == '"' || c == '\\' || c < 0x20
	}
	return t
}()

func (s *scanner) str() (string, bool) {
	start, end, escaped, ok := s.span()
	if !ok {
		return "", false
	}
	return s.text(start, end, escaped)
}

// text is the string span found at b[start:end].
func (s *scanner) text(start, end int, escaped bool) (string, bool) {
	if escaped {
		return s.unescape(s.b[start:end])
	}
	if s.copied == "" {
		s.copied = string(s.b)
	}
	return s.copied[start:end], true
}

func (s *scanner) strTo(dst *string) bool {
	v, ok := s.str()
	*dst = v
	return ok
}

// postText reads a post's text as strTo does and notes in s.textNFC whether it is valid
// UTF-8 in NFC as it stands, so finishNormalised need not read it again: ASCII contents,
// which the scan has told already, or runes NFC leaves alone, which inNFC tells along with
// UTF-8's validity (in place of the scan's own check). The scan's UTF-8 check and the ASCII
// run measured again after decoding were 1.3 % of a batch analysis of tweets.
func (s *scanner) postText(dst *string) bool {
	start, end, escaped, high, ok := s.spanUTF8(false)
	if !ok {
		return false
	}
	if escaped { // the escaped form is checked as any string's; the decoded text is cleaned later
		if high != 0 && !utf8.Valid(s.b[start:end]) {
			return false
		}
		*dst, ok = s.unescape(s.b[start:end])
		return ok
	}
	v, _ := s.text(start, end, false)
	switch {
	case high == 0:
		s.textNFC = true
	case inNFC(v[ascii.Prefix(v):]):
		s.textNFC = true
	case !utf8.ValidString(v):
		return false
	}
	*dst = v
	return true
}

// platform reads a platform name; the ones leakwatch writes are not copied.
func (s *scanner) platform(dst *string) bool {
	start, end, escaped, ok := s.span()
	if !ok {
		return false
	}
	if !escaped {
		for _, p := range platforms {
			if string(s.b[start:end]) == p {
				*dst = p
				return true
			}
		}
	}
	*dst, ok = s.text(start, end, escaped)
	return ok
}

var platforms = []string{leakwatch.PlatformTwitter, leakwatch.PlatformMastodon, leakwatch.PlatformBluesky, leakwatch.PlatformFeed,
	leakwatch.PlatformArchive, leakwatch.PlatformFacebook}

// unescape decodes a string's escapes as encoding/json does, a lone surrogate becoming
// U+FFFD. Decoded text is never longer than its escaped form: one allocation.
func (s *scanner) unescape(in []byte) (string, bool) {
	var out strings.Builder
	out.Grow(len(in))
	for i := 0; i < len(in); {
		c := in[i]
		if c != '\\' {
			out.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(in) {
			return "", false
		}
		switch e := in[i+1]; e {
		case '"', '\\', '/':
			out.WriteByte(e)
		case 'b':
			out.WriteByte('\b')
		case 'f':
			out.WriteByte('\f')
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'u':
			r, ok := hex4(in[i+2:])
			if !ok {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if len(in)-i >= 6 && in[i] == '\\' && in[i+1] == 'u' {
					r2, ok = hex4(in[i+2:])
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					i += 6
					r = d
				} else {
					r = utf8.RuneError
				}
			}
			out.WriteRune(r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return out.String(), true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// int reads a JSON integer (no fraction or exponent) that fits an int64.
func (s *scanner) int(dst *int64) bool {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || (s.b[digits] == '0' && s.i-digits > 1) {
		return false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return false
		}
	}
	v, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	*dst = v
	return err == nil
}

// strings reads an array of strings; [] is an empty list, not none, as encoding/json has it.
func (s *scanner) strings(dst *[]string) bool {
	if !s.next('[') {
		return false
	}
	out := []string{}
	if s.next(']') {
		*dst = out
		return true
	}
	for {
		s.ws()
		v, ok := s.str()
		if !ok {
			return false
		}
		out = append(out, v)
		if s.next(',') {
			continue
		}
		*dst = out
		return s.next(']')
	}
}

// utcTime parses a time in the form leakwatch writes, "2006-01-02T15:04:05Z" with or without
// a fraction of a second of up to nine digits, to the time time.Time.UnmarshalJSON gives; it
// reports false for any other form (an offset, more digits), left to UnmarshalJSON. It takes
// half the time UnmarshalJSON does, whose parser is made for every offset and for errors.
// TestUTCTimeMatchesUnmarshalJSON holds the two to the same result.
func utcTime(b []byte) (time.Time, bool) {
	if len(b) < len("2006-01-02T15:04:05Z") || b[len(b)-1] != 'Z' || b[10] != 'T' {
		return time.Time{}, false
	}
	nsec := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		for _, c := range frac[1:] {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			nsec = nsec*10 + int(c-'0')
		}
		for range 10 - len(frac) {
			nsec *= 10 // ".5" is 500ms: the digits scaled to nine
		}
	}
	// time.UTC, as UnmarshalJSON gives a time ending in Z.
	return dateTime(b, nsec)
}

// dateTime reads "YYYY-MM-DD?HH:MM:SS" in the first 19 bytes of b (the byte between date
// and time is the caller's to check) as time.Parse reads it, in UTC with nsec nanoseconds;
// false when a field is not its digits or out of range (Parse then says which).
func dateTime[T string | []byte](b T, nsec int) (time.Time, bool) {
	if len(b) < len("2006-01-02T15:04:05") || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year := 100*two(b[0], b[1]) + two(b[2], b[3])
	month, day := two(b[5], b[6]), two(b[8], b[9])
	hour, minute, sec := two(b[11], b[12]), two(b[14], b[15]), two(b[17], b[18])
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// two is the number the decimal digits a and b spell, or notDigits, negative enough that
// year's sum of two pairs is still negative.
func two(a, b byte) int {
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return notDigits
	}
	return int(a-'0')*10 + int(b-'0')
}

const notDigits = -1 << 20

// daysIn is the number of days in month of year, February 29 in leap years of the
// proleptic Gregorian calendar the time package uses.
func daysIn(month, year int) int {
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return 29
	}
	return monthDays[month-1]
}

var monthDays = [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
