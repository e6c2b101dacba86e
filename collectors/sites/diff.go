package sites

import (
	"fmt"
	"strings"
)

// edit is one line of an edit script: ' ' kept, '-' deleted, '+' inserted.
type edit struct {
	op   byte
	line string
}

// diffLines returns an edit script from a to b using Myers' O(ND) algorithm after trimming
// the common prefix and suffix. When more than maxD edits are needed it gives up on a minimal
// script and replaces the whole middle, which keeps time and memory (O(maxD²)) bounded on
// pages that were rewritten entirely.
func diffLines(a, b []string, maxD int) []edit {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []edit
	for _, l := range a[:pre] {
		out = append(out, edit{' ', l})
	}
	out = append(out, myers(a[pre:len(a)-suf], b[pre:len(b)-suf], maxD)...)
	for _, l := range a[len(a)-suf:] {
		out = append(out, edit{' ', l})
	}
	return out
}

func myers(a, b []string, maxD int) []edit {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil
	}
	replaceAll := func() []edit {
		out := make([]edit, 0, n+m)
		for _, l := range a {
			out = append(out, edit{'-', l})
		}
		for _, l := range b {
			out = append(out, edit{'+', l})
		}
		return out
	}
	maxD = min(maxD, n+m)
	// v[k+off] is the furthest x on diagonal k; trace[d] keeps v for k in [-d-1, d+1] as it
	// was before step d, which is all the backtrack reads.
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace)
			}
		}
	}
	return replaceAll()
}

func backtrack(a, b []string, trace [][]int) []edit {
	x, y := len(a), len(b)
	var rev []edit
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		at := func(k int) int { return v[k+d+1] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY && x > 0 && y > 0 {
			rev = append(rev, edit{' ', a[x-1]})
			x--
			y--
		}
		if d > 0 {
			if x == prevX {
				rev = append(rev, edit{'+', b[y-1]})
			} else {
				rev = append(rev, edit{'-', a[x-1]})
			}
		}
		x, y = prevX, prevY
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

// unified renders an edit script as a unified diff with ctx lines of context. The output is
// cut at maxBytes with a final line saying how much was left out.
func unified(edits []edit, ctx, maxBytes int) string {
	var b strings.Builder
	b.WriteString("--- previous\n+++ current\n")
	aLine, bLine := make([]int, len(edits)+1), make([]int, len(edits)+1)
	for i, e := range edits {
		aLine[i+1], bLine[i+1] = aLine[i], bLine[i]
		if e.op != '+' {
			aLine[i+1]++
		}
		if e.op != '-' {
			bLine[i+1]++
		}
	}
	truncated := 0
	for i := 0; i < len(edits); {
		if edits[i].op == ' ' {
			i++
			continue
		}
		// A hunk runs from ctx lines before this change to ctx lines after the last change
		// that is within 2*ctx kept lines of the previous one.
		start := max(0, i-ctx)
		end := i
		for j := i; j < len(edits); j++ {
			if edits[j].op != ' ' {
				end = j
			} else if j-end > 2*ctx {
				break
			}
		}
		stop := min(len(edits), end+ctx+1)
		var h strings.Builder
		fmt.Fprintf(&h, "@@ -%s +%s @@\n", span(aLine[start], aLine[stop]), span(bLine[start], bLine[stop]))
		for _, e := range edits[start:stop] {
			h.WriteByte(e.op)
			h.WriteString(e.line)
			h.WriteByte('\n')
		}
		if truncated > 0 || b.Len()+h.Len() > maxBytes {
			truncated += stop - start
		} else {
			b.WriteString(h.String())
		}
		i = stop
	}
	if truncated > 0 {
		fmt.Fprintf(&b, "... diff truncated: %d more lines\n", truncated)
	}
	return b.String()
}

// span is a hunk range "first,count" with 1-based first line; an empty range names the line before it.
func span(from, to int) string {
	if to-from == 1 {
		return fmt.Sprint(from + 1)
	}
	if to == from {
		return fmt.Sprintf("%d,0", from)
	}
	return fmt.Sprintf("%d,%d", from+1, to-from)
}
