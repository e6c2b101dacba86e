package archive

import (
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch"
)

// fastPost decodes a line leakwatch wrote itself into p, which must be zero, without
// reflection: reflection-driven decoding was most of the time spent reading leakwatch JSONL.
// It takes the shape leakwatch writes (known keys in any order, strings with any escapes,
// nulls, times, the author, hashtags and mentions) and reports false for anything else (a
// key it does not know or spelt in other case, a key twice, links, media, object references,
// a raw payload, invalid UTF-8, a malformed line), leaving the line to the general decoder,
// which gives the same result and names any error. TestFastPostMatchesDecoder and
// FuzzFastPost hold the two to the same result.
func fastPost(line []byte, p *leakwatch.Post) bool {
	s := scanner{b: line}
	return readFields(&s, postFields, p) && s.end()
}

// field is one key a fast decoder takes and how it reads the value into a T.
type field[T any] struct {
	name string
	read func(s *scanner, v *T) bool
}

var postFields = []field[leakwatch.Post]{
	{"platform", func(s *scanner, p *leakwatch.Post) bool {
		v, ok := s.str()
		p.Platform = internPlatform(v)
		return ok
	}},
	{"id", func(s *scanner, p *leakwatch.Post) bool { return s.strTo(&p.ID) }},
	{"uri", func(s *scanner, p *leakwatch.Post) bool { return s.strTo(&p.URI) }},
	{"created_at", func(s *scanner, p *leakwatch.Post) bool { return s.time(p.CreatedAt.UnmarshalJSON) }},
	{"observed_at", func(s *scanner, p *leakwatch.Post) bool { return s.time(p.ObservedAt.UnmarshalJSON) }},
	{"author", func(s *scanner, p *leakwatch.Post) bool {
		return readFields(s, accountFields, &p.Author)
	}},
	{"reshare_of", func(s *scanner, p *leakwatch.Post) bool { return s.strTo(&p.ReshareOf) }},
	{"quote_of", func(s *scanner, p *leakwatch.Post) bool { return s.strTo(&p.QuoteOf) }},
	{"reply_to", func(s *scanner, p *leakwatch.Post) bool { return s.strTo(&p.ReplyTo) }},
	{"text", func(s *scanner, p *leakwatch.Post) bool { return s.strTo(&p.Text) }},
	{"lang", func(s *scanner, p *leakwatch.Post) bool { return s.strTo(&p.Lang) }},
	{"hashtags", func(s *scanner, p *leakwatch.Post) bool { return s.strings(&p.Hashtags) }},
	{"mentions", func(s *scanner, p *leakwatch.Post) bool { return s.strings(&p.Mentions) }},
}

var accountFields = []field[leakwatch.Account]{
	{"id", func(s *scanner, a *leakwatch.Account) bool { return s.strTo(&a.ID) }},
	{"handle", func(s *scanner, a *leakwatch.Account) bool { return s.strTo(&a.Handle) }},
	{"name", func(s *scanner, a *leakwatch.Account) bool { return s.strTo(&a.Name) }},
	{"created_at", func(s *scanner, a *leakwatch.Account) bool { return s.time(a.CreatedAt.UnmarshalJSON) }},
	{"created_precision", func(s *scanner, a *leakwatch.Account) bool { return s.strTo(&a.CreatedPrecision) }},
	{"followers", func(s *scanner, a *leakwatch.Account) bool { return s.int(&a.Followers) }},
	{"following", func(s *scanner, a *leakwatch.Account) bool { return s.int(&a.Following) }},
	{"posts", func(s *scanner, a *leakwatch.Account) bool { return s.int(&a.Posts) }},
}

// readFields reads into v an object whose keys are all in known, each at most once; a null
// value leaves the field as it is, as encoding/json does.
func readFields[T any](s *scanner, known []field[T], v *T) bool {
	var seen uint32
	return s.object(func(key []byte) bool {
		i := slices.IndexFunc(known, func(f field[T]) bool { return f.name == string(key) })
		if i < 0 || seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		return s.null() || known[i].read(s, v)
	})
}

// internPlatform returns the platform names leakwatch writes without a copy each.
func internPlatform(v string) string {
	for _, p := range platforms {
		if v == p {
			return p
		}
	}
	return v
}

var platforms = []string{leakwatch.PlatformTwitter, leakwatch.PlatformMastodon, leakwatch.PlatformBluesky, leakwatch.PlatformFeed,
	leakwatch.PlatformArchive, leakwatch.PlatformFacebook}

// scanner reads JSON values from b at i. Every method reports false, rather than an error,
// on what it does not take.
type scanner struct {
	b   []byte
	i   int
	buf []byte // unescaping
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
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
func (s *scanner) span() (start, end int, escaped, ok bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return 0, 0, false, false
	}
	start = s.i + 1
	ascii := true
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			if !ascii && !utf8.Valid(s.b[start:j]) {
				return 0, 0, false, false
			}
			return start, j, escaped, true
		case c == '\\':
			escaped = true
			j++ // the escaped character cannot end the string
		case c < 0x20:
			return 0, 0, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return 0, 0, false, false
}

func (s *scanner) str() (string, bool) {
	start, end, escaped, ok := s.span()
	if !ok {
		return "", false
	}
	if !escaped {
		return string(s.b[start:end]), true
	}
	return s.unescape(s.b[start:end])
}

func (s *scanner) strTo(dst *string) bool {
	v, ok := s.str()
	*dst = v
	return ok
}

// unescape decodes a string's escapes as encoding/json does, a lone surrogate becoming
// U+FFFD.
func (s *scanner) unescape(in []byte) (string, bool) {
	out := s.buf[:0]
	for i := 0; i < len(in); {
		c := in[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(in) {
			return "", false
		}
		switch e := in[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
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
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	s.buf = out
	return string(out), true
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

// time hands a quoted time without escapes to the field's own UnmarshalJSON, so it is parsed
// exactly as the general decoder parses it.
func (s *scanner) time(unmarshal func([]byte) error) bool {
	start, end, escaped, ok := s.span()
	return ok && !escaped && unmarshal(s.b[start-1:end+1]) == nil
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
