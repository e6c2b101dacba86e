package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

// graphML is what a GraphML reader sees of a file: keys, nodes and edges with their data.
type graphML struct {
	Keys []struct {
		ID   string `xml:"id,attr"`
		For  string `xml:"for,attr"`
		Name string `xml:"attr.name,attr"`
		Type string `xml:"attr.type,attr"`
	} `xml:"key"`
	Graph struct {
		EdgeDefault string `xml:"edgedefault,attr"`
		Nodes       []struct {
			ID   string   `xml:"id,attr"`
			Data []gmData `xml:"data"`
		} `xml:"node"`
		Edges []struct {
			Source string   `xml:"source,attr"`
			Target string   `xml:"target,attr"`
			Data   []gmData `xml:"data"`
		} `xml:"edge"`
	} `xml:"graph"`
}

type gmData struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

func data(ds []gmData) map[string]string {
	m := map[string]string{}
	for _, d := range ds {
		m[d.Key] = d.Value
	}
	return m
}

func parseGraphML(t *testing.T, b []byte) (g graphML, nodes, edges map[string]map[string]string) {
	t.Helper()
	if err := xml.Unmarshal(b, &g); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	nodes, edges = map[string]map[string]string{}, map[string]map[string]string{}
	for _, n := range g.Graph.Nodes {
		nodes[n.ID] = data(n.Data)
	}
	for _, e := range g.Graph.Edges {
		edges[e.Source+"|"+e.Target] = data(e.Data)
	}
	return g, nodes, edges
}

func TestNetworkGraphML(t *testing.T) {
	t0 := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	edge := func(k leakwatch.ObjectKind, a, b, ah, bh string, w int, first, last time.Duration, score float64) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: k, A: a, B: b, AHandle: ah, BHandle: bh,
			Weight: w, First: t0.Add(first), Last: t0.Add(last), Score: score}}
	}
	odd := `9<&"'>` // an id XML must escape
	sigs := []leakwatch.Signal{
		edge(leakwatch.KindURL, "1", "2", "alice", "bob", 2, 5*time.Minute, 9*time.Minute, 4),
		edge(leakwatch.KindHashtag, "2", "1", "bob", "alice", 3, 0, 7*time.Minute, 2.5), // the pair the other way round
		edge(leakwatch.KindReshareOf, "2", "3", "bob", "", 5, time.Minute, 2*time.Minute, 3),
		edge(leakwatch.KindURL, "4", odd, "dave", "", 2, time.Hour, 2*time.Hour, 1.5), // a pair alone: no group
		{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-small", Accounts: []string{"3", "1"}, FirstMovers: []string{"3"}}},
		{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-big", Accounts: []string{"1", "2", "3"},
			AccountHandles: []string{"alice", "bob", ""}, FirstMovers: []string{"1"}, FirstMoverHandles: []string{"alice"}}},
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:x"}},
	}
	net := BuildNetwork(sigs)
	var buf bytes.Buffer
	if err := WriteGraphML(&buf, net); err != nil {
		t.Fatal(err)
	}
	g, nodes, edges := parseGraphML(t, buf.Bytes())
	if g.Graph.EdgeDefault != "undirected" {
		t.Errorf("edgedefault %q, want undirected", g.Graph.EdgeDefault)
	}
	if len(nodes) != 5 || len(edges) != 3 {
		t.Fatalf("%d nodes and %d edges, want 5 and 3 (one per account pair):\n%s", len(nodes), len(edges), buf.Bytes())
	}
	wantNodes := map[string]map[string]string{
		"1": {"label": "alice", "handle": "alice", "group": "g-big", "group_size": "3", "first_mover": "true"},
		"2": {"label": "bob", "handle": "bob", "group": "g-big", "group_size": "3"},
		"3": {"label": "3", "group": "g-big", "group_size": "3"}, // first mover of the smaller group only
		"4": {"label": "dave", "handle": "dave"},
		odd: {"label": odd},
	}
	for id, want := range wantNodes {
		if got := nodes[id]; !equalMaps(got, want) {
			t.Errorf("node %q: %v, want %v", id, got, want)
		}
	}
	wantEdges := map[string]map[string]string{
		"1|2":      {"weight": "5", "kinds": "url hashtag", "co_url": "2", "co_hashtag": "3", "first": "2017-05-05T18:35:00Z", "last": "2017-05-05T18:44:00Z", "score": "4"},
		"2|3":      {"weight": "5", "kinds": "reshare_of", "co_reshare_of": "5", "first": "2017-05-05T18:36:00Z", "last": "2017-05-05T18:37:00Z", "score": "3"},
		"4|" + odd: {"weight": "2", "kinds": "url", "co_url": "2", "first": "2017-05-05T19:35:00Z", "last": "2017-05-05T20:35:00Z", "score": "1.5"},
	}
	for pair, want := range wantEdges {
		if got := edges[pair]; !equalMaps(got, want) {
			t.Errorf("edge %s: %v, want %v", pair, got, want)
		}
	}
	// Every data key used is declared, for its element, so readers type the values.
	declared := map[string]string{}
	for _, k := range g.Keys {
		if k.ID != k.Name {
			t.Errorf("key %q is named %q: readers show the name", k.ID, k.Name)
		}
		declared[k.ID] = k.For
	}
	for _, n := range nodes {
		for k := range n {
			if declared[k] != "node" {
				t.Errorf("node data %q is not declared for nodes", k)
			}
		}
	}
	for _, e := range edges {
		for k := range e {
			if declared[k] != "edge" {
				t.Errorf("edge data %q is not declared for edges", k)
			}
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func TestEmptyNetworkIsAGraph(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteGraphML(&buf, BuildNetwork(nil)); err != nil {
		t.Fatal(err)
	}
	g, nodes, edges := parseGraphML(t, buf.Bytes())
	if len(nodes)+len(edges) != 0 || g.Graph.EdgeDefault != "undirected" {
		t.Errorf("no detections: %d nodes, %d edges, edgedefault %q", len(nodes), len(edges), g.Graph.EdgeDefault)
	}
}

// The picture draws each grouped account once, inside the picture, first movers ringed and
// named, and nobody outside a group; made twice from the same detections it is the same.
func TestNetworkSVG(t *testing.T) {
	t0 := time.Date(2016, 7, 21, 10, 0, 0, 0, time.UTC)
	var sigs []leakwatch.Signal
	clique := func(id string, ids []string, mover string) {
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				sigs = append(sigs, leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{
					ObjectKind: leakwatch.KindHashtag, A: a, B: b, Weight: 2 + i, First: t0, Last: t0.Add(time.Hour)}})
			}
		}
		sigs = append(sigs, leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: id, Accounts: ids, FirstMovers: []string{mover}}})
	}
	var big []string
	for i := range 30 {
		big = append(big, fmt.Sprintf("m%02d", i))
	}
	clique("g-big", big, "m07")
	clique("g-small", []string{"x1", "x2", "x3"}, "x2")
	sigs = append(sigs, leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: leakwatch.KindURL, A: "lone1", B: "lone2", Weight: 2, First: t0, Last: t0}})

	svg := NetworkSVG(BuildNetwork(sigs), 1100)
	if again := NetworkSVG(BuildNetwork(sigs), 1100); again != svg {
		t.Error("two pictures of the same detections differ")
	}
	var pic struct {
		ViewBox string `xml:"viewBox,attr"`
		Circles []struct {
			CX    float64 `xml:"cx,attr"`
			CY    float64 `xml:"cy,attr"`
			Title string  `xml:"title"`
		} `xml:"g>circle"`
		Texts []string `xml:"g>text"`
	}
	if err := xml.Unmarshal([]byte(svg), &pic); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	var w, h float64
	fmt.Sscanf(pic.ViewBox, "0 0 %g %g", &w, &h)
	if len(pic.Circles) != 33 {
		t.Errorf("%d dots, want the 33 grouped accounts", len(pic.Circles))
	}
	drawn := map[string]bool{}
	for _, c := range pic.Circles {
		if !(c.CX > 0 && c.CX < w && c.CY > 0 && c.CY < h) {
			t.Errorf("dot %q at (%g, %g), outside the %gx%g picture", c.Title, c.CX, c.CY, w, h)
		}
		drawn[strings.TrimSuffix(c.Title, ", first mover")] = true
	}
	if drawn["lone1"] || drawn["lone2"] || !drawn["m29"] || !drawn["x3"] {
		t.Errorf("drawn %v: want every group member and neither lone account", drawn)
	}
	for _, mover := range []string{"m07", "x2"} {
		if !strings.Contains(svg, "<title>"+mover+", first mover</title>") || !slices.Contains(pic.Texts, mover) {
			t.Errorf("first mover %s is not ringed and named", mover)
		}
	}
	if !strings.Contains(svg, "30 accounts · g-big") || !strings.Contains(svg, "3 accounts · g-small") {
		t.Error("a group's box does not say its size and id")
	}
	if empty := NetworkSVG(BuildNetwork(sigs[len(sigs)-1:]), 1100); !strings.Contains(empty, "no coordinated group") {
		t.Errorf("edges without a group: %s", empty)
	}
}

// Past maxDrawn accounts, the smallest groups are left out and the picture says so.
func TestNetworkSVGLeavesOutSmallGroupsPastTheCap(t *testing.T) {
	var net Network
	for g := range 5 {
		size := maxDrawn / 2
		if g >= 2 {
			size = 4
		}
		for i := range size {
			net.Nodes = append(net.Nodes, Node{ID: fmt.Sprintf("g%d-%04d", g, i), Group: fmt.Sprintf("g-%d", g), GroupSize: size})
		}
	}
	svg := NetworkSVG(net, 1100)
	if n := strings.Count(svg, "<circle"); n != maxDrawn {
		t.Errorf("%d dots, want %d", n, maxDrawn)
	}
	if !strings.Contains(svg, "3 smaller groups not drawn") {
		t.Error("the picture does not say groups were left out")
	}
}

// A group of 700 accounts all tied to each other (244,650 pairs) is drawn as its 600 most
// tied accounts and its heaviest links, and its box says so.
func TestNetworkSVGDrawsAHugeGroupInPart(t *testing.T) {
	const n = 700
	net := Network{}
	for i := range n {
		net.Nodes = append(net.Nodes, Node{ID: fmt.Sprintf("a%03d", i), Group: "g-huge", GroupSize: n})
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			w := 2
			if i < 10 && j < 10 {
				w = 50 // the core: the heaviest links, kept
			}
			net.Links = append(net.Links, Link{A: net.Nodes[i].ID, B: net.Nodes[j].ID, Weight: w,
				Kinds: []leakwatch.ObjectKind{leakwatch.KindURL}, ByKind: []int{w}})
		}
	}
	svg := NetworkSVG(net, 1100)
	if got := strings.Count(svg, "<circle"); got != maxDrawn {
		t.Errorf("%d dots, want %d", got, maxDrawn)
	}
	if got := strings.Count(svg, "<line"); got > maxLinks || got < maxLinks/2 {
		t.Errorf("%d lines, want at most %d and most of them", got, maxLinks)
	}
	if !strings.Contains(svg, "<title>a000 — a001: 50 co-shares (url 50)</title>") {
		t.Error("the heaviest link is not drawn")
	}
	if !strings.Contains(svg, "700 accounts, 600 most tied drawn · g-huge") || !strings.Contains(svg, "links drawn; co-shares: url ") {
		t.Error("the box does not say what was left out")
	}
	if len(svg) > 4<<20 {
		t.Errorf("the picture takes %d bytes", len(svg))
	}
}
