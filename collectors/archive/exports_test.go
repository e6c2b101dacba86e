package archive_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/unicode"

	"github.com/leakwatch/leakwatch/collectors/archive"
)

// Excel's "Unicode Text" (testdata/excel_unicode.txt: UTF-16 little-endian, a byte order
// mark, tabs) is read without flags, as is the same file big-endian; an encoding given
// against the mark, or UTF-16 without one, is refused saying which flag reads it.
func TestUTF16CSV(t *testing.T) {
	c := readAll(t, "testdata/excel_unicode.txt", archive.Options{})
	if c.Stats.Posts != 2 || c.Stats.Bad != 0 {
		t.Fatalf("stats %+v, want 2 posts", c.Stats)
	}
	const first = "Je vous propose de voter pour une République bienveillante"
	if p := c.Posts[1]; p.Author.ID != "14389177" || !strings.HasPrefix(p.Text, first) {
		t.Errorf("first row's post %+v", p)
	}
	le, err := os.ReadFile("testdata/excel_unicode.txt")
	if err != nil {
		t.Fatal(err)
	}
	text, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(le)
	if err != nil {
		t.Fatal(err)
	}
	be, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes(text)
	if err != nil {
		t.Fatal(err)
	}
	r, err := archive.NewReader(strings.NewReader(string(be)), "export.txt", archive.Options{})
	if err != nil {
		t.Fatalf("big-endian: %v", err)
	}
	if p, err := r.Next(); err != nil || !strings.HasPrefix(p.Text, first) {
		t.Errorf("big-endian: %q %v, want %q...", p.Text, err, first)
	}
	noBOM := le[2:]
	for _, tc := range []struct {
		name string
		in   []byte
		opts archive.Options
		err  string
	}{
		{"windows-1252 given", le, archive.Options{Encoding: "windows-1252"}, "it is UTF-16; give --encoding utf-16"},
		{"no byte order mark", noBOM, archive.Options{}, "give --encoding utf-16le"},
		{"no byte order mark, named", noBOM, archive.Options{Encoding: "utf-16le", Comma: '\t'}, ""},
	} {
		r, err := archive.NewReader(strings.NewReader(string(tc.in)), "export.txt", tc.opts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p, err := r.Next(); err != nil || !strings.HasPrefix(p.Text, first) {
			t.Errorf("%s: %q %v", tc.name, p.Text, err)
		}
	}
}

// The full FiveThirtyEight release of the IRA tweets (testdata/ira_fivethirtyeight.csv) is
// recognised as ira: its M/D/YYYY H:MM times are read month first, and tweet_id is the id.
// Without the preset such a time is refused, saying why.
func TestIRAFullRelease(t *testing.T) {
	c := readAll(t, "testdata/ira_fivethirtyeight.csv", archive.Options{})
	if c.Stats.Posts != 3 || c.Stats.Bad != 0 {
		t.Fatalf("stats %+v, want 3 posts", c.Stats)
	}
	p := c.Posts[0]
	if want := time.Date(2017, 10, 1, 19, 58, 0, 0, time.UTC); !p.CreatedAt.Equal(want) || !p.ObservedAt.Equal(want.Add(time.Minute)) {
		t.Errorf("created %v observed %v, want %v and a minute later", p.CreatedAt, p.ObservedAt, want)
	}
	if p.URI != "https://twitter.com/i/status/914580356430536707" || p.Author.ID != "10_GOP" {
		t.Errorf("first post %s by %s", p.URI, p.Author.ID)
	}
	if c.Posts[1].ReshareOf == "" || c.Posts[2].ReshareOf != "" {
		t.Errorf("RETWEET and QUOTE_TWEET: reshare %q and %q", c.Posts[1].ReshareOf, c.Posts[2].ReshareOf)
	}
	c = readAll(t, "testdata/ira_fivethirtyeight.csv", archive.Options{Columns: archive.Columns{Author: "author", Time: "publish_date"}})
	if c.Stats.Bad != 3 || !strings.Contains(c.Bad[0].Error(), "month first only with --preset ira") {
		t.Errorf("without the preset: %+v %v", c.Stats, c.Bad)
	}
}

// rtweet 0.6-0.7's write_as_csv (testdata/rtweet_write_as_csv.csv: reply_to_status_id,
// quoted_status_id, ids written x123) is recognised as rtweet-0.6, its ids read without the x.
func TestRtweetWriteAsCSV(t *testing.T) {
	c := readAll(t, "testdata/rtweet_write_as_csv.csv", archive.Options{})
	if c.Stats.Posts != 3 || c.Stats.Bad != 0 {
		t.Fatalf("stats %+v, want 3 posts", c.Stats)
	}
	p := c.Posts[0]
	if p.Author.ID != "900" || p.URI != "https://twitter.com/i/status/1324000000000000010" || p.ReshareOf != "https://twitter.com/i/status/1324000000000000001" || len(p.Hashtags) != 2 {
		t.Errorf("post %+v", p)
	}
	r, err := archive.Open("testdata/rtweet_write_as_csv.csv", archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Recognised() != "rtweet-0.6" {
		t.Errorf("recognised %q, want rtweet-0.6", r.Recognised())
	}
}

// JSON that is not JSON lines, and a zip archive, are refused before any record, saying what
// the file is and how to convert it, rather than every line refused as "not a JSON object".
func TestExportsToConvert(t *testing.T) {
	for _, tc := range []struct {
		file, opts string
		want       string
	}{
		{"testdata/v1_timeline.json", "", `is a JSON array, not JSON lines (one JSON object a line): write one element a line and read that: jq -c '.[]' v1_timeline.json > v1_timeline.jsonl`},
		{"testdata/tweets.js", "", `Twitter's account archive (window.YTD...)`},
		{"testdata/mastodon_statuses.json", "", `the file is a JSON array, not JSON lines, of objects leakwatch does not read (the first has keys id,created_at,in_reply_to_id,`},
		{"testdata/tweets.js", "jsonl", `sed '1s/^[^=]*= //' tweets.js | jq -r`},
		{"testdata/snscrape.jsonl", "", `snscrape's JSON lines ("_type": "snscrape..."), which leakwatch does not read as they are: write them as leakwatch posts and read that: jq -c`},
	} {
		_, err := archive.Open(tc.file, archive.Options{Format: archive.Format(tc.opts)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.file, err, tc.want)
		}
	}
	zip := "PK\x03\x04\x14\x00\x00\x00\x08\x00" + strings.Repeat("\x00", 30)
	for _, name := range []string{"fr.zip", "fr.csv", "tweets.jsonl"} {
		_, err := archive.NewReader(strings.NewReader(zip), name, archive.Options{})
		if want := "a zip archive, which leakwatch does not open (it reads gzip): unzip it (unzip " + name + ")"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", name, err, want)
		}
	}
}

// A header separated by semicolons (R's write.csv2, Excel in French) or tabs is refused
// naming the flag to give; lines ending in a carriage return alone (old Mac Excel,
// testdata/twint_mac.csv) are read as lines.
func TestCSVSeparatorsAndLineEnds(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"\ufeff\"screen_name\";\"user_id\";\"created_at\"\n\"a\";\"1\";\"2017-03-20T23:28:13Z\"\n", "give --comma ';'"},
		{"screen_name;user_id;created_at\na;1;2017-03-20T23:28:13Z\n", "give --comma ';'"},
		{"screen_name\tuser_id\tcreated_at\na\t1\t2017-03-20T23:28:13Z\n", "give --comma tab"},
	} {
		_, err := archive.NewReader(strings.NewReader(tc.in), "export.csv", archive.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
		r, err := archive.NewReader(strings.NewReader(tc.in), "export.csv", archive.Options{Comma: rune(tc.want[len(tc.want)-2]), Columns: archive.Columns{Author: "user_id", Time: "created_at"}})
		if tc.want == "give --comma tab" {
			r, err = archive.NewReader(strings.NewReader(tc.in), "export.csv", archive.Options{Comma: '\t', Columns: archive.Columns{Author: "user_id", Time: "created_at"}})
		}
		if err != nil {
			t.Fatalf("%q with the separator: %v", tc.in, err)
		}
		if p, err := r.Next(); err != nil || p.Author.ID != "1" {
			t.Errorf("%q with the separator: %+v %v", tc.in, p, err)
		}
	}
	c := readAll(t, "testdata/twint_mac.csv", archive.Options{Columns: archive.Columns{Author: "user_id", Time: "created_at", Text: "tweet", ID: "id"}})
	if c.Stats.Posts != 3 || c.Stats.Bad != 0 || c.Posts[2].Author.ID != "902" {
		t.Errorf("CR line ends: %+v %+v", c.Stats, c.Posts)
	}
}
