package report

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Network is the coordination network of a set of detections, for the tools researchers
// study networks with (Gephi, Cytoscape, networkx, igraph): the accounts of the co-share
// edges, and one link per account pair with its kinds' co-shares summed. An edge record is
// one pair and one object kind; the question a network answers is which accounts were tied
// and how strongly, whatever they shared, and the kinds stay on the link to filter by.
type Network struct {
	Nodes []Node // by account id
	Links []Link // by A, then B; A < B
}

// Node is an account of the network.
type Node struct {
	ID     string
	Handle string // "" when the detections do not know it
	// Group is the largest coordinated group holding the account, GroupSize its accounts:
	// "" and 0 for an account whose edges joined no group (a star without a triangle, or a
	// pair alone; docs/DETECTION.md, "Groups").
	Group      string
	GroupSize  int
	FirstMover bool // among its group's first movers
}

// Label is what a node is shown as: its handle, or its id when no handle is known.
func (n Node) Label() string {
	if n.Handle != "" {
		return n.Handle
	}
	return n.ID
}

// Link is an account pair's co-share edges, every kind together.
type Link struct {
	A, B   string
	Weight int                    // co-shares of every kind
	Kinds  []leakwatch.ObjectKind // in leakwatch.ShareKinds' order
	ByKind []int                  // co-shares of each of Kinds
	First  time.Time
	Last   time.Time
	Score  float64 // the highest of its edges' scores
}

// BuildNetwork collects the network of sigs' edge and group records: superseded versions
// must already be gone, as in a detections file or the warehouse's latest records.
func BuildNetwork(sigs []leakwatch.Signal) Network {
	nodes := map[string]*Node{}
	node := func(id, handle string) *Node {
		n := nodes[id]
		if n == nil {
			n = &Node{ID: id}
			nodes[id] = n
		}
		if n.Handle == "" && handle != id {
			n.Handle = handle
		}
		return n
	}
	type pair struct{ a, b string }
	links := map[pair]*Link{}
	var groups []*leakwatch.Group
	for _, s := range sigs {
		switch {
		case s.Kind == leakwatch.SignalEdge && s.Edge != nil:
			e := s.Edge
			a, b, ah, bh := e.A, e.B, e.AHandle, e.BHandle
			if b < a {
				a, b, ah, bh = b, a, bh, ah
			}
			if a == b {
				continue
			}
			node(a, ah)
			node(b, bh)
			l := links[pair{a, b}]
			if l == nil {
				l = &Link{A: a, B: b, First: e.First, Last: e.Last}
				links[pair{a, b}] = l
			}
			l.Weight += e.Weight
			if i := slices.Index(l.Kinds, e.ObjectKind); i >= 0 {
				l.ByKind[i] += e.Weight
			} else {
				l.Kinds = append(l.Kinds, e.ObjectKind)
				l.ByKind = append(l.ByKind, e.Weight)
			}
			if e.First.Before(l.First) {
				l.First = e.First
			}
			if e.Last.After(l.Last) {
				l.Last = e.Last
			}
			l.Score = max(l.Score, e.Score)
		case s.Kind == leakwatch.SignalGroup && s.Group != nil:
			groups = append(groups, s.Group)
		}
	}
	// The largest group first, so an account is shown in the largest holding it.
	slices.SortStableFunc(groups, func(x, y *leakwatch.Group) int {
		return cmp.Or(cmp.Compare(len(y.Accounts), len(x.Accounts)), cmp.Compare(x.ID, y.ID))
	})
	for _, g := range groups {
		for i, id := range g.Accounts {
			n := node(id, at(g.AccountHandles, i))
			if n.Group == "" {
				n.Group, n.GroupSize = g.ID, len(g.Accounts)
			}
		}
		for i, id := range g.FirstMovers {
			n := node(id, at(g.FirstMoverHandles, i))
			n.FirstMover = n.FirstMover || n.Group == g.ID
		}
	}
	var net Network
	for _, n := range nodes {
		net.Nodes = append(net.Nodes, *n)
	}
	slices.SortFunc(net.Nodes, func(x, y Node) int { return strings.Compare(x.ID, y.ID) })
	for _, l := range links {
		sortKinds(l)
		net.Links = append(net.Links, *l)
	}
	slices.SortFunc(net.Links, func(x, y Link) int { return cmp.Or(strings.Compare(x.A, y.A), strings.Compare(x.B, y.B)) })
	return net
}

// at is list[i], or "" past its end (handles are absent when none is known).
func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

// sortKinds puts a link's kinds in leakwatch.ShareKinds' order, whatever order the edge
// records came in.
func sortKinds(l *Link) {
	rank := func(k leakwatch.ObjectKind) int {
		if i := slices.Index(leakwatch.ShareKinds, k); i >= 0 {
			return i
		}
		return len(leakwatch.ShareKinds)
	}
	idx := make([]int, len(l.Kinds))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(x, y int) int {
		return cmp.Or(cmp.Compare(rank(l.Kinds[x]), rank(l.Kinds[y])), strings.Compare(string(l.Kinds[x]), string(l.Kinds[y])))
	})
	kinds, by := make([]leakwatch.ObjectKind, len(idx)), make([]int, len(idx))
	for i, j := range idx {
		kinds[i], by[i] = l.Kinds[j], l.ByKind[j]
	}
	l.Kinds, l.ByKind = kinds, by
}

// WriteGraphML writes the network as GraphML (http://graphml.graphdrawing.org), undirected.
// Nodes carry label (handle, else id), handle, group, group_size and first_mover; links
// carry weight (co-shares of every kind, the attribute Gephi and networkx take as the
// weight), kinds, one co_KIND count for each share kind, first and last (RFC 3339, UTC) and
// score. Node ids are the account ids, as in the detections.
func WriteGraphML(w io.Writer, net Network) error {
	bw := bufio.NewWriter(w)
	x := func(s string) string {
		var b strings.Builder
		xml.EscapeText(&b, []byte(s)) // never fails on a strings.Builder
		return b.String()
	}
	fmt.Fprint(bw, `<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
  <key id="label" for="node" attr.name="label" attr.type="string"/>
  <key id="handle" for="node" attr.name="handle" attr.type="string"/>
  <key id="group" for="node" attr.name="group" attr.type="string"/>
  <key id="group_size" for="node" attr.name="group_size" attr.type="int"><default>0</default></key>
  <key id="first_mover" for="node" attr.name="first_mover" attr.type="boolean"><default>false</default></key>
  <key id="weight" for="edge" attr.name="weight" attr.type="int"/>
  <key id="kinds" for="edge" attr.name="kinds" attr.type="string"/>
`)
	for _, k := range leakwatch.ShareKinds {
		fmt.Fprintf(bw, "  <key id=\"co_%s\" for=\"edge\" attr.name=\"co_%s\" attr.type=\"int\"><default>0</default></key>\n", k, k)
	}
	fmt.Fprint(bw, `  <key id="first" for="edge" attr.name="first" attr.type="string"/>
  <key id="last" for="edge" attr.name="last" attr.type="string"/>
  <key id="score" for="edge" attr.name="score" attr.type="double"/>
  <graph id="coordination" edgedefault="undirected">
`)
	for _, n := range net.Nodes {
		fmt.Fprintf(bw, "    <node id=\"%s\"><data key=\"label\">%s</data>", x(n.ID), x(n.Label()))
		if n.Handle != "" {
			fmt.Fprintf(bw, "<data key=\"handle\">%s</data>", x(n.Handle))
		}
		if n.Group != "" {
			fmt.Fprintf(bw, "<data key=\"group\">%s</data><data key=\"group_size\">%d</data>", x(n.Group), n.GroupSize)
		}
		if n.FirstMover {
			fmt.Fprint(bw, "<data key=\"first_mover\">true</data>")
		}
		fmt.Fprint(bw, "</node>\n")
	}
	for i, l := range net.Links {
		names := make([]string, len(l.Kinds))
		for j, k := range l.Kinds {
			names[j] = string(k)
		}
		fmt.Fprintf(bw, "    <edge id=\"e%d\" source=\"%s\" target=\"%s\"><data key=\"weight\">%d</data><data key=\"kinds\">%s</data>",
			i, x(l.A), x(l.B), l.Weight, x(strings.Join(names, " ")))
		for j, k := range l.Kinds {
			if slices.Contains(leakwatch.ShareKinds, k) {
				fmt.Fprintf(bw, "<data key=\"co_%s\">%d</data>", k, l.ByKind[j])
			}
		}
		fmt.Fprintf(bw, "<data key=\"first\">%s</data><data key=\"last\">%s</data><data key=\"score\">%g</data></edge>\n",
			l.First.UTC().Format(time.RFC3339), l.Last.UTC().Format(time.RFC3339), l.Score)
	}
	fmt.Fprint(bw, "  </graph>\n</graphml>\n")
	return bw.Flush()
}
