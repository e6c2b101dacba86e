// Package smallmap is a map from 64-bit hashes to values for the many small sets of
// co-share state: the objects of one account pair's edge, the account pairs already paired
// on one object. Most hold a handful of entries and die young; a Go map for each was a fifth
// of what co-share detection allocated. Entries sit in a slice searched in order, and only a
// map that outgrows linearMax gets an index.
package smallmap

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
