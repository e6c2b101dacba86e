package coord

// tally counts keys and keeps the n with the highest counts (ties by key) up to date as
// they are counted: a group is published again each time one of its edges changes, and
// finding its top objects by walking all of them (groups hold thousands) each time was a
// fiftieth of a batch analysis.
//
// Counts only grow, so one key's increment can only move that key up: it climbs within the
// top, or enters it past the last, which then holds the best key outside. Adding a whole
// tally (two groups merging) moves many counts at once; the top is then found again by a
// walk, when it is next asked for.
type tally struct {
	counts map[string]int
	n      int
	top    []keyCount // the n best, best first, when fresh
	fresh  bool
}

type keyCount struct {
	k string
	c int
}

func (a keyCount) better(b keyCount) bool { return a.c > b.c || (a.c == b.c && a.k < b.k) }

func newTally(n int) tally { return tally{counts: map[string]int{}, n: n, fresh: true} }

func (t *tally) len() int { return len(t.counts) }

// inc counts k once more.
func (t *tally) inc(k string) {
	t.counts[k]++
	if !t.fresh {
		return
	}
	x := keyCount{k, t.counts[k]}
	i := len(t.top)
	for j, y := range t.top {
		if y.k == k {
			i = j
			break
		}
	}
	switch {
	case i < len(t.top):
		t.top[i] = x
	case len(t.top) < t.n:
		t.top = append(t.top, x)
	case x.better(t.top[i-1]):
		i--
		t.top[i] = x // the old last is now the best key outside
	default:
		return
	}
	for i > 0 && x.better(t.top[i-1]) {
		t.top[i], t.top[i-1] = t.top[i-1], t.top[i]
		i--
	}
}

// add counts every key of o as often as o did.
func (t *tally) add(o *tally) {
	for k, c := range o.counts {
		t.counts[k] += c
	}
	t.fresh = t.fresh && len(o.counts) == 0
}

// keys returns the top keys, best first, in a new slice.
func (t *tally) keys() []string {
	if !t.fresh {
		t.top = topCounts(t.top[:0], t.counts, t.n)
		t.fresh = true
	}
	out := make([]string, len(t.top))
	for i, x := range t.top {
		out[i] = x.k
	}
	return out
}

// topCounts appends to dst the n keys of m with the highest counts (ties by key), best
// first, in one pass.
func topCounts(dst []keyCount, m map[string]int, n int) []keyCount {
	for k, c := range m {
		x := keyCount{k, c}
		if c <= 0 || (len(dst) == n && !x.better(dst[n-1])) {
			continue
		}
		i := len(dst)
		dst = append(dst, x)
		for i > 0 && x.better(dst[i-1]) {
			dst[i], dst[i-1] = dst[i-1], dst[i]
			i--
		}
		if len(dst) > n {
			dst = dst[:n]
		}
	}
	return dst
}
