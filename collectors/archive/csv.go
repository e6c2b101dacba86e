package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/twitter"
	"github.com/leakwatch/leakwatch/internal/ascii"
	"github.com/leakwatch/leakwatch/internal/utf8x"
)

// csvMapping is a header resolved against Columns: the index of each mapped column (-1: none).
type csvMapping struct {
	header                                []string
	id, author, time, text, handle, name  int
	lang, reshare, retweet, reply, quote  int
	urls, hashtags, mentions              int
	followers, following, posts, observed int
	objects                               []objectIndex
	null                                  map[string]bool
	platform                              string
	splitPosts                            bool
	noRaw                                 bool
	layout, observedLayout                int // the timeLayouts index that last parsed each column
}

type objectIndex struct {
	kind leakwatch.ObjectKind
	idx  int
}

// newCSVMapping resolves opts' columns against a header; a named column missing from the
// header is an error (a typo must not silently read as "empty").
func newCSVMapping(header []string, opts Options) (*csvMapping, error) {
	if err := opts.csvReady(); err != nil {
		return nil, err
	}
	find := func(key, col string) (int, error) {
		if col == "" {
			return -1, nil
		}
		for i, h := range header {
			if h == col {
				return i, nil
			}
		}
		for i, h := range header {
			if strings.EqualFold(h, col) {
				return i, nil
			}
		}
		return -1, fmt.Errorf("columns: %s=%s: no such column in header (%s)", key, col, strings.Join(header, ","))
	}
	m := &csvMapping{header: header, platform: opts.Platform, splitPosts: opts.SplitPosts, noRaw: opts.NoRaw}
	c := opts.Columns
	for _, f := range []struct {
		key string
		col string
		dst *int
	}{
		{"id", c.ID, &m.id}, {"author", c.Author, &m.author}, {"time", c.Time, &m.time},
		{"text", c.Text, &m.text}, {"handle", c.Handle, &m.handle}, {"name", c.Name, &m.name},
		{"lang", c.Lang, &m.lang}, {"reshare", c.Reshare, &m.reshare}, {"retweet", c.Retweet, &m.retweet},
		{"reply", c.Reply, &m.reply}, {"quote", c.Quote, &m.quote}, {"urls", c.URLs, &m.urls},
		{"hashtags", c.Hashtags, &m.hashtags}, {"mentions", c.Mentions, &m.mentions},
		{"followers", c.Followers, &m.followers}, {"following", c.Following, &m.following},
		{"posts", c.Posts, &m.posts}, {"observed", c.Observed, &m.observed},
	} {
		i, err := find(f.key, f.col)
		if err != nil {
			return nil, err
		}
		*f.dst = i
	}
	for _, oc := range opts.Objects {
		i, err := find(string(oc.Kind), oc.Column)
		if err != nil {
			return nil, fmt.Errorf("objects: %w", err)
		}
		m.objects = append(m.objects, objectIndex{kind: oc.Kind, idx: i})
	}
	if len(opts.Null) > 0 {
		m.null = map[string]bool{}
		for _, n := range opts.Null {
			m.null[n] = true
		}
	}
	return m, nil
}

func (r *Reader) openCSV() error {
	// The BOM goes before encoding/csv sees the header: left in, it sits before the opening
	// quote of a quoted first name (R's write.csv, pandas' utf-8-sig) and the row fails to parse.
	if head, _ := r.br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		r.br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(r.br)
	cr.Comma = r.opts.Comma
	cr.FieldsPerRecord = -1 // checked per row, so a short row is a bad record, not the end
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("csv: empty file, no header")
	}
	if err != nil {
		return fmt.Errorf("csv header: %w", err)
	}
	header = append([]string(nil), header...)
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	m, err := newCSVMapping(header, r.opts)
	if err != nil {
		return err
	}
	cr.ReuseRecord = true
	r.cr, r.cmap = cr, m
	return nil
}

func (r *Reader) nextCSV() (collectors.Record, error) {
	row, err := r.cr.Read()
	if errors.Is(err, io.EOF) {
		return collectors.Record{}, io.EOF
	}
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		// encoding/csv resumes after the broken record, so one bad quote costs one row.
		return r.bad(perr.StartLine, nil, fmt.Errorf("csv: %w", perr.Err)), nil
	}
	if err != nil {
		return collectors.Record{}, fmt.Errorf("%s: %w", r.path, err)
	}
	line, _ := r.cr.FieldPos(0)
	post, err := r.cmap.post(row)
	if err != nil {
		return r.bad(line, joinRow(row, r.opts.Comma), err), nil
	}
	return collectors.Record{Post: post}, nil
}

// joinRow re-encodes a row for the dead-letter record.
func joinRow(row []string, comma rune) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = comma
	_ = w.Write(row)
	w.Flush()
	return bytes.TrimRight(b.Bytes(), "\n")
}

// cell is row[i] with the null values emptied; i < 0 is an unmapped column.
func (m *csvMapping) cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	v := strings.TrimSpace(row[i])
	if m.null[v] {
		return ""
	}
	return v
}

// post maps one CSV row; the error names the column and the problem.
func (m *csvMapping) post(row []string) (*leakwatch.Post, error) {
	if len(row) != len(m.header) {
		return nil, fmt.Errorf("csv: %d fields, header has %d", len(row), len(m.header))
	}
	p := newPost()
	p.Platform = m.platform
	p.Author.ID = m.cell(row, m.author)
	if p.Author.ID == "" {
		return nil, fmt.Errorf("author (column %s) is empty", m.header[m.author])
	}
	ts := m.cell(row, m.time)
	at, err := parseTime(ts, &m.layout)
	if err == nil && (at.Before(minPostTime) || at.After(maxPostTime)) {
		err = fmt.Errorf("%q: outside %d..%d, not a post time", ts, minPostTime.Year(), maxPostTime.Year()-1)
	}
	if err != nil {
		return nil, fmt.Errorf("time (column %s): %w", m.header[m.time], err)
	}
	p.CreatedAt, p.ObservedAt = at, at
	if m.observed >= 0 {
		if v := m.cell(row, m.observed); v != "" {
			if p.ObservedAt, err = parseTime(v, &m.observedLayout); err != nil {
				return nil, fmt.Errorf("observed (column %s): %w", m.header[m.observed], err)
			}
		}
	}
	if m.text >= 0 {
		p.Text = cleanText(row[m.text])
	}
	p.Author.Handle = strings.TrimPrefix(m.cell(row, m.handle), "@")
	p.Author.Name = m.cell(row, m.name)
	p.Lang = m.cell(row, m.lang)
	for _, n := range []struct {
		key string
		idx int
		dst *int64
	}{{"followers", m.followers, &p.Author.Followers}, {"following", m.following, &p.Author.Following}, {"posts", m.posts, &p.Author.Posts}} {
		v := m.cell(row, n.idx)
		if v == "" {
			continue
		}
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s (column %s): %q is not an integer", n.key, m.header[n.idx], v)
		}
		*n.dst = x
	}
	p.ReplyTo = targetURI(m.platform, m.cell(row, m.reply))
	p.QuoteOf = targetURI(m.platform, m.cell(row, m.quote))
	p.ReshareOf = targetURI(m.platform, m.cell(row, m.reshare))
	if p.ReshareOf == "" && truthy(m.cell(row, m.retweet)) {
		p.ReshareOf = derivedReshare(p.Text)
	}
	for _, u := range splitList(m.cell(row, m.urls)) {
		p.URLs = append(p.URLs, leakwatch.Link{Raw: u, Expanded: u})
	}
	for _, h := range splitList(m.cell(row, m.hashtags)) {
		if h = strings.TrimPrefix(h, "#"); h != "" {
			p.Hashtags = append(p.Hashtags, h)
		}
	}
	for _, h := range splitList(m.cell(row, m.mentions)) {
		if h = strings.TrimPrefix(h, "@"); h != "" {
			p.Mentions = append(p.Mentions, h)
		}
	}
	for _, o := range m.objects {
		if v := m.cell(row, o.idx); v != "" {
			p.Objects = append(p.Objects, leakwatch.ObjectRef{Kind: o.kind, Value: v})
		}
	}
	p.ID = m.cell(row, m.id)
	derived := p.ID == ""
	if derived {
		p.ID = derivedID(p)
	}
	p.URI = PostURI(m.platform, p.ID)
	if m.splitPosts && !derived && len(p.Objects) > 0 {
		p.URI += "#" + objectsHash(p.Objects)
	}
	if !m.noRaw {
		p.Raw = rawRow(m.header, row)
	}
	return p, nil
}

// Post times outside these bounds are typos or placeholders (0001-01-01, 1970-01-01 00:00),
// not social media posts.
var (
	minPostTime = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	maxPostTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// cleanText makes text valid UTF-8 in NFC, as Post.Text promises.
func cleanText(s string) string {
	k := ascii.Prefix(s)
	if k == len(s) {
		// Most posts' text: valid and NFC as it is. The check costs a seventh of the two
		// below on a tweet's worth of ASCII, and they would look at every byte again.
		return s
	}
	if inNFC(s[k:]) {
		// Most of the rest (accents, curly quotes, emoji): valid and NFC as it is, told by
		// a table instead of the normalizer's trie, which was a fiftieth of a batch analysis.
		return s
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return norm.NFC.String(s)
}

// inNFC reports whether s is valid UTF-8 made only of runes that NFC leaves alone whatever
// stands around them (each starts a segment of its own and is its own normal form): then s
// is in NFC. False only means "not known": the normalizer decides.
func inNFC(s string) bool {
	t := selfNFC()
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8x.Two(s[i:]), 2
		if r < 0 {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if n == 1 || !t.has(r) { // n == 1: invalid UTF-8
			return false
		}
		i += n
	}
	return true
}

// nfcRunes marks the runes below nfcLow and in the emoji blocks [nfcEmoji, nfcEmojiEnd) that
// NFC leaves alone in any context, as the normalizer's own tables say.
type nfcRunes struct {
	low, emoji []uint64 // bit sets
}

const (
	nfcLow      = 0x3000 // Latin, Greek, Cyrillic, ..., General Punctuation, symbols, arrows
	nfcEmoji    = 0x1F000
	nfcEmojiEnd = 0x1FB00
)

func (t *nfcRunes) has(r rune) bool {
	switch {
	case r < nfcLow:
		return t.low[r>>6]&(1<<(r&63)) != 0
	case r >= nfcEmoji && r < nfcEmojiEnd:
		r -= nfcEmoji
		return t.emoji[r>>6]&(1<<(r&63)) != 0
	}
	return false
}

// selfNFC builds the table on first use (about a millisecond), from norm's properties.
var selfNFC = sync.OnceValue(func() *nfcRunes {
	t := &nfcRunes{low: make([]uint64, nfcLow/64), emoji: make([]uint64, (nfcEmojiEnd-nfcEmoji)/64)}
	mark := func(set []uint64, base, end rune) {
		for r := base; r < end; r++ {
			if standsAlone(r) {
				set[(r-base)>>6] |= 1 << ((r - base) & 63)
			}
		}
	}
	mark(t.low, 0, nfcLow)
	mark(t.emoji, nfcEmoji, nfcEmojiEnd)
	return t
})

// standsAlone: r starts a segment no rune before it can join (combining class 0, combines
// with nothing before it) and NFC maps it to itself. A rune after it that could join it
// fails this test itself, so how r combines with what follows never matters.
func standsAlone(r rune) bool {
	if r < 0x80 || !utf8.ValidRune(r) {
		return r < 0x80
	}
	s := string(r)
	p := norm.NFC.PropertiesString(s)
	return p.BoundaryBefore() && norm.NFC.String(s) == s
}

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "r", "rt", "1", "true", "t", "yes", "y":
		return true
	}
	return false
}

func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' || r == ';' })
}

// PostURI is the URI of a post known by platform and id. Twitter ids get the URI the
// twitter decoders give, so a tweet from a CSV and from a JSON archive dedupe.
func PostURI(platform, id string) string {
	if platform == leakwatch.PlatformTwitter {
		return twitter.URI(id)
	}
	return platform + ":" + id
}

// targetURI is PostURI for a reshare, reply or quote target cell ("" stays "").
func targetURI(platform, id string) string {
	if id == "" {
		return ""
	}
	return PostURI(platform, id)
}

var rtPrefix = regexp.MustCompile(`^RT @[A-Za-z0-9_]+:\s*`)

// derivedReshare names the unidentified post a retweet row reshared: retweets of the same
// text (after "RT @user:") get the same target, which is what such archives can tell.
// The "rt-text:" scheme says the target is known only by its text.
func derivedReshare(text string) string {
	body := strings.TrimSpace(rtPrefix.ReplaceAllString(text, ""))
	sum := sha256.Sum256([]byte(body))
	return "rt-text:" + hex.EncodeToString(sum[:12])
}

// derivedID is a stable id for a row without one: the hash of author, time, text and the
// row's targets and objects (without the last two, a retweet-only archive would give two
// different retweets by one account in one second the same id).
func derivedID(p *leakwatch.Post) string {
	h := sha256.New()
	for _, s := range []string{p.Author.ID, p.CreatedAt.UTC().Format(time.RFC3339Nano), p.Text, p.ReshareOf, p.ReplyTo, p.QuoteOf} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, o := range p.Objects {
		h.Write([]byte(o.Key()))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func objectsHash(objs []leakwatch.ObjectRef) string {
	h := sha256.New()
	for _, o := range objs {
		h.Write([]byte(o.Key()))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}

// rawRow keeps the row as a JSON object of its non-empty cells, in header order, so
// columns the map does not name (IRA's account_category, region) survive.
func rawRow(header, row []string) json.RawMessage {
	n := 2
	for i, c := range row {
		n += len(c) + len(header[i]) + 6
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, h := range header {
		if i >= len(row) || row[i] == "" {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, h)
		b = append(b, ':')
		b = appendJSONString(b, row[i])
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// ParseTime reads a time cell: Unix seconds (with an optional fraction), RFC 3339,
// "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SS" (UTC), or Twitter's
// "Mon Jan 02 15:04:05 -0700 2006". The form is detected per value.
func ParseTime(s string) (time.Time, error) {
	var first int
	return parseTime(s, &first)
}

// parseTime is ParseTime trying the layout at *first before the others and keeping there the
// one that parsed: a column holds one form, and each failed layout costs an error value. No
// string parses under two of the layouts, so the order never changes a result.
func parseTime(s string, first *int) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty")
	}
	if isUnix(s) {
		sec, frac, _ := strings.Cut(s, ".")
		n, err := strconv.ParseInt(sec, 10, 64)
		if err != nil || n < -62135596800 || n > 253402300799 {
			return time.Time{}, fmt.Errorf("%q: Unix seconds out of range", s)
		}
		var ns int64
		if frac != "" {
			f := (frac + "000000000")[:9]
			ns, _ = strconv.ParseInt(f, 10, 64)
			if strings.HasPrefix(sec, "-") {
				ns = -ns
			}
		}
		return time.Unix(n, ns).UTC(), nil
	}
	// "2016-08-02 02:50:00", the IRA tweets' form (two cells a row), read without the
	// general parser (4 % of the instructions of analyzing them).
	if len(s) == len("2006-01-02 15:04:05") && (s[10] == ' ' || s[10] == 'T') {
		if t, ok := dateTime(s, 0); ok {
			*first = spaceLayout
			if s[10] == 'T' {
				*first = tLayout
			}
			return t, nil
		}
	}
	if t, err := time.Parse(timeLayouts[*first], s); err == nil {
		return t.UTC(), nil
	}
	for i, layout := range timeLayouts {
		if i == *first {
			continue
		}
		if t, err := time.Parse(layout, s); err == nil {
			*first = i
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want Unix seconds, RFC 3339 or YYYY-MM-DD HH:MM:SS", s)
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05Z07:00", time.RubyDate}

// The layouts dateTime reads, by their index in timeLayouts.
const spaceLayout, tLayout = 1, 2

func isUnix(s string) bool {
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	sec, frac, hasFrac := strings.Cut(s, ".")
	if sec == "" || len(sec) > 12 || (hasFrac && (frac == "" || len(frac) > 9)) {
		return false
	}
	for _, part := range []string{sec, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}
