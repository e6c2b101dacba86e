package burst

import (
	"fmt"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

// BenchmarkDetector feeds a day-like mix: a busy stream object, a few candidates and many
// sparse URLs and hashtags, advancing the watermark every simulated second.
func BenchmarkDetector(b *testing.B) {
	s := newStream(11)
	for i := 0; len(s.ms) < 200_000; i++ {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		acc := fmt.Sprintf("u%d", s.r.IntN(50_000))
		s.add(leakwatch.AllPosts, at, acc)
		s.add(fmt.Sprintf("candidate:c%d", s.r.IntN(5)), at, acc)
		s.add(fmt.Sprintf("url:https://example.org/%d", s.r.IntN(20_000)), at, acc)
		s.add(fmt.Sprintf("hashtag:h%d", s.r.IntN(3_000)), at, acc)
	}
	ms := s.ms
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		d := New(DefaultConfig())
		next := ms[0].At.Add(time.Second)
		for _, m := range ms {
			d.Add(m)
			if m.At.After(next) {
				d.Advance(next)
				next = next.Add(time.Second)
			}
		}
		d.Flush()
		n += len(ms)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "mentions/s")
}

// BenchmarkDetectorSparse feeds a stream like a troll-farm archive: a couple of posts a minute
// over ten days, each mentioning the whole stream, its text and mostly new URLs and hashtags,
// so most objects are seen once and evicted. The watermark moves as the pipeline's does: at
// each new minute, to five minutes behind the newest mention.
func BenchmarkDetectorSparse(b *testing.B) {
	s := newStream(12)
	for i := range 28_800 {
		at := t0.Add(time.Duration(i)*30*time.Second + time.Duration(s.r.IntN(30))*time.Second)
		acc := fmt.Sprintf("u%d", s.r.IntN(400))
		s.add(leakwatch.AllPosts, at, acc)
		if s.r.IntN(10) == 0 {
			s.add(fmt.Sprintf("text:t%d", s.r.IntN(500)), at, acc)
		} else {
			s.add(fmt.Sprintf("text:%d", i), at, acc)
		}
		if s.r.IntN(2) == 0 {
			s.add(fmt.Sprintf("url:https://example.org/%d", i), at, acc)
		}
		for range s.r.IntN(3) {
			s.add(fmt.Sprintf("hashtag:h%d", int(s.r.ExpFloat64()*300)), at, acc)
		}
	}
	ms := s.ms
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		d := New(DefaultConfig())
		var next time.Time
		for _, m := range ms {
			if !m.At.Before(next) {
				d.Advance(m.At.Add(-5 * time.Minute))
				next = m.At.Truncate(time.Minute).Add(time.Minute)
			}
			d.Add(m)
		}
		d.Flush()
		n += len(ms)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "mentions/s")
}
