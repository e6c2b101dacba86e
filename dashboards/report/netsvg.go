package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/leakwatch/leakwatch"
)

// maxDrawn is the most accounts the network picture draws: past it the smallest groups are
// left out (the picture says how many), as a thousand dots in one figure show nothing and
// the layout's cost grows with the square of a group's size.
const maxDrawn = 600

// maxLinks is about the most links the picture draws, shared among the groups by their
// accounts drawn (at least three a dot): a line is some 150 bytes of the page.
const maxLinks = 12000

// drawnGroup is a coordinated group as the picture lays it out: its accounts (indexes into
// Network.Nodes), its links among them, and their positions in a unit square.
type drawnGroup struct {
	id    string
	size  int      // its accounts, drawn or not
	nodes []int    // those drawn
	links int      // its links among the accounts drawn, drawn or not
	kinds string   // groupKinds of all its links
	drawn []Link   // the links drawn
	pairs [][2]int // their ends: indexes into nodes
	x, y  []float64
}

// NetworkSVG draws the coordinated groups of the network, width wide: each group in a box
// of its own, largest first, its accounts as dots (first movers ringed and named) and its
// co-share links as lines, thicker for more co-shares. Accounts in no group are left out:
// the picture is of the groups; the GraphML file holds every account. Every dot and line
// has a tooltip (its account, or the pair, co-shares and kinds). The layout is the same for
// the same detections.
func NetworkSVG(net Network, width int) string {
	groups, left := drawnGroups(net)
	var b strings.Builder
	if len(groups) == 0 {
		fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d 60" width="100%%" role="img" aria-label="coordination network" font-family="sans-serif" font-size="11">`, width)
		fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="60" fill="#fff"/><text x="%d" y="34" text-anchor="middle" fill="#666">no coordinated group</text></svg>`, width, width/2)
		return b.String()
	}
	// Boxes in rows, each as wide as the square root of its accounts allows, so a dot has
	// about the same room in every box; a row holds what fits in the width.
	const pad, head = 8.0, 30.0
	side := func(g drawnGroup) float64 {
		return math.Max(150, math.Min(float64(width)-2*pad, 34*math.Sqrt(float64(len(g.nodes)))))
	}
	type box struct{ x, y, s float64 }
	boxes := make([]box, len(groups))
	x, y, rowH := pad, pad, 0.0
	for i, g := range groups {
		s := side(g)
		if x+s > float64(width)-pad && x > pad {
			x, y, rowH = pad, y+rowH+pad, 0
		}
		boxes[i] = box{x, y, s}
		x += s + pad
		rowH = math.Max(rowH, s+head)
	}
	height := y + rowH + pad
	if left > 0 {
		height += 16
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %.0f" width="100%%" role="img" aria-label="coordination network" font-family="sans-serif" font-size="11">`, width, height)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%.0f" fill="#fff"/>`, width, height)
	for i, g := range groups {
		bx := boxes[i]
		// One colour for every group: the palette's colours are the candidates' on the
		// timeline above, and a group drawn in one would read as that candidate's.
		const colour = "#56606e"
		fmt.Fprintf(&b, `<g><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#ddd"/>`, bx.x, bx.y, bx.s, bx.s+head)
		kinds := g.kinds
		title := fmt.Sprintf("%d accounts · %s", g.size, g.id)
		if len(g.nodes) < g.size {
			title = fmt.Sprintf("%d accounts, %d most tied drawn · %s", g.size, len(g.nodes), g.id)
		}
		if len(g.pairs) < g.links {
			kinds = fmt.Sprintf("heaviest %d of %d links drawn; %s", len(g.pairs), g.links, kinds)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#333"><title>%s</title>%s</text>`, bx.x+4, bx.y+13,
			esc(title), esc(fit(title, bx.s-8)))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#666"><title>%s</title>%s</text>`, bx.x+4, bx.y+25, esc(kinds), esc(fit(kinds, bx.s-8)))
		inner := bx.s - 24 // a margin for the dots and the first movers' names
		px := func(j int) float64 { return bx.x + 12 + inner*g.x[j] }
		py := func(j int) float64 { return bx.y + head + 12 + inner*g.y[j] }
		for k, l := range g.pairs {
			a, c := net.Nodes[g.nodes[l[0]]], net.Nodes[g.nodes[l[1]]]
			w := 0.6 + 0.5*math.Log2(float64(max(1, g.drawn[k].Weight)))
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-opacity="0.35" stroke-width="%.2f"><title>%s</title></line>`,
				px(l[0]), py(l[0]), px(l[1]), py(l[1]), colour, w, esc(linkTitle(a.Label(), c.Label(), g.drawn[k])))
		}
		for j, ni := range g.nodes {
			n := net.Nodes[ni]
			title := n.Label()
			if n.Handle != "" {
				title += " (" + n.ID + ")"
			}
			if n.FirstMover {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" fill="#fff" stroke="#000" stroke-width="2"><title>%s, first mover</title></circle>`, px(j), py(j), esc(title))
				// Named on the side with more room, so the name stays in the box.
				tx, anchor := px(j)+7, "start"
				if g.x[j] > 0.5 {
					tx, anchor = px(j)-7, "end"
				}
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s" fill="#000" font-size="10">%s</text>`, tx, py(j)+3, anchor, esc(n.Label()))
			} else {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s</title></circle>`, px(j), py(j), colour, esc(title))
			}
		}
		b.WriteString(`</g>`)
	}
	if left > 0 {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="#666">%s</text>`, pad, height-8,
			esc(fmt.Sprintf("%d smaller groups not drawn (at most %d accounts are): the GraphML file holds them", left, maxDrawn)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// groupKinds is the co-shares of a group's links by object kind, most first.
func groupKinds(links []Link) string {
	by := map[leakwatch.ObjectKind]int{}
	for _, l := range links {
		for i, k := range l.Kinds {
			by[k] += l.ByKind[i]
		}
	}
	kinds := make([]leakwatch.ObjectKind, 0, len(by))
	for k := range by {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(x, y leakwatch.ObjectKind) int {
		return cmp.Or(cmp.Compare(by[y], by[x]), strings.Compare(string(x), string(y)))
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d", k, by[k])
	}
	return "co-shares: " + strings.Join(parts, ", ")
}

// linkTitle is a link's tooltip: the pair by label (a is l.A's, c l.B's), its co-shares and
// their kinds.
func linkTitle(a, c string, l Link) string {
	parts := make([]string, len(l.Kinds))
	for i, k := range l.Kinds {
		parts[i] = fmt.Sprintf("%s %d", k, l.ByKind[i])
	}
	return fmt.Sprintf("%s — %s: %d co-shares (%s)", a, c, l.Weight, strings.Join(parts, ", "))
}

// drawnGroups gathers the groups to draw, largest first (then by id), up to maxDrawn
// accounts, each laid out; left is how many groups were not drawn. A group larger than
// maxDrawn alone keeps its maxDrawn accounts most tied within it (co-shares with the others),
// and each group its heaviest links up to its share of maxLinks: a dense group of hundreds
// holds a hundred thousand pairs, more than a page can carry or a reader see.
func drawnGroups(net Network) (groups []drawnGroup, left int) {
	index := map[string]int{}
	for i, n := range net.Nodes {
		index[n.ID] = i
	}
	// The links within each group, and each account's co-shares within its group.
	inGroup := map[string][]Link{}
	tied := make([]int, len(net.Nodes))
	for _, l := range net.Links {
		a, c := index[l.A], index[l.B]
		if g := net.Nodes[a].Group; g != "" && g == net.Nodes[c].Group {
			inGroup[g] = append(inGroup[g], l)
			tied[a] += l.Weight
			tied[c] += l.Weight
		}
	}
	byGroup := map[string][]int{}
	for i, n := range net.Nodes {
		if n.Group != "" {
			byGroup[n.Group] = append(byGroup[n.Group], i)
		}
	}
	ids := make([]string, 0, len(byGroup))
	for id := range byGroup {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y string) int {
		return cmp.Or(cmp.Compare(len(byGroup[y]), len(byGroup[x])), strings.Compare(x, y))
	})
	drawn := 0
	for _, id := range ids {
		nodes := byGroup[id]
		if drawn+len(nodes) > maxDrawn && drawn > 0 {
			left++
			continue
		}
		g := drawnGroup{id: id, size: len(nodes), nodes: nodes}
		if len(nodes) > maxDrawn {
			g.nodes = slices.Clone(nodes)
			slices.SortStableFunc(g.nodes, func(x, y int) int { return cmp.Compare(tied[y], tied[x]) })
			g.nodes = g.nodes[:maxDrawn]
			slices.Sort(g.nodes) // back in id order, which the layout starts from
		}
		drawn += len(g.nodes)
		groups = append(groups, g)
	}
	for i := range groups {
		g := &groups[i]
		at := make(map[int]int, len(g.nodes)) // node index -> index in the group
		for j, ni := range g.nodes {
			at[ni] = j
		}
		links := inGroup[g.id]
		g.kinds = groupKinds(links)
		quota := max(3*len(g.nodes), maxLinks*len(g.nodes)/max(drawn, 1))
		var kept []Link
		for _, l := range links {
			_, okA := at[index[l.A]]
			_, okB := at[index[l.B]]
			if okA && okB {
				kept = append(kept, l)
			}
		}
		g.links = len(kept)
		if len(kept) > quota {
			slices.SortStableFunc(kept, func(x, y Link) int { return cmp.Compare(y.Weight, x.Weight) })
			kept = kept[:quota]
		}
		g.drawn = kept
		for _, l := range kept {
			g.pairs = append(g.pairs, [2]int{at[index[l.A]], at[index[l.B]]})
		}
		g.x, g.y = layout(len(g.nodes), g.pairs)
	}
	return groups, left
}

// layout places n nodes joined by links in the unit square (Fruchterman and Reingold, 1991:
// every pair repels, linked nodes attract, moves shrink with a falling temperature). It starts
// from a circle in the nodes' order and uses no randomness, so a report is the same each
// time it is made from the same detections. The result is scaled to fill the square.
func layout(n int, links [][2]int) (x, y []float64) {
	x, y = make([]float64, n), make([]float64, n)
	if n == 1 {
		x[0], y[0] = 0.5, 0.5
		return x, y
	}
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		x[i], y[i] = 0.5+0.4*math.Cos(a), 0.5+0.4*math.Sin(a)
	}
	k := math.Sqrt(1 / float64(n)) // the ideal distance between nodes in the unit square
	dx, dy := make([]float64, n), make([]float64, n)
	const rounds = 200
	for r := range rounds {
		clear(dx)
		clear(dy)
		for i := range n {
			for j := i + 1; j < n; j++ {
				ex, ey := x[i]-x[j], y[i]-y[j]
				d2 := math.Max(ex*ex+ey*ey, 1e-9)
				f := k * k / d2 // repulsion k²/d, over d to scale the vector
				dx[i] += ex * f
				dy[i] += ey * f
				dx[j] -= ex * f
				dy[j] -= ey * f
			}
		}
		for _, l := range links {
			i, j := l[0], l[1]
			ex, ey := x[i]-x[j], y[i]-y[j]
			d := math.Max(math.Sqrt(ex*ex+ey*ey), 1e-9)
			f := d / k // attraction d²/k, over d
			dx[i] -= ex * f
			dy[i] -= ey * f
			dx[j] += ex * f
			dy[j] += ey * f
		}
		temp := 0.1 * (1 - float64(r)/rounds)
		for i := range n {
			d := math.Sqrt(dx[i]*dx[i] + dy[i]*dy[i])
			if d > 0 {
				step := math.Min(d, temp) / d
				x[i] += dx[i] * step
				y[i] += dy[i] * step
			}
		}
	}
	// Fill the square, keeping the shape's proportions.
	minX, maxX, minY, maxY := slices.Min(x), slices.Max(x), slices.Min(y), slices.Max(y)
	span := math.Max(maxX-minX, maxY-minY)
	if span <= 0 {
		span = 1
	}
	for i := range n {
		x[i] = (x[i]-minX)/span + (1-(maxX-minX)/span)/2
		y[i] = (y[i]-minY)/span + (1-(maxY-minY)/span)/2
	}
	return x, y
}

// fit cuts s to what the chart's font draws within width, ending it with "…" when cut: a
// box's heading must not run into the next box.
func fit(s string, width float64) string {
	if textW(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && textW(string(r))+textW("…") > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
