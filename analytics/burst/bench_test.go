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
