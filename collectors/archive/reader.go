package archive

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
)

// Stats counts what a Reader read. Records = Posts + Changes + Bad: every data record is
// accounted for.
type Stats struct {
	Records int `json:"records"` // CSV data rows, or non-blank JSONL lines (each tweet of a Twitter v2 page line)
	Posts   int `json:"posts"`
	Changes int `json:"changes"` // site changes (JSONL only)
	Bad     int `json:"bad"`
}

// Plus is s and o counted together, as for one archive cut into files.
func (s Stats) Plus(o Stats) Stats {
	return Stats{Records: s.Records + o.Records, Posts: s.Posts + o.Posts, Changes: s.Changes + o.Changes, Bad: s.Bad + o.Bad}
}

// Reader reads one archive file record by record, in file order.
type Reader struct {
	opts  Options
	given Options // as the caller gave them, before the preset and defaults
	// recognised is the preset a CSV header was recognised as, when no layout was given
	recognised string
	path       string
	ref        string // file name used in bad-record refs
	format     Format
	file       io.Closer
	gz         *gzip.Reader
	br         *bufio.Reader
	// lineBuf holds the line being decoded, reused line after line
	lineBuf []byte
	line    int // JSONL: last line read
	cr      *csv.Reader
	cin     *csvInput     // between the file and cr: what cr took since the last record ended
	cbuf    *bufio.Reader // cr's buffer, kept for the csv.Reader that replaces cr
	cline   int           // the file's line number of cr's line 0: cr may start mid-file
	csvLine int           // the line the last CSV record read began on, for an I/O failure after it
	cmap    *csvMapping
	stats   Stats
	err     error     // sticky: io.EOF or the I/O error that ended the file
	dec     *decoders // JSONL read-ahead with Options.Workers > 1

	// pending are the records of the last line not yet returned: a Twitter v2 page's line
	// holds many tweets. pendBuf is its array, reused line after line.
	pending, pendBuf []collectors.Record
}

// Open opens path, gunzipping it when it starts with the gzip magic bytes whatever its
// name, and reads the CSV header when it is a CSV file.
func Open(path string, opts Options) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// NewReader reads an archive from in; name is used to pick the format and in bad-record refs.
// The caller closes in (Close does not).
func NewReader(in io.Reader, name string, opts Options) (*Reader, error) {
	given := opts
	opts, err := opts.resolved(name)
	if err != nil {
		return nil, err
	}
	r := &Reader{opts: opts, given: given, path: name, ref: filepath.Base(name)}
	if r.br, r.gz, err = decompressed(in); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := unreadable(name, r.br); err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r.format = opts.Format
	if r.format == FormatAuto {
		r.format = sniffFormat(name, r.br)
	}
	if err := contradicts(name, r.format, r.br); err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if r.format == FormatJSONL {
		if err := opts.csvOnly(); err != nil {
			r.Close()
			return nil, fmt.Errorf("%s reads as JSON lines: %w", name, err)
		}
	}
	if r.format == FormatCSV {
		if err := r.openCSV(); err != nil {
			r.Close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return r, nil
}

// decompressed buffers in, gunzipped when it starts with the gzip magic bytes.
func decompressed(in io.Reader) (*bufio.Reader, *gzip.Reader, error) {
	br := bufio.NewReaderSize(in, 1<<16)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return bufio.NewReaderSize(&zeroPadded{gz: gz, raw: br}, 1<<16), gz, nil
	}
	return br, nil, nil
}

// readFailed is an I/O failure while reading the file at where ("file:line"), said as a user
// reads it: a gzip stream that ends before its end marker is a file cut short (a copy or
// download that stopped), not a mysterious "unexpected EOF".
func (r *Reader) readFailed(where string, err error) error {
	if r.gz != nil && errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: the gzip stream ends early, before its end marker: a truncated file (a copy or download cut short?): %w", where, err)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// zeroPadded ends a gzip file at the end of its last member when only zero bytes follow, as
// gunzip does: files written to block devices or by some archivers are padded so, and every
// record was read by then (the run failed with "gzip: invalid header" and wrote nothing).
// Other bytes there are still an error: a damaged member must not pass for the end.
type zeroPadded struct {
	gz  *gzip.Reader
	raw *bufio.Reader // the compressed file, positioned after the header that failed
	// end is the verdict on what followed the last member, given again on every later read:
	// the trailing bytes are read once, and a reader that clears an error it was given (a
	// bufio.Reader's Peek does) would otherwise ask again, find nothing left to read, and
	// take rubbish for the end of the file.
	end error
}

func (z *zeroPadded) Read(p []byte) (int, error) {
	if z.end != nil {
		return 0, z.end
	}
	n, err := z.gz.Read(p)
	if !errors.Is(err, gzip.ErrHeader) {
		return n, err
	}
	// The first member's header was read by NewReader: this is the header of a later one.
	rest, rerr := io.ReadAll(z.raw)
	if rerr == nil && !slices.ContainsFunc(rest, func(b byte) bool { return b != 0 }) {
		z.end = io.EOF
	} else {
		z.end = fmt.Errorf("%w: the bytes after the last complete gzip member are neither another member nor zero padding", err)
	}
	return n, z.end
}

// DetectFormat is the format the file at path is read as when Options.Format and Preset
// leave it open: from the name under any .gz, else from the first byte.
func DetectFormat(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return FormatAuto, err
	}
	defer f.Close()
	br, gz, err := decompressed(f)
	if err != nil {
		return FormatAuto, fmt.Errorf("%s: %w", path, err)
	}
	if gz != nil {
		defer gz.Close()
	}
	return sniffFormat(path, br), nil
}

// nameExt is the lower-case extension of name under any .gz.
func nameExt(name string) string {
	return filepath.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz"))
}

// sniffFormat decides from the extension (under .gz), then from the first non-space byte.
func sniffFormat(name string, br *bufio.Reader) Format {
	switch nameExt(name) {
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	case ".csv", ".tsv":
		return FormatCSV
	}
	if c := firstByte(br); c == '{' || c == '[' {
		return FormatJSONL
	}
	return FormatCSV
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// firstByte is the first byte of the file after any byte order mark and white space, 0 when
// the first 512 bytes hold none.
func firstByte(br *bufio.Reader) byte {
	head, _ := br.Peek(512)
	if t := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n"); len(t) > 0 {
		return t[0]
	}
	return 0
}

// contradicts refuses a file whose first byte cannot start the format it is to be read as,
// and JSON that is not JSON lines (jsonArray, snscrape), saying how to convert it:
// read on, a CSV file read as JSON lines made every line a bad record, and JSON lines read as
// CSV failed on a bare quote in the header, neither saying what was wrong.
func contradicts(name string, f Format, br *bufio.Reader) error {
	switch c := firstByte(br); {
	case c == 0:
		return nil // empty: nothing to contradict
	case f == FormatJSONL && c == '[':
		return jsonArray(name, br)
	case f == FormatJSONL && c != '{':
		return fmt.Errorf("read as JSON lines, but the file starts with %q, not a JSON object's '{': a CSV file? give --format csv with --columns or --preset", c)
	case f == FormatJSONL:
		return snscrape(name, br)
	case f == FormatCSV && c == '{':
		return errors.New("read as CSV, but the file starts with '{': it looks like JSON lines; give --format jsonl (and no CSV flags)")
	}
	return nil
}

// unreadable refuses, before a format is chosen, files that are no archive leakwatch reads but
// one it could be made from, saying how: read on, a zip archive was taken for a CSV file of
// binary junk, and Twitter's account archive (tweets.js) for a CSV whose header was
// "window.YTD.tweets.part0 = [".
func unreadable(name string, br *bufio.Reader) error {
	head, _ := br.Peek(len("window.YTD."))
	base := filepath.Base(name)
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return fmt.Errorf("a zip archive, which leakwatch does not open (it reads gzip): unzip it (unzip %s) and give the file inside", base)
	case bytes.Equal(head, []byte("window.YTD.")):
		return fmt.Errorf(`Twitter's account archive (window.YTD...): one account's tweets as JavaScript, without their author, which leakwatch does not read as they are; write them as CSV with the account as author and read that: (echo author,id,time,text; sed '1s/^[^=]*= //' %s | jq -r '.[].tweet | ["HANDLE", .id_str, .created_at, .full_text] | @csv') > tweets.csv; leakwatch analyze tweets.csv --columns author=author,id=id,time=time,text=text`, base)
	}
	return nil
}

// jsonArray is the error for a file read as JSON lines that starts with '[': one JSON array
// (an API response saved whole, a Mastodon export), whose lines are not records. Read line
// by line, every line was refused as "not a JSON object" without a word on the file.
func jsonArray(name string, br *bufio.Reader) error {
	base := filepath.Base(name)
	if keys := foreignElement(br); keys != nil {
		// Split into lines, such elements (Mastodon statuses, say) would each be refused.
		return fmt.Errorf(`the file is a JSON array, not JSON lines, of objects leakwatch does not read (the first has keys %s): not Twitter v1.1 or v2 tweets or leakwatch posts; write each as a leakwatch post (platform, id, author.id, created_at with its offset, text: docs/ARCHIVES.md) with jq -c '.[] | {...}' %s > posts.jsonl and read that`, strings.Join(keys, ","), base)
	}
	return fmt.Errorf(`the file is a JSON array, not JSON lines (one JSON object a line): write one element a line and read that: jq -c '.[]' %s > %s.jsonl (jq 1.7 or later: 1.6 rounds long numeric ids)`, base, strings.TrimSuffix(base, filepath.Ext(base)))
}

// foreignElement returns the keys (at most 10) of the array's first element when that is an
// object whose keys say it is none of the shapes DecodeLine reads; nil when it is one, or
// when the buffered start of the file does not tell.
func foreignElement(br *bufio.Reader) []string {
	head, _ := br.Peek(br.Size())
	b := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	b = bytes.TrimLeft(b[1:], " \t\r\n") // after the '['
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	end, ok := skipValue(b, 0)
	if !ok {
		return nil
	}
	sh, ok := sniff(b[:end])
	if !ok || sh.tweetV1() || sh.leakwatchPost() || sh[kData] || sh[kAuthorID] || (sh[kTarget] && sh[kChanged]) {
		return nil
	}
	var keys []string
	s := scanner{b: b[:end]}
	s.object(func(key []byte) bool {
		keys = append(keys, string(key))
		return len(keys) < 10 && s.skip()
	})
	return keys
}

// snscrape refuses snscrape's JSON lines, told by the first line's "_type"
// ("snscrape.modules.twitter.Tweet"): every line was refused as an unrecognised object.
func snscrape(name string, br *bufio.Reader) error {
	head, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	found := false
	s := scanner{b: bytes.TrimSpace(bytes.TrimPrefix(head, utf8BOM))}
	s.object(func(key []byte) bool {
		if string(key) == "_type" && bytes.HasPrefix(s.b[s.i:], []byte(`"snscrape.`)) {
			found = true
			return false
		}
		return s.skip()
	})
	if !found {
		return nil
	}
	return fmt.Errorf(`snscrape's JSON lines ("_type": "snscrape..."), which leakwatch does not read as they are: write them as leakwatch posts and read that: jq -c '{platform: "twitter", id: (.id|tostring), author: {id: (.user.id|tostring), handle: .user.username}, created_at: .date, text: (.rawContent // .content)}' %s > posts.jsonl`, filepath.Base(name))
}

// Format is the format the file is read as.
func (r *Reader) Format() Format { return r.format }

// Recognised is the preset the CSV header was recognised as (see Presets), "" when the caller
// gave the layout (a preset, columns or objects) or the file is not CSV.
func (r *Reader) Recognised() string { return r.recognised }

// Stats returns the counts so far.
func (r *Reader) Stats() Stats { return r.stats }

// Close releases the file (when Open opened it).
func (r *Reader) Close() error {
	if r.dec != nil {
		r.dec.close()
		r.dec = nil
	}
	var err error
	if r.gz != nil {
		err = r.gz.Close()
		r.gz = nil
	}
	if r.file != nil {
		if cerr := r.file.Close(); err == nil {
			err = cerr
		}
		r.file = nil
	}
	return err
}

// NextRecord returns the next record: a post, a site change, or a Bad record naming
// file:line and the reason. It returns io.EOF after the last one; any other error is
// an I/O failure (a truncated gzip stream) that ends the file and is returned again on
// every later call. That error names the file, and the line where it is known (readFailed):
// callers need not name it again.
func (r *Reader) NextRecord() (collectors.Record, error) {
	if r.err != nil {
		return collectors.Record{}, r.err
	}
	var rec collectors.Record
	var err error
	if r.format == FormatCSV {
		rec, err = r.nextCSV()
	} else {
		rec, err = r.nextJSONL()
	}
	if err != nil {
		r.err = err
		return rec, err
	}
	r.stats.Records++
	switch {
	case rec.Bad != nil:
		r.stats.Bad++
	case rec.Change != nil:
		r.stats.Changes++
	default:
		r.stats.Posts++
	}
	return rec, nil
}

// Next returns the next post. A record the reader could not decode comes back as a
// *collectors.BadRecord error, after which Next may be called again; site changes are
// counted in Stats and skipped (NextRecord returns them). It returns io.EOF at the end.
func (r *Reader) Next() (leakwatch.Post, error) {
	for {
		rec, err := r.NextRecord()
		switch {
		case err != nil:
			return leakwatch.Post{}, err
		case rec.Bad != nil:
			return leakwatch.Post{}, rec.Bad
		case rec.Post != nil:
			return *rec.Post, nil
		}
	}
}

// All yields the posts in file order; a bad record is yielded as a *collectors.BadRecord
// error and reading goes on; an I/O error is yielded last. io.EOF is not yielded.
func (r *Reader) All() iter.Seq2[leakwatch.Post, error] {
	return func(yield func(leakwatch.Post, error) bool) {
		for {
			p, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var bad *collectors.BadRecord
			if err != nil && !errors.As(err, &bad) {
				yield(p, err)
				return
			}
			if !yield(p, err) {
				return
			}
		}
	}
}

// Contents is a whole archive in memory.
type Contents struct {
	Posts   []leakwatch.Post // sorted by CreatedAt, then URI, so the result does not depend on file order
	Changes []leakwatch.SiteChange
	Bad     []collectors.BadRecord
	Stats   Stats
}

// ReadAll reads a whole file. Bad records are returned beside the posts, not as an error;
// the error is for a file that cannot be opened or read.
func ReadAll(path string, opts Options) (Contents, error) {
	r, err := Open(path, opts)
	if err != nil {
		return Contents{}, err
	}
	defer r.Close()
	var c Contents
	for {
		rec, err := r.NextRecord()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return c, err
		}
		switch {
		case rec.Bad != nil:
			c.Bad = append(c.Bad, *rec.Bad)
		case rec.Change != nil:
			c.Changes = append(c.Changes, *rec.Change)
		case rec.Post != nil:
			c.Posts = append(c.Posts, *rec.Post)
		}
	}
	c.Stats = r.Stats()
	SortPosts(c.Posts)
	sort.SliceStable(c.Changes, func(i, j int) bool { return c.Changes[i].ObservedAt.Before(c.Changes[j].ObservedAt) })
	return c, nil
}

// SortPosts orders posts by event time, then URI, so replay order never depends on file order.
func SortPosts(posts []leakwatch.Post) {
	sort.SliceStable(posts, func(i, j int) bool {
		a, b := posts[i], posts[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.URI < b.URI
	})
}

func (r *Reader) bad(line int, raw []byte, err error) collectors.Record {
	return collectors.Record{Bad: &collectors.BadRecord{
		Source: r.opts.Name,
		Ref:    fmt.Sprintf("%s:%d", r.ref, line),
		Raw:    append([]byte(nil), raw...),
		Err:    err,
	}}
}

// nextJSONL reads and decodes one non-blank line of any length, or takes the next record of
// the read-ahead when there are decoding workers.
func (r *Reader) nextJSONL() (collectors.Record, error) {
	if r.opts.Workers > 1 {
		if r.dec == nil {
			r.startDecoders(r.opts.Workers)
		}
		return r.dec.nextDecoded()
	}
	for len(r.pending) == 0 {
		line, buf, long, err := r.readLine(r.lineBuf[:0])
		r.lineBuf = buf
		if err != nil {
			return collectors.Record{}, err
		}
		if long > 0 {
			r.pending = append(r.pendBuf[:0], r.tooLong(r.line, line, long))
		} else {
			r.pending = r.appendLine(r.pendBuf[:0], r.line, line)
		}
		r.pendBuf = r.pending
	}
	rec := r.pending[0]
	r.pending[0] = collectors.Record{}
	r.pending = r.pending[1:]
	return rec, nil
}

// posts holds decoded posts given back with Recycle.
var posts = sync.Pool{New: func() any { return new(leakwatch.Post) }}

// newPost returns an empty post to decode into, a recycled one when there is one.
func newPost() *leakwatch.Post {
	p := posts.Get().(*leakwatch.Post)
	*p = leakwatch.Post{}
	return p
}

// Recycle gives back a post a Reader or DecodeLine returned, once the caller has copied it
// (the strings it points to may live on: they are never reused). Optional: a batch analysis
// reads hundreds of thousands of posts and keeps none, and without it each would be fresh
// memory to fault in.
func Recycle(p *leakwatch.Post) {
	if p != nil {
		posts.Put(p)
	}
}
