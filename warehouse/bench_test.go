package warehouse

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

func BenchmarkInsertPosts(b *testing.B) {
	w := openTest(b, "benchposts")
	f := newFixture(5000)
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	start := time.Now()
	for b.Loop() {
		if err := w.InsertPosts(ctx, f.posts); err != nil {
			b.Fatal(err)
		}
		n += len(f.posts)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "posts/s")
}

// germanMentions reads CooRTweet's German 2021 set as mentions: one per object a post
// shares (url, hashtag, domain, image), as extraction would emit them.
func germanMentions(path string) ([]leakwatch.Mention, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(gz)
	if _, err := r.Read(); err != nil {
		return nil, err
	}
	kinds := []leakwatch.ObjectKind{leakwatch.KindURL, leakwatch.KindHashtag, leakwatch.KindDomain, leakwatch.KindImage}
	var out []leakwatch.Mention
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		ts, err := strconv.ParseInt(rec[6], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("timestamp %q: %v", rec[6], err)
		}
		platform := leakwatch.PlatformTwitter
		if rec[0][:3] == "fb_" {
			platform = leakwatch.PlatformFacebook
		}
		post := platform + ":" + rec[1]
		out = append(out, leakwatch.Mention{Object: leakwatch.AllPosts, Account: rec[0], Post: post, Platform: platform, At: time.Unix(ts, 0).UTC()})
		for i, k := range kinds {
			if v := rec[2+i]; v != "" {
				out = append(out, leakwatch.Mention{Object: string(k) + ":" + v, Account: rec[0], Post: post, Platform: platform, At: time.Unix(ts, 0).UTC()})
			}
		}
	}
}

// BenchmarkQueries loads the German 2021 campaign (219k posts) once, then times the reads
// dashboards run most: the 10-minute volume of the whole stream over the six weeks, the top
// hashtags, and the deduplicated counts of every table.
func BenchmarkQueries(b *testing.B) {
	ms, err := germanMentions(testenv.SharedData(b, "data/coortweet/german_elections.csv.gz"))
	if err != nil {
		b.Fatal(err)
	}
	w := openTest(b, "benchqueries")
	ctx := context.Background()
	start := time.Now()
	if err := w.InsertMentions(ctx, ms); err != nil {
		b.Fatal(err)
	}
	b.Logf("inserted %d mentions in %v (%.0f mentions/s)", len(ms), time.Since(start).Round(time.Millisecond), float64(len(ms))/time.Since(start).Seconds())
	from, to := time.Date(2021, 8, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 10, 1, 0, 0, 0, 0, time.UTC)
	b.Run("volume-all-10m", func(b *testing.B) {
		for b.Loop() {
			pts, err := w.Volume(ctx, VolumeQuery{Objects: []string{leakwatch.AllPosts}, From: from, To: to, Step: 10 * time.Minute})
			if err != nil || len(pts) == 0 {
				b.Fatal(len(pts), err)
			}
		}
	})
	b.Run("top-hashtags", func(b *testing.B) {
		for b.Loop() {
			if _, err := w.TopObjects(ctx, leakwatch.KindHashtag, from, to, 20); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("counts", func(b *testing.B) {
		for b.Loop() {
			if _, err := w.Counts(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
