package coord

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTallyKeepsTop counts random keys, with tallies merged now and then, and checks after
// every step that the top kept up to date is the top found by walking every count.
func TestTallyKeepsTop(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		n := 1 + round%6
		a, b := newTally(n), newTally(n)
		for step := range 3000 {
			key := fmt.Sprint("k", r.IntN(40))
			switch x := r.IntN(100); {
			case x < 60:
				a.inc(key)
			case x < 99:
				b.inc(key)
			default:
				a.add(&b)
				b = newTally(n)
			}
			for _, tl := range []*tally{&a, &b} {
				want := []string{}
				for _, kc := range topCounts(nil, tl.counts, n) {
					want = append(want, kc.k)
				}
				if got := tl.keys(); !slices.Equal(got, want) {
					t.Fatalf("round %d step %d: top %v, want %v (counts %v)", round, step, got, want, tl.counts)
				}
			}
		}
	}
}
