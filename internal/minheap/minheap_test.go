package minheap_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/leakwatch/leakwatch/internal/minheap"
)

// TestPopsInOrder: whatever is pushed comes out smallest first, pushes and pops interleaved.
func TestPopsInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := minheap.New(func(a, b int) bool { return a < b })
	var want []int
	var got []int
	for range 5000 {
		if h.Len() > 0 && rng.IntN(3) == 0 {
			slices.Sort(want)
			if m := h.Min(); m != want[0] {
				t.Fatalf("Min %d, want %d", m, want[0])
			}
			got = append(got, h.Pop())
			want = want[1:]
			continue
		}
		x := rng.IntN(1000)
		h.Push(x)
		want = append(want, x)
	}
	rest := make([]int, 0, h.Len())
	for h.Len() > 0 {
		rest = append(rest, h.Pop())
	}
	slices.Sort(want)
	if !slices.Equal(rest, want) {
		t.Fatalf("drained %d values out of order or not those pushed", len(rest))
	}
	if len(got) == 0 {
		t.Fatal("no pop between pushes: the interleaving was not tested")
	}
	h.Push(3)
	h.Clear()
	if h.Len() != 0 {
		t.Fatalf("Len %d after Clear", h.Len())
	}
}

// TestNoAllocations: pushing and popping allocates nothing once the heap has grown.
func TestNoAllocations(t *testing.T) {
	type timer struct {
		at  int64
		key *string
	}
	h := minheap.New(func(a, b timer) bool { return a.at < b.at })
	k := "object"
	for i := range 64 {
		h.Push(timer{int64(64 - i), &k})
	}
	for h.Len() > 0 {
		h.Pop()
	}
	allocs := testing.AllocsPerRun(100, func() {
		for i := range 64 {
			h.Push(timer{int64(i * 7 % 64), &k})
		}
		for h.Len() > 0 {
			h.Pop()
		}
	})
	if allocs != 0 {
		t.Fatalf("%.0f allocations a round of 64 pushes and pops, want 0", allocs)
	}
}
