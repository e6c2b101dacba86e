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
