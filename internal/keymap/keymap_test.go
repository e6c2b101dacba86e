package keymap

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/leakwatch/leakwatch/internal/strhash"
)

// TestMapMatchesGoMap runs random puts, gets, deletes, counts through Ref and clears against
// a Go map, with hashes that spread, hashes that collide in their top bits (long probe runs,
// wrapping around the end of the table, deletions in the middle of them), keys sharing one
// hash, and the hash 0.
func TestMapMatchesGoMap(t *testing.T) {
	hashes := map[string]func(string) uint64{
		"spread": func(k string) uint64 { return strhash.String(0, k) },
		// 16 homes at most: runs far longer than the table's load allows on its own.
		"top bits alike": func(k string) uint64 { return strhash.String(0, k)&0xf000_0000_0000_0000 | 0xabc },
		"one hash":       func(string) uint64 { return 42 },
		"zero or max": func(k string) uint64 {
			if strhash.String(0, k)&1 == 0 {
				return 0
			}
			return ^uint64(0)
		},
	}
	for name, hash := range hashes {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var m Map[int]
			want := map[string]int{}
			keys := 400
			if name == "one hash" {
				keys = 60
			}
			for step := range 30000 {
				k := fmt.Sprintf("url:%d", rng.IntN(keys))
				h := hash(k)
				switch op := rng.IntN(10); {
				case op < 4:
					m.Put(h, k, step)
					want[k] = step
				case step%5000 == 4999:
					m.Clear()
					clear(want)
				case op < 6:
					_, had := want[k]
					if got := m.Delete(h, k); got != had {
						t.Fatalf("step %d: Delete(%q) = %v, want %v", step, k, got, had)
					}
					delete(want, k)
				case op < 7:
					*m.Ref(h, k)++
					want[k]++
				default:
					v, ok := m.Get(h, k)
					w, had := want[k]
					if ok != had || v != w {
						t.Fatalf("step %d: Get(%q) = %d, %v, want %d, %v", step, k, v, ok, w, had)
					}
				}
				if m.Len() != len(want) {
					t.Fatalf("step %d: Len %d, want %d", step, m.Len(), len(want))
				}
			}
			// Every key left is found, and All yields each value once.
			seen := map[int]int{}
			m.All(func(v int) bool { seen[v]++; return true })
			if len(seen) != len(want) {
				t.Fatalf("All yielded %d values, want %d", len(seen), len(want))
			}
			for k, w := range want {
				if v, ok := m.Get(hash(k), k); !ok || v != w || seen[w] != 1 {
					t.Fatalf("%q: Get = %d, %v, All saw it %d times; want %d", k, v, ok, seen[w], w)
				}
			}
		})
	}
}

func TestZeroMap(t *testing.T) {
	var m Map[string]
	if _, ok := m.Get(1, "a"); ok || m.Delete(1, "a") || m.Len() != 0 {
		t.Fatal("an empty map holds something")
	}
	m.All(func(string) bool { t.Fatal("All yields from an empty map"); return false })
	m.Put(0, "", "empty key")
	if v, ok := m.Get(0, ""); !ok || v != "empty key" {
		t.Fatalf("Get of the empty key = %q, %v", v, ok)
	}
}

func TestAllStops(t *testing.T) {
	var m Map[int]
	for i := range 100 {
		k := fmt.Sprint(i)
		m.Put(strhash.String(0, k), k, i)
	}
	n := 0
	m.All(func(int) bool { n++; return n < 3 })
	if n != 3 {
		t.Fatalf("All went on after false: %d calls", n)
	}
}

// BenchmarkObjects is the detectors' use: objects put, looked up a few times, deleted, about
// 100,000 held.
func BenchmarkObjects(b *testing.B) {
	keys := make([]string, 1<<18)
	hashes := make([]uint64, len(keys))
	for i := range keys {
		keys[i] = fmt.Sprintf("neartext:%d-%016x", i%9, uint64(i)*0x9e3779b97f4a7c15)
		hashes[i] = strhash.String(0, keys[i])
	}
	const held = 100_000
	b.Run("keymap", func(b *testing.B) {
		var m Map[*int]
		v := new(int)
		for i := 0; b.Loop(); i++ {
			j := i & (len(keys) - 1)
			h := strhash.String(0, keys[j]) // hashed here, as the burst detector does
			if _, ok := m.Get(h, keys[j]); !ok {
				m.Put(h, keys[j], v)
			}
			old := (i - held) & (len(keys) - 1)
			m.Delete(hashes[old], keys[old])
		}
	})
	b.Run("go map", func(b *testing.B) {
		m := map[string]*int{}
		v := new(int)
		for i := 0; b.Loop(); i++ {
			j := i & (len(keys) - 1)
			if _, ok := m[keys[j]]; !ok {
				m[keys[j]] = v
			}
			old := (i - held) & (len(keys) - 1)
			delete(m, keys[old])
		}
	})
}
