package leak

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/utf8x"
	"github.com/leakwatch/leakwatch/internal/wordfilter"
)

// Matcher finds what in a post points to a dump. It runs on every post at extraction, so it
// folds and scans the text once, without regular expressions, and allocates only for what it
// finds. It is safe for concurrent use.
type Matcher struct {
	domains map[string]int // host -> evidence index
	words   map[string][]int
	// firsts holds the keys of words that are a whole term: most words of a text start
	// with a byte or have a length no such word has, and skip the map lookup. pairFirsts
	// holds those that begin longer terms, seconds the second words of those: a word
	// that only begins such terms is looked up only when the next word may be a second
	// one (the article "a" begins "a été piraté", and English texts are full of it).
	firsts, pairFirsts, seconds wordfilter.Filter
	// anySecond: a term's second word is its last and ends in '*', so any word may be one.
	anySecond bool
	// hostFirsts holds the keys of domains: a host name written in a text is looked up
	// only when one starts with its first byte and has its length.
	hostFirsts wordfilter.Filter
	prefixes   []int // terms whose first word ends in '*'
	hashtags   map[string]int
	terms      []term
	evidence   []string // "domain:x" / "term:y" by index
}

type term struct {
	words  []string
	prefix bool // the last word matches any ending
	hash   bool // a hashtag: matches #word in text or a post hashtag
	ev     int
}

// NewMatcher compiles cfg's domains and terms. Invalid entries are skipped; Validate reports
// them.
func NewMatcher(cfg Config) *Matcher {
	m := &Matcher{domains: map[string]int{}, words: map[string][]int{}, hashtags: map[string]int{}}
	index := map[string]int{}
	add := func(ev string) int {
		if i, ok := index[ev]; ok {
			return i
		}
		index[ev] = len(m.evidence)
		m.evidence = append(m.evidence, ev)
		return index[ev]
	}
	for _, d := range slices.Concat(cfg.Domains, cfg.ExtraDomains) {
		if d = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "www."); d != "" {
			m.domains[d] = add("domain:" + d)
			m.hostFirsts.Add(d)
		}
	}
	// An excepted host is found before its dump domain (hosts are looked up from the most
	// specific name up) and ends the look-up with nothing.
	for _, d := range cfg.ExceptDomains {
		if d = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "www."); d != "" {
			m.domains[d] = notDump
			m.hostFirsts.Add(d)
		}
	}
	for _, raw := range slices.Concat(cfg.Terms, cfg.ExtraTerms) {
		s := strings.TrimSpace(raw)
		t := term{hash: strings.HasPrefix(s, "#"), prefix: strings.HasSuffix(s, "*")}
		for _, tk := range tokens(s) {
			t.words = append(t.words, tk.word)
		}
		if len(t.words) == 0 {
			continue
		}
		t.ev = add("term:" + foldString(s))
		if t.hash && !t.prefix && len(t.words) == 1 {
			m.hashtags[t.words[0]] = t.ev
		}
		i := len(m.terms)
		m.terms = append(m.terms, t)
		if t.prefix && len(t.words) == 1 {
			m.prefixes = append(m.prefixes, i)
		} else {
			w := t.words[0]
			m.words[w] = append(m.words[w], i)
			if len(t.words) == 1 {
				m.firsts.Add(w)
			} else {
				m.pairFirsts.Add(w)
				m.seconds.Add(t.words[1])
				m.anySecond = m.anySecond || t.prefix && len(t.words) == 2
			}
		}
	}
	return m
}

// notDump is the domains entry of an excepted host (Config.ExceptDomains).
const notDump = -1

type scratch struct {
	buf   []byte
	toks  []span
	found []int
}

// span is one word of the folded text: buf[start:end], hash when written as #word, host
// when it is a label of a host name written in the text.
type span struct {
	start, end int
	hash       bool
	host       bool
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// Evidence returns the distinct evidence values of p, sorted ("domain:…" before "term:…"),
// or nil.
func (m *Matcher) Evidence(p leakwatch.Post) []string {
	s := scratches.Get().(*scratch)
	defer scratches.Put(s)
	s.found = s.found[:0]

	for _, l := range p.URLs {
		// The registrable domain only when no URL gives the full host: archive.org is
		// a dump site, web.archive.org (excepted) is not, and both have the one domain.
		ex, no, raw := hostOf(l.Expanded), hostOf(l.Normalized), hostOf(l.Raw)
		if ex == "" && no == "" && raw == "" {
			m.host(s, l.Domain)
		}
		m.host(s, ex)
		m.host(s, no)
		m.host(s, raw)
	}
	for _, o := range p.Objects {
		switch o.Kind {
		case leakwatch.KindDomain:
			m.host(s, o.Value)
		case leakwatch.KindURL:
			m.host(s, hostOf(o.Value))
		}
	}
	for _, h := range p.Hashtags {
		s.buf = appendFolded(s.buf[:0], h, false)
		if i, ok := m.hashtags[string(s.buf)]; ok {
			s.found = append(s.found, i)
		}
	}
	m.text(s, p.Text)

	if len(s.found) == 0 {
		return nil
	}
	slices.Sort(s.found)
	s.found = slices.Compact(s.found)
	out := make([]string, len(s.found))
	for i, f := range s.found {
		out[i] = m.evidence[f]
	}
	slices.Sort(out)
	return out
}

// host checks h and each parent domain of it (never the bare top-level domain).
func (m *Matcher) host(s *scratch, h string) {
	if h == "" || len(m.domains) == 0 {
		return
	}
	for {
		if i, ok := m.domains[h]; ok {
			if i != notDump {
				s.found = append(s.found, i)
			}
			return
		}
		dot := strings.IndexByte(h, '.')
		if dot < 0 || strings.IndexByte(h[dot+1:], '.') < 0 {
			return
		}
		h = h[dot+1:]
	}
}

// text folds the post text once and looks for terms and for domains written in it
// ("pastebin.com/xyz" without a scheme is how dumps are often announced).
func (m *Matcher) text(s *scratch, text string) {
	if text == "" {
		return
	}
	var dots bool
	s.buf, s.toks, dots = foldSpans(s.buf[:0], s.toks[:0], text)
	buf, toks := s.buf, s.toks

	// Domains: runs of words joined by single dots (none when no '.' was written).
	for i := 0; dots && i < len(toks); {
		j := i
		for j+1 < len(toks) && toks[j+1].start == toks[j].end+1 && buf[toks[j].end] == '.' {
			j++
		}
		if j > i {
			for k := i; k <= j; k++ {
				toks[k].host = true // a host name's labels are not words of the text
			}
			end := toks[j].end
			for k := i; k < j; k++ { // suffixes with at least one dot
				h := buf[toks[k].start:end]
				if !m.hostFirsts.May(h[0], len(h)) {
					continue // "t.co", in nearly every tweet, is no dump site
				}
				if d, ok := m.domains[string(h)]; ok {
					if d != notDump {
						s.found = append(s.found, d)
					}
					break
				}
			}
		}
		i = j + 1
	}

	for i := range toks {
		tk := &toks[i]
		if tk.host {
			continue
		}
		w := buf[tk.start:tk.end]
		if m.firsts.May(w[0], len(w)) || m.pairFirsts.May(w[0], len(w)) && m.maySecond(buf, toks, i+1) {
			for _, ti := range m.words[string(w)] {
				if m.matchAt(buf, toks, i, &m.terms[ti]) {
					s.found = append(s.found, m.terms[ti].ev)
				}
			}
		}
		if len(m.prefixes) == 0 {
			continue // as with the default terms: the empty loop still cost 10 instructions a word
		}
		for _, ti := range m.prefixes {
			t := &m.terms[ti]
			if hasPrefix(w, t.words[0]) && (!t.hash || tk.hash) {
				s.found = append(s.found, t.ev)
			}
		}
	}
}

// maySecond reports whether word i of the text may be a term's second word.
func (m *Matcher) maySecond(buf []byte, toks []span, i int) bool {
	if i >= len(toks) {
		return false
	}
	return m.anySecond || m.seconds.May(buf[toks[i].start], toks[i].end-toks[i].start)
}

func (m *Matcher) matchAt(buf []byte, toks []span, i int, t *term) bool {
	if t.hash && !toks[i].hash {
		return false
	}
	if i+len(t.words) > len(toks) {
		return false
	}
	for k, w := range t.words {
		got := buf[toks[i+k].start:toks[i+k].end]
		if k == len(t.words)-1 && t.prefix {
			if !hasPrefix(got, w) {
				return false
			}
		} else if string(got) != w {
			return false
		}
	}
	return true
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// hostOf returns the lower-cased host of a URL-ish string, without "www.".
func hostOf(u string) string {
	if u == "" {
		return ""
	}
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	if i := strings.LastIndexByte(u, ':'); i >= 0 && !strings.Contains(u[i:], "]") {
		u = u[:i]
	}
	for i := 0; i < len(u); i++ {
		if 'A' <= u[i] && u[i] <= 'Z' {
			u = strings.ToLower(u)
			break
		}
	}
	return strings.TrimSuffix(strings.TrimPrefix(u, "www."), ".")
}

type token struct {
	word string
	hash bool
}

// tokens folds s and splits it into words, for compiling terms.
func tokens(s string) []token {
	buf, spans, _ := foldSpans(nil, nil, strings.TrimSuffix(strings.TrimSpace(s), "*"))
	var out []token
	for _, sp := range spans {
		out = append(out, token{word: string(buf[sp.start:sp.end]), hash: sp.hash})
	}
	return out
}

// foldString lower-cases and strips accents, keeping punctuation: the canonical spelling of a
// term in evidence ("Fuité" -> "fuite", "#MacronLeaks" -> "#macronleaks").
func foldString(s string) string {
	var b []byte
	for _, r := range s {
		switch {
		case isWord(r):
			b = appendFoldedRune(b, r)
		case !unicode.Is(unicode.Mn, r):
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}

// appendFolded appends s folded: words lower-cased without accents; with seps, every run of
// other characters becomes one separator byte: '#' when it ends in '#', '.' when it is a
// single dot, else ' '. Without seps, other characters are dropped.
func appendFolded(dst []byte, s string, seps bool) []byte {
	f := folding{dst: dst, seps: seps}
	f.fold(s)
	return f.dst
}

// foldSpans is appendFolded with separators that also returns the words of what it wrote,
// as spans appended to toks, and whether it wrote a '.'. The spans are recorded as the
// separators are written: a folded word character is never ' ', '.' or '#', so the words
// are the runs between separators, and the buffer need not be scanned a second time.
func foldSpans(dst []byte, toks []span, s string) ([]byte, []span, bool) {
	f := folding{dst: dst, seps: true, split: true, toks: toks, start: len(dst)}
	f.fold(s)
	if len(f.dst) > f.start {
		f.toks = append(f.toks, span{start: f.start, end: len(f.dst), hash: f.hash})
	}
	return f.dst, f.toks, f.dots
}

// fold appends s folded to f.dst.
func (f *folding) fold(s string) {
	for i := 0; i < len(s); {
		c := s[i]
		// ASCII, most of any text: one table lookup instead of the rune path, and a whole
		// ASCII word in one tight loop. asciiFold is 0 for bytes of other characters too.
		if b := asciiFold[c]; b != 0 {
			f.word()
			dst := append(f.dst, b)
			for i++; i < len(s); i++ {
				b := asciiFold[s[i]]
				if b == 0 {
					break
				}
				dst = append(dst, b)
			}
			f.dst = dst
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8x.Two(s[i:]), 2
			if r < 0 {
				r, size = utf8.DecodeRuneInString(s[i:])
			}
			i += size
			// Latin, Greek and Cyrillic letters, and the punctuation and emoji that fill
			// posts, by table: the rune path looks each up in Unicode's category tables.
			switch {
			case int(r) < len(runeFold):
				// A byte at a time: appending the folded string called memmove for
				// every letter of a Cyrillic post.
				if v := runeFold[r]; v != 0 {
					f.word()
					switch v >> 24 {
					case 1:
						f.dst = append(f.dst, byte(v))
					case 2:
						f.dst = append(f.dst, byte(v), byte(v>>8))
					case 3:
						f.dst = append(f.dst, byte(v), byte(v>>8), byte(v>>16))
					default:
						f.dst = appendFoldedRune(f.dst, r)
					}
				} else if !runeMark[r] {
					f.other(r)
				}
			case 0x2000 <= r && r < 0x2070, 0x1F000 <= r && r < 0x1FB00:
				f.other(r) // General Punctuation, emoji: no letter, digit or mark
			default:
				f.rune(r)
			}
			continue
		}
		f.other(rune(c))
		i++
	}
}

// folding is appendFolded between two characters: what it wrote, and the run of
// non-word characters since the last word. With split, it also records the words written
// (foldSpans): start is where the current word began, hash whether a '#' precedes it.
type folding struct {
	dst      []byte
	seps     bool
	sepRunes int
	last     rune

	split bool
	dots  bool
	hash  bool
	start int
	toks  []span
}

// rune folds one character the general way (any rune; appendFolded takes ASCII by table).
func (f *folding) rune(r rune) {
	switch {
	case r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r):
		// a combining accent belongs to the word it follows
	case !isWord(r):
		f.other(r)
	default:
		f.word()
		f.dst = appendFoldedRune(f.dst, r)
	}
}

// other counts a character between words.
func (f *folding) other(r rune) {
	f.sepRunes++
	f.last = r
}

// word is called before a word character is written: the separator it ends goes first.
func (f *folding) word() {
	if f.sepRunes > 0 && f.seps {
		f.sep()
	}
	f.sepRunes = 0
}

// sep writes the separator for the run of f.sepRunes characters ending in f.last, if any,
// and with split ends the word before it.
func (f *folding) sep() {
	var c byte
	switch {
	case f.last == '#':
		c = '#'
	case f.sepRunes == 1 && f.last == '.' && len(f.dst) > 0:
		c = '.'
	case len(f.dst) > 0:
		c = ' '
	default:
		return
	}
	if f.split {
		if n := len(f.dst); n > f.start {
			f.toks = append(f.toks, span{start: f.start, end: n, hash: f.hash})
		}
		f.start, f.hash = len(f.dst)+1, c == '#'
		f.dots = f.dots || c == '.'
	}
	f.dst = append(f.dst, c)
}

// asciiFold maps an ASCII word character to its folded form (letters lower-cased) and
// anything else, bytes of multi-byte characters included, to 0: indexed by any byte, it
// needs no bounds check.
var asciiFold = func() (t [256]byte) {
	for c := range utf8.RuneSelf {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			t[c] = byte(c)
		case 'A' <= c && c <= 'Z':
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

// runeFold is appendFoldedRune of every letter and digit below U+0500 (up to the end of
// Cyrillic), up to three bytes, first byte lowest, with the length in the top byte (longFold:
// longer, appendFoldedRune writes it), 0 for other characters; runeMark is true for the
// combining marks among those.
var runeFold, runeMark = func() (t [0x500]uint32, mark [0x500]bool) {
	for r := range rune(len(t)) {
		if b := appendFoldedRune(nil, r); isWord(r) && len(b) > 0 {
			t[r] = longFold << 24
			if len(b) <= 3 {
				t[r] = uint32(len(b)) << 24
				for i, c := range b {
					t[r] |= uint32(c) << (8 * i)
				}
			}
		}
		mark[r] = unicode.Is(unicode.Mn, r)
	}
	return t, mark
}()

// longFold is runeFold's length for a folded form of more than three bytes (none below
// U+0500 today; the table is built from appendFoldedRune, which may change).
const longFold = 4

func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// appendFoldedRune appends a letter or digit lower-cased and without accents. Latin runes
// come from a table; other scripts are only lower-cased (no allocation on the hot path).
func appendFoldedRune(dst []byte, r rune) []byte {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, byte(r))
	case int(r) < len(foldTable):
		return append(dst, foldTable[r]...)
	case 0x1E00 <= r && r < 0x1F00: // Latin Extended Additional (Vietnamese and others)
		return append(dst, foldSlow(r)...)
	}
	return utf8.AppendRune(dst, unicode.ToLower(r))
}

// foldTable holds the folded form of every letter and digit below U+0250 (Latin, with
// accents).
var foldTable = func() (t [0x250]string) {
	for r := rune(0); r < 0x250; r++ {
		t[r] = foldSlow(r)
	}
	for r, f := range map[rune]string{'œ': "oe", 'Œ': "oe", 'æ': "ae", 'Æ': "ae", 'ß': "ss", 'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d"} {
		t[r] = f
	}
	return t
}()

func foldSlow(r rune) string {
	if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
		return ""
	}
	var b []byte
	for _, x := range norm.NFD.String(string(unicode.ToLower(r))) {
		if !unicode.Is(unicode.Mn, x) {
			b = utf8.AppendRune(b, x)
		}
	}
	return string(b)
}
