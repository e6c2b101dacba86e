package archive_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// readRecords reads every record of a CSV given as a string, as "post AUTHOR TEXT" or
// "bad REF REASON", with each bad record's raw content.
func readRecords(t *testing.T, in io.Reader, name string, opts archive.Options) (recs []string, raws map[string]string, st archive.Stats) {
	t.Helper()
	all, st := records(t, in, name, opts)
	raws = map[string]string{}
	for _, rec := range all {
		switch {
		case rec.Bad != nil:
			recs = append(recs, "bad "+rec.Bad.Ref+" "+rec.Bad.Err.Error())
			raws[rec.Bad.Ref] = string(rec.Bad.Raw)
		case rec.Post != nil:
			recs = append(recs, "post "+rec.Post.Author.ID+" "+rec.Post.Text)
		}
	}
	return recs, raws, st
}

// records reads every record of an archive.
func records(t *testing.T, in io.Reader, name string, opts archive.Options) ([]collectors.Record, archive.Stats) {
	t.Helper()
	r, err := archive.NewReader(in, name, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer r.Close()
	var out []collectors.Record
	for {
		rec, err := r.NextRecord()
		if errors.Is(err, io.EOF) {
			return out, r.Stats()
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

// A broken quote costs the line it is on and nothing else: the rows encoding/csv took into
// the broken record (up to the next quote, or to the end of the file) are read again, and
// whatever is broken among them costs its own first line in turn. Read a byte at a time,
// the file gives the same records.
func TestBrokenQuoteCostsItsLineOnly(t *testing.T) {
	const head = "author,time,text\n"
	const quoteErr = `csv: extraneous or missing " in quoted-field`
	// A quote open from line 2 over rows of padding: the rows, then a bad one to check the
	// line numbers that follow.
	openQuote := func(rows, pad int) (string, []string) {
		var b strings.Builder
		b.WriteString(head + "a1,2017-04-04T20:00:00Z,\"open to the end\n")
		var want []string
		for i := range rows {
			text := fmt.Sprintf("row %d of the rest of the file%s", i, strings.Repeat(".", pad))
			fmt.Fprintf(&b, "b%d,2017-04-04T20:01:00Z,%s\n", i, text)
			want = append(want, fmt.Sprintf("post b%d %s", i, text))
		}
		fmt.Fprintf(&b, ",2017-04-04T20:02:00Z,no author at line %d\n", rows+3)
		want = append([]string{"bad x.csv:2 " + quoteErr}, want...)
		return b.String(), append(want, fmt.Sprintf("bad x.csv:%d author (column author) is empty", rows+3))
	}
	long, longWant := openQuote(4000, 0)    // more than the reader's 64 KiB buffers
	huge, hugeWant := openQuote(5000, 1000) // megabytes: the kept bytes' buffer shrinks after
	cols := archive.Columns{Author: "author", Time: "time", Text: "text"}
	tests := []struct {
		name, in string
		cols     archive.Columns
		want     []string          // records in order: "post AUTHOR TEXT" or "bad REF REASON..." (a prefix)
		raw      map[string]string // bad record ref -> its raw content
	}{
		{
			name: "the French debate's broken quote",
			in: "nom,time,tweet,is_retweet,rt_nom\n" +
				"@a,2017-04-04T20:00:00Z,\"oops no closing quote,FALSE,NA\n" +
				"@b,2017-04-04T20:01:00Z,\"Macron parle, enfin\",FALSE,NA\n" +
				"@c,2017-04-04T20:02:00Z,\"Le Pen répond, vite\",FALSE,NA\n" +
				"@d,2017-04-04T20:03:00Z,Fillon se tait,FALSE,NA\n",
			cols: archive.Columns{Author: "nom", Time: "time", Text: "tweet"},
			want: []string{"bad x.csv:2 " + quoteErr + " (the record runs on to line 3", "post @b Macron parle, enfin", "post @c Le Pen répond, vite", "post @d Fillon se tait"},
			raw:  map[string]string{"x.csv:2": `@a,2017-04-04T20:00:00Z,"oops no closing quote,FALSE,NA`},
		},
		{
			name: "a quote open to the end of the file",
			in:   head + "a1,2017-04-04T20:00:00Z,\"never closed\na2,2017-04-04T20:01:00Z,plain\na3,2017-04-04T20:02:00Z,plain too",
			want: []string{"bad x.csv:2 " + quoteErr, "post a2 plain", "post a3 plain too"},
			raw:  map[string]string{"x.csv:2": `a1,2017-04-04T20:00:00Z,"never closed`},
		},
		{
			name: "broken quotes in the lines read again",
			in: head + "a1,2017-04-04T20:00:00Z,\"open\n" +
				"a2,2017-04-04T20:01:00Z,\"also open\n" +
				"a3,2017-04-04T20:02:00Z,fine\n" +
				"a4,2017-04-04T20:03:00Z,\"quoted, fine\"\n",
			want: []string{"bad x.csv:2 " + quoteErr + " (the record runs on to line 3", "bad x.csv:3 " + quoteErr + " (the record runs on to line 5",
				"post a3 fine", "post a4 quoted, fine"},
			raw: map[string]string{"x.csv:2": `a1,2017-04-04T20:00:00Z,"open`, "x.csv:3": `a2,2017-04-04T20:01:00Z,"also open`},
		},
		{
			name: "a bare quote on one line costs that line",
			in:   head + "a1,2017-04-04T20:00:00Z,say \"hi\n" + "a2,2017-04-04T20:01:00Z,next\n",
			want: []string{"bad x.csv:2 csv: bare \" in non-quoted-field (at byte 29 of the line)", "post a2 next"},
			raw:  map[string]string{"x.csv:2": `a1,2017-04-04T20:00:00Z,say "hi`},
		},
		{
			name: "CRLF, blank lines, and a good multi-line field after the broken line",
			in: "author,time,text\r\n" +
				"a1,2017-04-04T20:00:00Z,one\r\n\r\n\n" +
				"a2,2017-04-04T20:01:00Z,\"open\r\n" +
				"a3,2017-04-04T20:02:00Z,\"two\r\nlines\"\r\n" +
				",2017-04-04T20:03:00Z,no author\r\n",
			want: []string{"post a1 one", "bad x.csv:5 " + quoteErr + " (the record runs on to line 6", "post a3 two\nlines", "bad x.csv:8 author (column author) is empty"},
			raw:  map[string]string{"x.csv:5": `a2,2017-04-04T20:01:00Z,"open`},
		},
		{name: "a quote open over 4000 rows and 64 KiB buffers", in: long, want: longWant},
		{name: "a quote open over 5 MB", in: huge, want: hugeWant},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := archive.Options{Columns: cols}
			if tc.cols != (archive.Columns{}) {
				opts.Columns = tc.cols
			}
			got, raws, st := readRecords(t, strings.NewReader(tc.in), "x.csv", opts)
			checkRecords(t, got, raws, st, tc.want, tc.raw)
			slow, _, _ := readRecords(t, iotest.OneByteReader(strings.NewReader(tc.in)), "x.csv", opts)
			if strings.Join(slow, "\n") != strings.Join(got, "\n") {
				t.Errorf("read a byte at a time:\n%s\nwhole:\n%s", strings.Join(slow, "\n"), strings.Join(got, "\n"))
			}
		})
	}
}

func checkRecords(t *testing.T, got []string, raws map[string]string, st archive.Stats, want []string, raw map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(got), len(want), strings.Join(got[:min(len(got), 20)], "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("record %d: %q, want %q...", i+1, got[i], want[i])
		}
	}
	for ref, w := range raw {
		if raws[ref] != w {
			t.Errorf("%s: raw %q, want the line %q", ref, raws[ref], w)
		}
	}
	if st.Records != len(want) || st.Records != st.Posts+st.Bad {
		t.Errorf("stats %+v; want %d records, posts and bad adding up", st, len(want))
	}
}

// A CSV record may take 16 MiB, as a JSON line may. A quote left open near the start of a
// large file, which encoding/csv runs on to the next quote or the end of the file, stops
// there: the record costs its first line and the rows after it are read again, with a
// bounded buffer. One line that long costs itself, its first 64 KiB kept as its raw
// content, and the rows after it are read as usual, numbered as the file numbers them.
func TestCSVRecordOverTheLimit(t *testing.T) {
	const head = "author,time,text\n"
	cols := archive.Columns{Author: "author", Time: "time", Text: "text"}
	rows := func(b *strings.Builder, from, n int) (want []string) {
		for i := range n {
			text := fmt.Sprintf("row %d%s", from+i, strings.Repeat(".", 1000))
			fmt.Fprintf(b, "r%d,2017-04-04T20:01:00Z,%s\n", from+i, text)
			want = append(want, fmt.Sprintf("post r%d %s", from+i, text))
		}
		return want
	}
	t.Run("a quote left open over 17 MiB of rows", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(head + "a1,2017-04-04T20:00:00Z,\"never closed\n")
		const n = 17 << 10 // rows of about a KiB
		want := append([]string{"bad x.csv:2 csv: a record over the 16777216-byte limit, from this line on (a quote left open?)"}, rows(&b, 0, n)...)
		fmt.Fprintf(&b, ",2017-04-04T20:02:00Z,no author\n")
		want = append(want, fmt.Sprintf("bad x.csv:%d author (column author) is empty", n+3))
		got, raws, st := readRecords(t, strings.NewReader(b.String()), "x.csv", archive.Options{Columns: cols})
		checkRecords(t, got, raws, st, want, map[string]string{"x.csv:2": `a1,2017-04-04T20:00:00Z,"never closed`})
	})
	t.Run("one line of 17 MiB", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(head)
		want := rows(&b, 0, 3)
		huge := "big,2017-04-04T20:00:00Z," + strings.Repeat("x", 17<<20)
		b.WriteString(huge + "\n")
		want = append(want, fmt.Sprintf("bad x.csv:5 line of %d bytes, over the 16777216-byte limit of a record (its first 65536 bytes kept)", len(huge)+1))
		want = append(want, rows(&b, 3, 3)...)
		fmt.Fprintf(&b, ",2017-04-04T20:02:00Z,no author\n")
		want = append(want, "bad x.csv:9 author (column author) is empty")
		got, raws, st := readRecords(t, strings.NewReader(b.String()), "x.csv", archive.Options{Columns: cols})
		checkRecords(t, got, raws, st, want, map[string]string{"x.csv:5": huge[:64<<10]})
	})
}

// A Windows-1252 export read as UTF-8 loses no row silently: each row with a byte that is
// not UTF-8 in its text or in another cell the post takes is a bad record that names the
// column and the --encoding to give, with the row's bytes. Read with that encoding, the
// rows are posts with their accents, curly quotes and euro signs.
func TestCSVEncoding(t *testing.T) {
	body := "Mélenchon,2017-04-04T20:00:00Z,Je ne suis pas d'accord,débat\n" +
		"Macron,2017-04-04T20:01:00Z,plain ASCII,debat\n" +
		"Hamon,2017-04-04T20:02:00Z,\"« Ensemble », l’équipe coûte 5 € – cœur\",débat\n"
	utf := "auteur,heure,texte,catégorie\n" + body
	cp, err := charmap.Windows1252.NewEncoder().String(utf)
	if err != nil {
		t.Fatal(err)
	}
	cpBody := cp[strings.IndexByte(cp, '\n')+1:]
	cols := archive.Columns{Author: "auteur", Time: "heure", Text: "texte"}

	want := []string{
		`bad fr.csv:2 author (column auteur): not UTF-8: byte 0xE9 in "M\xe9lenchon" (a Windows-1252 or Latin-1 file? read it with --encoding windows-1252)`,
		"post Macron plain ASCII",
		`bad fr.csv:4 text (column texte): not UTF-8: byte 0xAB in "\xab Ensemble \xbb, l\x92\xe9quipe c"... (a Windows-1252 or Latin-1 file? read it with --encoding windows-1252)`,
	}
	for _, noRaw := range []bool{false, true} { // with Raw kept every cell is checked, in one pass
		got, raws, _ := readRecords(t, strings.NewReader("auteur,heure,texte,categorie\n"+cpBody), "fr.csv", archive.Options{Columns: cols, NoRaw: noRaw})
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("read as UTF-8 (NoRaw %v):\n%s\nwant:\n%s", noRaw, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if line := strings.Split(cpBody, "\n")[0]; raws["fr.csv:2"] != line {
			t.Errorf("raw of the bad row %q, want its bytes %q", raws["fr.csv:2"], line)
		}
	}

	for _, name := range []string{"windows-1252", "CP1252"} {
		got, _, _ := readRecords(t, strings.NewReader(cp), "fr.csv", archive.Options{Columns: cols, Encoding: name})
		want := []string{"post Mélenchon Je ne suis pas d'accord", "post Macron plain ASCII", "post Hamon « Ensemble », l’équipe coûte 5 € – cœur"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("--encoding %s:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// The header is decoded too: an accented column name matches.
	c, err := archive.NewReader(strings.NewReader(cp), "fr.csv", archive.Options{Columns: archive.Columns{Author: "auteur", Time: "heure", Lang: "catégorie"}, Encoding: "latin1"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.Next(); err != nil || p.Lang != "débat" {
		t.Errorf("latin1: lang %q, %v; want the column catégorie read as débat", p.Lang, err)
	}

	// A column the post does not take is checked when the row is kept as Raw, where it goes.
	other := "auteur,heure,texte,catégorie\nMacron,2017-04-04T20:01:00Z,plain,d\xe9bat\n"
	got, _, _ := readRecords(t, strings.NewReader(other), "fr.csv", archive.Options{Columns: cols})
	if len(got) != 1 || !strings.HasPrefix(got[0], `bad fr.csv:2 column catégorie: not UTF-8: byte 0xE9 in "d\xe9bat"`) {
		t.Errorf("an unmapped Latin-1 cell with Raw kept: %q", got)
	}
	got, _, _ = readRecords(t, strings.NewReader(other), "fr.csv", archive.Options{Columns: cols, NoRaw: true})
	if len(got) != 1 || got[0] != "post Macron plain" {
		t.Errorf("an unmapped Latin-1 cell, no Raw: %q; want the post (the cell is not read)", got)
	}

	for _, tc := range []struct {
		name, in, file string
		opts           archive.Options
		want           string
	}{
		{"unknown encoding", utf, "fr.csv", archive.Options{Columns: cols, Encoding: "klingon"}, `encoding: unknown "klingon" (want utf-8, windows-1252, iso-8859-1); for UTF-16: utf-16, utf-16le, utf-16be`},
		{"UTF-8 BOM with windows-1252", "\uFEFF" + utf, "fr.csv", archive.Options{Columns: cols, Encoding: "windows-1252"}, "starts with a UTF-8 byte order mark"},
		{"Latin-1 header read as UTF-8", cp, "fr.csv", archive.Options{Columns: cols}, `csv header: column 4: not UTF-8: byte 0xE9 in "cat\xe9gorie"`},
		{"JSON lines with windows-1252", `{"id":"1"}` + "\n", "x.jsonl", archive.Options{Encoding: "windows-1252"}, "encoding: windows-1252 is for CSV: JSON lines are UTF-8"},
	} {
		if _, err := archive.NewReader(strings.NewReader(tc.in), tc.file, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// TestSharedDataInWindows1252 is the French debate file saved by a spreadsheet in
// Windows-1252: read as UTF-8 every row with an accent is a bad record, none a post with
// broken letters; read as Windows-1252 it gives the posts of the UTF-8 file.
func TestSharedDataInWindows1252(t *testing.T) {
	path := testenv.SharedData(t, "data/fr-2017-debates/tweets_debat_20170404.csv")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := encoding.ReplaceUnsupported(charmap.Windows1252.NewEncoder()).Bytes(b) // emoji become 0x1A
	if err != nil {
		t.Fatal(err)
	}
	opts := archive.Options{Columns: archive.Columns{Author: "nom", Handle: "nom", Time: "time", Text: "tweet", Retweet: "is_retweet"}}
	orig := readAll(t, path, opts)
	dir := t.TempDir()
	in := filepath.Join(dir, "debat-cp1252.csv")
	if err := os.WriteFile(in, cp, 0o644); err != nil {
		t.Fatal(err)
	}
	asUTF8 := readAll(t, in, opts)
	accented := 0 // rows with a letter of Windows-1252 beyond ASCII (emoji become 0x1A)
	for _, p := range orig.Posts {
		if enc, _ := encoding.ReplaceUnsupported(charmap.Windows1252.NewEncoder()).String(p.Author.ID + p.Text); !isASCII(enc) {
			accented++
		}
	}
	if asUTF8.Stats.Bad != accented || asUTF8.Stats.Posts != len(orig.Posts)-accented {
		t.Errorf("read as UTF-8: %+v; want the %d rows with a letter beyond ASCII bad, the other %d posts", asUTF8.Stats, accented, len(orig.Posts)-accented)
	}
	for _, b := range asUTF8.Bad {
		if !strings.Contains(b.Err.Error(), "--encoding windows-1252") || !bytes.Contains(cp, b.Raw) {
			t.Fatalf("%s: %v (raw %q); want the --encoding hint and the row's bytes", b.Ref, b.Err, b.Raw)
		}
	}
	opts.Encoding = "windows-1252"
	decoded := readAll(t, in, opts)
	if decoded.Stats.Bad != 0 || len(decoded.Posts) != len(orig.Posts) {
		t.Fatalf("read as windows-1252: %+v, want %d posts", decoded.Stats, len(orig.Posts))
	}
	same := 0
	for i, p := range decoded.Posts {
		if p.Text == orig.Posts[i].Text {
			same++
		} else if !strings.Contains(p.Text, "\x1a") {
			t.Errorf("post %d: %q, want %q", i, p.Text, orig.Posts[i].Text)
		}
	}
	if same < len(orig.Posts)*3/4 {
		t.Errorf("%d of %d texts as in the UTF-8 file", same, len(orig.Posts))
	}
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Times without an offset are read in Options.TimeZone, across the DST changes as calendars
// read them; times with an offset, Unix seconds and milliseconds are instants whatever it is.
func TestCSVTimeZone(t *testing.T) {
	in := "author,time,observed\n" +
		"naive,2017-05-05 20:35:00,2017-05-05 20:36:00\n" +
		"naiveT,2017-05-05T20:35:00,\n" +
		"minutes,2017-05-05 20:35,\n" +
		"offset,2017-05-05T20:35:00+02:00,\n" +
		"zulu,2017-05-05T18:35:00Z,\n" +
		"unix,1494009300,\n" +
		"unixms,1494009300000,\n" +
		"twitter,Fri May 05 18:35:00 +0000 2017,\n" +
		"winter,2017-01-15 20:35:00,\n" +
		"skipped,2017-03-26 02:30:00,\n" + // the spring-forward gap: 03:30 CEST
		"repeated,2017-10-29 02:30:00,\n" // twice that night: the first, in CEST
	cols := archive.Columns{Author: "author", Time: "time", Observed: "observed"}
	at := func(s string) time.Time {
		tt, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	for _, tc := range []struct {
		zone string
		want map[string]string
	}{
		{"", map[string]string{"naive": "2017-05-05T20:35:00Z", "naiveT": "2017-05-05T20:35:00Z", "minutes": "2017-05-05T20:35:00Z",
			"offset": "2017-05-05T18:35:00Z", "zulu": "2017-05-05T18:35:00Z", "unix": "2017-05-05T18:35:00Z", "unixms": "2017-05-05T18:35:00Z",
			"twitter": "2017-05-05T18:35:00Z", "winter": "2017-01-15T20:35:00Z", "skipped": "2017-03-26T02:30:00Z", "repeated": "2017-10-29T02:30:00Z"}},
		{"Europe/Paris", map[string]string{"naive": "2017-05-05T18:35:00Z", "naiveT": "2017-05-05T18:35:00Z", "minutes": "2017-05-05T18:35:00Z",
			"offset": "2017-05-05T18:35:00Z", "zulu": "2017-05-05T18:35:00Z", "unix": "2017-05-05T18:35:00Z", "unixms": "2017-05-05T18:35:00Z",
			"twitter": "2017-05-05T18:35:00Z", "winter": "2017-01-15T19:35:00Z", "skipped": "2017-03-26T01:30:00Z", "repeated": "2017-10-29T00:30:00Z"}},
	} {
		r, err := archive.NewReader(strings.NewReader(in), "tz.csv", archive.Options{Columns: cols, TimeZone: tc.zone})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for p, err := range r.All() {
			if err != nil {
				t.Fatalf("zone %q: %v", tc.zone, err)
			}
			n++
			if want := at(tc.want[p.Author.ID]); !p.CreatedAt.Equal(want) || p.CreatedAt.Location() != time.UTC {
				t.Errorf("zone %q: %s at %v, want %v (in UTC)", tc.zone, p.Author.ID, p.CreatedAt, want)
			}
			if p.Author.ID == "naive" && !p.ObservedAt.Equal(at(tc.want["naive"]).Add(time.Minute)) {
				t.Errorf("zone %q: observed %v, want the zone applied as to the time", tc.zone, p.ObservedAt)
			}
		}
		if n != len(tc.want) {
			t.Errorf("zone %q: %d posts, want %d", tc.zone, n, len(tc.want))
		}
	}
	for zone, want := range map[string]string{"Europe/Pari": `time zone: unknown "Europe/Pari"`, "Local": `time zone: "Local" depends on the machine`} {
		if _, err := archive.NewReader(strings.NewReader(in), "tz.csv", archive.Options{Columns: cols, TimeZone: zone}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("zone %q: %v, want %q", zone, err, want)
		}
	}
	if _, err := archive.NewReader(strings.NewReader(`{"id":"1"}`+"\n"), "x.jsonl", archive.Options{TimeZone: "Europe/Paris"}); err == nil || !strings.Contains(err.Error(), "time zone: Europe/Paris is for CSV") {
		t.Errorf("a time zone on JSON lines: %v", err)
	}
}

// Every accepted form is named in the error for a time that fits none.
func TestTimeErrorNamesEveryForm(t *testing.T) {
	_, err := archive.ParseTime("hier soir")
	for _, form := range []string{"Unix seconds", "milliseconds", "RFC 3339", "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DDTHH:MM:SS", "YYYY-MM-DD HH:MM", "Mon Jan 02 15:04:05 -0700 2006"} {
		if err == nil || !strings.Contains(err.Error(), form) {
			t.Errorf("error %v does not name %q", err, form)
		}
	}
}

// TestDerivedIDsTellRepeatedTweetsFromRepeatedRows: IRA rows have no tweet id and times to
// the minute. An account that posted one text twice in a minute shows its post count one
// higher on the second row: two tweets, two ids. A row the file repeats repeats its count:
// one tweet, one id, so analyze counts it once.
func TestDerivedIDsTellRepeatedTweetsFromRepeatedRows(t *testing.T) {
	in := "author,content,language,publish_date,harvested_date,following,followers,updates,post_type\n" +
		"Pat,#MerkelMussBleiben she stays,German,2016-07-21 13:38:00,2016-07-21 13:38:00,12,13,117,\n" +
		"Pat,#MerkelMussBleiben she stays,German,2016-07-21 13:38:00,2016-07-21 13:38:00,12,13,118,\n" +
		"Pat,#MerkelMussBleiben she stays,German,2016-07-21 13:38:00,2016-07-21 13:38:00,12,13,118,\n"
	all, _ := records(t, strings.NewReader(in), "ira.csv", archive.Options{Preset: "ira"})
	var uris []string
	for _, rec := range all {
		if rec.Post == nil {
			t.Fatalf("record %+v", rec)
		}
		uris = append(uris, rec.Post.URI)
	}
	if len(uris) != 3 || uris[0] == uris[1] || uris[1] != uris[2] {
		t.Errorf("URIs %q: want the 117 and 118 rows apart and the repeated 118 row the same", uris)
	}
}

// TestBadRowRawIsTheFileLine: a bad row's raw is its line as the file has it, quotes, spaces
// and a multi-line cell included (line ends as the reader gives them to the CSV parser: \n),
// not the row written back from its cells.
func TestBadRowRawIsTheFileLine(t *testing.T) {
	lines := []string{
		`author,time,text`,
		`acc1,  2017-13-05 10:00:00 , hello`, // a bad time, spaces around it
		`"acc2","2017-05-05 10:00:01","ok"`,  // good
		`  `,                                 // a line of spaces: one cell, no time
		`acc3,"2017-05-05 99:00:00","two` + "\n" + `lines"`, // a bad time and a cell over two lines
	}
	_, raws, st := readRecords(t, strings.NewReader(strings.Join(lines, "\r\n")+"\r\n"), "rows.csv",
		archive.Options{Columns: archive.Columns{Author: "author", Time: "time", Text: "text"}})
	want := map[string]string{"rows.csv:2": lines[1], "rows.csv:4": lines[3], "rows.csv:5": lines[4]}
	if st.Posts != 1 || fmt.Sprint(raws) != fmt.Sprint(want) {
		t.Errorf("posts %d, bad rows' raw %q; want 1 post and %q", st.Posts, raws, want)
	}
}

// List cells are read as the exporting tool wrote them. Split as words, twarc-csv's JSON
// ([{"start": 0, "end": 5, "tag": "vote"}]) made "[{"start":", "0" and ""tag":" hashtags every
// row shared, and three accounts with unrelated hashtags a coordinated group; Twint's Python
// lists (['#leak']) gave "['#leak']". A bracketed cell that is neither is a bad row naming
// its column, and so is an id a spreadsheet rewrote as 8.44E+17, which stands for every id of
// those first digits: distinct tweets were merged as copies without a word.
func TestCSVListCellsAndSpreadsheetIDs(t *testing.T) {
	cols, err := archive.ParseColumns("id=id,author=author,time=time,text=text,hashtags=tags,urls=urls,mentions=mentions,reshare=rt")
	if err != nil {
		t.Fatal(err)
	}
	in := "id,author,time,text,tags,urls,mentions,rt\n" +
		`1,a,2017-05-05 18:00:00,x,"[{""start"": 0, ""end"": 5, ""tag"": ""vote""}]","[{""url"": ""https://t.co/x"", ""expanded_url"": ""https://ex.org/a""}]","[{""username"": ""bob"", ""id"": ""12""}]",` + "\n" +
		`2,b,2017-05-05 18:00:01,y,"['#leak', ""#macron's""]",[],"['@carol']",` + "\n" +
		`3,c,2017-05-05 18:00:02,z,vote leak,https://ex.org/b,dave,` + "\n" +
		`4,d,2017-05-05 18:00:03,w,[vote,,,` + "\n" +
		`8.44E+17,e,2017-05-05 18:00:04,v,,,,` + "\n" +
		`6,f,2017-05-05 18:00:05,u,,,,8.4397E+17` + "\n"
	all, _ := records(t, strings.NewReader(in), "export.csv", archive.Options{Columns: cols})
	var got []string
	for _, rec := range all {
		if rec.Bad != nil {
			got = append(got, rec.Bad.Ref+" bad: "+rec.Bad.Err.Error())
			continue
		}
		var urls []string
		for _, u := range rec.Post.URLs {
			urls = append(urls, u.Expanded)
		}
		got = append(got, fmt.Sprintf("%s %v %v %v", rec.Post.Author.ID, rec.Post.Hashtags, urls, rec.Post.Mentions))
	}
	want := []string{
		"a [vote] [https://ex.org/a] [bob]",
		"b [leak macron's] [] [carol]",
		"c [vote leak] [https://ex.org/b] [dave]",
		`export.csv:5 bad: hashtags (column tags): "[vote": a list in brackets, neither JSON nor a Python list of quoted strings`,
		`export.csv:6 bad: id (column id): "8.44E+17" is an id a spreadsheet turned into a number, its last digits lost: export the column as text`,
		`export.csv:7 bad: reshare (column rt): "8.4397E+17" is an id a spreadsheet turned into a number, its last digits lost: export the column as text`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
