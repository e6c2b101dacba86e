package coord

import (
	"encoding/hex"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/smallmap"
	"github.com/leakwatch/leakwatch/internal/strhash"
)

// Edges is the cross-object half of co-share detection (the correlate stage): it aggregates
// Observations into edges (weight = distinct objects co-shared, per kind), and coordinated
// edges that pass the popularity test into groups (connected components, kept with a
// union-find as edges qualify; edges never lose weight, so groups only grow and merge).
//
// Whatever order observations of one edge arrive in, and however often one is repeated, the
// result is the same: per (edge, object) only the earliest co-share counts.
// Not safe for concurrent use.
type Edges struct {
	cfg Config
	// seed keys an edge's objects by a hash no one outside this process can predict:
	// objects are told apart by their hash alone, and with a fixed seed a bot network
	// could post URLs made to collide, which counted as one object, and no edge formed.
	seed   uint64
	pairs  map[[2]string]*pair // every edge, under its pair: one lookup finds both
	nEdges int
	// dirty: coordinated edges changed since Changed last ran, each once (edge.dirty). A
	// slice, not a set: a Go map cleared keeps its size, and iterating one that had once been
	// large was a hundredth of a batch analysis.
	dirty []*edge
	// the pair the last observation was of
	last    *pair
	lastKey [2]string
	tags    *tags // names the labels of the objects groups co-share (Tag)

	// groups: union-find over accounts joined by qualified edges
	ids        map[string]int
	names      []string
	parent     []int
	comp       map[int]*component // by root
	dirtyRoots []int              // components changed since Changed, by a root they had then (repeats too)
	// prior: group ids published by an earlier run of the stage (see Published), not yet
	// found in a component
	prior map[string]bool

	// candidates: edges below M, least recently co-shared first, for Config.MaxCandidateEdges
	cands     candidates
	forgotten int64

	// named: an observation carried a handle, so groups may name their first movers by them
	named bool

	// rules: each kind's M and evidence factor, looked up once an edge rather than in the
	// configuration's map at every observation
	rules map[leakwatch.ObjectKind]*kindRule
}

// kindRule is what the configuration says of one kind.
type kindRule struct {
	minWeight int
	evidence  float64
}

func (e *Edges) rule(k leakwatch.ObjectKind) *kindRule {
	r := e.rules[k]
	if r == nil {
		r = &kindRule{minWeight: e.cfg.MinWeightFor(k), evidence: e.cfg.EvidenceFor(k)}
		e.rules[k] = r
	}
	return r
}

// candidates is an intrusive list of edges below M.
type candidates struct {
	head, tail *edge
	n          int
}

func (l *candidates) remove(ed *edge) {
	if ed.prev != nil {
		ed.prev.next = ed.next
	} else {
		l.head = ed.next
	}
	if ed.next != nil {
		ed.next.prev = ed.prev
	} else {
		l.tail = ed.prev
	}
	ed.prev, ed.next, ed.listed = nil, nil, false
	l.n--
}

func (l *candidates) pushBack(ed *edge) {
	ed.prev, ed.next, ed.listed = l.tail, nil, true
	if l.tail != nil {
		l.tail.next = ed
	} else {
		l.head = ed
	}
	l.tail = ed
	l.n++
}

type edgeKey struct {
	kind leakwatch.ObjectKind
	a, b string
}

type objInfo struct {
	at      int64 // the later share (when the co-share became observable)
	first   int64 // the earlier share
	contrib float64
	key     string
	// what both posts said of a leak (Observation.Evidence), rarely anything: a pointer, as
	// every candidate edge holds one objInfo (BenchmarkCandidateEdges)
	evidence *[]string
	aFirst   bool // A shared before B
}

// leakValue is one leak evidence value on an edge: when its co-shares first and last
// carried it.
type leakValue struct {
	value       string
	first, last int64
}

type edge struct {
	k       edgeKey
	rule    *kindRule
	one     uint64 // the only object while weight is 1 (saves a map per pair)
	oneInfo objInfo
	objs    *smallmap.Map[objInfo] // every object, once there are two
	weight  int
	score   float64
	ia      int // the id of account a, once qualified: its group is found from it often
	pair    *pair
	// first and last over its objects, kept as objects come; recomputed (stale) only when an
	// out-of-order observation replaced one.
	first, last int64
	// formed is when the edge became coordinated, once its weight is at least M: the later
	// share of its M-th distinct object in time order (see formedAt).
	formed int64
	// leak evidence over its objects, each value once, made at the first; recomputed with
	// first and last
	evidence *[]leakValue
	// place in Edges.cands while below M
	prev, next *edge
	// flags together, so that padding does not take a word each: every account pair that
	// ever co-shared holds an edge
	qualified bool // in the group graph
	dirty     bool // in Edges.dirty
	stale     bool
	listed    bool // in Edges.cands
}

// pair is the evidence between two accounts over all kinds: the same links, the same texts,
// the same images add up.
type pair struct {
	score     float64
	edges     []*edge // one per kind
	qualified bool
	// the accounts' handles (Observation.AHandle, BHandle) from their earliest share seen,
	// for naming first movers: the earliest, whatever order observations come in
	aHandle, bHandle string
	aAt, bAt         int64
}

// takeHandle takes handle h of one account of the pair, shared at at, if it is earlier than the
// one it holds (or, at the same time, sorts first).
func takeHandle(cur *string, curAt *int64, h string, at int64) {
	if h != "" && (*cur == "" || at < *curAt || at == *curAt && h < *cur) {
		*cur, *curAt = h, at
	}
}

// component is one group: its members and edges, and its evidence kept up to date as
// objects arrive (recomputed from the edges only when stale: an out-of-order observation
// replaced one already counted).
type component struct {
	members  []int
	accounts []string // members' names, sorted, when len(accounts) == len(members)
	edges    []*edge
	emitted  map[string]bool // group ids published for this component or its parts

	objects     tally // object -> qualified edges that co-shared it
	lead        tally // account -> objects it shared before its partner
	kinds       map[leakwatch.ObjectKind]int
	first, last int64
	formed      int64 // the earliest formed of its edges: when it became coordinated
	score       float64
	firstEdge   *edge               // earliest edge: names the group
	closed      bool                // holds a triangle (Config.Triangle), known once found
	leaks       tally               // leak value -> the account pairs whose edges carry it
	leakSpans   map[string][2]int64 // leak value -> its first and last co-share, made at the first
	labels      tally               // label of its objects (Edges.Tag) -> the account pairs that co-shared one
	// counted holds the (pair, value) already counted in leaks and labels: one retweet
	// makes a pair an edge on each kind the post holds (its hashtag, the reshare, the link),
	// and each would count again.
	counted map[pairValue]struct{}
	tags    *tags
	stale   bool
}

// Tagger names the labels an object carries: the campaign candidates a hashtag or a link
// names. A group lists the labels of the objects its edges co-shared (Group.Candidates).
type Tagger func(object string) []string

// tags is a Tagger with its answers kept: an object is counted on every edge that
// co-shared it, and again whenever its group is rebuilt.
type tags struct {
	f     Tagger
	cache map[string][]string
}

func (t *tags) of(object string) []string {
	if t == nil {
		return nil
	}
	l, ok := t.cache[object]
	if !ok {
		l = t.f(object)
		t.cache[object] = l
	}
	return l
}

func newComponent(root int) *component {
	return &component{
		members: []int{root}, emitted: map[string]bool{}, objects: newTally(TopObjects), lead: newTally(MaxFirstMovers), leaks: newTally(MaxGroupEvidence), labels: newTally(MaxGroupLabels),
		kinds: map[leakwatch.ObjectKind]int{}, first: math.MaxInt64, last: math.MinInt64, formed: math.MaxInt64,
	}
}

// pairValue is a leak value or label (kind 'l' or 'c') carried by an account pair's edges.
type pairValue struct {
	a, b, v string
	kind    byte
}

// firstOfPair reports whether v (of kind) is new for ed's account pair, and notes it.
func (c *component) firstOfPair(ed *edge, kind byte, v string) bool {
	k := pairValue{a: ed.k.a, b: ed.k.b, v: v, kind: kind}
	if _, ok := c.counted[k]; ok {
		return false
	}
	if c.counted == nil {
		c.counted = map[pairValue]struct{}{}
	}
	c.counted[k] = struct{}{}
	return true
}

func (c *component) addObject(ed *edge, v objInfo) {
	// Near-duplicate bands are counted in the score but not listed as evidence: nine
	// unreadable band keys per text would crowd out the objects an analyst can open.
	if ed.k.kind != leakwatch.KindNearText {
		c.objects.inc(v.key)
		for _, l := range c.tags.of(v.key) {
			if c.firstOfPair(ed, 'c', l) {
				c.labels.inc(l)
			}
		}
	}
	if v.aFirst {
		c.lead.inc(ed.k.a)
	} else if v.first != v.at {
		c.lead.inc(ed.k.b)
	}
	c.first, c.last = min(c.first, v.first), max(c.last, v.at)
}

// noteEdge keeps firstEdge the earliest edge (by first time, then key).
func (c *component) noteEdge(ed *edge) {
	if c.firstEdge == nil || ed.first < c.firstEdge.first || (ed.first == c.firstEdge.first && edgeLess(ed.k, c.firstEdge.k)) {
		c.firstEdge = ed
	}
}

func (c *component) addEdge(ed *edge) {
	c.edges = append(c.edges, ed)
	c.formed = min(c.formed, ed.formed)
	c.kinds[ed.k.kind]++
	c.score += ed.score
	ed.each(func(v objInfo) { c.addObject(ed, v) })
	if ed.evidence != nil {
		for _, lv := range *ed.evidence {
			c.addLeak(lv.value, c.firstOfPair(ed, 'l', lv.value), lv.first, lv.last)
		}
	}
	if ed.stale {
		c.stale = true
		return
	}
	c.noteEdge(ed)
}

// absorb merges o into c.
func (c *component) absorb(o *component) {
	c.closed = c.closed || o.closed
	c.members = append(c.members, o.members...)
	c.edges = append(c.edges, o.edges...)
	for id := range o.emitted {
		c.emitted[id] = true
	}
	c.objects.add(&o.objects)
	c.labels.add(&o.labels)
	c.lead.add(&o.lead)
	for k, n := range o.kinds {
		c.kinds[k] += n
	}
	c.first, c.last = min(c.first, o.first), max(c.last, o.last)
	c.formed = min(c.formed, o.formed)
	c.score += o.score
	c.leaks.add(&o.leaks) // a pair's edges are all in one component: the counts add up
	if len(o.counted) > 0 {
		if c.counted == nil {
			c.counted = map[pairValue]struct{}{}
		}
		maps.Copy(c.counted, o.counted)
	}
	for v, sp := range o.leakSpans {
		c.addLeak(v, false, sp[0], sp[1])
	}
	c.stale = c.stale || o.stale
	if o.firstEdge != nil {
		c.noteEdge(o.firstEdge)
	}
}

// addLeak notes leak value v carried from first to last, by one more account pair when
// newPair.
func (c *component) addLeak(v string, newPair bool, first, last int64) {
	if newPair {
		c.leaks.inc(v)
	}
	if c.leakSpans == nil {
		c.leakSpans = map[string][2]int64{}
	}
	sp, ok := c.leakSpans[v]
	if !ok {
		sp = [2]int64{first, last}
	}
	c.leakSpans[v] = [2]int64{min(sp[0], first), max(sp[1], last)}
}

// leakSince notes that edge ed's co-share v carries the values of v.evidence; the group of a
// qualified edge is c (else nil). An edge counts a value once, carried from the earlier
// share of its first co-share to the later share of its last, as the edge's own span is.
func (ed *edge) leakSince(v objInfo, c *component) {
	if v.evidence == nil {
		return
	}
	if ed.evidence == nil {
		ed.evidence = new([]leakValue)
	}
	for _, x := range *v.evidence {
		i := slices.IndexFunc(*ed.evidence, func(lv leakValue) bool { return lv.value == x })
		if i < 0 {
			*ed.evidence = append(*ed.evidence, leakValue{x, v.first, v.at})
			if c != nil {
				c.addLeak(x, c.firstOfPair(ed, 'l', x), v.first, v.at)
			}
			continue
		}
		lv := &(*ed.evidence)[i]
		if v.first < lv.first || v.at > lv.last {
			lv.first, lv.last = min(lv.first, v.first), max(lv.last, v.at)
			if c != nil {
				c.addLeak(x, false, lv.first, lv.last)
			}
		}
	}
}

// rebuild recomputes the evidence from the edges.
func (c *component) rebuild() {
	edges := c.edges
	c.edges, c.objects, c.lead, c.kinds = nil, newTally(TopObjects), newTally(MaxFirstMovers), map[leakwatch.ObjectKind]int{}
	c.first, c.last, c.formed, c.score, c.firstEdge, c.stale = math.MaxInt64, math.MinInt64, math.MaxInt64, 0, nil, false
	c.leaks, c.leakSpans, c.labels, c.counted = newTally(MaxGroupEvidence), nil, newTally(MaxGroupLabels), nil
	for _, ed := range edges {
		ed.span()
		c.addEdge(ed)
	}
}

// NewEdges returns an empty aggregator. cfg must be valid.
func NewEdges(cfg Config) *Edges {
	return &Edges{
		cfg: cfg, seed: rand.Uint64(), pairs: map[[2]string]*pair{},
		ids: map[string]int{}, comp: map[int]*component{},
		rules: map[leakwatch.ObjectKind]*kindRule{},
	}
}

// Contribution is what one co-shared object adds to an edge's score when n distinct accounts
// shared it within the window: min(1, 2/log2(n)): 1 up to 4 sharers, then falling slowly
// with popularity (0.5 at 16, 0.2 at 1024).
func Contribution(n int) float64 {
	if n <= 4 {
		return 1
	}
	return 2 / math.Log2(float64(n))
}

// Add counts one observation.
func (e *Edges) Add(o Observation) {
	pk := [2]string{o.A, o.B}
	p := e.last
	if p == nil || e.lastKey != pk {
		// Observations come in share-time order, so the nine bands of two near-identical
		// posts, and the objects of one post, follow each other with the same pair: the
		// pair found last is tried first.
		if p = e.pairs[pk]; p == nil {
			p = &pair{}
			e.pairs[pk] = p
		}
		e.last, e.lastKey = p, pk
	}
	var ed *edge
	for _, pe := range p.edges {
		if pe.k.kind == o.Kind {
			ed = pe
			break
		}
	}
	if ed == nil {
		ed = &edge{k: edgeKey{o.Kind, o.A, o.B}, rule: e.rule(o.Kind), pair: p}
		p.edges = append(p.edges, ed)
		e.nEdges++
	}
	aAt, bAt := o.AAt.UnixNano(), o.BAt.UnixNano()
	if o.AHandle != "" || o.BHandle != "" {
		e.named = true
		takeHandle(&p.aHandle, &p.aAt, o.AHandle, aAt)
		takeHandle(&p.bHandle, &p.bAt, o.BHandle, bAt)
	}
	info := objInfo{at: max(aAt, bAt), first: min(aAt, bAt), aFirst: aAt < bAt, contrib: Contribution(o.Sharers) * ed.rule.evidence, key: o.Object}
	if len(o.Evidence) > 0 {
		ev := o.Evidence
		info.evidence = &ev
	}
	h := strhash.String(e.seed, o.Object)
	old, seen := ed.get(h)
	switch {
	case !seen:
		ed.add(h, info)
		if ed.weight == 0 {
			ed.first, ed.last = info.first, info.at
		}
		ed.weight++
		ed.score += info.contrib
		ed.pair.score += info.contrib
		ed.first, ed.last = min(ed.first, info.first), max(ed.last, info.at)
		if m := ed.rule.minWeight; ed.weight == m || (ed.weight > m && info.at < ed.formed) {
			// Reached M, or an object came out of time order before the M-th: shares mostly
			// come in time order, so later objects leave formed as it is.
			ed.formed = ed.formedAt()
		}
		var c *component
		if ed.qualified {
			c = e.comp[e.find(ed.ia)]
			c.formed = min(c.formed, ed.formed)
			c.addObject(ed, info)
			c.score += info.contrib
			c.noteEdge(ed)
		}
		if info.evidence != nil && !ed.stale {
			ed.leakSince(info, c)
		}
	case earlier(info, old):
		ed.replace(h, info)
		ed.score += info.contrib - old.contrib
		ed.pair.score += info.contrib - old.contrib
		ed.stale = true
		if ed.qualified {
			e.comp[e.find(ed.ia)].stale = true
		}
	default:
		return
	}
	if ed.listed {
		e.cands.remove(ed) // back to the tail below, or out for good at M
	}
	if ed.weight >= ed.rule.minWeight {
		if !ed.dirty {
			ed.dirty = true
			e.dirty = append(e.dirty, ed)
		}
	} else if e.cfg.MaxCandidateEdges > 0 {
		e.cands.pushBack(ed)
		for e.cands.n > e.cfg.MaxCandidateEdges {
			e.forget(e.cands.head)
		}
	}
	switch {
	case !p.qualified && p.score >= e.cfg.MinScore-1e-9 && e.anyCoordinated(p):
		p.qualified = true
		for _, pe := range p.edges {
			if pe.weight >= pe.rule.minWeight {
				pe.qualified = true
				e.join(pe)
			}
		}
	case p.qualified && !ed.qualified && ed.weight >= ed.rule.minWeight:
		ed.qualified = true
		e.join(ed)
	case ed.qualified:
		// New evidence for a group already published: its record changes.
		e.dirtyRoots = append(e.dirtyRoots, e.find(ed.ia))
	case !p.qualified && ed.weight == ed.rule.minWeight && e.cfg.Triangle:
		// A coordinated edge between two members of one component may close its triangle.
		e.mayClose(ed)
	}
}

// mayClose marks for publication the component holding both accounts of ed, a coordinated
// edge of an unqualified pair, when it has no triangle yet: ed may be its third side.
func (e *Edges) mayClose(ed *edge) {
	ia, ok := e.ids[ed.k.a]
	ib, okb := e.ids[ed.k.b]
	if !ok || !okb {
		return
	}
	if r := e.find(ia); r == e.find(ib) {
		if c := e.comp[r]; c != nil && !c.closed {
			e.dirtyRoots = append(e.dirtyRoots, r)
		}
	}
}

// forget drops a candidate edge (below M, so in no group and never published) to keep
// memory within Config.MaxCandidateEdges.
func (e *Edges) forget(ed *edge) {
	e.cands.remove(ed)
	e.nEdges--
	p := ed.pair
	p.score -= ed.score
	p.edges = slices.DeleteFunc(p.edges, func(pe *edge) bool { return pe == ed })
	if len(p.edges) == 0 {
		delete(e.pairs, [2]string{ed.k.a, ed.k.b})
		if e.last == p {
			e.last = nil
		}
	}
	e.forgotten++
}

// Forgotten is how many candidate edges Config.MaxCandidateEdges made the aggregator forget.
func (e *Edges) Forgotten() int64 { return e.forgotten }

// Candidates is how many edges below M are held.
func (e *Edges) Candidates() int { return e.cands.n }

func (e *Edges) anyCoordinated(p *pair) bool {
	for _, pe := range p.edges {
		if pe.weight >= pe.rule.minWeight {
			return true
		}
	}
	return false
}

func earlier(a, b objInfo) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if a.first != b.first {
		return a.first < b.first
	}
	return a.contrib > b.contrib
}

func (ed *edge) get(h uint64) (objInfo, bool) {
	if ed.objs != nil {
		return ed.objs.Get(h)
	}
	if ed.weight == 1 && ed.one == h {
		return ed.oneInfo, true
	}
	return objInfo{}, false
}

// replace sets the information of object h, which the edge has (add puts new ones).
func (ed *edge) replace(h uint64, v objInfo) {
	if ed.objs == nil {
		ed.oneInfo = v // h is the only object
		return
	}
	ed.objs.Put(h, v)
}

// add puts object h, which the edge does not have yet.
func (ed *edge) add(h uint64, v objInfo) {
	switch {
	case ed.weight == 0:
		ed.one, ed.oneInfo = h, v
	case ed.objs == nil:
		ed.objs = &smallmap.Map[objInfo]{}
		ed.objs.Insert(ed.one, ed.oneInfo)
		ed.objs.Insert(h, v)
	default:
		ed.objs.Insert(h, v)
	}
}

func (ed *edge) each(f func(objInfo)) {
	if ed.objs == nil {
		if ed.weight > 0 {
			f(ed.oneInfo)
		}
		return
	}
	ed.objs.All(f)
}

// span returns the edge's first and last co-share times.
func (ed *edge) span() (int64, int64) {
	if ed.stale {
		ed.first, ed.last = math.MaxInt64, math.MinInt64
		if ed.evidence != nil {
			*ed.evidence = (*ed.evidence)[:0]
		}
		ed.each(func(v objInfo) {
			ed.first = min(ed.first, v.first)
			ed.last = max(ed.last, v.at)
			ed.leakSince(v, nil)
		})
		if ed.weight >= ed.rule.minWeight {
			ed.formed = ed.formedAt()
		}
		ed.stale = false
	}
	return ed.first, ed.last
}

// formedAt is the later share of the edge's M-th distinct object in time order: when the
// edge had co-shared M objects, so when the pair became coordinated. An edge's first is its
// earliest co-share, which counts towards the weight however long before the next one it
// came (a chance co-share of a trending hashtag days before the operation).
func (ed *edge) formedAt() int64 {
	m := ed.rule.minWeight
	var buf [8]int64
	low := buf[:0] // the m earliest times so far, in order
	ed.each(func(v objInfo) {
		if len(low) == m {
			if v.at >= low[m-1] {
				return
			}
			low = low[:m-1]
		}
		i, _ := slices.BinarySearch(low, v.at)
		low = slices.Insert(low, i, v.at)
	})
	return low[m-1]
}

// signal is the edge's detection record.
func (ed *edge) signal() leakwatch.Edge {
	first, last := ed.span()
	return leakwatch.Edge{
		ObjectKind: ed.k.kind, A: ed.k.a, B: ed.k.b, AHandle: ed.pair.aHandle, BHandle: ed.pair.bHandle, Weight: ed.weight,
		First: time.Unix(0, first).UTC(), Last: time.Unix(0, last).UTC(),
		Score: round3(ed.score),
	}
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func (e *Edges) id(name string) int {
	if i, ok := e.ids[name]; ok {
		return i
	}
	i := len(e.names)
	e.ids[name] = i
	e.names = append(e.names, name)
	e.parent = append(e.parent, i)
	return i
}

func (e *Edges) find(i int) int {
	for e.parent[i] != i {
		e.parent[i] = e.parent[e.parent[i]]
		i = e.parent[i]
	}
	return i
}

func (e *Edges) join(ed *edge) {
	ed.ia = e.id(ed.k.a)
	ra, rb := e.find(ed.ia), e.find(e.id(ed.k.b))
	ca, cb := e.compOf(ra), e.compOf(rb)
	if ra != rb {
		if ca.objects.len() < cb.objects.len() {
			ra, rb, ca, cb = rb, ra, cb, ca
		}
		e.parent[rb] = ra
		ca.absorb(cb)
		delete(e.comp, rb) // a changed rb is found under ra by Changed
	}
	ed.span()
	ca.addEdge(ed)
	e.dirtyRoots = append(e.dirtyRoots, ra)
}

// reported says whether component c is a group: Config.MinAccounts members and, with
// Config.Triangle, a triangle.
func (e *Edges) reported(c *component) bool {
	if len(c.members) < e.cfg.GroupMin() {
		return false
	}
	if !e.cfg.Triangle || e.cfg.GroupMin() < 3 {
		return true
	}
	if !c.closed {
		c.closed = e.triangle(c)
	}
	return c.closed
}

// triangle looks in c for a member qualified with two others that share a coordinated
// edge. Qualified pairs and coordinated edges are never lost, so once found it holds for
// good, and the search runs only until then (a star of n partners costs n²/2 lookups a
// publication).
func (e *Edges) triangle(c *component) bool {
	partners := map[string][]string{}
	for _, ed := range c.edges {
		a, b := ed.k.a, ed.k.b
		if !slices.Contains(partners[a], b) {
			partners[a] = append(partners[a], b)
			partners[b] = append(partners[b], a)
		}
	}
	for _, ps := range partners {
		for i, x := range ps {
			for _, y := range ps[i+1:] {
				k := [2]string{x, y}
				if x > y {
					k = [2]string{y, x}
				}
				if p := e.pairs[k]; p != nil && e.anyCoordinated(p) {
					return true
				}
			}
		}
	}
	return false
}

// Tag has groups list the labels f names in the objects they co-shared, those co-shared by at
// least MinEvidencePairs of a group's account pairs, most first (Group.Candidates): counted
// over all its objects, not its top few, the list only grows as the group does. Call it
// before Add.
func (e *Edges) Tag(f Tagger) {
	e.tags = nil
	if f != nil {
		e.tags = &tags{f: f, cache: map[string][]string{}}
	}
}

func (e *Edges) compOf(root int) *component {
	c := e.comp[root]
	if c == nil {
		c = newComponent(root)
		c.tags = e.tags
		e.comp[root] = c
	}
	return c
}

// Changed returns the coordinated edges and the groups that changed since the last call,
// in a deterministic order.
func (e *Edges) Changed() ([]leakwatch.Edge, []leakwatch.Group) {
	var edges []leakwatch.Edge
	if len(e.dirty) > 0 {
		edges = make([]leakwatch.Edge, 0, len(e.dirty))
	}
	// Sorted as pointers, then made into signals in order: an Edge signal is large, and
	// sorting them moved each several times.
	order := e.dirty
	slices.SortFunc(order, func(x, y *edge) int { return compareKeys(x.k, y.k) })
	for i, ed := range order {
		edges = append(edges, ed.signal())
		ed.dirty = false
		order[i] = nil
	}
	e.dirty = order[:0]
	var groups []leakwatch.Group
	roots := e.dirtyRoots
	for i, r := range roots {
		roots[i] = e.find(r) // merged since: its component is under the new root
	}
	slices.Sort(roots)
	for _, root := range slices.Compact(roots) {
		if c := e.comp[root]; e.reported(c) {
			groups = append(groups, e.group(c, true))
		}
	}
	e.dirtyRoots = roots[:0]
	sortGroups(groups)
	return edges, groups
}

// Edges returns every coordinated edge (weight >= M of its kind), sorted.
func (e *Edges) Edges() []leakwatch.Edge {
	var out []leakwatch.Edge
	for _, p := range e.pairs {
		for _, ed := range p.edges {
			if ed.weight >= ed.rule.minWeight {
				out = append(out, ed.signal())
			}
		}
	}
	sortEdges(out)
	return out
}

// Groups returns every current group of at least Config.MinAccounts accounts, sorted; Supersedes lists the ids its parts were
// published under before (by Changed).
func (e *Edges) Groups() []leakwatch.Group {
	var out []leakwatch.Group
	for _, c := range e.comp {
		if e.reported(c) {
			out = append(out, e.group(c, false))
		}
	}
	sortGroups(out)
	return out
}

// Pairs is how many account pairs (of any weight) are held.
func (e *Edges) Pairs() int { return e.nEdges }

// TopObjects is how many objects a group lists as evidence; MaxGroupLabels how many candidates
// (labels, Edges.Tag) it lists; MaxFirstMovers how many accounts.
const (
	TopObjects     = 5
	MaxGroupLabels = 10
	MaxFirstMovers = 5
	// MinEvidencePairs is how many of a group's account pairs must carry a leak value (or
	// co-share an object with a label) for the group to list it; MaxGroupEvidence how many
	// values it lists.
	MinEvidencePairs = 2
	MaxGroupEvidence = 10
)

// Published tells the aggregator that a group was published under id by an earlier run of
// the stage (a correlate restarted and rebuilt its state from the log). The component that
// holds the edge the id names will list it in Supersedes when it is published under another
// id, as the run that published it would have.
func (e *Edges) Published(ids ...string) {
	if e.prior == nil {
		e.prior = map[string]bool{}
	}
	for _, id := range ids {
		e.prior[id] = true
	}
}

func (e *Edges) group(c *component, publish bool) leakwatch.Group {
	if c.stale {
		c.rebuild()
	}
	if len(e.prior) > 0 {
		for _, ed := range c.edges {
			if id := groupID(ed.k); e.prior[id] {
				c.emitted[id] = true
				delete(e.prior, id)
			}
		}
	}
	g := leakwatch.Group{Edges: len(c.edges)}
	if len(c.accounts) != len(c.members) {
		// Members only grow; a group is published again whenever one of its edges changes,
		// mostly with the same members, so their sorted names are kept until it grows. The
		// list is made anew, never changed in place: published groups hold the old one.
		accounts := make([]string, 0, len(c.members))
		for _, m := range c.members {
			accounts = append(accounts, e.names[m])
		}
		sort.Strings(accounts)
		c.accounts = accounts
	}
	g.Accounts = c.accounts
	for k, n := range c.kinds {
		if n > 0 {
			g.ObjectKinds = append(g.ObjectKinds, k)
		}
	}
	sort.Slice(g.ObjectKinds, func(i, j int) bool { return g.ObjectKinds[i] < g.ObjectKinds[j] })
	g.First, g.Last = time.Unix(0, c.first).UTC(), time.Unix(0, c.last).UTC()
	g.Formed = time.Unix(0, c.formed).UTC()
	g.Objects = c.objects.keys()
	g.FirstMovers = c.lead.keys()
	if e.named {
		known := c.known()
		g.FirstMoverHandles, g.AccountHandles = handlesOf(known, g.FirstMovers), handlesOf(known, g.Accounts)
	}
	g.Score = round3(c.score)
	g.Evidence, g.EvidenceFirst, g.EvidenceLast = c.leakEvidence()
	for _, l := range c.labels.keys() { // most first: those under the minimum come last
		if c.labels.counts[l] < MinEvidencePairs {
			break
		}
		g.Candidates = append(g.Candidates, l)
	}
	g.ID = groupID(c.firstEdge.k)
	for id := range c.emitted {
		if id != g.ID {
			g.Supersedes = append(g.Supersedes, id)
		}
	}
	sort.Strings(g.Supersedes)
	if publish {
		c.emitted[g.ID] = true
	}
	return g
}

// leakEvidence lists the group's leak values carried by at least MinEvidencePairs of its
// account pairs (most pairs first, then by value; at most MaxGroupEvidence), and the earliest
// and latest co-shares of a listed value that names a dump. One pair of accounts is not the
// group: one pair's link to a paste site may be one member's habit, or one retweet (an edge on
// each kind the post holds); two pairs are the network passing it round.
func (c *component) leakEvidence() (values []string, first, last time.Time) {
	from, to := int64(math.MaxInt64), int64(math.MinInt64)
	for _, v := range c.leaks.keys() { // most pairs first: those under the minimum come last
		if c.leaks.counts[v] < MinEvidencePairs {
			break
		}
		values = append(values, v)
		if leakwatch.NamesDump(v) {
			sp := c.leakSpans[v]
			from, to = min(from, sp[0]), max(to, sp[1])
		}
	}
	if from != math.MaxInt64 {
		first, last = time.Unix(0, from).UTC(), time.Unix(0, to).UTC()
	}
	return values, first, last
}

// groupID names a group after its earliest edge, so it keeps its id while it grows and
// only changes when it merges with an older group.
func groupID(k edgeKey) string {
	h := strhash.FNV(strhash.FNVOffset, string(k.kind))
	h = strhash.FNV(h^0xff, k.a)
	h = strhash.FNV(h^0xff, k.b)
	var b [8]byte
	for i := range b {
		b[i] = byte(h >> (56 - 8*i))
	}
	return "g-" + hex.EncodeToString(b[:])
}

func edgeLess(a, b edgeKey) bool { return compareKeys(a, b) < 0 }

func compareKeys(a, b edgeKey) int {
	if a.kind != b.kind {
		return strings.Compare(string(a.kind), string(b.kind))
	}
	if a.a != b.a {
		return strings.Compare(a.a, b.a)
	}
	return strings.Compare(a.b, b.b)
}

func sortEdges(es []leakwatch.Edge) {
	sort.Slice(es, func(i, j int) bool {
		return edgeLess(edgeKey{es[i].ObjectKind, es[i].A, es[i].B}, edgeKey{es[j].ObjectKind, es[j].A, es[j].B})
	})
}

func sortGroups(gs []leakwatch.Group) {
	sort.Slice(gs, func(i, j int) bool {
		if !gs[i].First.Equal(gs[j].First) {
			return gs[i].First.Before(gs[j].First)
		}
		return gs[i].ID < gs[j].ID
	})
}

// handlesOf returns the handles of accounts, in order, from known (component.known); nil
// when none is known.
func handlesOf(known map[string]handleAt, accounts []string) []string {
	var out []string
	for i, a := range accounts {
		h := known[a].handle
		if h != "" && out == nil {
			out = make([]string, len(accounts))
		}
		if out != nil {
			out[i] = h
		}
	}
	return out
}

type handleAt struct {
	handle string
	at     int64
}

// known returns the handle of each account of the component's edges that has one, from
// its earliest share.
func (c *component) known() map[string]handleAt {
	m := map[string]handleAt{}
	take := func(a, h string, at int64) {
		if h == "" {
			return
		}
		cur := m[a]
		takeHandle(&cur.handle, &cur.at, h, at)
		m[a] = cur
	}
	for _, ed := range c.edges {
		p := ed.pair
		take(ed.k.a, p.aHandle, p.aAt)
		take(ed.k.b, p.bHandle, p.bAt)
	}
	return m
}
