package feeds

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

var observed = time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)

// postsOf runs a testdata feed through the parser and the item-to-post mapping.
func postsOf(t *testing.T, name, feedURL string) []collectors.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	feed, err := Parse(data, "")
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	s := &Source{}
	return s.newItems(&feedState{url: feedURL, seen: newSeenSet(100)}, feed, observed)
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		file, format, title string
		items               int
	}{
		{"news-rss.xml", FormatRSS, "Le Quotidien National – Politique", 3},
		{"paste-atom.xml", FormatAtom, "PasteDrop — recent public pastes", 2},
		{"leaks-feed.json", FormatJSON, "LeakBoard disclosures", 2},
		{"latin1-rdf.xml", FormatRDF, "Blog citoyen", 1},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(data, "")
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != tc.format || len(f.Items) != tc.items {
				t.Fatalf("format %q with %d items, want %q with %d", f.Format, len(f.Items), tc.format, tc.items)
			}
			if title, _ := htmlText(f.Title); title != tc.title {
				t.Errorf("title = %q, want %q", title, tc.title)
			}
		})
	}
}

// TestPostsGolden compares every post built from the testdata feeds with golden files
// (go test -run TestPostsGolden -update rewrites them), then checks by hand the fields a
// reader of the posts topic relies on.
func TestPostsGolden(t *testing.T) {
	feeds := map[string]string{
		"news-rss.xml":    "https://www.quotidien-national.example/politique/rss.xml",
		"paste-atom.xml":  "https://pastedrop.example.net/feed/atom",
		"leaks-feed.json": "https://leakboard.example.org/feed.json",
		"latin1-rdf.xml":  "https://blog-citoyen.example.fr/index.rdf",
	}
	for file, u := range feeds {
		t.Run(file, func(t *testing.T) {
			recs := postsOf(t, file, u)
			var posts []*leakwatch.Post
			for _, r := range recs {
				if r.Post == nil {
					t.Fatalf("unexpected bad record: %v", r.Bad)
				}
				posts = append(posts, r.Post)
			}
			got, err := json.MarshalIndent(posts, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(file, filepath.Ext(file))+".posts.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
				t.Errorf("posts differ from %s (run with -update after checking):\n%s", golden, got)
			}
		})
	}

	t.Run("rss fields", func(t *testing.T) {
		recs := postsOf(t, "news-rss.xml", feeds["news-rss.xml"])
		// Oldest first: the debate (3 May, CEST) before the leak (5 May) before the commission (6 May).
		first, leak, last := recs[0].Post, recs[1].Post, recs[2].Post
		if want := time.Date(2017, 5, 3, 21, 30, 0, 0, time.UTC); !first.CreatedAt.Equal(want) {
			t.Errorf("CEST date = %v, want %v", first.CreatedAt, want)
		}
		if first.URI != "https://www.quotidien-national.example/politique/2017/05/03/debat_5121000.html" || first.ID != "5121000" {
			t.Errorf("bare guid: URI %q ID %q", first.URI, first.ID)
		}
		if first.Text != "Débat d'entre-deux-tours : les moments clés\nRetour sur un débat tendu ." && first.Text != "Débat d'entre-deux-tours : les moments clés\nRetour sur un débat tendu." {
			t.Errorf("escaped-HTML description text = %q", first.Text)
		}
		if want := time.Date(2017, 5, 5, 21, 56, 0, 0, time.UTC); !leak.CreatedAt.Equal(want) {
			t.Errorf("created = %v, want %v", leak.CreatedAt, want)
		}
		if leak.Author.Name != "Claire Martin" || leak.Platform != leakwatch.PlatformFeed || leak.Lang != "fr-FR" {
			t.Errorf("author/platform/lang = %+v %q %q", leak.Author, leak.Platform, leak.Lang)
		}
		var domains []string
		for _, l := range leak.URLs {
			domains = append(domains, l.Domain)
		}
		// Item link, then the summary's pastebin link, then content links (relative one resolved).
		if got := strings.Join(domains, " "); got != "quotidien-national.example pastebin.com example.org quotidien-national.example" {
			t.Errorf("link domains = %q", got)
		}
		if leak.URLs[3].Expanded != "https://www.quotidien-national.example/politique/2017/05/05/reserve-electorale_5123400.html" {
			t.Errorf("relative link resolved to %q", leak.URLs[3].Expanded)
		}
		if !strings.Contains(last.Text, "loi. Communiqué.") {
			t.Errorf("&nbsp; not read as a space: %q", last.Text)
		}
		if len(leak.Media) != 1 || leak.Media[0].Type != "image" {
			t.Errorf("media = %+v", leak.Media)
		}
	})
	t.Run("atom fields", func(t *testing.T) {
		recs := postsOf(t, "paste-atom.xml", feeds["paste-atom.xml"])
		plain, dump := recs[0].Post, recs[1].Post
		if plain.URI != "https://pastedrop.example.net/p/Zz81kQe" {
			t.Errorf("relative alternate link: %q", plain.URI)
		}
		if plain.Text != "untitled paste\nsudo apt-get install <package> # plain text, not markup" {
			t.Errorf("type=text content must stay literal: %q", plain.Text)
		}
		if dump.Author.Handle != "anon_4chan_pol" || dump.Author.ID != feeds["paste-atom.xml"]+"#anon_4chan_pol" {
			t.Errorf("item author = %+v", dump.Author)
		}
		if !strings.HasPrefix(dump.Text, "EMLEAKS 9GB dump — mirrors\nMirror list") {
			t.Errorf("text = %q", dump.Text)
		}
		// The xhtml content adds the transfer link the summary lacks.
		found := false
		for _, l := range dump.URLs {
			found = found || l.Expanded == "https://transfer.example.sh/9Gb/emleaks.tar.gz"
		}
		if !found {
			t.Errorf("xhtml content link missing: %+v", dump.URLs)
		}
	})
	t.Run("json feed fields", func(t *testing.T) {
		recs := postsOf(t, "leaks-feed.json", feeds["leaks-feed.json"])
		num, rel := recs[0].Post, recs[1].Post
		if num.ID != "20170503" || !json.Valid(num.Raw) {
			t.Errorf("numeric id = %q, raw valid = %v", num.ID, json.Valid(num.Raw))
		}
		if strings.Contains(rel.Text, "track()") {
			t.Errorf("script text leaked into post: %q", rel.Text)
		}
		if rel.Author.Name != "EMLEAKS" {
			t.Errorf("author = %+v", rel.Author)
		}
	})
	t.Run("latin1 rdf", func(t *testing.T) {
		p := postsOf(t, "latin1-rdf.xml", feeds["latin1-rdf.xml"])[0].Post
		if !strings.HasPrefix(p.Text, "Période de réserve") || p.Author.Name != "Hélène" {
			t.Errorf("ISO-8859-1 not decoded: %q / %q", p.Text, p.Author.Name)
		}
	})
}

func TestParseErrors(t *testing.T) {
	broken, err := os.ReadFile("testdata/broken.xml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc, want string
	}{
		{"bad xml", string(broken), "XML syntax error on line 12: element <title> closed by </item>"},
		{"empty", "  \n", "empty document"},
		{"html page", "<!DOCTYPE html><html><body>hi</body></html>", "not a feed: root element is <html>"},
		{"truncated", "<rss><channel><item><title>x", "XML syntax error on line 1: unexpected EOF"},
		{"other root", "<urlset><url/></urlset>", "not a feed: root element is <urlset>"},
		{"rss without channel", "<rss version=\"2.0\"></rss>", "RSS: no <channel> element"},
		{"json not a feed", `{"hello":"world"}`, "not a JSON Feed: version is \"\""},
		{"json bad item", `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"a","title":5}]}`, "JSON Feed item 0:"},
		{"text", "hello", `not a feed: document starts with "hello"`},
		// encoding/json would have read it as U+FFFD and every post as by "LeakBoard d?voile".
		{"json invalid UTF-8 in the feed title", "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"LeakBoard d\xe9voile\",\"items\":[{\"id\":\"a\",\"title\":\"ok\"}]}", "JSON Feed: invalid UTF-8 at byte 66"},
		{"unknown charset", `<?xml version="1.0" encoding="x-klingon"?><rss/>`, `unsupported character encoding "x-klingon"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	tests := []string{
		"Fri, 05 May 2017 18:35:00 +0000",
		"Fri, 05 May 2017 20:35:00 +0200",
		"Fri, 5 May 2017 18:35:00 GMT",
		"Fri, 05 May 2017 14:35:00 EDT",
		"Fri, 05 May 2017 20:35:00 CEST",
		"05 May 2017 18:35:00 UT",
		"Fri, 05 May 17 18:35:00 +0000",
		"Fri, 05 May 2017 18:35 +0000",
		"Fri 05 May 2017 18:35:00 +0000",
		"Fri, 05 May 2017 18:35:00 +0000 (UTC)",
		"Friday, 05 May 2017 18:35:00 GMT",
		"2017-05-05T18:35:00Z",
		"2017-05-05T20:35:00+02:00",
		"2017-05-05T18:35:00.000Z",
		"2017-05-05T20:35:00+0200",
		"2017-05-05T18:35:00",
		"2017-05-05 18:35:00",
		"  2017-05-05T18:35:00Z\n",
	}
	for _, s := range tests {
		got, err := parseDate(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "2017-13-45", "Fri, 32 May 2017 18:35:00 GMT"} {
		if _, err := parseDate(bad); err == nil {
			t.Errorf("parseDate(%q) accepted", bad)
		}
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct {
		in, text string
		links    []string
	}{
		{"plain  text\n here", "plain text here", nil},
		{"<p>one</p><p>two <a href=\"https://a.example/x\">link</a></p>", "one\ntwo link", []string{"https://a.example/x"}},
		{"<div>\n  <h2>Titre</h2>\n  <p>Cafe\u0301 &amp; cr&egrave;me</p></div>", "Titre\nCafé & crème", nil},
		{"a<script>var x = '<p>';</script>b<style>p{}</style>", "ab", nil},
		{"un<b>iq</b>ue<br>line", "unique\nline", nil},
		{"<a href=' '>empty href</a>", "empty href", nil},
	}
	for _, tc := range tests {
		text, links := htmlText(tc.in)
		if text != tc.text || strings.Join(links, ",") != strings.Join(tc.links, ",") {
			t.Errorf("htmlText(%q) = %q %q, want %q %q", tc.in, text, links, tc.text, tc.links)
		}
	}
}

// BenchmarkFeedToPosts measures a poll's CPU work: parse a news feed and map every item.
func BenchmarkFeedToPosts(b *testing.B) {
	data, err := os.ReadFile("testdata/news-rss.xml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	posts := 0
	for b.Loop() {
		f, err := Parse(data, "")
		if err != nil {
			b.Fatal(err)
		}
		for i := range f.Items {
			if _, err := toPost("https://www.quotidien-national.example/rss.xml", "https://www.quotidien-national.example/rss.xml", f, &f.Items[i], observed); err != nil {
				b.Fatal(err)
			}
			posts++
		}
	}
	b.ReportMetric(float64(posts)/b.Elapsed().Seconds(), "posts/s")
}
