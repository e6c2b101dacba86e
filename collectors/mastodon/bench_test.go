package mastodon

import "testing"

func BenchmarkDecodeStatus(b *testing.B) {
	raw := read(b, "status.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	n := 0
	for b.Loop() {
		if _, err := DecodeStatus(raw, "piaille.fr"); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "posts/s")
}
