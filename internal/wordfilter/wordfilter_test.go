package wordfilter

import "testing"

func TestFilter(t *testing.T) {
	var f Filter
	words := []string{"leak", "leaked", "fuite", "x", string(make([]byte, 70))}
	for _, w := range words {
		f.Add(w)
	}
	f.Add("")
	for _, w := range words {
		if !f.May(w[0], len(w)) {
			t.Errorf("%q was added, May says no", w)
		}
	}
	for _, w := range []string{"lea", "leaks", "fuites", "xx", "dump", "y"} {
		if f.May(w[0], len(w)) {
			t.Errorf("%q: no added word has its first byte and length, May says yes", w)
		}
	}
	if !f.May(0, 63) || !f.May(0, 200) {
		t.Error("words of 63 bytes and more share one bit: a 70-byte word makes any of them possible")
	}
	if f.May(0, 62) {
		t.Error("a 62-byte word of byte 0 was never added")
	}
}
