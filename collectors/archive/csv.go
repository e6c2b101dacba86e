package archive

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
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
	"github.com/leakwatch/leakwatch/internal/wallclock"
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
	loc                                   *time.Location // of times without an offset
	// checkUTF8 is set when the file is read as UTF-8: a row with a cell that goes into the
	// post and is not UTF-8 is bad. stringCols are the columns taken as they are, text aside
	// (normalText checks it on its way); the others parse as times or integers, or not at all.
	checkUTF8              bool
	stringCols             []keyColumn
	rawKeys                [][]byte // `"name":` for each column, for Post.Raw
	layout, observedLayout int      // the layouts index that last parsed each column
	layouts                []string // timeLayouts, or monthFirstLayouts for a preset that says so
	timeForms              string   // the forms layouts read, for errors
	xIDs                   bool     // id cells may be written x123 (rtweet's prepend_ids)
}

// keyColumn is a column and the --columns key (or object kind) that names it.
type keyColumn struct {
	key string
	idx int
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
		// The exact name first, then in any case; a name the header holds twice is an error,
		// not the first of the two (which would read the other column's values unseen).
		for _, same := range []func(a, b string) bool{func(a, b string) bool { return a == b }, strings.EqualFold} {
			found := -1
			for i, h := range header {
				if !same(h, col) {
					continue
				}
				if found >= 0 {
					return -1, fmt.Errorf("columns: %s=%s: the header holds %q in columns %d and %d: rename one", key, col, col, found+1, i+1)
				}
				found = i
			}
			if found >= 0 {
				return found, nil
			}
		}
		return -1, fmt.Errorf("columns: %s=%s: no such column in header (%s)", key, col, strings.Join(header, ","))
	}
	loc, err := timeZone(opts.TimeZone)
	if err != nil {
		return nil, err
	}
	enc, err := csvEncoding(opts.Encoding)
	if err != nil {
		return nil, err
	}
	m := &csvMapping{header: header, platform: opts.Platform, splitPosts: opts.SplitPosts, noRaw: opts.NoRaw, loc: loc, checkUTF8: enc == nil,
		layouts: timeLayouts, timeForms: timeForms, xIDs: opts.xIDs}
	if opts.monthFirst {
		m.layouts, m.timeForms = monthFirstLayouts, monthFirstForms
	}
	c := opts.Columns
	for _, f := range columnFields {
		// A preset's optional column is mapped when the header holds it and no other is named.
		if col := *f.get(&opts.optional); col != "" && *f.get(&c) == "" && slices.ContainsFunc(header, func(h string) bool { return strings.EqualFold(h, col) }) {
			*f.get(&c) = col
		}
	}
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
	strs := []keyColumn{{"id", m.id}, {"author", m.author}, {"handle", m.handle}, {"name", m.name}, {"lang", m.lang},
		{"reshare", m.reshare}, {"retweet", m.retweet}, {"reply", m.reply}, {"quote", m.quote},
		{"urls", m.urls}, {"hashtags", m.hashtags}, {"mentions", m.mentions}}
	for _, o := range m.objects {
		strs = append(strs, keyColumn{string(o.kind), o.idx})
	}
	for _, kc := range strs {
		if kc.idx >= 0 && kc.idx != m.text && !slices.ContainsFunc(m.stringCols, func(c keyColumn) bool { return c.idx == kc.idx }) {
			m.stringCols = append(m.stringCols, kc)
		}
	}
	for _, h := range header {
		k, _ := appendJSONString(nil, h)
		m.rawKeys = append(m.rawKeys, append(k, ':'))
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
	enc, err := csvEncoding(r.opts.Encoding)
	if err != nil {
		return err
	}
	// The BOM goes before encoding/csv sees the header: left in, it sits before the opening
	// quote of a quoted first name (R's write.csv, pandas' utf-8-sig) and the row fails to parse.
	head, _ := r.br.Peek(len(utf8BOM))
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		if enc != nil {
			return fmt.Errorf("encoding %s: the file starts with a UTF-8 byte order mark: it is UTF-8", r.opts.Encoding)
		}
		r.br.Discard(len(utf8BOM))
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		// UTF-16 (Excel's "Unicode Text", Meltwater): read as UTF-8 its every other byte is
		// zero, and the advice for a file that is not UTF-8 would name the wrong encoding.
		// The decoder takes the mark and the byte order from it.
		switch {
		case enc == nil:
			enc = utf16LE
		case !isUTF16(enc):
			return fmt.Errorf("encoding %s: the file starts with a UTF-16 byte order mark (%X): it is UTF-16; give --encoding utf-16, or none", r.opts.Encoding, head[:2])
		}
	}
	lines := r.br
	if enc != nil {
		lines = bufio.NewReaderSize(enc.NewDecoder().Reader(r.br), 1<<16)
	}
	crOnly, err := r.checkFirstLine(lines, isUTF16(enc))
	if err != nil {
		return err
	}
	var src io.Reader = lines
	if crOnly {
		src = crLines{lines}
	}
	r.cin = &csvInput{src: src}
	r.cbuf = bufio.NewReaderSize(r.cin, 1<<16)
	r.newCSVReader(0)
	header, err := r.cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("csv: empty file, no header")
	}
	if err != nil {
		return fmt.Errorf("csv header: %w", err)
	}
	r.cin.recordEnd(r.cr.InputOffset())
	header = append([]string(nil), header...)
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
		if enc == nil && !utf8.ValidString(header[i]) {
			return fmt.Errorf("csv header: column %d: %s", i+1, notUTF8Reason(header[i]))
		}
	}
	if err := r.recognise(header); err != nil {
		return err
	}
	m, err := newCSVMapping(header, r.opts)
	if err != nil {
		return err
	}
	r.cmap = m
	return nil
}

// checkFirstLine looks at the header's line, decoded, before it is parsed, for what would
// otherwise fail later without saying why: a separator other than the one in use, and
// line ends that are a carriage return alone (old Mac Excel), which encoding/csv does not
// end a line on, so the whole file was one header and "no record". crOnly says to read
// such a file with each CR taken for a line end. A file separated by tabs that starts with
// a UTF-16 byte order mark (Excel's "Unicode Text", always tab-separated) is read with tabs
// when no separator was given.
func (r *Reader) checkFirstLine(lines *bufio.Reader, utf16 bool) (crOnly bool, err error) {
	b, _ := lines.Peek(lines.Size())
	end := bytes.IndexAny(b, "\r\n")
	if end >= 0 && b[end] == '\r' && end+1 < len(b) && b[end+1] != '\n' {
		crOnly = true
	}
	if end >= 0 {
		b = b[:end]
	}
	if !utf16 && r.opts.Encoding == "" && bytes.IndexByte(b, 0) >= 0 {
		return false, errors.New("csv header: the first line holds zero bytes: a UTF-16 file without a byte order mark? give --encoding utf-16le (or utf-16be)")
	}
	if r.given.Comma != 0 || r.opts.Comma != ',' || bytes.IndexByte(b, ',') >= 0 {
		return crOnly, nil // the separator is given, or the header holds one
	}
	switch {
	case utf16 && bytes.IndexByte(b, '\t') >= 0:
		// Set as given, so that a preset recognised from the header keeps it.
		r.opts.Comma, r.given.Comma = '\t', '\t'
	case bytes.IndexByte(b, ';') >= 0:
		return false, errors.New("csv header: the first line holds ';' and no ',': a file separated by semicolons (R's write.csv2, Excel in French and other languages)? give --comma ';'")
	case bytes.IndexByte(b, '\t') >= 0:
		return false, errors.New("csv header: the first line holds tabs and no ',': a file separated by tabs? give --comma tab")
	}
	return crOnly, nil
}

// crLines reads a file whose lines end in a carriage return alone with each one a line feed,
// as encoding/csv ends lines.
type crLines struct{ r io.Reader }

func (c crLines) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for b := p[:n]; ; {
		i := bytes.IndexByte(b, '\r')
		if i < 0 {
			break
		}
		b[i] = '\n'
		b = b[i+1:]
	}
	return n, err
}

// recognise reads the file with the preset whose columns its header holds, when the caller
// gave no layout (no preset, columns or objects): the data sets leakwatch knows are read
// without flags. Exactly one preset must fit: a header holding the columns of two is
// refused, naming both; one that fits none is refused with the header in the message, so
// the caller sees what to map.
func (r *Reader) recognise(header []string) error {
	g := r.given
	if g.Preset != "" || g.Columns != (Columns{}) || len(g.Objects) > 0 {
		return nil
	}
	fits := presetsFitting(header)
	switch len(fits) {
	case 0:
		// No layout was given, so the column map refuses the options: say it with the
		// header, so the user sees what to map.
		if err := r.opts.csvReady(); err != nil {
			return fmt.Errorf("%w; the header (%s) is no preset's", err, strings.Join(header, ","))
		}
		return nil
	case 1:
	default:
		return fmt.Errorf("columns: the header holds the columns of presets %s: give one (--preset)", strings.Join(fits, " and "))
	}
	g.Preset = fits[0]
	o, err := g.resolved(r.path)
	if err != nil {
		return err
	}
	if o.Comma != r.opts.Comma || o.Encoding != r.opts.Encoding {
		// The header was split and decoded with the options before the preset: a preset
		// changing either would need it read again. None does.
		return fmt.Errorf("columns: preset %s recognised from the header reads with other separator or encoding settings: give --preset %s", fits[0], fits[0])
	}
	r.opts, r.recognised = o, fits[0]
	return nil
}

// presetsFitting names the presets, sorted, every column of which the header holds (in any
// case, as the column map finds them).
func presetsFitting(header []string) []string {
	has := func(col string) bool {
		return col == "" || slices.ContainsFunc(header, func(h string) bool { return strings.EqualFold(h, col) })
	}
	var out []string
	for _, name := range PresetNames() {
		o := Presets[name].Options
		ok := true
		for _, f := range columnFields {
			ok = ok && has(*f.get(&o.Columns))
		}
		for _, oc := range o.Objects {
			ok = ok && has(oc.Column)
		}
		if ok {
			out = append(out, name)
		}
	}
	return out
}

func (r *Reader) nextCSV() (collectors.Record, error) {
	row, err := r.cr.Read()
	if errors.Is(err, io.EOF) {
		return collectors.Record{}, io.EOF
	}
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return r.brokenCSV(perr), nil
	}
	if errors.Is(err, errRecordTooLong) {
		return r.overlongCSV()
	}
	if err != nil {
		if r.csvLine == 0 {
			return collectors.Record{}, r.readFailed(r.path, err)
		}
		return collectors.Record{}, r.readFailed(fmt.Sprintf("%s: after the record on line %d", r.path, r.csvLine), err)
	}
	// The record's bytes as the file has them, for a bad row's raw: written back from its
	// cells, quoting and spaces would differ from what a researcher fixing the file looks for.
	in := r.cin
	from, to := in.start, int(r.cr.InputOffset()-in.origin)
	in.recordEnd(r.cr.InputOffset())
	line, _ := r.cr.FieldPos(0)
	r.csvLine = r.cline + line
	post, err := r.cmap.post(row)
	if err != nil {
		raw := bytes.TrimRight(bytes.TrimLeft(in.buf[from:to], "\r\n"), "\r\n") // blank lines before it, its newline
		return r.bad(r.cline+line, raw, err), nil
	}
	return collectors.Record{Post: post}, nil
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

// idCell is cell for a column of ids, without the "x" rtweet's write_as_csv puts before them.
func (m *csvMapping) idCell(row []string, i int) string {
	v := m.cell(row, i)
	if m.xIDs {
		return unprefixed(v)
	}
	return v
}

// unprefixed is v without the "x" before an id of digits (x1324000000000000010).
func unprefixed(v string) string {
	if len(v) < 2 || v[0] != 'x' {
		return v
	}
	for i := 1; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return v
		}
	}
	return v[1:]
}

// post maps one CSV row; the error names the column and the problem.
func (m *csvMapping) post(row []string) (*leakwatch.Post, error) {
	if len(row) != len(m.header) {
		return nil, fmt.Errorf("csv: %d fields, header has %d", len(row), len(m.header))
	}
	var text string
	if m.text >= 0 {
		var valid bool
		if text, valid = normalText(row[m.text]); !valid && m.checkUTF8 {
			return nil, m.notUTF8(row, m.text)
		}
	}
	if m.checkUTF8 && m.noRaw { // else rawRow checks every cell on its way
		for _, kc := range m.stringCols {
			// Short cells, nearly always ASCII, told eight bytes a step.
			if c := row[kc.idx]; ascii.Prefix(c) < len(c) && !utf8.ValidString(c) {
				return nil, m.notUTF8(row, kc.idx)
			}
		}
	}
	p := newPost()
	p.Platform = m.platform
	p.Text = text
	p.Author.ID = m.cell(row, m.author)
	if p.Author.ID == "" {
		return nil, fmt.Errorf("author (column %s) is empty", m.header[m.author])
	}
	ts := m.cell(row, m.time)
	at, err := parseTimeIn(ts, m.loc, &m.layout, m.layouts, m.timeForms)
	if err == nil {
		err = checkEventTime(at, ts)
	}
	if err != nil {
		return nil, fmt.Errorf("time (column %s): %w", m.header[m.time], err)
	}
	p.CreatedAt, p.ObservedAt = at, at
	if m.observed >= 0 {
		if v := m.cell(row, m.observed); v != "" {
			if p.ObservedAt, err = parseTimeIn(v, m.loc, &m.observedLayout, m.layouts, m.timeForms); err != nil {
				return nil, fmt.Errorf("observed (column %s): %w", m.header[m.observed], err)
			}
		}
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
	for _, c := range []struct {
		name string
		idx  int
	}{{"id", m.id}, {"author", m.author}, {"reply", m.reply}, {"quote", m.quote}, {"reshare", m.reshare}} {
		if v := m.cell(row, c.idx); excelNumber.MatchString(v) {
			// 8.44E+17 stands for every id of those first digits: posts, authors or targets
			// that differ would be merged without a word.
			return nil, fmt.Errorf("%s (column %s): %q is an id a spreadsheet turned into a number, its last digits lost: export the column as text", c.name, m.header[c.idx], v)
		}
	}
	if m.xIDs {
		p.Author.ID = unprefixed(p.Author.ID)
	}
	p.ReplyTo = targetURI(m.platform, m.idCell(row, m.reply))
	p.QuoteOf = targetURI(m.platform, m.idCell(row, m.quote))
	p.ReshareOf = targetURI(m.platform, m.idCell(row, m.reshare))
	if m.retweet >= 0 {
		v := m.cell(row, m.retweet)
		rt, ok := truthy(v)
		if !ok {
			return nil, fmt.Errorf("retweet (column %s): %q is not a yes or no: want %s", m.header[m.retweet], v, truthValues)
		}
		if rt && p.ReshareOf == "" {
			p.ReshareOf = derivedReshare(p.Text)
		}
	}
	urls, err := m.list(row, "urls", m.urls, "expanded_url", "unwound_url", "url")
	if err != nil {
		return nil, err
	}
	for _, u := range urls {
		p.URLs = append(p.URLs, leakwatch.Link{Raw: u, Expanded: u})
	}
	tags, err := m.list(row, "hashtags", m.hashtags, "tag", "text")
	if err != nil {
		return nil, err
	}
	for _, h := range tags {
		if h = strings.TrimPrefix(h, "#"); h != "" {
			p.Hashtags = append(p.Hashtags, h)
		}
	}
	names, err := m.list(row, "mentions", m.mentions, "username", "screen_name")
	if err != nil {
		return nil, err
	}
	for _, h := range names {
		if h = strings.TrimPrefix(h, "@"); h != "" {
			p.Mentions = append(p.Mentions, h)
		}
	}
	for _, o := range m.objects {
		if v := m.cell(row, o.idx); v != "" {
			p.Objects = append(p.Objects, leakwatch.ObjectRef{Kind: o.kind, Value: v})
		}
	}
	p.ID = m.idCell(row, m.id)
	derived := p.ID == ""
	if derived {
		p.ID = derivedID(p)
	}
	p.URI = PostURI(m.platform, p.ID)
	if m.splitPosts && !derived && len(p.Objects) > 0 {
		p.URI += "#" + objectsHash(p.Objects)
	}
	if !m.noRaw {
		var bad int
		if p.Raw, bad = m.rawRow(row); bad >= 0 && m.checkUTF8 {
			return nil, m.notUTF8(row, bad)
		}
	}
	return p, nil
}

// checkEventTime refuses an event time (a post's creation, a site change's observation)
// outside leakwatch.MinEventTime..MaxEventTime; value is the time as the record spells it,
// "" for its RFC 3339 form. Every format goes through it, as the stream's extract stage does.
// The time is spelt only to refuse it: formatting every post's time cost more than the rest
// of the check (1.5 % of analyze).
func checkEventTime(at time.Time, value string) error {
	if leakwatch.EventTimeOK(at) {
		return nil
	}
	if value == "" {
		value = at.Format(time.RFC3339Nano)
	}
	return leakwatch.EventTimeError(strconv.Quote(value))
}

// cleanText makes text valid UTF-8 in NFC, as Post.Text promises.
func cleanText(s string) string {
	t, _ := normalText(s)
	return t
}

// normalText is cleanText that also reports whether s was valid UTF-8: the check costs
// nothing beside the NFC one, which looks at every byte beyond ASCII.
func normalText(s string) (string, bool) {
	k := ascii.Prefix(s)
	if k == len(s) {
		// Most posts' text: valid and NFC as it is. The check costs a seventh of the two
		// below on a tweet's worth of ASCII, and they would look at every byte again.
		return s, true
	}
	if inNFC(s[k:]) {
		// Most of the rest (accents, curly quotes, emoji): valid and NFC as it is, told by
		// a table instead of the normalizer's trie, which was a fiftieth of a batch analysis.
		return s, true
	}
	if !utf8.ValidString(s) {
		return norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD")), false
	}
	return norm.NFC.String(s), true
}

// notUTF8 is the error for row's cell i, not UTF-8, naming its key when it has one.
func (m *csvMapping) notUTF8(row []string, i int) error {
	what := "column " + m.header[i]
	if i == m.text {
		what = "text (" + what + ")"
	}
	for _, kc := range m.stringCols {
		if kc.idx == i {
			what = kc.key + " (" + what + ")"
		}
	}
	return fmt.Errorf("%s: %s", what, notUTF8Reason(row[i]))
}

// notUTF8Reason says that s is not UTF-8, showing the first invalid byte in its context,
// and what the file may be instead.
func notUTF8Reason(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	from, to := max(i-24, 0), min(i+24, len(s))
	for from > 0 && !utf8.RuneStart(s[from]) {
		from++
	}
	for to > i+1 && to < len(s) && !utf8.RuneStart(s[to]) {
		to--
	}
	ctx := fmt.Sprintf("%q", s[from:to])
	if from > 0 {
		ctx = "..." + ctx
	}
	if to < len(s) {
		ctx += "..."
	}
	return fmt.Sprintf("not UTF-8: byte 0x%02X in %s (a Windows-1252 or Latin-1 file? read it with --encoding windows-1252)", s[min(i, len(s)-1)], ctx)
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

// truthy reads a yes-or-no cell (the retweet column); ok is false for any other value,
// which is a bad row: read as "no", a misspelt "yes" (RETWEET for IRA's R) would turn every
// retweet into an original post without a word, and change the co-shares.
func truthy(v string) (yes, ok bool) {
	switch strings.ToLower(v) {
	case "r", "rt", "1", "true", "t", "yes", "y", "vrai", "oui",
		"retweet": // post_type as the full FiveThirtyEight release of the IRA tweets spells it
		return true, true
	case "", "0", "false", "f", "no", "n", "faux", "non",
		"q", "quote_tweet": // IRA's quote: an original post (its text is the quoting text)
		return false, true
	}
	return false, false
}

// truthValues is what truthy takes, for the reason of a bad row, in any case.
const truthValues = "R, RT, RETWEET, 1, true, T, yes, Y, vrai or oui for a retweet; empty, 0, false, F, no, N, faux, non, Q or QUOTE_TWEET (IRA's quote) for none"

func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' || r == ';' })
}

// excelNumber is an id a spreadsheet rewrote in scientific notation (8.44E+17).
var excelNumber = regexp.MustCompile(`^[0-9](\.[0-9]+)?[eE]\+[0-9]+$`)

// list reads a list cell of column idx (called name): words apart (rtweet's "a b", "a,b"),
// or a list as the tool wrote it, JSON (twarc-csv's [{"tag": "vote", ...}], whose items give
// the first of keys they hold) or Python (Twint's ['#leak', '#vote']). Split as words, such a
// list's brackets, keys and offsets became hashtags every row shares, and made accounts that
// shared nothing a coordinated group.
func (m *csvMapping) list(row []string, name string, idx int, keys ...string) ([]string, error) {
	v := strings.TrimSpace(m.cell(row, idx))
	if !strings.HasPrefix(v, "[") {
		return splitList(v), nil
	}
	out, err := bracketList(v, keys)
	if err != nil {
		return nil, fmt.Errorf("%s (column %s): %q: %w", name, m.header[idx], v, err)
	}
	return out, nil
}

// bracketList reads a JSON array (of strings, or of objects giving the first of keys) or a
// Python list of quoted strings.
func bracketList(v string, keys []string) ([]string, error) {
	var items []any
	if err := json.Unmarshal([]byte(v), &items); err == nil {
		var out []string
		for _, it := range items {
			switch x := it.(type) {
			case string:
				out = append(out, x)
			case map[string]any:
				s, ok := "", false
				for _, k := range keys {
					if s, ok = x[k].(string); ok {
						break
					}
				}
				if !ok {
					return nil, fmt.Errorf("a JSON list whose items have none of %s", strings.Join(keys, ", "))
				}
				out = append(out, s)
			default:
				return nil, fmt.Errorf("a JSON list of %T, want strings or objects", it)
			}
		}
		return out, nil
	}
	// Python's repr: ['a', "b's"], quotes as repr writes them (no escapes inside).
	var out []string
	rest := strings.TrimSpace(v[1:])
	for {
		rest = strings.TrimLeft(rest, " ,")
		if strings.HasPrefix(rest, "]") && strings.TrimSpace(rest[1:]) == "" {
			return out, nil
		}
		if rest == "" || (rest[0] != '\'' && rest[0] != '"') {
			return nil, errors.New("a list in brackets, neither JSON nor a Python list of quoted strings")
		}
		end := strings.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return nil, errors.New("a Python list with an unclosed quote")
		}
		out = append(out, rest[1:1+end])
		rest = rest[2+end:]
	}
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
// different retweets by one account in one second the same id), and the account's post
// count when the archive has one: IRA's times are to the minute, and an account that posted
// one text twice in a minute counted 117 then 118 posts (24 such pairs in July-August 2016),
// where a row repeated in the file repeats its count.
func derivedID(p *leakwatch.Post) string {
	h := sha256.New()
	for _, s := range []string{p.Author.ID, p.CreatedAt.UTC().Format(time.RFC3339Nano), p.Text, p.ReshareOf, p.ReplyTo, p.QuoteOf} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	if p.Author.Posts != 0 {
		h.Write(strconv.AppendInt([]byte("posts:"), p.Author.Posts, 10))
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
// columns the map does not name (IRA's account_category, region) survive. bad is the first
// cell that is not UTF-8 (its bytes become U+FFFD), or -1.
func (m *csvMapping) rawRow(row []string) (raw json.RawMessage, bad int) {
	n := 2
	for i, c := range row {
		n += len(c) + len(m.rawKeys[i]) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	bad = -1
	for i, key := range m.rawKeys {
		if row[i] == "" {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, key...)
		var valid bool
		if b, valid = appendJSONString(b, row[i]); !valid && bad < 0 {
			bad = i
		}
	}
	return append(b, '}'), bad
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD, and valid
// reports whether there was none.
func appendJSONString(b []byte, s string) (_ []byte, valid bool) {
	valid = utf8.ValidString(s)
	if !valid {
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
	return append(b, '"'), valid
}

// ParseTime reads a time cell: Unix seconds (with an optional fraction), Unix milliseconds
// (13 digits), RFC 3339, "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SS" (a fraction and an
// offset optional; UTC without one), "YYYY-MM-DD HH:MM", or Twitter's
// "Mon Jan 02 15:04:05 -0700 2006". The form is detected per value.
func ParseTime(s string) (time.Time, error) {
	var first int
	return parseTime(s, time.UTC, &first)
}

// timeForms lists the forms ParseTime reads, for its errors.
const timeForms = "Unix seconds or milliseconds, YYYY-MM-DD HH:MM:SS or YYYY-MM-DDTHH:MM:SS (RFC 3339; a fraction and an offset such as Z or +02:00 optional), YYYY-MM-DD HH:MM, or Twitter's Mon Jan 02 15:04:05 -0700 2006"

// parseTime is ParseTime reading times without an offset in loc, and trying the layout at
// *first before the others and keeping there the one that parsed: a column holds one form,
// and each failed layout costs an error value. No string parses under two of the layouts,
// so the order never changes a result.
func parseTime(s string, loc *time.Location, first *int) (time.Time, error) {
	return parseTimeIn(s, loc, first, timeLayouts, timeForms)
}

// parseTimeIn is parseTime trying layouts, whose forms are said in forms.
func parseTimeIn(s string, loc *time.Location, first *int, layouts []string, forms string) (time.Time, error) {
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
	if isUnixMilli(s) {
		// JavaScript's Date.now() and many exports: 13 digits, which as seconds would be
		// after the year 300,000, reach milliseconds from 2001 on.
		n, _ := strconv.ParseInt(s, 10, 64)
		return time.UnixMilli(n).UTC(), nil
	}
	// "2016-08-02 02:50:00", the IRA tweets' form (two cells a row), read without the
	// general parser (4 % of the instructions of analyzing them).
	if len(s) == len("2006-01-02 15:04:05") && (s[10] == ' ' || s[10] == 'T') {
		if t, ok := dateTime(s, 0); ok {
			*first = spaceLayout
			if s[10] == 'T' {
				*first = tLayout
			}
			if loc != time.UTC {
				t = wallclock.In(t, loc).UTC()
			}
			return t, nil
		}
	}
	if t, err := parseLayout(layouts[*first], s, loc); err == nil {
		return t, nil
	}
	for i, layout := range layouts {
		if i == *first {
			continue
		}
		if t, err := parseLayout(layout, s, loc); err == nil {
			*first = i
			return t, nil
		}
	}
	if strings.Count(s, "/") == 2 && len(layouts) == len(timeLayouts) {
		// 10/1/2017 is October the 1st in the US and January the 10th elsewhere: the value
		// alone does not tell, so only a preset whose data says (ira) reads it.
		return time.Time{}, fmt.Errorf("%q: want %s; a date with slashes is read month first only with --preset ira, as the order is not told by the value: else write it YYYY-MM-DD", s, forms)
	}
	return time.Time{}, fmt.Errorf("%q: want %s", s, forms)
}

// parseLayout parses s in layout, in UTC; a layout without an offset is a reading in loc.
func parseLayout(layout, s string, loc *time.Location) (time.Time, error) {
	t, err := time.Parse(layout, s)
	if err != nil {
		return t, err
	}
	if !strings.Contains(layout, "07") { // every offset element (-0700, Z07:00) holds 07
		t = wallclock.In(t, loc)
	}
	return t.UTC(), nil
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05Z07:00", time.RubyDate}

// monthFirstLayouts add the US M/D/YYYY H:MM form of the full IRA release (10/1/2017 19:58),
// for a preset that says its dates are month first.
var monthFirstLayouts = append(timeLayouts[:len(timeLayouts):len(timeLayouts)], "1/2/2006 15:04", "1/2/2006 15:04:05")

const monthFirstForms = timeForms + ", or M/D/YYYY H:MM (month first, seconds optional)"

// The layouts dateTime reads, by their index in timeLayouts.
const spaceLayout, tLayout = 1, 2

// isUnixMilli reports whether s is 13 digits.
func isUnixMilli(s string) bool {
	if len(s) != 13 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

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
