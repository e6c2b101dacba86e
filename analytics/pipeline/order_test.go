package pipeline

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/internal/strhash"
)

// TestCoShareOrder checks the keyed sort against the order it stands for, on observations
// that tie on times and on long object prefixes (near-duplicate bands), with short objects
// and objects holding zero bytes; short and long batches, in random order, already sorted
// and reversed (the cases a quicksort's pivots go wrong on).
func TestCoShareOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	want := func(a, b CoShare) int {
		return cmp.Or(a.BAt.Compare(b.BAt), a.AAt.Compare(b.AAt),
			cmp.Compare(strhash.String(strhash.String(0, a.A), a.B), strhash.String(strhash.String(0, b.A), b.B)),
			cmp.Compare(strhash.String(0, a.Object), strhash.String(0, b.Object)),
			strings.Compare(a.Object, b.Object),
			strings.Compare(a.A, b.A), strings.Compare(a.B, b.B))
	}
	var s coShareOrder
	for _, n := range []int{0, 1, 2, 3, 12, 13, 40, 1000, 5000} {
		for _, order := range []string{"random", "sorted", "reversed"} {
			var obs []CoShare
			for range n {
				o := pick("neartext:", "neartext:1-", "url:", "", "a", "a\x00", "a\x00b", "hashtag:x") + pick("", "0", "1-ab", "1-ab\x00", "12345678", "zz")
				at := time.Unix(int64(r.IntN(5)), int64(r.IntN(3)))
				obs = append(obs, CoShare{Object: o, A: pick("u1", "u2", "u3"), B: pick("v1", "v2", "u1\x00"),
					AAt: at, BAt: at.Add(time.Duration(r.IntN(2)) * time.Second)})
			}
			switch order {
			case "sorted":
				slices.SortStableFunc(obs, want)
			case "reversed":
				slices.SortStableFunc(obs, func(a, b CoShare) int { return want(b, a) })
			}
			sorted := slices.Clone(obs)
			slices.SortStableFunc(sorted, want)
			s.sort(obs)
			for i := range obs {
				w, g := sorted[i], obs[i]
				if w.Object != g.Object || w.A != g.A || w.B != g.B || !w.AAt.Equal(g.AAt) || !w.BAt.Equal(g.BAt) {
					t.Fatalf("%d observations, %s: observation %d: got %q %s %s %v %v, want %q %s %s %v %v", n, order, i, g.Object, g.A, g.B, g.AAt, g.BAt, w.Object, w.A, w.B, w.AAt, w.BAt)
				}
			}
		}
	}
}

// TestRadixSortMatchesSort: radixSort against a stable comparison sort, on times with every
// byte varying, with shared high and low bytes, negative ones, ties, and the empty and
// one-key cases.
func TestRadixSortMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	gens := map[string]func() uint64{
		"any":      r.Uint64,
		"campaign": func() uint64 { return uint64(1467331200+r.Int64N(45*86400))*1e9 ^ 1<<63 },
		"ties":     func() uint64 { return uint64(r.IntN(5)) << 40 },
		"negative": func() uint64 { return uint64(-r.Int64N(1e12)) ^ 1<<63 },
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 2, 3, 100, 5000} {
			keys := make([]timeKey, n)
			for i := range keys {
				keys[i] = timeKey{gen(), int32(i)}
			}
			want := slices.Clone(keys)
			slices.SortStableFunc(want, func(x, y timeKey) int { return cmp.Compare(x.at, y.at) })
			if got := radixSort(keys, make([]timeKey, n)); !slices.Equal(got, want) {
				t.Errorf("%s, %d keys: radix order differs from a stable sort", name, n)
			}
		}
	}
}

// TestQuicksortFallsBack: with its depth spent, quicksort hands the rest to slices.SortFunc,
// and the order is the same as with depth to spare.
func TestQuicksortFallsBack(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	obs := make([]CoShare, 300)
	keys := make([]coShareKey, len(obs))
	for i := range keys {
		keys[i] = coShareKey{b: int64(r.IntN(4)), a: int64(r.IntN(4)), h: uint64(r.IntN(50)), p: uint64(r.IntN(50)), i: i}
		obs[i] = CoShare{Object: strconv.Itoa(i)}
	}
	var s coShareOrder
	want := slices.Clone(keys)
	s.quicksort(want, obs, 64)
	if !slices.IsSortedFunc(want, func(x, y coShareKey) int { return cmp.Compare(x.b*1e8+x.a*1e6, y.b*1e8+y.a*1e6) }) {
		t.Fatal("not sorted by times")
	}
	for _, depth := range []int{0, 1, 2} {
		got := slices.Clone(keys)
		s.quicksort(got, obs, depth)
		if !slices.Equal(got, want) {
			t.Errorf("depth %d: order differs from a full quicksort", depth)
		}
	}
}
