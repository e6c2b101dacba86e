package archive

import "bytes"

// shape is which of the probe's keys a line has, present and not null, by probeKeys index:
// what tells the line shapes apart.
type shape [len(probeKeys)]bool

// probeKeys are the keys the probe holds, all lower case.
var probeKeys = [...]string{"data", "errors", "id_str", "user", "author_id", "platform", "author", "target", "changed", "delete", "limit"}

// Indexes into shape of the keys the line shapes are told by, in probeKeys order.
const (
	kData = iota
	kErrors
	kIDStr
	kUser
	kAuthorID
	kPlatform
	kAuthor
	kTarget
	kChanged
)

// leakwatchPost reports whether DecodeLine takes a line of this shape for a leakwatch post.
func (s shape) leakwatchPost() bool { return !s[kData] && s[kPlatform] && s[kAuthor] }

// tweetV1 reports whether DecodeLine takes a line of this shape for a Twitter v1.1 tweet.
func (s shape) tweetV1() bool {
	return !s[kData] && !(s[kPlatform] && s[kAuthor]) && !(s[kTarget] && s[kChanged]) && (s[kUser] || s[kIDStr])
}

// sniff finds a line's shape by walking its top-level keys without decoding the values: the
// reflection probe copied every value it held (a v1.1 tweet's whole user object) and was a
// third of the cost of reading a tweet. It reports false where it cannot tell the shape as
// the probe would (a key with escapes or non-ASCII letters, a key the probe would match in
// another case, anything malformed); on invalid JSON it may answer, but the decoder that
// follows refuses the line and DecodeLine then takes the general path, for the same error.
func sniff(line []byte) (sh shape, ok bool) {
	s := scanner{b: line}
	ok = s.object(func(key []byte) bool {
		null := s.null()
		if !null && !s.skip() {
			return false
		}
		return sh.set(key, !null)
	})
	return sh, ok
}

// set records key's presence, the last value winning as in the probe. It reports false for a
// key that is a probe key in another case, which the probe's decoder may match: only a key
// with an upper-case letter can be one, or one with a non-ASCII letter that folds to an
// ASCII one (the Kelvin sign, the long s).
func (s *shape) set(key []byte, present bool) bool {
	upper := false
	for _, c := range key {
		switch {
		case c >= 0x80:
			return false
		case 'A' <= c && c <= 'Z':
			upper = true
		}
	}
	for i, k := range probeKeys {
		switch {
		case string(key) == k:
			s[i] = present
			return true
		case upper && bytes.EqualFold(key, []byte(k)):
			return false
		}
	}
	return true
}

// skip passes over the value at s.i, checking only what it needs to find its end.
func (s *scanner) skip() bool {
	end, ok := skipValue(s.b, s.i)
	s.i = end
	return ok
}

// skipValue returns the end of the JSON value at i; it checks only what it needs to find it.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				j, ok := skipString(b, i)
				if !ok {
					return i, false
				}
				i = j
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return i, false
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, i > start
		}
		i++
	}
	return i, i > start
}

// skipString returns the end of the string starting at i: the next quote not escaped, found
// with IndexByte (a text is most of a line).
func skipString(b []byte, i int) (int, bool) {
	for i++; ; {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b), false
		}
		i += q
		n := 0 // backslashes right before the quote: an odd number escapes it
		for n < i && b[i-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return i + 1, true
		}
		i++
	}
}
