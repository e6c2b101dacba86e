package coord

import (
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/agenda"
	"github.com/leakwatch/leakwatch/internal/keymap"
	"github.com/leakwatch/leakwatch/internal/smallmap"
	"github.com/leakwatch/leakwatch/internal/strhash"
)

// Sharing is the per-object half of co-share detection (the detect stage): it keeps the
// recent shares of each object and, once no share that could still arrive can fall within W of
// a share, pairs that share with every other account's share of the object within W before
// it. It needs all mentions of an object (the mentions topic is keyed by object), and emits
// Observations that Edges aggregates across objects.
//
// Memory: per object, only shares newer than horizon - W - max(W, popularity window) are
// kept (horizon is the watermark minus the allowed lateness), so state is bounded by the
// windows, not by the input.
// Not safe for concurrent use.
type Sharing struct {
	cfg     Config
	kinds   []kindWindows // one per leakwatch.ShareKinds
	byLen   [][]int       // indexes into kinds by the kind name's length
	objects keymap.Map[*objectState]
	// Objects wait for their due time in one-second buckets: O(1) to schedule, and most
	// objects (shared once) are scheduled twice in their life.
	queue   agenda.Agenda[*objectState]
	horizon int64 // shares older than this are complete or evicted; nothing older is accepted
	skipped int64

	// partners of a share: indexes into its object's shares, and a table of them by account
	part   []int
	firsts []firstShare
	free   []*objectState // states of forgotten objects, reused: most objects live a minute

	// Objects shared once so far wait here, in arrival order, instead of in the queue: a
	// lone share has no partner to pair with and only has to be forgotten once it is older
	// than keep. Most objects (a text's near-duplicate bands above all) are never shared
	// again, and queueing each twice was a third of co-share detection.
	singles    []single
	singleHead int
	gens       uint64

	// A lone share mostly waits in lones, a table addressed by its object's hash, instead
	// of in objects: a new object then costs one hash and one slot, where the map took a
	// failed lookup, an insert and, an hour later, a delete (3 % of a batch analysis'
	// instructions). An object lives either in its slot or in the map, never both; inMap
	// counts the objects in the map by slot, so a new object whose slot counts none skips
	// the map.
	lones []lone
	inMap []int32
	held  int // lones holding a share
	seed  maphash.Seed

	band     *kindWindows // the windows of near-duplicate bands, and their kind's word
	bandWord uint64
	bandSeed uint64 // from seed: hash
}

// lone is an object shared once so far, in its slot of Sharing.lones (key "": free).
type lone struct {
	key  string
	kw   *kindWindows
	sh   share
	hash uint64
	gen  uint64
}

// Lone-share table sizes: it starts small (tests and the demo make many detectors) and
// doubles while more than half its slots are held, up to maxLones (80 bytes a slot: 21 MB);
// past that, lone shares that find their slot taken wait in the map.
const (
	minLones = 1 << 10
	maxLones = 1 << 18
)

// single is a lone share's object as it was when queued, in the map (o) or in the lone
// table (o nil: the slot of hash); gen tells it from a later use of the same state or slot.
type single struct {
	o    *objectState
	gen  uint64
	at   int64
	hash uint64
	keep int64
}

type share struct {
	at       int64 // unix nanoseconds
	account  string
	handle   string
	post     string
	h        uint64   // accountHash, once asked (0 until then)
	evidence []string // the post's leak evidence (none for bands)
}

// accountHash is the hash of the share's account, made at its first use and kept: a popular
// object's shares are looked at again by every completion within W of them, and hashing the
// same names over and over was most of what telling its partners apart cost.
func (sh *share) accountHash() uint64 {
	if sh.h == 0 {
		sh.h = strhash.String(0, sh.account) | 1 // never 0 once made
	}
	return sh.h
}

func (a share) less(b share) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if a.account != b.account {
		return a.account < b.account
	}
	return a.post < b.post
}

type objectState struct {
	key    string
	kind   leakwatch.ObjectKind
	window int64
	keep   int64   // how long after a share it is still needed: W + max(W, popularity window)
	shares []share // sorted by (at, account, post)
	done   int     // shares[:done] are complete
	// shares[:gone] are evicted: no incomplete share can reach them. They are moved out
	// once they are half of shares, not at every eviction: a popular object holds an hour
	// of shares, and shifting them all down each time a few left was a hundredth of a batch
	// analysis.
	gone int
	// Popularity: distinct accounts among shares[lo:hi], the shares within
	// [x - popularity window, x + W] of the last completed share x.
	lo, hi  int
	sharers keymap.Map[int32] // counts of shares[lo:hi] by account (hashed), while mapped
	mapped  bool              // more than linearSharers shares in the window: counted in sharers
	emitted smallmap.Set      // account pairs already paired on this object
	due     int64             // when the object next needs work
	bucket  int64             // the bucket it waits in, when queued
	queued  bool
	single  bool   // one share so far: waits in Sharing.singles, not in the queue
	gen     uint64 // which use of this state it is
	hash    uint64 // of key, for Sharing.inMap
}

// NewSharing returns an empty per-object co-share state. cfg must be valid.
func NewSharing(cfg Config) *Sharing {
	s := &Sharing{cfg: cfg, horizon: math.MinInt64,
		queue: agenda.New[*objectState](), lones: make([]lone, minLones), inMap: make([]int32, minLones),
		seed: maphash.MakeSeed()}
	for _, k := range leakwatch.ShareKinds {
		w := int64(cfg.WindowFor(k))
		s.kinds = append(s.kinds, kindWindows{kind: k, window: w, keep: w + max(w, int64(cfg.PopularityWindow)), word: strhash.Word(string(k))})
		for len(s.byLen) <= len(k) {
			s.byLen = append(s.byLen, nil)
		}
		s.byLen[len(k)] = append(s.byLen[len(k)], len(s.kinds)-1)
	}
	s.band, s.bandWord = s.kindOf(string(leakwatch.KindNearText)), strhash.Word(string(leakwatch.KindNearText))
	s.bandSeed = maphash.String(s.seed, "")
	return s
}

// Add records a mention. Mentions of kinds co-shares are not computed for are ignored; it
// reports false (and records nothing) for a mention older than the last horizon passed to
// Advance: the caller treats it as late.
func (s *Sharing) Add(m leakwatch.Mention) bool { return s.AddRef(&m) }

// AddRef is Add by pointer, for callers that hand many mentions a second and would
// otherwise copy each one (112 bytes) on every call.
func (s *Sharing) AddRef(m *leakwatch.Mention) bool {
	at := m.At.UnixNano()
	if at < s.horizon {
		return false
	}
	var kw *kindWindows
	if o := m.Object; len(o) > 8 && o[8] == ':' && strhash.Word(o) == s.bandWord {
		// A near-duplicate band, as most mentions are: told by one comparison.
		kw = s.band
	} else {
		colon := strings.IndexByte(o, ':') // strings.Cut went through the general Index
		if colon < 0 {
			return true
		}
		kw = s.kindOf(o[:colon])
	}
	if kw == nil || m.Account == "" {
		return true
	}
	sh := share{at: at, account: m.Account, handle: m.Handle, post: m.Post}
	if kw != s.band {
		sh.evidence = m.Evidence
	}
	h := s.hash(kw, m.Object)
	slot := h & uint64(len(s.lones)-1)
	var o *objectState
	if s.inMap[slot] > 0 {
		o, _ = s.objects.Get(h, m.Object)
	}
	if o == nil {
		l := &s.lones[slot]
		switch {
		case l.key == "":
			// A new object with a free slot, as most are.
			s.gens++
			*l = lone{key: m.Object, kw: kw, sh: sh, hash: h, gen: s.gens}
			s.held++
			s.singles = append(s.singles, single{gen: s.gens, at: at, hash: h, keep: kw.keep})
			if s.held*2 > len(s.lones) && len(s.lones) < maxLones {
				s.grow()
			}
			return true
		case l.key == m.Object:
			// Its second share: the object moves to the map with its first.
			o = s.newState(l.key, l.kw, h)
			o.shares = append(o.shares, l.sh)
			*l = lone{}
			s.held--
		default:
			// The slot holds another object's lone share: this one waits in the map.
			o = s.newState(m.Object, kw, h)
			s.gens++
			o.gen, o.single = s.gens, true
			o.shares = append(o.shares, sh)
			s.singles = append(s.singles, single{o: o, gen: o.gen, at: at})
			return true
		}
	}
	// A second share: from now on the object is queued like any other. Its first share is
	// completed when its turn comes again, which pairs it with nothing, as it would have then.
	o.single = false
	// Input is mostly in event-time order: append, and shift only a late share into place.
	i := len(o.shares)
	o.shares = append(o.shares, sh)
	for i > o.done && sh.less(o.shares[i-1]) {
		o.shares[i] = o.shares[i-1]
		i--
	}
	o.shares[i] = sh
	s.schedule(o)
	return true
}

// hash is object o's hash (o of kind kw). A band key ends in 16 hex digits of a hash already
// (entities' band keys): its last 16 bytes, mixed with the seed, spread as well as hashing
// the whole key does, for less. Keys are compared wherever hashes are, so another ending
// costs only spread. The seed keeps slots unpredictable to whoever writes the posts.
func (s *Sharing) hash(kw *kindWindows, o string) uint64 {
	if kw == s.band && len(o) >= 16 {
		tail := o[len(o)-16:]
		// A hex digit's entropy is in its low nibble: the second word's go to the high ones.
		return strhash.Mix(strhash.Word(tail) ^ bits.RotateLeft64(strhash.Word(tail[8:]), 4) ^ s.bandSeed)
	}
	return maphash.String(s.seed, o)
}

// kindWindows is a share kind's W and keep (W + max(W, popularity window)), worked out once:
// every new object needs them, and most objects are new.
type kindWindows struct {
	kind         leakwatch.ObjectKind
	window, keep int64
	word         uint64 // strhash.Word(kind): kindOf compares names as numbers, without a call
}

// kindOf returns the windows of share kind k, nil when co-shares are not computed for k.
// Every mention asks, and the kind names' lengths tell most apart: looking through all of
// them in order, for the bands (most mentions) and for the kinds not shared at all, was a
// seventieth of a batch analysis.
func (s *Sharing) kindOf(k string) *kindWindows {
	if len(k) >= len(s.byLen) {
		return nil
	}
	w := strhash.Word(k)
	for _, i := range s.byLen[len(k)] {
		if kw := &s.kinds[i]; kw.word == w && (len(k) <= 8 || string(kw.kind[8:]) == k[8:]) {
			return kw
		}
	}
	return nil
}

// newState puts object key (hash h) in the map, with no shares yet.
func (s *Sharing) newState(key string, kw *kindWindows, h uint64) *objectState {
	var o *objectState
	if n := len(s.free); n > 0 {
		o = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		o = &objectState{}
	}
	o.key, o.kind, o.window, o.keep, o.hash = key, kw.kind, kw.window, kw.keep, h
	s.objects.Put(h, key, o)
	s.inMap[h&uint64(len(s.lones)-1)]++
	return o
}

// forget drops object o from the map.
func (s *Sharing) forget(o *objectState) {
	s.objects.Delete(o.hash, o.key)
	s.inMap[o.hash&uint64(len(s.lones)-1)]--
	s.release(o)
}

// grow doubles the lone table. Shares keep their slot's low bits, so two never land in one
// slot, and the singles list finds them by hash and gen.
func (s *Sharing) grow() {
	old := s.lones
	s.lones = make([]lone, 2*len(old))
	s.inMap = make([]int32, len(s.lones))
	mask := uint64(len(s.lones) - 1)
	for o := range s.objects.All {
		s.inMap[o.hash&mask]++
	}
	for _, l := range old {
		if l.key != "" {
			s.lones[l.hash&mask] = l
		}
	}
}

// Horizon is the time before which no share is accepted any more.
func (s *Sharing) Horizon() time.Time {
	if s.horizon == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, s.horizon).UTC()
}

// Advance completes every share whose window closed before horizon (watermark minus
// lateness), emitting its observations, and forgets shares no pending share can pair with.
func (s *Sharing) Advance(horizon time.Time, emit func(Observation)) {
	h := horizon.UnixNano()
	if h <= s.horizon {
		return
	}
	s.horizon = h
	s.run(h, emit)
}

// Flush completes every share held: the end of the input, or of a part of it (a replay's
// detect flushes when its input has been idle, and the input may go on after the pause).
// The horizon stays where Advance left it, so later mentions are taken as before and start
// from empty windows; it was once moved past every time, and every co-share after a pause
// was then dropped unsaid.
func (s *Sharing) Flush(emit func(Observation)) {
	s.run(math.MaxInt64, emit)
}

// Skipped is how many pairs the MaxSharers cap left out so far.
func (s *Sharing) Skipped() int64 { return s.skipped }

// Objects is how many objects have shares in memory.
func (s *Sharing) Objects() int { return s.objects.Len() + s.held }

func (s *Sharing) run(h int64, emit func(Observation)) {
	s.forgetSingles(h)
	limit := floorDiv(h-1, queueGrain) + 1 // buckets starting before h
	for {
		b, list, ok := s.queue.Next(limit)
		if !ok {
			return
		}
		var wait []*objectState
		for _, o := range list {
			switch {
			case !o.queued || o.bucket != b:
				// rescheduled elsewhere or gone
			case o.due >= h:
				wait = append(wait, o)
			default:
				o.queued = false
				s.work(o, h, emit)
			}
		}
		s.queue.Done(list)
		if len(wait) > 0 {
			// Due later within this bucket; later buckets are later still.
			for _, o := range wait {
				s.queue.Add(b, o)
			}
			return
		}
	}
}

// work completes the object's shares whose window closed before h and evicts old ones.
func (s *Sharing) work(o *objectState, h int64, emit func(Observation)) {
	for o.done < len(o.shares) && o.shares[o.done].at+o.window < h {
		s.complete(o, o.done, emit)
		o.done++
	}
	// Evict shares that no incomplete share can reach, for pairing or popularity.
	n := o.gone
	for n < o.done && o.shares[n].at+o.keep < h {
		if n >= o.lo && n < o.hi {
			// Still counted for popularity, but every later completion is past it.
			o.leave(&o.shares[n])
		}
		n++
	}
	if n == len(o.shares) {
		s.forget(o)
		return
	}
	o.gone, o.lo, o.hi = n, max(o.lo, n), max(o.hi, n)
	if n > 0 && 2*n >= len(o.shares) {
		o.shares = append(o.shares[:0], o.shares[n:]...)
		o.done -= n
		o.lo -= n
		o.hi -= n
		o.gone = 0
	}
	s.schedule(o)
}

// forgetSingles forgets objects still shared once whose share is older than keep at h. The
// list is in arrival order, which is time order but for lateness: a share that arrived late
// is forgotten a little later, which changes nothing, as it is then too old to pair with or
// to count for popularity.
func (s *Sharing) forgetSingles(h int64) {
	for s.singleHead < len(s.singles) {
		x := s.singles[s.singleHead]
		if x.o == nil {
			if l := &s.lones[x.hash&uint64(len(s.lones)-1)]; l.gen == x.gen && l.key != "" {
				if x.at+x.keep >= h {
					break
				}
				*l = lone{}
				s.held--
			}
		} else if x.o.gen == x.gen && x.o.single {
			if x.at+x.o.keep >= h {
				break
			}
			s.forget(x.o)
		}
		s.singles[s.singleHead] = single{}
		s.singleHead++
	}
	if s.singleHead > 1024 && s.singleHead*2 > len(s.singles) {
		n := copy(s.singles, s.singles[s.singleHead:])
		clear(s.singles[n:])
		s.singles, s.singleHead = s.singles[:n], 0
	}
}

// release keeps a forgotten object's state for reuse.
func (s *Sharing) release(o *objectState) {
	if len(s.free) >= maxFree {
		return
	}
	if o.mapped {
		o.sharers.Clear()
	}
	o.emitted.Reset()
	*o = objectState{shares: o.shares[:0], sharers: o.sharers, emitted: o.emitted}
	if cap(o.shares) > 64 {
		o.shares = nil // a burst's worth of shares: let it go
	}
	s.free = append(s.free, o)
}

// linearPartners is the most shares within W before a share whose accounts are told apart
// by comparing them with each other rather than through a table (firstShares).
const linearPartners = 16

// firstShare is a slot of firstShares' table: an account and its hash ("" is a free slot:
// AddRef takes no share without an account).
type firstShare struct {
	h uint64
	a string
}

// firstShares appends to s.part the index (from base) of the first share in window of each
// account other than self. The table is open addressing by the accounts' hashes, cleared
// for each use: a Go map stamped with a generation took two lookups a share and was a
// sixtieth of a batch analysis, spent on the popular objects' windows.
func (s *Sharing) firstShares(window []share, base int, self *share) {
	size := 1 << bits.Len(uint(2*len(window)+1)) // at most half full
	if cap(s.firsts) < size {
		s.firsts = make([]firstShare, size)
	}
	t := s.firsts[:size]
	clear(t)
	mask, shift := uint64(size-1), uint(64-bits.TrailingZeros(uint(size)))
	// put reports whether a was not in the table, and puts it.
	put := func(a string, h uint64) bool {
		for i := (h * 0x9e3779b97f4a7c15) >> shift; ; i = (i + 1) & mask {
			switch sl := &t[i]; {
			case sl.a == "":
				*sl = firstShare{h: h, a: a}
				return true
			case sl.h == h && sl.a == a:
				return false
			}
		}
	}
	put(self.account, self.accountHash())
	for j := range window {
		if put(window[j].account, window[j].accountHash()) {
			s.part = append(s.part, base+j)
		}
	}
}

// maxFree bounds the reuse list.
const maxFree = 1 << 15

// queueGrain is the bucket width of the object queue.
const queueGrain = int64(time.Second)

// schedule sets when the object next needs work: its first incomplete share's window end,
// or else its oldest share's eviction.
func (s *Sharing) schedule(o *objectState) {
	due := o.shares[o.gone].at + o.keep
	if o.done < len(o.shares) {
		due = o.shares[o.done].at + o.window
	}
	o.due = due
	b := floorDiv(due, queueGrain)
	if o.queued && o.bucket == b {
		return
	}
	o.queued, o.bucket = true, b
	s.queue.Add(b, o)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// complete pairs share i with the shares before it within W, once per account pair per object.
func (s *Sharing) complete(o *objectState, i int, emit func(Observation)) {
	x := &o.shares[i]
	lo := i
	for lo > o.gone && o.shares[lo-1].at >= x.at-o.window {
		lo--
	}
	if lo == i {
		return // nothing before it within W, as for most shares: no partner to look for
	}
	// Partners: earlier shares (in share order) by other accounts; the earliest share of each
	// partner names the pair's times.
	s.part = s.part[:0]
	if i-lo <= linearPartners {
		// Few shares in the window, as for most objects: comparing names beats hashing them.
	next:
		for j := lo; j < i; j++ {
			a := o.shares[j].account
			if a == x.account {
				continue
			}
			for _, p := range s.part {
				if o.shares[p].account == a {
					continue next
				}
			}
			s.part = append(s.part, j)
		}
	} else {
		s.firstShares(o.shares[lo:i], lo, x)
	}
	if len(s.part) == 0 {
		return // most objects are shared once: no popularity to count
	}
	// Slide the popularity window to [x.at - P, x.at + W]; completions come in share order,
	// so both ends only move forward (skipped completions are caught up here).
	for o.hi < len(o.shares) && o.shares[o.hi].at <= x.at+o.window {
		if o.mapped {
			sh := &o.shares[o.hi]
			*o.sharers.Ref(sh.accountHash(), sh.account)++
		}
		o.hi++
	}
	for o.lo < o.hi && o.shares[o.lo].at < x.at-(o.keep-o.window) {
		o.leave(&o.shares[o.lo])
		o.lo++
	}
	n := o.sharersOf()
	for k, j := range s.part {
		y := &o.shares[j]
		a, b, aAt, bAt, aPost, bPost := y.account, x.account, y.at, x.at, y.post, x.post
		ha, hb, aName, bName := y.accountHash(), x.accountHash(), y.handle, x.handle
		if b < a {
			a, b, aAt, bAt, aPost, bPost, ha, hb, aName, bName = b, a, bAt, aAt, bPost, aPost, hb, ha, bName, aName
		}
		pk := pairHash(ha, hb)
		if s.cfg.MaxSharers > 0 && k >= s.cfg.MaxSharers {
			if !o.emitted.Has(pk) {
				s.skipped++
			}
			continue
		}
		if !o.emitted.Add(pk) {
			continue // paired on this object before
		}
		emit(Observation{
			Kind: o.kind, Object: o.key, A: a, B: b,
			AAt: time.Unix(0, aAt).UTC(), BAt: time.Unix(0, bAt).UTC(),
			APost: aPost, BPost: bPost, AHandle: aName, BHandle: bName, Sharers: n,
			Evidence: both(x.evidence, y.evidence),
		})
	}
}

// both returns the values in a and in b, in a's order: evidence of a co-share is what both
// posts said, so one account's leak link does not make its partner's share of the same
// hashtag look like a dump's. Posts mostly carry none, or the same list (a retweet).
func both(a, b []string) []string {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	if len(a) == len(b) && &a[0] == &b[0] || slices.Equal(a, b) {
		return a // extraction hands a repeated text's posts one list
	}
	var out []string
	for _, v := range a {
		if slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

// linearSharers is the most shares in an object's popularity window whose distinct accounts
// are counted by comparing names; a larger window keeps counts by account in a map, updated
// as it slides. Most objects with partners are shared a few times: keeping a map for each
// was a fortieth of a batch analysis.
const linearSharers = 8

// leave uncounts share sh leaving the popularity window, when counts are kept.
func (o *objectState) leave(sh *share) {
	if !o.mapped {
		return
	}
	h := sh.accountHash()
	if c := o.sharers.Ref(h, sh.account); *c > 1 {
		*c--
	} else {
		o.sharers.Delete(h, sh.account)
	}
}

// sharersOf returns the number of distinct accounts among o.shares[o.lo:o.hi].
func (o *objectState) sharersOf() int {
	win := o.shares[o.lo:o.hi]
	if len(win) <= linearSharers {
		if o.mapped {
			o.sharers.Clear()
			o.mapped = false
		}
		n := 0
	next:
		for i, x := range win {
			for _, y := range win[:i] {
				if y.account == x.account {
					continue next
				}
			}
			n++
		}
		return n
	}
	if !o.mapped {
		for i := range win {
			x := &win[i]
			*o.sharers.Ref(x.accountHash(), x.account)++
		}
		o.mapped = true
	}
	return o.sharers.Len()
}

// pairHash is the key of an account pair in an object's set of pairs already paired, from
// the accounts' hashes (accountHash), the lesser account's first.
func pairHash(ha, hb uint64) uint64 { return strhash.Mix(ha*0x9e3779b97f4a7c15 ^ hb) }
