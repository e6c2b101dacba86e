// Package smallmap is a map from 64-bit hashes to values for the many small sets of
// co-share state: the objects of one account pair's edge, the account pairs already paired
// on one object. Most hold a handful of entries and die young; a Go map for each was a fifth
// of what co-share detection allocated. Entries sit in a slice searched in order, and only a
// map that outgrows linearMax gets an index.
package smallmap

import "math/bits"

// Map holds values by key. The zero Map is empty and ready to use. Not safe for concurrent
// use.
type Map[V any] struct {
	entries []entry[V]
	index   map[uint64]int32 // position in entries, once there are more than linearMax
}

type entry[V any] struct {
	key uint64
	val V
}

// linearMax is the most entries found by scanning: a scan of this many keys costs about one
// hashed lookup.
const linearMax = 16

// Len is the number of entries.
func (m *Map[V]) Len() int { return len(m.entries) }

// Get returns the value of key and whether it is there.
func (m *Map[V]) Get(key uint64) (V, bool) {
	if i := m.find(key); i >= 0 {
		return m.entries[i].val, true
	}
	var zero V
	return zero, false
}

// Put sets the value of key.
func (m *Map[V]) Put(key uint64, v V) {
	if i := m.find(key); i >= 0 {
		m.entries[i].val = v
		return
	}
	m.Insert(key, v)
}

// Add sets the value of key unless key is there, and reports whether it was not: a set's
// test and insert in one search.
func (m *Map[V]) Add(key uint64, v V) bool {
	if m.find(key) >= 0 {
		return false
	}
	m.Insert(key, v)
	return true
}

// Insert puts key, which the caller knows is not there (as after a Get that did not find
// it): it saves Put's search.
func (m *Map[V]) Insert(key uint64, v V) {
	if m.entries == nil {
		m.entries = make([]entry[V], 0, 4) // growing one at a time to 4 cost three allocations
	}
	m.entries = append(m.entries, entry[V]{key, v})
	switch n := len(m.entries); {
	case m.index != nil:
		m.index[key] = int32(n - 1)
	case n > linearMax:
		m.index = make(map[uint64]int32, 2*n)
		for i, e := range m.entries {
			m.index[e.key] = int32(i)
		}
	}
}

// All calls f with every value, in the order keys were first put.
func (m *Map[V]) All(f func(V)) {
	for _, e := range m.entries {
		f(e.val)
	}
}

// Reset empties the map, keeping its slice for reuse unless it grew past linearMax.
func (m *Map[V]) Reset() {
	if m.index != nil {
		*m = Map[V]{}
		return
	}
	clear(m.entries)
	m.entries = m.entries[:0]
}

func (m *Map[V]) find(key uint64) int {
	if m.index != nil {
		if i, ok := m.index[key]; ok {
			return int(i)
		}
		return -1
	}
	for i := range m.entries {
		if m.entries[i].key == key {
			return i
		}
	}
	return -1
}

// Set is a set of 64-bit keys, small ones scanned like a Map's and large ones in an open
// addressing table of the keys themselves, placed by Fibonacci hashing so keys alike in
// their low bits spread too: the account pairs already paired on one object. A
// Map[struct{}] kept a slice and a Go map side by side past linearMax, and a popular
// object's set was where co-share detection spent most of its completions. The zero Set is
// empty and ready to use.
type Set struct {
	keys  []uint64 // up to linearMax keys in order, or the table: 0 is a free slot
	table bool
	shift uint // 64 - log2(len(keys)), for the table
	n     int  // keys held
	zero  bool // the key 0, which the table cannot hold in a slot
}

// slot is where key's probe starts.
func (s *Set) slot(key uint64) uint64 { return (key * 0x9e3779b97f4a7c15) >> s.shift }

// grow makes the table n slots (a power of two) and puts old's keys in it.
func (s *Set) grow(old []uint64, n int) {
	s.keys, s.table, s.shift = make([]uint64, n), true, uint(64-bits.TrailingZeros(uint(n)))
	s.n = 0
	if s.zero {
		s.n++
	}
	for _, k := range old {
		if k != 0 {
			s.put(k)
		}
	}
}

// Len is the number of keys.
func (s *Set) Len() int { return s.n }

// Has reports whether key is in the set.
func (s *Set) Has(key uint64) bool {
	if !s.table {
		for _, k := range s.keys {
			if k == key {
				return true
			}
		}
		return false
	}
	if key == 0 {
		return s.zero
	}
	_, found := s.find(key)
	return found
}

// find returns the table slot that holds key (not 0), or else the free slot where it goes.
func (s *Set) find(key uint64) (slot uint64, found bool) {
	mask := uint64(len(s.keys) - 1)
	for i := s.slot(key); ; i = (i + 1) & mask {
		switch s.keys[i] {
		case key:
			return i, true
		case 0:
			return i, false
		}
	}
}

// Add puts key in the set and reports whether it was not there.
func (s *Set) Add(key uint64) bool {
	if !s.table {
		for _, k := range s.keys {
			if k == key {
				return false
			}
		}
		if len(s.keys) < linearMax {
			s.keys = append(s.keys, key)
			s.n++
			return true
		}
		// The scanned keys may hold 0: it goes to zero, as put does.
		for _, k := range s.keys {
			if k == 0 {
				s.zero = true
			}
		}
		s.grow(s.keys, 4*linearMax)
	} else if 2*(s.n+1) > len(s.keys) {
		s.grow(s.keys, 2*len(s.keys))
	}
	return s.put(key)
}

// put adds key to the table, which has a free slot.
func (s *Set) put(key uint64) bool {
	if key == 0 {
		if s.zero {
			return false
		}
		s.zero = true
		s.n++
		return true
	}
	i, found := s.find(key)
	if found {
		return false
	}
	s.keys[i] = key
	s.n++
	return true
}

// Reset empties the set, keeping its slice for reuse unless it had grown into a table.
func (s *Set) Reset() {
	if s.table {
		*s = Set{}
		return
	}
	s.keys, s.n = s.keys[:0], 0
}
