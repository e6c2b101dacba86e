package volume_test

import (
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/volume"
)

func TestCounterBucketsCandidatesAndStream(t *testing.T) {
	t0 := time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)
	c := volume.New(5*time.Minute, 0)
	in := []leakwatch.Mention{
		{Object: leakwatch.AllPosts, At: t0},
		{Object: leakwatch.AllPosts, At: t0.Add(4 * time.Minute)},
		{Object: leakwatch.AllPosts, At: t0.Add(5 * time.Minute)},
		{Object: "candidate:macron", At: t0.Add(time.Minute)},
		{Object: "hashtag:macronleaks", At: t0},
	}
	counted := 0
	for _, m := range in {
		if c.Add(m) {
			counted++
		}
	}
	if counted != 4 {
		t.Fatalf("counted %d mentions, want 4 (hashtags are not volume)", counted)
	}
	got := c.Series()
	if len(got) != 2 || got[0].Name != "all" || got[1].Name != "macron" {
		t.Fatalf("series %+v", got)
	}
	if p := got[0].Points; len(p) != 2 || p[0].N != 2 || p[1].N != 1 || !p[1].T.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("all: %+v", p)
	}
}

func TestCounterBoundsBuckets(t *testing.T) {
	t0 := time.Date(2017, 5, 5, 0, 0, 0, 0, time.UTC)
	c := volume.New(time.Minute, 10)
	for i := range 100 {
		c.Add(leakwatch.Mention{Object: leakwatch.AllPosts, At: t0.Add(time.Duration(i) * time.Minute)})
	}
	p := c.Series()[0].Points
	if len(p) != 10 || !p[0].T.Equal(t0.Add(90*time.Minute)) {
		t.Fatalf("kept %d buckets from %v, want the newest 10", len(p), p[0].T)
	}
}
