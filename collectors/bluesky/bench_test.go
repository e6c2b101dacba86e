package bluesky

import "testing"

func BenchmarkDecode(b *testing.B) {
	raw := lines(b, "events.jsonl")[1] // a post with facets and an external embed
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	n := 0
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "posts/s")
}
