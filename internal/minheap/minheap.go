// Package minheap is a binary min-heap of values ordered by a less function. Unlike
// container/heap it does not box every value pushed and popped in an interface (an
// allocation apiece), which on the detectors' hot paths was a tenth of all allocations.
package minheap

// Heap holds values, smallest first. The zero Heap is not usable: make one with New.
type Heap[T any] struct {
	items []T
	less  func(a, b T) bool
}

// New returns an empty heap ordered by less.
func New[T any](less func(a, b T) bool) Heap[T] { return Heap[T]{less: less} }

// Len is the number of values held.
func (h *Heap[T]) Len() int { return len(h.items) }

// Min returns the smallest value without removing it; the heap must not be empty.
func (h *Heap[T]) Min() T { return h.items[0] }

// Push adds x.
func (h *Heap[T]) Push(x T) {
	h.items = append(h.items, x)
	h.up(len(h.items) - 1)
}

// Pop removes and returns the smallest value; the heap must not be empty.
func (h *Heap[T]) Pop() T {
	n := len(h.items) - 1
	h.items[0], h.items[n] = h.items[n], h.items[0]
	h.down(0, n)
	x := h.items[n]
	var zero T
	h.items[n] = zero // let what it points to go
	h.items = h.items[:n]
	return x
}

// Clear removes every value, keeping the memory.
func (h *Heap[T]) Clear() {
	clear(h.items)
	h.items = h.items[:0]
}

func (h *Heap[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.items[i], h.items[j] = h.items[j], h.items[i]
		j = i
	}
}

func (h *Heap[T]) down(i, n int) {
	for {
		j := 2*i + 1
		if j >= n || j < 0 {
			return
		}
		if r := j + 1; r < n && h.less(h.items[r], h.items[j]) {
			j = r
		}
		if !h.less(h.items[j], h.items[i]) {
			return
		}
		h.items[i], h.items[j] = h.items[j], h.items[i]
		i = j
	}
}
