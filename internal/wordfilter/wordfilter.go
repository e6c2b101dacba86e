// Package wordfilter tells most words apart from the keys of a word set by their first byte
// and length, before any map lookup: the leak vocabulary and the candidates' names are each
// looked up for every word of every post, and nearly no word is a key.
package wordfilter

// Filter has bit min(len(w), 63) of Filter[w[0]] set for every word w added. The zero Filter
// is empty.
type Filter [256]uint64

// Add records w (the empty word is never a key, and is ignored).
func (f *Filter) Add(w string) {
	if w != "" {
		f[w[0]] |= bit(len(w))
	}
}

// May reports whether a word n bytes long starting with byte c may have been added: false
// means it was not.
func (f *Filter) May(c byte, n int) bool { return f[c]&bit(n) != 0 }

func bit(n int) uint64 { return 1 << min(n, 63) }
