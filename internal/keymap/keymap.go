// Package keymap is a map from strings to values for the detectors' per-object state, where
// the caller hashes the key. An object is put once, looked up at each of its mentions and
// deleted once idle; Go's map hashed the key again for every one of those and spent longer
// deleting an entry than the rest of its life in the map (a batch analysis of tweets deletes
// some 260,000 objects). Here the caller's hash is kept beside the key, compared before it,
// and a deletion moves the few entries after it back instead of leaving a marker. Co-share
// also counts a popular object's sharers by account in one, with the hash each share keeps.
package keymap

import "math/bits"

// Map holds values by key. The zero Map is empty and ready to use. Not safe for concurrent
// use.
type Map[V any] struct {
	slots []slot[V] // open addressing, linear probing; hash 0 marks a free slot
	shift uint      // 64 - log2(len(slots)): a key's probe starts at its hash's top bits
	n     int
}

type slot[V any] struct {
	hash uint64
	key  string
	val  V
}

// firstSize is the slots of a map's first table.
const firstSize = 16

// Len is the number of keys held.
func (m *Map[V]) Len() int { return m.n }

// stored is the hash kept for h: 0 marks a free slot, so a key hashed to 0 is kept as 1 (its
// key is compared anyway).
func stored(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// find returns the slot that holds key, or else the free slot where it would go (-1 with
// no table yet).
func (m *Map[V]) find(h uint64, key string) (int, bool) {
	if m.slots == nil {
		return -1, false
	}
	mask := len(m.slots) - 1
	for i := int(h >> m.shift); ; i = (i + 1) & mask {
		s := &m.slots[i]
		if s.hash == h && s.key == key {
			return i, true
		}
		if s.hash == 0 {
			return i, false
		}
	}
}

// Get returns the value of key, whose hash is h, and whether it is there. A key must be
// looked up, put and deleted with the same hash every time.
func (m *Map[V]) Get(h uint64, key string) (V, bool) {
	if i, ok := m.find(stored(h), key); ok {
		return m.slots[i].val, true
	}
	var zero V
	return zero, false
}

// Put sets the value of key, whose hash is h.
func (m *Map[V]) Put(h uint64, key string, v V) {
	h = stored(h)
	i, ok := m.find(h, key)
	if ok {
		m.slots[i].val = v
		return
	}
	if i < 0 || 2*(m.n+1) > len(m.slots) {
		m.grow()
		i, _ = m.find(h, key)
	}
	m.slots[i] = slot[V]{hash: h, key: key, val: v}
	m.n++
}

// Ref returns a pointer to the value of key, whose hash is h, putting the zero value first
// when key is not there: a count goes up in one lookup. The pointer is good until the next
// Put, Ref, Delete or Clear.
func (m *Map[V]) Ref(h uint64, key string) *V {
	h = stored(h)
	i, ok := m.find(h, key)
	if !ok {
		if i < 0 || 2*(m.n+1) > len(m.slots) {
			m.grow()
			i, _ = m.find(h, key)
		}
		m.slots[i] = slot[V]{hash: h, key: key}
		m.n++
	}
	return &m.slots[i].val
}

// Clear removes every key, keeping the table.
func (m *Map[V]) Clear() {
	clear(m.slots)
	m.n = 0
}

// Delete removes key, whose hash is h, and reports whether it was there.
func (m *Map[V]) Delete(h uint64, key string) bool {
	i, ok := m.find(stored(h), key)
	if !ok {
		return false
	}
	// Backward-shift deletion: each entry after the hole that may sit in it (its probe
	// started at or before the hole) moves into it, and leaves a hole of its own.
	mask := len(m.slots) - 1
	for j := (i + 1) & mask; m.slots[j].hash != 0; j = (j + 1) & mask {
		home := int(m.slots[j].hash >> m.shift)
		// The entry stays when its home lies cyclically in (i, j]: its probe never
		// passed the hole.
		if (j-home)&mask < (j-i)&mask {
			continue
		}
		m.slots[i] = m.slots[j]
		i = j
	}
	m.slots[i] = slot[V]{}
	m.n--
	return true
}

// All calls f with every value, in no particular order, until f returns false. f must not
// put or delete.
func (m *Map[V]) All(f func(V) bool) {
	for i := range m.slots {
		if m.slots[i].hash != 0 && !f(m.slots[i].val) {
			return
		}
	}
}

// grow doubles the table (or makes the first), moving every entry to its place there.
func (m *Map[V]) grow() {
	old := m.slots
	n := firstSize
	if len(old) > 0 {
		n = 2 * len(old)
	}
	m.slots, m.shift = make([]slot[V], n), uint(64-bits.TrailingZeros(uint(n)))
	mask := n - 1
	for _, s := range old {
		if s.hash == 0 {
			continue
		}
		i := int(s.hash >> m.shift)
		for m.slots[i].hash != 0 {
			i = (i + 1) & mask
		}
		m.slots[i] = s
	}
}
