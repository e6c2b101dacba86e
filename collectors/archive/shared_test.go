package archive_test

import (
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// csvRows reads a shared file with encoding/csv alone: the reference row count and the
// cells of the columns a test checks.
func csvRows(t *testing.T, path string) (header []string, rows [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var in io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		in = gz
	}
	all, err := csv.NewReader(in).ReadAll()
	if err != nil {
		t.Fatalf("reference csv read: %v", err)
	}
	return all[0], all[1:]
}

func col(t *testing.T, header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q", name)
	return -1
}

// TestSharedData reads every real data set completely: as many posts as data rows, no bad
// row, and the fields each preset promises.
func TestSharedData(t *testing.T) {
	type expect func(t *testing.T, header []string, rows [][]string, posts []leakwatch.Post)
	countWhere := func(rows [][]string, i int, f func(string) bool) int {
		n := 0
		for _, r := range rows {
			if f(r[i]) {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name  string
		file  string
		opts  archive.Options
		check expect
	}{
		{
			name: "ira", file: "ira-2016-07/ira_tweets_2016-07-01_2016-08-15.csv.gz",
			opts: archive.Options{Preset: "ira"},
			check: func(t *testing.T, h []string, rows [][]string, posts []leakwatch.Post) {
				wantRT := countWhere(rows, col(t, h, "post_type"), func(s string) bool { return s == "R" })
				gotRT, ids := 0, map[string]bool{}
				for _, p := range posts {
					if p.ReshareOf != "" {
						gotRT++
					}
					ids[p.URI] = true
				}
				if gotRT != wantRT {
					t.Errorf("retweets: %d posts with a reshare target, %d rows with post_type R", gotRT, wantRT)
				}
				// Rows repeating author, date, text, retweet flag and the account's post count
				// are the same tweet and share an id; one text posted twice in a minute is two.
				distinct := map[string]bool{}
				a, d, c, pt, up := col(t, h, "author"), col(t, h, "publish_date"), col(t, h, "content"), col(t, h, "post_type"), col(t, h, "updates")
				for _, r := range rows {
					distinct[r[a]+"\x00"+r[d]+"\x00"+r[c]+"\x00"+fmt.Sprint(r[pt] == "R")+"\x00"+r[up]] = true
				}
				if len(ids) != len(distinct) {
					t.Errorf("%d distinct URIs, want %d distinct (author, date, content, retweet, post count)", len(ids), len(distinct))
				}
			},
		},
		{
			name: "coortweet-de", file: "coortweet/german_elections.csv.gz",
			opts: archive.Options{Preset: "coortweet-de"},
			check: func(t *testing.T, h []string, rows [][]string, posts []leakwatch.Post) {
				want := 0
				for _, c := range []string{"url_id", "hashtag_id", "domain_id", "phash_id"} {
					want += countWhere(rows, col(t, h, c), func(s string) bool { return s != "" })
				}
				got := 0
				for _, p := range posts {
					got += len(p.Objects)
				}
				if got != want {
					t.Errorf("%d objects, want %d non-empty object cells", got, want)
				}
			},
		},
		{
			name: "coortweet-ru", file: "coortweet/russian_coord_tweets.csv.gz",
			opts: archive.Options{Preset: "coortweet-ru"},
			check: func(t *testing.T, h []string, rows [][]string, posts []leakwatch.Post) {
				o := col(t, h, "object_id")
				targets := map[string]bool{}
				for _, r := range rows {
					targets[r[o]] = true
				}
				got := map[string]bool{}
				for _, p := range posts {
					if p.ReshareOf == "" || len(p.Objects) != 1 || p.Objects[0].Kind != leakwatch.KindText {
						t.Fatalf("post %s: want a reshare target and one text object, got %q %v", p.ID, p.ReshareOf, p.Objects)
					}
					got[p.ReshareOf] = true
				}
				if len(got) != len(targets) {
					t.Errorf("%d distinct reshare targets, want %d object_ids", len(got), len(targets))
				}
			},
		},
		{
			name: "fr-2017 rtweet", file: "fr-2017-debates/tweets_debat.csv",
			opts: archive.Options{Preset: "rtweet"},
			check: func(t *testing.T, h []string, rows [][]string, posts []leakwatch.Post) {
				wantRT := countWhere(rows, col(t, h, "is_retweet"), func(s string) bool { return s == "TRUE" })
				wantTags := 0
				for _, r := range rows {
					if v := r[col(t, h, "hashtags")]; v != "NA" {
						wantTags += len(strings.Fields(v))
					}
				}
				gotRT, gotTags := 0, 0
				for _, p := range posts {
					if p.ReshareOf != "" {
						gotRT++
					}
					gotTags += len(p.Hashtags)
					if p.Author.Handle == "" || !strings.HasPrefix(p.URI, "https://twitter.com/i/status/") {
						t.Fatalf("post %s: handle %q uri %q", p.ID, p.Author.Handle, p.URI)
					}
				}
				if gotRT != wantRT || gotTags != wantTags {
					t.Errorf("retweets %d hashtags %d, want %d and %d", gotRT, gotTags, wantRT, wantTags)
				}
			},
		},
		{
			name: "fr-2017 nom/time/tweet", file: "fr-2017-debates/tweets_debat_20170404.csv",
			opts: archive.Options{Platform: leakwatch.PlatformTwitter, Columns: mustColumns(t, "author=nom,handle=nom,time=time,text=tweet,retweet=is_retweet")},
			check: func(t *testing.T, h []string, rows [][]string, posts []leakwatch.Post) {
				wantRT := countWhere(rows, col(t, h, "is_retweet"), func(s string) bool { return s == "TRUE" })
				gotRT := 0
				for _, p := range posts {
					if p.ReshareOf != "" {
						gotRT++
					}
					if strings.HasPrefix(p.Author.Handle, "@") {
						t.Fatalf("handle %q keeps its @", p.Author.Handle)
					}
				}
				if gotRT != wantRT {
					t.Errorf("retweets %d, want %d", gotRT, wantRT)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := testenv.SharedData(t, "data/"+tc.file)
			header, rows := csvRows(t, path)
			r, err := archive.Open(path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var posts []leakwatch.Post
			for p, err := range r.All() {
				var bad *collectors.BadRecord
				if errors.As(err, &bad) {
					t.Errorf("bad record: %v", bad)
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if p.Author.ID == "" || p.CreatedAt.IsZero() || p.URI == "" {
					t.Fatalf("post without author, time or uri: %+v", p)
				}
				posts = append(posts, p)
			}
			st := r.Stats()
			if st.Records != len(rows) || len(posts) != len(rows) || st.Bad != 0 {
				t.Fatalf("read %d records, %d posts, %d bad; file has %d data rows", st.Records, len(posts), st.Bad, len(rows))
			}
			tc.check(t, header, rows, posts)
		})
	}
}

func mustColumns(t *testing.T, s string) archive.Columns {
	c, err := archive.ParseColumns(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A data set leakwatch has a preset for is read without flags: its header is recognised, and
// the posts are those --preset gives, one for one.
func TestPresetRecognisedFromHeader(t *testing.T) {
	for preset, file := range map[string]string{
		"ira":          "ira-2016-07/ira_tweets_2016-07-01_2016-08-15.csv.gz",
		"coortweet-de": "coortweet/german_elections.csv.gz",
		"coortweet-ru": "coortweet/russian_coord_tweets.csv.gz",
		"rtweet":       "fr-2017-debates/tweets_debat.csv",
	} {
		t.Run(preset, func(t *testing.T) {
			path := testenv.SharedData(t, "data/"+file)
			read := func(opts archive.Options) (string, []string) {
				r, err := archive.Open(path, opts)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				var posts []string
				for p, err := range r.All() {
					if err != nil {
						t.Fatal(err)
					}
					b, err := json.Marshal(p)
					if err != nil {
						t.Fatal(err)
					}
					posts = append(posts, string(b))
				}
				return r.Recognised(), posts
			}
			recognised, got := read(archive.Options{})
			given, want := read(archive.Options{Preset: preset})
			if recognised != preset || given != "" {
				t.Errorf("recognised %q without flags and %q with --preset, want %q and none", recognised, given, preset)
			}
			if len(got) != len(want) {
				t.Fatalf("%d posts without flags, %d with --preset %s", len(got), len(want), preset)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("post %d without flags:\n%s\nwith --preset %s:\n%s", i, got[i], preset, want[i])
				}
			}
		})
	}
}
