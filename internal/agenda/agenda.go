// Package agenda holds values waiting for an integer time (a bucket, a second): a list per
// time and a queue of the times that have one, with a heap for those listed out of order.
// Scheduling costs an append to a list found in a ring by the time's low bits, and the queue
// and heap hold distinct times only, a few hundred where the values are hundreds of
// thousands: a heap entry per value made every push and pop a walk of cold memory, with
// values compared on the way.
package agenda

import (
	"cmp"

	"github.com/leakwatch/leakwatch/internal/minheap"
)

// Agenda is a set of values by time. Values of one time come back in the order they were
// added. The zero Agenda is not usable: make one with New.
type Agenda[T any] struct {
	// ring holds each time's list by pointer in the slot of the time's low bits, so an Add
	// to a time already listed costs one load and no store back. The times listed at once
	// are a narrow span (the next hour of seconds, the next day of minutes), so they rarely
	// meet in a slot; a time whose slot another holds has its list in lists. A Go map for
	// every time was a fiftieth of a batch analysis.
	ring  *[ringSize]slot[T]
	lists map[int64]*[]T
	// Listed times are mostly listed in increasing order (a bucket plus a fixed offset, the
	// bucket rising), so those go to the queue asc[head:], taken from the front at no cost,
	// and only a time before the queue's last goes to the heap.
	asc   []int64
	head  int
	times minheap.Heap[int64]
	spare [][]T
	held  []*[]T // list holders of times read by Next, for reuse
	// last is the list of time lastT, nil when unknown: Adds come in runs to one time (every
	// object closing in a bucket schedules at the same offset from it), and those after the
	// first skip the map.
	last  *[]T
	lastT int64
}

// slot is a ring slot: the list of time t, or none when l is nil.
type slot[T any] struct {
	t int64
	l *[]T
}

// ringSize is the number of ring slots: 64 KB an agenda.
const ringSize = 1 << 12

// maxSpare bounds the emptied lists kept for reuse.
const maxSpare = 64

// New returns an empty agenda.
func New[T any]() Agenda[T] {
	return Agenda[T]{ring: new([ringSize]slot[T]), lists: map[int64]*[]T{}, times: minheap.New(cmp.Less[int64])}
}

// Add schedules v at time t.
func (a *Agenda[T]) Add(t int64, v T) {
	if a.last == nil || a.lastT != t {
		l := a.list(t)
		if l == nil {
			a.push(t)
			if n := len(a.held); n > 0 {
				l, a.held = a.held[n-1], a.held[:n-1]
			} else {
				l = new([]T)
			}
			if n := len(a.spare); n > 0 {
				*l, a.spare = a.spare[n-1], a.spare[:n-1]
			}
			if s := &a.ring[t&(ringSize-1)]; s.l == nil {
				s.t, s.l = t, l
			} else {
				a.lists[t] = l
			}
		}
		a.last, a.lastT = l, t
	}
	*a.last = append(*a.last, v)
}

// list returns the list of time t, nil when t is not listed.
func (a *Agenda[T]) list(t int64) *[]T {
	if s := &a.ring[t&(ringSize-1)]; s.l != nil && s.t == t {
		return s.l
	}
	if len(a.lists) == 0 {
		return nil
	}
	return a.lists[t]
}

// unlist removes time t's list, l.
func (a *Agenda[T]) unlist(t int64, l *[]T) {
	if s := &a.ring[t&(ringSize-1)]; s.l == l {
		*s = slot[T]{}
	} else {
		delete(a.lists, t)
	}
}

// Next removes the earliest time before limit and returns it with its values; ok is false
// when no time is before limit. Values added meanwhile at that time form a new list, returned
// by a later call. Hand the list back with Done once read.
func (a *Agenda[T]) Next(limit int64) (t int64, vs []T, ok bool) {
	t, ok = a.min()
	if !ok || t >= limit {
		return 0, nil, false
	}
	if a.head < len(a.asc) && a.asc[a.head] == t {
		a.head++
		if a.head == len(a.asc) {
			a.asc, a.head = a.asc[:0], 0
		} else if a.head >= 1024 && 2*a.head >= len(a.asc) {
			n := copy(a.asc, a.asc[a.head:])
			a.asc, a.head = a.asc[:n], 0
		}
	} else {
		a.times.Pop()
	}
	l := a.list(t)
	a.unlist(t, l)
	if a.last == l {
		a.last = nil
	}
	vs, *l = *l, nil
	if len(a.held) < maxSpare {
		a.held = append(a.held, l)
	}
	return t, vs, true
}

// push lists time t.
func (a *Agenda[T]) push(t int64) {
	if n := len(a.asc); n == a.head || t > a.asc[n-1] {
		a.asc = append(a.asc, t)
	} else {
		a.times.Push(t)
	}
}

// min returns the earliest listed time; ok is false when there is none.
func (a *Agenda[T]) min() (t int64, ok bool) {
	if a.head < len(a.asc) {
		t, ok = a.asc[a.head], true
	}
	if a.times.Len() > 0 && (!ok || a.times.Min() < t) {
		t, ok = a.times.Min(), true
	}
	return t, ok
}

// Done takes back a list Next returned, for reuse.
func (a *Agenda[T]) Done(vs []T) {
	if len(a.spare) < maxSpare && cap(vs) <= 1<<12 {
		clear(vs) // let what the values point to go
		a.spare = append(a.spare, vs[:0])
	}
}

// Clear removes every value.
func (a *Agenda[T]) Clear() {
	clear(a.ring[:])
	clear(a.lists)
	a.asc, a.head = a.asc[:0], 0
	a.times.Clear()
	a.last = nil
}
