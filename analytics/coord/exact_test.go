package coord_test

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/coord"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// readShares reads a CooRTweet CSV: cols maps a column name to the object kind it holds.
func readShares(t testing.TB, path, accountCol, timeCol string, cols map[string]leakwatch.ObjectKind) []leakwatch.Mention {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(zr)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, h := range head {
		idx[h] = i
	}
	var out []leakwatch.Mention
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		sec, err := strconv.ParseInt(rec[idx[timeCol]], 10, 64)
		if err != nil {
			t.Fatalf("%s:%d: time: %v", path, line, err)
		}
		for col, kind := range cols {
			if v := rec[idx[col]]; v != "" {
				out = append(out, leakwatch.Mention{
					Object: string(kind) + ":" + v, Account: rec[idx[accountCol]],
					Post: strconv.Itoa(line), At: time.Unix(sec, 0).UTC(),
				})
			}
		}
	}
	return out
}

type pairKey struct {
	kind string
	a, b string
}

// bruteEdges is the DESIGN.md definition computed directly: per object, every two shares by
// different accounts within W; weight = distinct objects per account pair and kind.
func bruteEdges(ms []leakwatch.Mention, w time.Duration, m int) map[pairKey]int {
	byObject := map[string][]leakwatch.Mention{}
	for _, x := range ms {
		byObject[x.Object] = append(byObject[x.Object], x)
	}
	weight := map[pairKey]int{}
	for obj, shares := range byObject {
		kind, _, _ := cutKind(obj)
		sort.Slice(shares, func(i, j int) bool { return shares[i].At.Before(shares[j].At) })
		pairs := map[pairKey]bool{}
		for i := range shares {
			for j := i + 1; j < len(shares) && shares[j].At.Sub(shares[i].At) <= w; j++ {
				a, b := shares[i].Account, shares[j].Account
				if a == b {
					continue
				}
				if b < a {
					a, b = b, a
				}
				pairs[pairKey{kind, a, b}] = true
			}
		}
		for p := range pairs {
			weight[p]++
		}
	}
	for p, n := range weight {
		if n < m {
			delete(weight, p)
		}
	}
	return weight
}

func cutKind(obj string) (string, string, bool) {
	for i := 0; i < len(obj); i++ {
		if obj[i] == ':' {
			return obj[:i], obj[i+1:], true
		}
	}
	return "", obj, false
}

// coordEdges runs the package as the stages do: mentions in event-time order, the horizon
// following the newest mention, then a flush.
func coordEdges(t testing.TB, ms []leakwatch.Mention, cfg coord.Config) (map[pairKey]int, int) {
	sorted := append([]leakwatch.Mention(nil), ms...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.Before(sorted[j].At) })
	sh := coord.NewSharing(cfg)
	ed := coord.NewEdges(cfg)
	for i, m := range sorted {
		if !sh.Add(m) {
			t.Fatalf("mention %d (%s at %s) refused as late in ordered input", i, m.Object, m.At)
		}
		if i%64 == 0 {
			sh.Advance(m.At, ed.Add)
		}
	}
	sh.Flush(ed.Add)
	got := map[pairKey]int{}
	for _, e := range ed.Edges() {
		got[pairKey{string(e.ObjectKind), e.A, e.B}] = e.Weight
	}
	return got, len(ed.Groups())
}

func TestEdgesMatchDefinition(t *testing.T) {
	russian := readShares(t, testenv.SharedData(t, "data/coortweet/russian_coord_tweets.csv.gz"), "account_id", "timestamp_share",
		map[string]leakwatch.ObjectKind{"object_id": leakwatch.KindReshareOf})
	german := readShares(t, testenv.SharedData(t, "data/coortweet/german_elections.csv.gz"), "account_id", "timestamp",
		map[string]leakwatch.ObjectKind{"url_id": leakwatch.KindURL, "hashtag_id": leakwatch.KindHashtag, "domain_id": leakwatch.KindDomain, "phash_id": leakwatch.KindImage})
	sets := []struct {
		name string
		ms   []leakwatch.Mention
	}{{"russian", russian}, {"german", german}}
	for _, set := range sets {
		for _, w := range []time.Duration{10 * time.Second, 60 * time.Second, 300 * time.Second} {
			for _, m := range []int{2, 3} {
				t.Run(fmt.Sprintf("%s/W=%v/M=%d", set.name, w, m), func(t *testing.T) {
					cfg := coord.DefaultConfig()
					cfg.Window, cfg.MinWeight = w, m
					cfg.MaxCandidateEdges, cfg.MaxSharers = 0, 0 // bounds off: the definition, exactly
					want := bruteEdges(set.ms, w, m)
					got, groups := coordEdges(t, set.ms, cfg)
					if len(want) == 0 {
						t.Fatalf("reference found no edges: the data set does not exercise the definition")
					}
					diff := 0
					for p, n := range want {
						if got[p] != n {
							if diff < 5 {
								t.Errorf("edge %v: weight %d, want %d", p, got[p], n)
							}
							diff++
						}
					}
					for p, n := range got {
						if _, ok := want[p]; !ok {
							if diff < 5 {
								t.Errorf("edge %v: weight %d, not an edge by the definition", p, n)
							}
							diff++
						}
					}
					if diff > 0 {
						t.Fatalf("%d edges differ (of %d)", diff, len(want))
					}
					t.Logf("%d edges, %d groups", len(got), groups)
				})
			}
		}
	}
}
