package entities_test

import (
	"compress/gzip"
	"encoding/csv"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/entities"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// iraPosts reads up to n tweets of the IRA set as posts (text, author, time only).
func iraPosts(b *testing.B, n int) []leakwatch.Post {
	f, err := os.Open(testenv.SharedData(b, "data/ira-2016-07/ira_tweets_2016-07-01_2016-08-15.csv.gz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	r := csv.NewReader(zr)
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		b.Fatal(err)
	}
	var out []leakwatch.Post
	for len(out) < n {
		row, err := r.Read()
		if err != nil {
			break
		}
		at, _ := time.Parse(time.DateTime, row[9])
		out = append(out, leakwatch.Post{Platform: "twitter", ID: row[1] + row[9], URI: "twitter:" + row[1] + row[9], Author: leakwatch.Account{ID: row[1]}, CreatedAt: at, Text: row[6]})
	}
	return out
}

func BenchmarkExtract(b *testing.B) {
	posts := iraPosts(b, 20000)
	cfg := entities.DefaultConfig()
	cfg.Candidates = []entities.Candidate{
		{ID: "clinton", Names: []string{"Clinton", "Hillary Clinton", "Hillary"}, Handles: []string{"HillaryClinton"}, Hashtags: []string{"ImWithHer"}},
		{ID: "trump", Names: []string{"Trump", "Donald Trump"}, Handles: []string{"realDonaldTrump"}, Hashtags: []string{"MAGA"}},
	}
	x, err := entities.New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	var dst []leakwatch.Mention
	b.ReportAllocs()
	n := 0
	cpu0 := cpuTime()
	for b.Loop() {
		dst = x.Append(dst[:0], posts[n%len(posts)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "posts/s")
	b.ReportMetric(float64(n)/(cpuTime()-cpu0).Seconds(), "posts/cpu-s")
}

// cpuTime is the process's user+system CPU time: on a shared machine, posts per CPU second
// says more about the code than posts per wall second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExtractManyHashtags: a post of N hashtags (a hostile instance may send tens of
// thousands). Time a hashtag should not grow with N.
func BenchmarkExtractManyHashtags(b *testing.B) {
	x, err := entities.New(entities.DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10, 1000, 40000} {
		p := leakwatch.Post{Platform: "mastodon", ID: "1", URI: "mastodon:1", CreatedAt: time.Unix(1.5e9, 0), Author: leakwatch.Account{ID: "a"}, Text: "x"}
		for i := range n {
			p.Hashtags = append(p.Hashtags, "tag"+strconv.Itoa(i))
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var dst []leakwatch.Mention
			for b.Loop() {
				dst = x.Append(dst[:0], p)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/hashtag")
		})
	}
}
