package leak

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// realPosts reads the text of real tweets: the IRA July-August 2016 set (English, some
// Russian and German) and the French debate tweets of 4 April 2017.
func realPosts(b *testing.B) []leakwatch.Post {
	b.Helper()
	var posts []leakwatch.Post
	read := func(rel string, gz bool, col string) {
		f, err := os.Open(testenv.SharedData(b, rel))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		var r *csv.Reader
		if gz {
			z, err := gzip.NewReader(f)
			if err != nil {
				b.Fatal(err)
			}
			r = csv.NewReader(z)
		} else {
			r = csv.NewReader(f)
		}
		r.FieldsPerRecord = -1
		head, err := r.Read()
		if err != nil {
			b.Fatal(err)
		}
		c := -1
		for i, h := range head {
			if h == col {
				c = i
			}
		}
		for {
			rec, err := r.Read()
			if err != nil {
				break
			}
			if c < len(rec) {
				posts = append(posts, leakwatch.Post{Text: rec[c]})
			}
		}
	}
	read("data/ira-2016-07/ira_tweets_2016-07-01_2016-08-15.csv.gz", true, "content")
	read("data/fr-2017-debates/tweets_debat_20170404.csv", false, "tweet")
	return posts
}

func BenchmarkEvidence(b *testing.B) {
	posts := realPosts(b)
	m := NewMatcher(DefaultConfig())
	found := 0
	for _, p := range posts {
		if m.Evidence(p) != nil {
			found++
		}
	}
	b.Logf("%d of %d real posts carry evidence", found, len(posts))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, p := range posts {
			m.Evidence(p)
		}
		n += len(posts)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "posts/s")
}

// BenchmarkIncidents: candidates of 40 operations (each a dump domain and a hashtag of its
// own), 25 objects each, interleaved over four days, as the correlate stage hands them over.
func BenchmarkIncidents(b *testing.B) {
	start := time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC)
	var bursts []leakwatch.Burst
	for i := range 1000 {
		op := i % 40
		at := start.Add(time.Duration(op)*150*time.Minute + time.Duration(i/40)*time.Minute)
		bursts = append(bursts, leakwatch.Burst{
			Object:   fmt.Sprintf("url:https://paste%d.example/%d", op, i),
			Onset:    at,
			End:      at.Add(20 * time.Minute),
			Evidence: []string{fmt.Sprintf("domain:paste%d.example", op), fmt.Sprintf("term:#leak%d", op), "term:leaked"},
		})
	}
	b.ReportAllocs()
	for b.Loop() {
		d := New(DefaultConfig(), leakwatch.Calendar{})
		for _, x := range bursts {
			d.Burst(x)
		}
	}
	b.ReportMetric(float64(len(bursts)*b.N)/b.Elapsed().Seconds(), "bursts/s")
}
