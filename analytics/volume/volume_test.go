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
	// The width travels with the points: a reader tells a quiet bucket (no point) from the next.
	for _, s := range got {
		if s.BucketS != 300 {
			t.Errorf("%s: bucket_s %d, want 300", s.Name, s.BucketS)
		}
	}
	if s := volume.New(1500*time.Millisecond, 0); s.AddObject(leakwatch.AllPosts, t0) && s.Series()[0].BucketS != 0 {
		t.Errorf("bucket of 1.5 s kept as %d s, want 0 (unknown)", s.Series()[0].BucketS)
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

// TestCounterMatchesTruncation counts posts of two series, mostly in time order with late
// ones among them, in buckets of whole and of fractional seconds, and with a bound that a
// late post's own bucket falls to, against each post's time truncated to its bucket (a
// bound keeps the newest buckets, whole).
func TestCounterMatchesTruncation(t *testing.T) {
	t0 := time.Date(2017, 5, 5, 17, 59, 0, 0, time.UTC)
	for _, c := range []struct {
		bucket time.Duration
		max    int
	}{{time.Minute, 0}, {90 * time.Second, 0}, {1500 * time.Millisecond, 0}, {time.Minute, 3}} {
		cnt := volume.New(c.bucket, c.max)
		want := map[string]map[time.Time]int{}
		r := uint64(3)
		at := t0
		for i := range 3000 {
			r = r*6364136223846793005 + 1442695040888963407
			at = at.Add(time.Duration(r>>58) * 97 * time.Millisecond)
			m := leakwatch.Mention{Object: leakwatch.AllPosts, At: at}
			if r>>40&7 == 0 {
				m.At = at.Add(-time.Duration(r>>50&1023) * 10 * time.Millisecond) // late, by up to 10 s
			}
			name := "all"
			if i%3 == 0 {
				m.Object, name = "candidate:macron", "macron"
			}
			cnt.Add(m)
			if want[name] == nil {
				want[name] = map[time.Time]int{}
			}
			want[name][time.Unix(m.At.Truncate(c.bucket).Unix(), 0).UTC()]++ // points name whole seconds
		}
		for _, s := range cnt.Series() {
			if c.max == 0 && len(s.Points) != len(want[s.Name]) {
				t.Errorf("bucket %v: %s has %d buckets, want %d", c.bucket, s.Name, len(s.Points), len(want[s.Name]))
			}
			if c.max > 0 && len(s.Points) > c.max {
				t.Errorf("bound %d: %s kept %d buckets", c.max, s.Name, len(s.Points))
			}
			for _, p := range s.Points {
				if w := want[s.Name][p.T]; p.N != w {
					t.Errorf("bucket %v bound %d: %s at %v counted %d, want %d", c.bucket, c.max, s.Name, p.T, p.N, w)
				}
			}
		}
	}
}

// Posts dated far from the rest are found at either end, a quiet week inside the campaign
// and an end the limit's worth of posts holds are not.
func TestStray(t *testing.T) {
	day := func(y, m, d, n int) volume.Point {
		return volume.Point{T: time.Date(y, time.Month(m), d, 12, 0, 0, 0, time.UTC), N: n}
	}
	campaign := []volume.Point{day(2017, 5, 1, 900), day(2017, 5, 2, 1000), day(2017, 5, 20, 800), day(2017, 5, 21, 700)} // a quiet fortnight inside
	s := volume.Series{Name: volume.All, Points: append(append([]volume.Point{day(1990, 1, 2, 1)}, campaign...), day(2099, 12, 31, 2))}
	head, tail := volume.Stray(s, 30*24*time.Hour, 3)
	if len(head) != 1 || head[0].T.Year() != 1990 || len(tail) != 1 || tail[0].T.Year() != 2099 {
		t.Errorf("head %v tail %v; want the 1990 and the 2099 posts", head, tail)
	}
	if head, tail := volume.Stray(volume.Series{Points: campaign}, 30*24*time.Hour, 3); head != nil || tail != nil {
		t.Errorf("a campaign with a quiet fortnight: head %v tail %v, want none", head, tail)
	}
	if head, _ := volume.Stray(s, 30*24*time.Hour, 0); head != nil {
		t.Errorf("limit 0: head %v, want none (the stray post is more than the limit)", head)
	}
	// Two bad dates before the campaign, each years apart: both are the head.
	two := volume.Series{Points: append([]volume.Point{day(1991, 1, 1, 1), day(2001, 1, 1, 1)}, campaign...)}
	if head, _ := volume.Stray(two, 30*24*time.Hour, 3); len(head) != 2 {
		t.Errorf("two stray posts: head %v", head)
	}
}
