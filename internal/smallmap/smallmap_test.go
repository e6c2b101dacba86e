package smallmap

import (
	"math/rand/v2"
	"testing"
)

// TestMatchesGoMap puts and gets random keys against a Go map through the switch from
// scanning to the index.
func TestMatchesGoMap(t *testing.T) {
	for _, size := range []int{1, linearMax, linearMax + 1, 300} {
		r := rand.New(rand.NewPCG(uint64(size), 7))
		var m Map[int]
		want := map[uint64]int{}
		var order []uint64
		for i := range 4 * size {
			k := r.Uint64N(uint64(size)) * 0x9e3779b97f4a7c15 // collisions in the low bits too
			if _, ok := want[k]; !ok {
				order = append(order, k)
			}
			m.Put(k, i)
			want[k] = i
			if m.Len() != len(want) {
				t.Fatalf("size %d: Len %d after %d puts, want %d", size, m.Len(), i+1, len(want))
			}
		}
		for k, v := range want {
			if got, ok := m.Get(k); !ok || got != v {
				t.Fatalf("size %d: Get(%x) = %d, %v; want %d", size, k, got, ok, v)
			}
		}
		if _, ok := m.Get(1); ok && want[1] == 0 {
			t.Fatalf("size %d: Get of a key never put found something", size)
		}
		var got []int
		m.All(func(v int) { got = append(got, v) })
		for i, k := range order {
			if got[i] != want[k] {
				t.Fatalf("size %d: All's value %d is %d, want %d (first-put order)", size, i, got[i], want[k])
			}
		}
		m.Reset()
		if m.Len() != 0 {
			t.Fatalf("size %d: Len %d after Reset", size, m.Len())
		}
		if _, ok := m.Get(order[0]); ok {
			t.Fatalf("size %d: Get found a key after Reset", size)
		}
	}
}

// TestAddKeepsFirst adds random keys, scanned and indexed: Add reports a key new only the
// first time and never changes its value.
func TestAddKeepsFirst(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	var m Map[int]
	first := map[uint64]int{}
	for i := range 400 {
		k := r.Uint64N(100) * 0x9e3779b97f4a7c15
		_, seen := first[k]
		if added := m.Add(k, i); added == seen {
			t.Fatalf("Add(%x) after %d adds = %v, want %v", k, i, added, !seen)
		}
		if !seen {
			first[k] = i
		}
	}
	for k, v := range first {
		if got, _ := m.Get(k); got != v {
			t.Fatalf("Get(%x) = %d, want the first value added, %d", k, got, v)
		}
	}
}

// TestSetMatchesGoMap adds and looks up keys against a Go map, through the switch from
// scanning to the table and its growth, with the key 0 and keys that differ only in their
// high bits (a table placing keys by their low bits would pile them in one run).
func TestSetMatchesGoMap(t *testing.T) {
	gens := map[string]func(r *rand.Rand, n int) uint64{
		"spread":    func(r *rand.Rand, n int) uint64 { return r.Uint64N(uint64(n)) * 0x9e3779b97f4a7c15 },
		"high bits": func(r *rand.Rand, n int) uint64 { return r.Uint64N(uint64(n)) << 40 },
		"small":     func(r *rand.Rand, n int) uint64 { return r.Uint64N(uint64(n)) }, // 0 among them
	}
	for name, gen := range gens {
		for _, size := range []int{1, linearMax, linearMax + 1, 300, 5000} {
			r := rand.New(rand.NewPCG(uint64(size), 9))
			var s Set
			want := map[uint64]bool{}
			for i := range 3 * size {
				k := gen(r, size)
				if got := s.Add(k); got == want[k] {
					t.Fatalf("%s, size %d: Add(%x) = %v with the key there: %v", name, size, k, got, want[k])
				}
				want[k] = true
				if s.Len() != len(want) {
					t.Fatalf("%s, size %d: Len %d after %d adds, want %d", name, size, s.Len(), i+1, len(want))
				}
			}
			for range 2 * size {
				k := gen(r, 2*size)
				if s.Has(k) != want[k] {
					t.Fatalf("%s, size %d: Has(%x) = %v, want %v", name, size, k, s.Has(k), want[k])
				}
			}
			s.Reset()
			for k := range want {
				if s.Has(k) {
					t.Fatalf("%s, size %d: Has(%x) after Reset", name, size, k)
				}
			}
			if s.Len() != 0 || !s.Add(gen(r, size)) {
				t.Fatalf("%s, size %d: not empty after Reset", name, size)
			}
		}
	}
}
