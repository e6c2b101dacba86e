package coord_test

import (
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/coord"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// BenchmarkCoShare runs both halves (per-object pairing, cross-object edges and groups) over
// the CooRTweet German set: 219k posts, 195k url/hashtag/domain/image shares.
func BenchmarkCoShare(b *testing.B) {
	ms := readShares(b, testenv.SharedData(b, "data/coortweet/german_elections.csv.gz"), "account_id", "timestamp",
		map[string]leakwatch.ObjectKind{"url_id": leakwatch.KindURL, "hashtag_id": leakwatch.KindHashtag, "domain_id": leakwatch.KindDomain, "phash_id": leakwatch.KindImage})
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].At.Before(ms[j].At) })
	cfg := coord.DefaultConfig()
	b.ReportAllocs()
	n := 0
	var peakObjects int
	var peak uint64
	for b.Loop() {
		sh, ed := coord.NewSharing(cfg), coord.NewEdges(cfg)
		for i, m := range ms {
			sh.Add(m)
			if i%256 == 0 {
				sh.Advance(m.At, ed.Add)
				peakObjects = max(peakObjects, sh.Objects())
			}
		}
		sh.Flush(ed.Add)
		ed.Changed()
		n += len(ms)
		var st runtime.MemStats
		runtime.ReadMemStats(&st)
		peak = max(peak, st.HeapInuse)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "shares/s")
	b.ReportMetric(float64(peakObjects), "peak-objects")
	b.ReportMetric(float64(peak)/(1<<20), "heap-MiB")
}

// BenchmarkCandidateEdges measures what one edge below M costs in memory (chance meetings
// of two accounts over one object: most of the edge state on a busy stream), which sizes
// coord.max_candidate_edges.
func BenchmarkCandidateEdges(b *testing.B) {
	const n = 200_000
	var perEdge float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cfg := coord.DefaultConfig()
		cfg.MaxCandidateEdges = 0
		e := coord.NewEdges(cfg)
		for i := range n {
			o := coord.Observation{Kind: leakwatch.KindDomain, Object: "domain:d" + strconv.Itoa(i%1000) + ".example",
				A: "1" + strconv.Itoa(1_000_000+i), B: "2" + strconv.Itoa(1_000_000+i), AAt: time.Unix(int64(i), 0), BAt: time.Unix(int64(i)+1, 0), Sharers: 17}
			e.Add(o)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perEdge = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(e)
	}
	b.ReportMetric(perEdge, "bytes/edge")
}
