package pipeline_test

import (
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/analytics/pipeline"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAnalyze runs the whole analysis (every detector on) over the IRA tweets of
// July-August 2016, posts already decoded; cmd/leakwatch's benchmark adds reading the file.
func BenchmarkAnalyze(b *testing.B) {
	posts := iraPosts(b, 0)
	cfg := testConfig(b)
	b.ReportAllocs()
	n := 0
	cpu0 := cpuTime()
	var peak uint64
	for b.Loop() {
		res, err := pipeline.Analyze(cfg, slices.Values(posts), nil)
		if err != nil {
			b.Fatal(err)
		}
		n += len(posts)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		_ = res
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "posts/s")
	b.ReportMetric(float64(n)/(cpuTime()-cpu0).Seconds(), "posts/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "heap-MiB")
}
