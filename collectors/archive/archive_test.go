package archive_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/archive"
)

func readAll(t *testing.T, path string, opts archive.Options) archive.Contents {
	t.Helper()
	c, err := archive.ReadAll(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTwitterV1Lines(t *testing.T) {
	c := readAll(t, "testdata/tweets_v1.jsonl", archive.Options{})
	if c.Stats.Posts != 3 || c.Stats.Bad != 0 {
		t.Fatalf("stats %+v, want 3 posts", c.Stats)
	}
	orig, rt, reply := c.Posts[0], c.Posts[1], c.Posts[2]
	if orig.Author.ID != "1001" || orig.Hashtags[0] != "MacronLeaks" || orig.URLs[0].Expanded != "https://pastebin.com/raw/xYz" {
		t.Errorf("original: %+v", orig)
	}
	if rt.ReshareOf != orig.URI || rt.Author.ID != "2002" {
		t.Errorf("retweet points at %q by %q, want %q by 2002", rt.ReshareOf, rt.Author.ID, orig.URI)
	}
	if reply.ReplyTo != orig.URI || !strings.Contains(reply.Text, "évidemment") {
		t.Errorf("reply: to %q text %q", reply.ReplyTo, reply.Text)
	}
	for _, p := range c.Posts {
		if !p.ObservedAt.Equal(p.CreatedAt) {
			t.Errorf("post %s: observed %v, want its created time", p.ID, p.ObservedAt)
		}
	}
}

// Exports joined with cat keep each one's byte order mark at the start of a line: the
// lines after it read as the first does.
func TestByteOrderMarksOfJoinedExports(t *testing.T) {
	raw, err := os.ReadFile("testdata/tweets_v1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(raw)), "\n")
	joined := filepath.Join(t.TempDir(), "joined.jsonl")
	os.WriteFile(joined, []byte("\uFEFF"+lines[0]+"\uFEFF"+strings.Join(lines[1:], "")+"\n"), 0o644)
	got, want := readAll(t, joined, archive.Options{}), readAll(t, "testdata/tweets_v1.jsonl", archive.Options{})
	if got.Stats.Bad != 0 || !reflect.DeepEqual(got.Posts, want.Posts) {
		t.Errorf("joined exports: %+v, want the %d posts of the file", got.Stats, len(want.Posts))
	}
}

func TestNormalisedLinesAndChanges(t *testing.T) {
	c := readAll(t, "testdata/posts.jsonl", archive.Options{})
	if len(c.Posts) != 2 || len(c.Changes) != 1 || len(c.Bad) != 0 {
		t.Fatalf("got %d posts %d changes %d bad", len(c.Posts), len(c.Changes), len(c.Bad))
	}
	if c.Posts[0].URI != "https://mastodon.social/@alice/110" || c.Posts[1].URI != "archive:x1" {
		t.Errorf("uris %q %q", c.Posts[0].URI, c.Posts[1].URI)
	}
	if !c.Changes[0].Defacement || c.Changes[0].Target != "en-marche" {
		t.Errorf("change %+v", c.Changes[0])
	}
	// Next skips the change but counts it.
	r, err := archive.Open("testdata/posts.jsonl", archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for _, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if st := r.Stats(); n != 2 || st.Changes != 1 || st.Records != 3 {
		t.Errorf("All gave %d posts, stats %+v", n, st)
	}
}

// TestGzipByMagic reads a gzipped file whose name says nothing about compression.
func TestGzipByMagic(t *testing.T) {
	plain, err := os.ReadFile("testdata/tweets_v1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	path := filepath.Join(t.TempDir(), "capture.dat")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, path, archive.Options{})
	want := readAll(t, "testdata/tweets_v1.jsonl", archive.Options{})
	if len(got.Posts) != 3 || !reflect.DeepEqual(got.Posts, want.Posts) {
		t.Fatalf("gzipped read differs: %d posts", len(got.Posts))
	}
	// A truncated gzip stream is an I/O error, not a quiet end.
	trunc := filepath.Join(t.TempDir(), "trunc.jsonl.gz")
	os.WriteFile(trunc, buf.Bytes()[:buf.Len()/2], 0o644)
	if _, err := archive.ReadAll(trunc, archive.Options{}); err == nil || !strings.Contains(err.Error(), "trunc.jsonl.gz:") || !strings.Contains(err.Error(), "a truncated file") {
		t.Fatalf("truncated gzip: %v; want an error naming the file, the line and a truncated file", err)
	}
	// A CSV file cut short names the last record read before the cut.
	var rows bytes.Buffer
	rows.WriteString("author,time,text\n")
	for i := range 2000 {
		fmt.Fprintf(&rows, "a%d,2017-05-05T18:35:00Z,post %d with a text long enough to fill the gzip stream\n", i%97, i)
	}
	var csvGz bytes.Buffer
	cw := gzip.NewWriter(&csvGz)
	cw.Write(rows.Bytes())
	cw.Close()
	truncCSV := filepath.Join(t.TempDir(), "trunc.csv.gz")
	os.WriteFile(truncCSV, csvGz.Bytes()[:csvGz.Len()/2], 0o644)
	_, err = archive.ReadAll(truncCSV, archive.Options{Columns: archive.Columns{Author: "author", Time: "time", Text: "text"}})
	if err == nil || !regexp.MustCompile(`trunc\.csv\.gz: after the record on line \d+: the gzip stream ends early`).MatchString(err.Error()) {
		t.Fatalf("truncated CSV gzip: %v; want an error naming the file, the last line read and a truncated file", err)
	}
	// Zero bytes after the last member (a file padded to a block, which gunzip reads) end
	// the file; other bytes there are an error naming them, not a quiet end.
	for _, c := range []struct {
		name string
		tail []byte
		ok   bool
	}{{"zero padding", make([]byte, 1024), true}, {"garbage", []byte("this is not a gzip member at all"), false}} {
		path := filepath.Join(t.TempDir(), "tail.jsonl.gz")
		os.WriteFile(path, append(slices.Clone(buf.Bytes()), c.tail...), 0o644)
		got, err := archive.ReadAll(path, archive.Options{})
		switch {
		case c.ok && (err != nil || len(got.Posts) != 3):
			t.Errorf("%s: %d posts, %v; want the 3 posts and the end", c.name, len(got.Posts), err)
		case !c.ok && (err == nil || !strings.Contains(err.Error(), "neither another member nor zero padding")):
			t.Errorf("%s: %v; want an error saying what follows the last member", c.name, err)
		}
	}
	// A file whose whole content fits in the look at its first bytes (512) is judged alike:
	// that look once cleared the error, and the rubbish passed for the end.
	var small bytes.Buffer
	zw = gzip.NewWriter(&small)
	zw.Write([]byte("author,time\na,2017-05-05T18:35:00Z\n"))
	zw.Close()
	tiny := filepath.Join(t.TempDir(), "tiny.csv.gz")
	os.WriteFile(tiny, append(small.Bytes(), "garbage garbage garbage garbage\n"...), 0o644)
	if _, err := archive.ReadAll(tiny, archive.Options{Columns: archive.Columns{Author: "author", Time: "time"}}); err == nil || !strings.Contains(err.Error(), "neither another member nor zero padding") {
		t.Errorf("a small file with rubbish after its member: %v; want an error saying what follows the last member", err)
	}
}

func TestBadRecords(t *testing.T) {
	tests := []struct {
		file    string
		opts    archive.Options
		posts   int
		bad     map[string]string // ref -> part of the reason
		records int
	}{
		{
			file: "bad.csv", opts: archive.Options{Columns: archive.Columns{Author: "author", Time: "time", Text: "text", Followers: "followers"}},
			posts: 2, records: 7,
			bad: map[string]string{
				"bad.csv:3": "3 fields, header has 4",
				"bad.csv:4": "time (column time)",
				"bad.csv:5": "author (column author) is empty",
				"bad.csv:6": "followers (column followers): \"x\" is not an integer",
				"bad.csv:7": "extraneous or missing \" in quoted-field",
			},
		},
		{
			file: "bad.jsonl", posts: 2, records: 14,
			bad: map[string]string{
				"bad.jsonl:2": "json",
				"bad.jsonl:3": "delete or limit",
				"bad.jsonl:4": "unrecognised object",
				"bad.jsonl:6": "no user object",
				"bad.jsonl:7": "not a JSON object",
				// Event times out of range, in every format: placeholders and times past
				// what int64 nanoseconds hold.
				"bad.jsonl:9":  `post future: created_at "2263-01-01T00:00:00Z": outside 1990..2099, not a post time`,
				"bad.jsonl:10": `post epoch: created_at "1970-01-01T00:00:00Z": outside 1990..2099`,
				"bad.jsonl:11": "created_at is missing, or the placeholder 0001-01-01T00:00:00Z",
				"bad.jsonl:12": `post 6: created_at "2300-01-01T00:00:00Z": outside 1990..2099`,
				"bad.jsonl:13": `post 7: created_at "9999-12-31T00:00:00Z": outside 1990..2099`,
				"bad.jsonl:14": `site change site: observed_at "1970-01-01T00:00:00Z": outside 1990..2099`,
				"bad.jsonl:15": `time "2017-04-30T10:00:00" has no UTC offset`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			c := readAll(t, filepath.Join("testdata", tc.file), tc.opts)
			if len(c.Posts) != tc.posts || c.Stats.Records != tc.records || c.Stats.Bad != len(tc.bad) {
				t.Errorf("posts %d stats %+v; want %d posts, %d records, %d bad", len(c.Posts), c.Stats, tc.posts, tc.records, len(tc.bad))
			}
			got := map[string]string{}
			for _, b := range c.Bad {
				got[b.Ref] = b.Err.Error()
				if b.Source != "archive" {
					t.Errorf("%s: source %q", b.Ref, b.Source)
				}
			}
			for ref, want := range tc.bad {
				if !strings.Contains(got[ref], want) {
					t.Errorf("%s: reason %q, want it to contain %q (all: %v)", ref, got[ref], want, got)
				}
			}
		})
	}
}

func TestCSVTimeForms(t *testing.T) {
	c := readAll(t, "testdata/bad.csv", archive.Options{Columns: archive.Columns{Author: "author", Time: "time", Text: "text"}})
	want := map[string]time.Time{
		"alice": time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC),
		"dave":  time.Unix(1493922060, 0).UTC(),
		"frank": time.Date(2017, 5, 5, 16, 40, 0, 0, time.UTC),
	}
	for _, p := range c.Posts {
		if w, ok := want[p.Author.ID]; ok && !p.CreatedAt.Equal(w) {
			t.Errorf("%s: time %v, want %v", p.Author.ID, p.CreatedAt, w)
		}
		if p.Author.ID == "dave" && p.Text != `a quoted "field" with, comma` {
			t.Errorf("dave text %q", p.Text)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{in: "1493922000", want: time.Unix(1493922000, 0)},
		{in: "1493922000.25", want: time.Unix(1493922000, 250_000_000)},
		{in: "1494009300000", want: time.UnixMilli(1494009300000)}, // 13 digits: milliseconds
		{in: "1494009300123", want: time.UnixMilli(1494009300123)},
		{in: "14940093000000", err: true},
		{in: "1494009300000.5", err: true},
		{in: "2017-05-05T18:35:00Z", want: time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)},
		{in: "2017-05-05T20:35:00+02:00", want: time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)},
		{in: "2016-08-02 02:50:00", want: time.Date(2016, 8, 2, 2, 50, 0, 0, time.UTC)},
		{in: "Fri May 05 18:35:12 +0000 2017", want: time.Date(2017, 5, 5, 18, 35, 12, 0, time.UTC)},
		{in: "", err: true},
		{in: "05/05/2017", err: true},
		{in: "714000000000000000", err: true},
	}
	for _, tc := range tests {
		got, err := archive.ParseTime(tc.in)
		if (err != nil) != tc.err || (!tc.err && !got.Equal(tc.want)) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseColumnsAndObjects(t *testing.T) {
	c, err := archive.ParseColumns("author=account_id, time=ts,id=post_id,text=content,handle=screen_name,url=links")
	if err != nil {
		t.Fatal(err)
	}
	want := archive.Columns{Author: "account_id", Time: "ts", ID: "post_id", Text: "content", Handle: "screen_name", URLs: "links"}
	if c != want {
		t.Errorf("got %+v", c)
	}
	if back, _ := archive.ParseColumns(c.String()); back != c {
		t.Errorf("String does not round-trip: %q", c.String())
	}
	for _, bad := range []string{"author", "colour=x", "author=a,author=b", "time="} {
		if _, err := archive.ParseColumns(bad); err == nil {
			t.Errorf("ParseColumns(%q): no error", bad)
		}
	}
	// A preset's name where the column map goes is the likely mistake after reading that a CSV
	// needs columns or a preset: the error says which flag takes it.
	if _, err := archive.ParseColumns("ira"); err == nil || !strings.Contains(err.Error(), "--preset ira") {
		t.Errorf("ParseColumns(\"ira\"): %v; want a pointer to --preset ira", err)
	}
	objs, err := archive.ParseObjects("url=url_id,image=phash_id")
	if err != nil || len(objs) != 2 || objs[1] != (archive.ObjectColumn{Kind: leakwatch.KindImage, Column: "phash_id"}) {
		t.Errorf("ParseObjects: %v %v", objs, err)
	}
	for _, bad := range []string{"video=x", "url", "url="} {
		if _, err := archive.ParseObjects(bad); err == nil {
			t.Errorf("ParseObjects(%q): no error", bad)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		opts archive.Options
		want string
	}{
		{"missing column", archive.Options{Columns: archive.Columns{Author: "author", Time: "when"}}, "time=when: no such column"},
		{"no columns", archive.Options{Format: archive.FormatCSV}, "columns: CSV needs author= and time="},
		{"unknown preset", archive.Options{Preset: "nope"}, `preset: unknown "nope"`},
		{"bad object kind", archive.Options{Columns: archive.Columns{Author: "author", Time: "time"}, Objects: []archive.ObjectColumn{{Kind: "video", Column: "text"}}}, `unknown kind "video"`},
	}
	for _, tc := range tests {
		_, err := archive.Open("testdata/bad.csv", tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// A header that is no preset's is refused with the header in the message, so the user sees
// what to map; one holding the columns of two presets names both; a layout the caller gave
// is never replaced by a recognised one; and a header is recognised in any case.
func TestPresetRecognition(t *testing.T) {
	rtweet := "user_id,screen_name,created_at,status_id,text,lang,retweet_status_id,in_reply_to_status_status_id,quote_status_id,urls_expanded,hashtags,mentions_screen_name\n" +
		"14389177,benoithamon,2017-03-20T23:28:13Z,843967442128900096,Bonsoir #LeGrandDebat,fr,NA,NA,NA,NA,LeGrandDebat HamonDebat,NA\n"
	for _, tc := range []struct {
		name, in   string
		opts       archive.Options
		recognised string
		err        string
	}{
		{"no preset's", "who,when,what\nme,2017-05-05T18:35:00Z,hello\n", archive.Options{}, "", "the header (who,when,what) is no preset's"},
		{"two presets'", "account_id,post_id,url_id,hashtag_id,domain_id,phash_id,timestamp,timestamp_share,object_id,content_id\n",
			archive.Options{}, "", "the header holds the columns of presets coortweet-de and coortweet-ru"},
		{"rtweet", rtweet, archive.Options{}, "rtweet", ""},
		{"rtweet in capitals", strings.Replace(rtweet, "user_id,screen_name,created_at", "USER_ID,Screen_Name,CREATED_AT", 1), archive.Options{}, "rtweet", ""},
		{"columns given", rtweet, archive.Options{Columns: archive.Columns{Author: "screen_name", Time: "created_at"}}, "", ""},
	} {
		r, err := archive.NewReader(strings.NewReader(tc.in), "x.csv", tc.opts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		p, err := r.Next()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if r.Recognised() != tc.recognised {
			t.Errorf("%s: recognised %q, want %q", tc.name, r.Recognised(), tc.recognised)
		}
		// The preset reads user ids as authors, NA as empty, and the posts as tweets.
		if tc.recognised != "" && (p.Author.ID != "14389177" || p.ReplyTo != "" || p.URI != "https://twitter.com/i/status/843967442128900096") {
			t.Errorf("%s: post %+v", tc.name, p)
		}
	}
}

// TestPresetOverride: an explicit column wins over the preset's.
func TestPresetOverride(t *testing.T) {
	in := "user_id,screen_name,created_at,status_id,text,lang,retweet_status_id,in_reply_to_status_status_id,quote_status_id,urls_expanded,hashtags,mentions_screen_name,handle2\n" +
		"14389177,benoithamon,2017-03-20T23:28:13Z,843967442128900096,Bonsoir #LeGrandDebat,fr,NA,NA,NA,NA,LeGrandDebat HamonDebat,NA,bh\n"
	r, err := archive.NewReader(strings.NewReader(in), "x.csv", archive.Options{Preset: "rtweet", Columns: archive.Columns{Handle: "handle2"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if p.Author.Handle != "bh" || p.ReshareOf != "" || len(p.Hashtags) != 2 || p.URI != "https://twitter.com/i/status/843967442128900096" {
		t.Errorf("post %+v", p)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last row: %v, want io.EOF", err)
	}
}

func TestSource(t *testing.T) {
	ctx := context.Background()
	s := archive.NewSource("testdata/posts.jsonl", archive.Options{Name: "fixture"})
	var _ collectors.Source = s
	if _, err := s.Read(ctx); !errors.Is(err, collectors.ErrNotConnected) {
		t.Fatalf("Read before Connect: %v", err)
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	var posts, changes int
	for {
		rec, err := s.Read(ctx)
		if errors.Is(err, collectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Post != nil {
			posts++
		}
		if rec.Change != nil {
			changes++
		}
		// A reconnect mid-file must not start over.
		if err := s.Connect(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if posts != 2 || changes != 1 {
		t.Errorf("%d posts %d changes", posts, changes)
	}
	if _, err := s.Read(ctx); !errors.Is(err, collectors.ErrEndOfInput) {
		t.Errorf("Read after end: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Name() != "fixture" {
		t.Errorf("name %q", s.Name())
	}
}

// TestFileOrderDoesNotMatter: ReadAll sorts by event time, so a shuffled file gives the same posts.
func TestFileOrderDoesNotMatter(t *testing.T) {
	b, _ := os.ReadFile("testdata/tweets_v1.jsonl")
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	rev := lines[2] + "\n" + lines[0] + "\n" + lines[1] + "\n"
	path := filepath.Join(t.TempDir(), "rev.jsonl")
	os.WriteFile(path, []byte(rev), 0o644)
	a := readAll(t, "testdata/tweets_v1.jsonl", archive.Options{})
	z := readAll(t, path, archive.Options{})
	if !reflect.DeepEqual(a.Posts, z.Posts) {
		t.Error("reordered file gives different posts")
	}
}

func TestTwitterV2Lines(t *testing.T) {
	c := readAll(t, "testdata/tweets_v2.jsonl", archive.Options{})
	if len(c.Posts) != 2 || len(c.Bad) != 1 {
		t.Fatalf("%d posts %d bad, want 2 and 1", len(c.Posts), len(c.Bad))
	}
	env, bare := c.Posts[0], c.Posts[1]
	if env.Author.Handle != "patriote_4004" || env.URLs[0].Expanded != "https://archive.org/details/EMLRK" || !strings.Contains(env.Text, "&") || strings.Contains(env.Text, "&amp;") {
		t.Errorf("envelope post: %+v", env)
	}
	if bare.Author.ID != "5005" || bare.ReshareOf != env.URI {
		t.Errorf("bare retweet: author %q reshares %q, want 5005 and %q", bare.Author.ID, bare.ReshareOf, env.URI)
	}
	if c.Bad[0].Ref != "tweets_v2.jsonl:3" {
		t.Errorf("error object ref %q", c.Bad[0].Ref)
	}
}

// TestRawRowKeepsUnmappedColumns: the whole row survives in Post.Raw as valid JSON.
func TestRawRowKeepsUnmappedColumns(t *testing.T) {
	in := "author,time,category,note\n" + "a,1493922000,RightTroll,\"say \"\"hi\"\"\\ \tnow\"\n"
	r, err := archive.NewReader(strings.NewReader(in), "x.csv", archive.Options{Columns: archive.Columns{Author: "author", Time: "time"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]string
	if err := json.Unmarshal(p.Raw, &raw); err != nil {
		t.Fatalf("raw %s: %v", p.Raw, err)
	}
	if raw["category"] != "RightTroll" || raw["note"] != "say \"hi\"\\ \tnow" || raw["author"] != "a" {
		t.Errorf("raw %v", raw)
	}
}

// TestNoRawLeavesTheRestAlone: NoRaw only drops the row's JSON; the post is otherwise the same.
func TestNoRawLeavesTheRestAlone(t *testing.T) {
	in := "author,time,text,category\n" + "a,1493922000,hello #x https://t.co/y,RightTroll\n" + "b,1493922060,again,LeftTroll\n"
	read := func(noRaw bool) []leakwatch.Post {
		r, err := archive.NewReader(strings.NewReader(in), "x.csv", archive.Options{Columns: archive.Columns{Author: "author", Time: "time", Text: "text"}, NoRaw: noRaw})
		if err != nil {
			t.Fatal(err)
		}
		var ps []leakwatch.Post
		for {
			p, err := r.Next()
			if errors.Is(err, io.EOF) {
				return ps
			}
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
	}
	with, without := read(false), read(true)
	if len(with) != 2 || len(without) != 2 {
		t.Fatalf("posts: %d with raw, %d without", len(with), len(without))
	}
	for i := range with {
		if len(with[i].Raw) == 0 || without[i].Raw != nil {
			t.Errorf("post %d: raw %q with, %q without", i, with[i].Raw, without[i].Raw)
		}
		with[i].Raw = nil
		if !reflect.DeepEqual(with[i], without[i]) {
			t.Errorf("post %d differs beyond Raw:\n%+v\n%+v", i, with[i], without[i])
		}
	}
}

// TestCSVDialects: exports as spreadsheet tools and R or pandas write them open with the
// columns named as they appear in the header.
func TestCSVDialects(t *testing.T) {
	cols := archive.Columns{Author: "author", Time: "time", Text: "text"}
	tests := []struct {
		name, file, in string
		comma          rune
	}{
		// write.csv(fileEncoding = "UTF-8-BOM"), pandas to_csv(encoding="utf-8-sig", quoting=QUOTE_ALL)
		{"BOM and quoted header", "export.csv", "\uFEFF\"author\",\"time\",\"text\"\n\"a1\",\"2017-05-05 18:00:00\",\"hello, world\"\n", 0},
		{"BOM and bare header", "export.csv", "\uFEFFauthor,time,text\na1,2017-05-05 18:00:00,\"hello, world\"\n", 0},
		{"tsv by name", "export.tsv", "author\ttime\ttext\na1\t2017-05-05 18:00:00\thello, world\n", 0},
		{"tsv by name under gz", "export.TSV.gz", "\uFEFF\"author\"\t\"time\"\t\"text\"\na1\t2017-05-05 18:00:00\thello, world\n", 0},
		{"explicit comma wins over the name", "export.tsv", "author;time;text\na1;2017-05-05 18:00:00;hello, world\n", ';'},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := archive.NewReader(strings.NewReader(tc.in), tc.file, archive.Options{Columns: cols, Comma: tc.comma})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			p, err := r.Next()
			if err != nil {
				t.Fatalf("first row: %v", err)
			}
			if p.Author.ID != "a1" || p.Text != "hello, world" || !p.CreatedAt.Equal(time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)) {
				t.Errorf("post author %q text %q time %v", p.Author.ID, p.Text, p.CreatedAt)
			}
		})
	}
}

func TestParseComma(t *testing.T) {
	for in, want := range map[string]rune{"": 0, ";": ';', `\t`: '\t', "tab": '\t', "|": '|'} {
		if got, err := archive.ParseComma(in); err != nil || got != want {
			t.Errorf("ParseComma(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{";;", `"`, "\n"} {
		if _, err := archive.ParseComma(in); err == nil {
			t.Errorf("ParseComma(%q) accepted", in)
		}
	}
}

// TestSourceUnderRun: collectors.Run closes a source before each reconnect. A file that
// cannot be read further stops the run with the file and the reason instead of retrying for
// ever, and a source closed mid-file goes on where it stopped when connected again.
func TestSourceUnderRun(t *testing.T) {
	plain, err := os.ReadFile("testdata/tweets_v1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for range 500 {
		zw.Write(plain)
	}
	zw.Close()
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.jsonl.gz")
	if err := os.WriteFile(cut, buf.Bytes()[:buf.Len()-64], 0o644); err != nil {
		t.Fatal(err)
	}

	cfg := collectors.DefaultRunConfig() // MaxAttempts 0: a transient error would be retried for ever
	cfg.InitialBackoff, cfg.MaxBackoff = time.Millisecond, time.Millisecond
	run := func(path string) (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n := 0
		err := collectors.Run(ctx, archive.NewSource(path, archive.Options{}), func(context.Context, collectors.Record) error { n++; return nil }, collectors.RunOptions{Config: cfg})
		if ctx.Err() != nil {
			t.Fatalf("%s: still retrying after 5s (err %v)", path, err)
		}
		return n, err
	}
	for _, tc := range []struct {
		path, want string
	}{
		{cut, "cut.jsonl.gz:"},
		{filepath.Join(dir, "missing.jsonl"), "missing.jsonl"},
	} {
		n, err := run(tc.path)
		if err == nil || !collectors.IsPermanent(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %d records, err %v; want a permanent error naming %q", filepath.Base(tc.path), n, err, tc.want)
		}
	}
	if n, err := run(cut); !strings.Contains(fmt.Sprint(err), "unexpected EOF") || n == 0 || n >= 1500 {
		t.Errorf("cut file: %d records, err %v; want the records before the cut, then unexpected EOF", n, err)
	}

	// Closed after two records and connected again: the third comes next, nothing twice.
	ctx := context.Background()
	s := archive.NewSource("testdata/tweets_v1.jsonl", archive.Options{})
	var ids []string
	readOne := func() error {
		rec, err := s.Read(ctx)
		if err == nil {
			ids = append(ids, rec.Post.ID)
		}
		return err
	}
	for i := range 3 {
		if err := s.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		if err := readOne(); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := readOne(); !errors.Is(err, collectors.ErrEndOfInput) {
		t.Fatalf("after the last record: %v", err)
	}
	want := readAll(t, "testdata/tweets_v1.jsonl", archive.Options{})
	if len(ids) != 3 || ids[0] == ids[1] || ids[1] == ids[2] || s.Stats().Posts != len(want.Posts) {
		t.Errorf("ids %v, stats %+v; want the file's 3 posts once each", ids, s.Stats())
	}
}

// TestRetweetColumnValues: a retweet cell is a yes or a no; anything else is a bad row naming
// the column, the value and what is taken, never a silent "no" (which turned retweets spelt
// otherwise into original posts). RETWEET and QUOTE_TWEET are how the full FiveThirtyEight
// release of the IRA tweets spells R and Q.
func TestRetweetColumnValues(t *testing.T) {
	in := "author,time,text,post_type\n" +
		"a,2017-05-05 18:00:00,R,R\n" +
		"b,2017-05-05 18:00:01,rt,rt\n" +
		"c,2017-05-05 18:00:02,TRUE,TRUE\n" +
		"d,2017-05-05 18:00:03,oui,oui\n" +
		"e,2017-05-05 18:00:04,empty,\n" +
		"f,2017-05-05 18:00:05,Q,Q\n" +
		"g,2017-05-05 18:00:06,FALSE,FALSE\n" +
		"h,2017-05-05 18:00:07,non,non\n" +
		"i,2017-05-05 18:00:08,NA,NA\n" +
		"j,2017-05-05 18:00:09,RETWEET,RETWEET\n" +
		"k,2017-05-05 18:00:10,maybe,maybe\n" +
		"l,2017-05-05 18:00:11,QUOTE_TWEET,QUOTE_TWEET\n" +
		"m,2017-05-05 18:00:12,retweeted,retweeted\n"
	path := filepath.Join(t.TempDir(), "rt.csv")
	if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	c := readAll(t, path, archive.Options{Null: []string{"NA"}, Columns: archive.Columns{Author: "author", Time: "time", Text: "text", Retweet: "post_type"}})
	retweets := map[string]bool{}
	for _, p := range c.Posts {
		retweets[p.Author.ID] = p.ReshareOf != ""
	}
	want := map[string]bool{"a": true, "b": true, "c": true, "d": true, "e": false, "f": false, "g": false, "h": false, "i": false, "j": true, "l": false}
	if !reflect.DeepEqual(retweets, want) {
		t.Errorf("retweets by author %v, want %v", retweets, want)
	}
	if len(c.Bad) != 2 || c.Bad[0].Ref != "rt.csv:12" || c.Bad[1].Ref != "rt.csv:14" {
		t.Fatalf("bad records %v; want rt.csv:12 and rt.csv:14", c.Bad)
	}
	for i, v := range []string{"maybe", "retweeted"} {
		if got := c.Bad[i].Err.Error(); !strings.Contains(got, `retweet (column post_type): "`+v+`" is not a yes or no: want R, RT, RETWEET, 1, true`) {
			t.Errorf("%s: reason %q, want the column, the value and what is taken", c.Bad[i].Ref, got)
		}
	}
}

// TestTwarc2Pages: a Twitter v2 page a line, as twarc2 writes search results, is read as all
// its tweets, each with its author and referenced tweets from the page's includes; a bad tweet
// is a bad record of its line naming the tweet, and does not spoil the page.
func TestTwarc2Pages(t *testing.T) {
	for _, workers := range []int{1, 4} {
		c := readAll(t, "testdata/twarc2.jsonl", archive.Options{Workers: workers})
		if c.Stats != (archive.Stats{Records: 6, Posts: 5, Bad: 1}) {
			t.Fatalf("workers %d: stats %+v, want 5 posts and 1 bad record from 2 pages", workers, c.Stats)
		}
		orig := "https://twitter.com/i/status/1653398580986417152"
		got := map[string]string{}
		for _, p := range c.Posts {
			got[p.ID] = fmt.Sprintf("%s reshare=%s reply=%s quote=%s", p.Author.Handle, p.ReshareOf, p.ReplyTo, p.QuoteOf)
		}
		want := map[string]string{
			"1653398580986417152": "leakbot_de reshare= reply= quote=",
			"1653398702528954369": "ampl_17 reshare=" + orig + " reply= quote=",
			"1653398702528954370": "ampl_18 reshare=" + orig + " reply= quote=",
			"1653398800000000001": "ampl_18 reshare= reply=" + orig + " quote=",
			"1653398900000000002": "ampl_17 reshare= reply= quote=" + orig,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("workers %d: posts %v\nwant %v", workers, got, want)
		}
		if b := c.Bad[0]; b.Ref != "twarc2.jsonl:2" || !strings.Contains(b.Err.Error(), `tweet 1653398900000000003: created_at "not a date"`) {
			t.Errorf("workers %d: bad record %s: %v; want line 2 and the tweet's id and reason", workers, b.Ref, b.Err)
		}
		// The dead letter holds the tweet that failed, not its page of tweets that did not.
		if raw := string(c.Bad[0].Raw); !json.Valid(c.Bad[0].Raw) || !strings.Contains(raw, `"1653398900000000003"`) || strings.Contains(raw, "1653398900000000002") {
			t.Errorf("workers %d: bad record's raw is not the bad tweet alone: %s", workers, raw)
		}
	}
}

// TestHeaderNameTwice: a mapped column whose name the header holds twice is refused at once,
// naming both columns; the first of the two would have been read with the other unseen.
func TestHeaderNameTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "twice.csv")
	in := "author,time,text,Time\na,2017-05-05 18:00:00,x,2017-05-05 19:00:00\n"
	if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ col, want string }{
		{"time", ""},                          // the exact name is there once: taken
		{"TIME", `"TIME" in columns 2 and 4`}, // in any case it is there twice
		{"text", ""},                          // once
	} {
		_, err := archive.Open(path, archive.Options{Columns: archive.Columns{Author: "author", Time: c.col, Text: "text"}})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("time=%s: %v, want it read", c.col, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("time=%s: error %v, want one naming %s", c.col, err, c.want)
		}
	}
	if err := os.WriteFile(path, []byte("author,time,text,time\na,2017-05-05 18:00:00,x,2017-05-05 19:00:00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := archive.Open(path, archive.Options{Columns: archive.Columns{Author: "author", Time: "time"}}); err == nil || !strings.Contains(err.Error(), `"time" in columns 2 and 4`) {
		t.Errorf("time twice: error %v, want one naming columns 2 and 4", err)
	}
}
