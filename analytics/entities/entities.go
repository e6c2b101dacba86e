// Package entities is the extract stage: it turns one post into the mentions of every object
// it shares (candidates, hashtags, normalised URLs and their registrable domains, reshare,
// quote and reply targets, exact and near-duplicate text, images, objects the source already
// named, and the whole stream "all:posts").
//
// It does no I/O and keeps nothing between posts that changes a result, so any number of
// extract instances agree on the object keys they produce (the mentions topic is partitioned
// by them): what it remembers of recent posts (their objects, their texts' bands) only
// spares it work when a text comes again. It must not import stream, warehouse, collectors
// or any other analytics package: leak evidence comes in through the small Evidencer
// interface.
package entities

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/strhash"
	"github.com/leakwatch/leakwatch/internal/utf8x"
	"github.com/leakwatch/leakwatch/internal/wordfilter"
)

// Evidencer finds what in a post points to a leak ("domain:pastebin.com"); the leak
// package's Matcher is one. Its answer is attached to every mention of the post. It must
// depend only on the post's content (text, targets, objects, media, links, hashtags and
// handles): an extractor remembers it, with the post's objects, by that content.
type Evidencer interface {
	Evidence(p leakwatch.Post) []string
}

// Extractor turns posts into mentions. It is not safe for concurrent use (it reuses buffers);
// give each goroutine its own.
type Extractor struct {
	cfg       Config
	ev        Evidencer
	fold      *folder
	urls      *urlNormalizer
	shortener map[string]bool
	mh        *minhasher
	// candidateKeys is each candidate's object key, "candidate:ID".
	candidateKeys []string
	// bandPrefixes is each band's key prefix, "neartext:3-": written once, not per key.
	bandPrefixes []string
	// bandEnds is where each band's key ends in a text's keys: a prefix and 16 hex digits
	// a band, the same for every text, so a remembered text need not keep them.
	bandEnds []int

	phrases map[string][]phrase // first folded word -> names starting with it
	// phraseFirsts holds the keys of phrases: nearly every word of a post is told to start
	// no name before a map look-up (with candidates configured, the look-ups were 2 % of a
	// batch analysis).
	phraseFirsts wordfilter.Filter
	prefixes     []prefix         // folded names matched as hashtag prefixes
	tags         map[string][]int // folded hashtag -> candidates
	handles      map[string][]int // folded handle -> candidates

	// scratch, reused between posts
	toks    []token
	keyBuf  []byte
	keys    []byte       // the keys of the post being extracted
	pending []pendingKey // its keys in order
	// index finds a post's keys by hash once it has more than scanKeys of them: a post of
	// tens of thousands of hashtags (a hostile instance's) made the scan quadratic, seconds a
	// post. Keys hash with FNV, whose value does not depend on where a key was cut.
	index    map[uint64][]int32
	indexed  bool
	bands    []uint64 // a text's band hashes
	objs     []string // Append's scratch
	shingles []uint64
	th       []uint64
	fp       uint64                  // fingerprint of th
	recent   recentTable[recentText] // texts' band keys, by fingerprint
	posts    recentTable[seenPost]   // posts' objects, by slotHash of their text
	clean    []byte
	folded   []byte
	cands    []bool
	byHandle bool // a handle named a candidate in the post being extracted
}

type phrase struct {
	words []string
	cand  int
}

type prefix struct {
	s    string
	cand int
}

type tokenKind uint8

const (
	tokWord tokenKind = iota
	tokHashtag
	tokHandle
)

// token is one word of the folded text; s includes the '#' or '@' of hashtags and handles.
type token struct {
	s    string
	kind tokenKind
	// next: only white space (line breaks and no-break spaces too), hyphens or an elision
	// separate it from the previous token, so a name may continue across ("Le Pen",
	// "Jean-Luc", "Le\nPen") but not across punctuation ("Le. Pen").
	next bool
}

// New returns an extractor for cfg. ev may be nil (no leak evidence).
func New(cfg Config, ev Evidencer) (*Extractor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("entities config: %w", err)
	}
	x := &Extractor{
		cfg:       cfg,
		ev:        ev,
		fold:      newFolder(),
		urls:      newURLNormalizer(cfg.TrackingParams),
		shortener: map[string]bool{},
		phrases:   map[string][]phrase{},
		tags:      map[string][]int{},
		handles:   map[string][]int{},
		cands:     make([]bool, len(cfg.Candidates)),
	}
	for _, s := range cfg.Shorteners {
		x.shortener[strings.ToLower(s)] = true
	}
	if cfg.NearText.Enabled {
		x.mh = newMinhasher(cfg.NearText.Bands, cfg.NearText.Rows)
		end := 0
		for band := range cfg.NearText.Bands {
			prefix := string(leakwatch.KindNearText) + ":" + strconv.Itoa(band) + "-"
			end += len(prefix) + 16
			x.bandPrefixes = append(x.bandPrefixes, prefix)
			x.bandEnds = append(x.bandEnds, end)
		}
	}
	for ci, c := range cfg.Candidates {
		x.candidateKeys = append(x.candidateKeys, string(leakwatch.KindCandidate)+":"+c.ID)
		for i, name := range append(append([]string(nil), c.Names...), c.Aliases...) {
			var words []string
			for _, t := range x.tokenize(x.fold.fold(name), nil) {
				words = append(words, strings.TrimLeft(t.s, "#@"))
			}
			if len(words) == 0 {
				continue
			}
			x.phrases[words[0]] = append(x.phrases[words[0]], phrase{words: words, cand: ci})
			x.phraseFirsts.Add(words[0])
			joined := strings.Join(words, "")
			if i < len(c.Names) && len(joined) >= MinHashtagPrefix {
				x.prefixes = append(x.prefixes, prefix{s: joined, cand: ci})
			}
			// A name or alias written together is an exact hashtag of the candidate: #MLP
			// for the alias MLP (aliases are never prefixes: #MLPxyz could be anything).
			if !slices.Contains(x.tags[joined], ci) {
				x.tags[joined] = append(x.tags[joined], ci)
			}
		}
		for _, h := range c.Hashtags {
			f := x.fold.fold(strings.TrimPrefix(h, "#"))
			x.tags[f] = append(x.tags[f], ci)
		}
		for _, h := range c.Handles {
			f := x.fold.fold(strings.TrimPrefix(h, "@"))
			x.handles[f] = append(x.handles[f], ci)
		}
	}
	return x, nil
}

// Extract returns the mentions of p, one per distinct object, "all:posts" first.
func (x *Extractor) Extract(p leakwatch.Post) []leakwatch.Mention {
	return x.Append(nil, p)
}

// Append appends the mentions of p to dst.
func (x *Extractor) Append(dst []leakwatch.Mention, p leakwatch.Post) []leakwatch.Mention {
	var m leakwatch.Mention
	x.objs, m = x.AppendObjects(x.objs[:0], p)
	for _, o := range x.objs {
		m.Object = o
		dst = append(dst, m)
	}
	return dst
}

// AppendObjects appends the objects of p to dst, one per distinct object, "all:posts"
// first, and returns them with the mention they share (Object left empty). A batch keeps
// one mention a post and its objects, so it takes them in that form: a mention is seven
// words, and writing ten a post only to read them back was a hundredth of an analysis.
func (x *Extractor) AppendObjects(dst []string, p leakwatch.Post) ([]string, leakwatch.Mention) {
	account, handle := p.Author.ID, p.Author.Handle
	if account == "" {
		account = handle
	}
	if handle == account { // an account known by its handle: nothing more to show
		handle = ""
	}
	postRef := p.URI
	if postRef == "" {
		postRef = p.ID
	}
	m := leakwatch.Mention{Account: account, Handle: handle, Post: postRef, Platform: p.Platform, At: p.CreatedAt}
	seen, h := x.seenSlot(p)
	if seen != nil && seen.sameContent(&p) {
		m.Evidence = seen.evidence
		return append(dst, seen.keys...), m
	}
	first := len(dst)
	if x.ev != nil {
		m.Evidence = x.ev.Evidence(p)
	}
	// A post's keys are written into one buffer and become one string at the end, cut into
	// a key each: one allocation a post instead of one a key (they live and die together).
	// A post has a dozen objects or so: a linear scan dedupes faster than a map, up to
	// scanKeys of them (index).
	x.keys, x.pending = x.keys[:0], x.pending[:0]
	if x.indexed {
		clear(x.index)
		x.indexed = false
	}
	key := func(k pendingKey) string {
		if k.end >= 0 {
			return unsafe.String(unsafe.SliceData(x.keys[k.start:]), k.end-k.start)
		}
		return k.s
	}
	indexKey := func(i int) {
		kh := strhash.FNV(strhash.FNVOffset, key(x.pending[i]))
		x.index[kh] = append(x.index[kh], int32(i))
	}
	same := func(k pendingKey, prefix, value string) bool {
		o := key(k)
		return len(o) == len(prefix)+len(value) && o[:len(prefix)] == prefix && o[len(prefix):] == value
	}
	has := func(prefix, value string) bool {
		if len(x.pending) <= scanKeys {
			for _, k := range x.pending {
				if same(k, prefix, value) {
					return true
				}
			}
			return false
		}
		if !x.indexed {
			if x.index == nil {
				x.index = map[uint64][]int32{}
			}
			for i := range x.pending {
				indexKey(i)
			}
			x.indexed = true
		}
		for _, i := range x.index[strhash.FNV(strhash.FNV(strhash.FNVOffset, prefix), value)] {
			if same(x.pending[i], prefix, value) {
				return true
			}
		}
		return false
	}
	// added indexes the key just appended, when the post's keys are indexed.
	added := func() {
		if x.indexed {
			indexKey(len(x.pending) - 1)
		}
	}
	// add adds the key prefix+value, unless the post has it.
	add := func(prefix, value string) {
		if has(prefix, value) {
			return
		}
		start := len(x.keys)
		x.keys = append(append(x.keys, prefix...), value...)
		x.pending = append(x.pending, pendingKey{start: start, end: len(x.keys)})
		added()
	}
	// addHex adds the key prefix followed by h in 16 lower-case hex digits.
	addHex := func(prefix string, h uint64) {
		var digits [16]byte
		appendHex(digits[:0], h)
		add(prefix, unsafe.String(&digits[0], len(digits)))
	}
	// addKey adds a key that is a string already.
	addKey := func(key string) {
		if !has("", key) {
			x.pending = append(x.pending, pendingKey{s: key, end: -1})
			added()
		}
	}
	addKey(leakwatch.AllPosts)

	// Source-given targets and objects.
	if p.ReshareOf != "" {
		add("reshare_of:", p.ReshareOf)
	}
	if p.QuoteOf != "" {
		// A quote amplifies its target like a reshare does; it has no kind of its own.
		add("reshare_of:", p.QuoteOf)
	}
	if p.ReplyTo != "" {
		add("reply_to:", p.ReplyTo)
	}
	for _, o := range p.Objects {
		if o.Kind != "" && o.Value != "" {
			add(string(o.Kind)+":", o.Value)
		}
	}
	for _, m := range p.Media {
		if m.Hash != "" {
			add("image:", strings.ToLower(m.Hash))
		}
	}

	// URLs: the source's list (expanded form preferred) and any in the text.
	addURL := func(raw string) {
		n, host, err := x.urls.normalize(raw)
		if err != nil {
			return
		}
		add("url:", n)
		if !x.shortener[host] {
			add("domain:", RegistrableDomain(host))
		}
	}
	for _, l := range p.URLs {
		switch {
		case l.Normalized != "":
			add("url:", l.Normalized)
			if l.Domain != "" {
				add("domain:", l.Domain)
			}
		case l.Expanded != "":
			addURL(l.Expanded)
		default:
			addURL(l.Raw)
		}
	}
	text := p.Text
	// "RT @user: text" is a reshare written into the text (old clients, archives without ids):
	// the target is the original author and text, so every retweet of it names one object.
	rtUser, rtText, isRT := cutRT(text)
	if isRT {
		text = rtText
	}
	// A reshare's text is its target's: the reshare_of object already names it, and a text
	// object too would count every retweet twice.
	reshare := isRT || p.ReshareOf != ""
	isRT = isRT && p.ReshareOf == ""

	x.clean = append(x.clean[:0], text...)
	scanURLs(text, func(start, end int, usable bool) {
		if usable && len(p.URLs) == 0 {
			addURL(text[start:end])
		}
		for i := start; i < end; i++ {
			x.clean[i] = ' '
		}
	})

	// The folded text lives only while this post is extracted (keys made from its words are
	// copies), so it is folded into a buffer reused post after post, not into new strings.
	x.folded = x.fold.appendFold(x.folded[:0], unsafe.String(unsafe.SliceData(x.clean), len(x.clean)))
	folded := unsafe.String(unsafe.SliceData(x.folded), len(x.folded))
	x.toks = x.tokenize(folded, x.toks[:0])

	for _, h := range p.Hashtags {
		add("hashtag:", x.fold.fold(strings.TrimPrefix(h, "#")))
	}
	for _, t := range x.toks {
		if t.kind == tokHashtag && len(t.s) > 1 {
			add("hashtag:", t.s[1:])
		}
	}

	x.byHandle = false
	x.candidates(p, func(ci int) { addKey(x.candidateKeys[ci]) })

	bands := false
	switch {
	case isRT:
		// "RT @user: text" without an id: the target is the author and the text.
		addHex("reshare_of:@"+x.fold.fold(rtUser)+"/", x.fingerprint())
	case reshare:
	case len(x.toks) >= x.cfg.MinTextTokens:
		// Exact text: the folded words in order, URLs left out.
		addHex("text:", x.fingerprint())
		bands = x.cfg.NearText.Enabled && len(x.toks) >= x.cfg.NearText.MinTokens
	}
	all := string(x.keys)
	for _, k := range x.pending {
		if k.end < 0 {
			dst = append(dst, k.s)
		} else {
			dst = append(dst, all[k.start:k.end])
		}
	}
	if bands {
		r := x.bandKeys()
		keys, start := r.keys, 0
		for _, end := range x.bandEnds {
			// Band keys are distinct by construction (the band number leads).
			dst = append(dst, keys[start:end])
			start = end
		}
	}
	if seen != nil {
		x.posts.took()
		keys := seen.keys[:0]
		if n := len(dst) - first; cap(keys) < n {
			keys = make([]string, 0, n) // at its size: most slots are new
		}
		*seen = seenPost{text: p.Text, more: contentOf(&p), hash: h, keys: append(keys, dst[first:]...), evidence: m.Evidence}
		if x.byHandle {
			if seen.more == nil {
				seen.more = &content{}
			}
			seen.more.byAuthor, seen.more.authorID, seen.more.authorHandle = true, p.Author.ID, p.Author.Handle
		}
	}
	return dst, m
}

// seenPost is what a post gave: its object keys and leak evidence, by its content.
type seenPost struct {
	text     string
	more     *content // the rest of the content, nil when only its text counted
	hash     uint64   // slotHash(text)
	keys     []string
	evidence []string
}

// content is what of a post besides its text its objects and evidence depend on (the rest
// goes into its mention).
type content struct {
	reshareOf, quoteOf, replyTo string
	objects                     []leakwatch.ObjectRef
	media                       []leakwatch.Media
	urls                        []leakwatch.Link
	hashtags, mentions          []string
	// byAuthor: a handle named a candidate, and whether it counts depends on who wrote the
	// post (Extractor.candidates), so its author is part of its content.
	byAuthor               bool
	authorID, authorHandle string
}

func (s seenPost) held() (uint64, bool) { return s.hash, s.text != "" }

// recentPosts is how many posts' objects are remembered, each in the slot its text's hash
// names: about 45 MB an extractor once full (the text, its keys and their slice, 700 bytes
// or so). A third of the IRA tweets repeat an earlier tweet word for word (accounts posting
// one text together is what co-share detection is for), and a post's objects and evidence
// are a function of its content: a repeat skips folding, tokenizing, the leak vocabulary,
// URL normalisation, fingerprint and bands.
const recentPosts = 1 << 16

// seenSlot returns the slot of p's text among the posts seen and the text's hash, nil for a
// post without text (little to spare).
func (x *Extractor) seenSlot(p leakwatch.Post) (*seenPost, uint64) {
	if p.Text == "" {
		return nil, 0
	}
	h := slotHash(p.Text)
	return x.posts.slot(h, recentPosts), h
}

// slotHash hashes a text's first 40 bytes, its last 8 and its length: it only chooses a
// slot (a post found there is compared in full), and a tweet hashed whole cost as much as
// the rest of finding it.
func slotHash(t string) uint64 {
	if len(t) <= 48 {
		return strhash.String(0, t)
	}
	return strhash.Mix(strhash.String(uint64(len(t)), t[:40]) ^ binary.LittleEndian.Uint64([]byte(t[len(t)-8:])))
}

// contentOf is p's content besides its text, its lists copied (a reader may reuse the
// post's), nil when p has none.
func contentOf(p *leakwatch.Post) *content {
	if textOnly(p) {
		return nil // as for most posts
	}
	return &content{reshareOf: p.ReshareOf, quoteOf: p.QuoteOf, replyTo: p.ReplyTo,
		objects: slices.Clone(p.Objects), media: slices.Clone(p.Media), urls: slices.Clone(p.URLs),
		hashtags: slices.Clone(p.Hashtags), mentions: slices.Clone(p.Mentions)}
}

// textOnly reports whether p's content is its text alone.
func textOnly(p *leakwatch.Post) bool {
	return p.ReshareOf == "" && p.QuoteOf == "" && p.ReplyTo == "" &&
		len(p.Objects)+len(p.Media)+len(p.URLs)+len(p.Hashtags)+len(p.Mentions) == 0
}

// sameContent reports whether p has the content s was made from.
func (s *seenPost) sameContent(p *leakwatch.Post) bool {
	if s.text != p.Text {
		return false
	}
	c := s.more
	if c == nil {
		return textOnly(p)
	}
	if c.byAuthor && (c.authorID != p.Author.ID || c.authorHandle != p.Author.Handle) {
		return false
	}
	return c.reshareOf == p.ReshareOf && c.quoteOf == p.QuoteOf && c.replyTo == p.ReplyTo &&
		slices.Equal(c.objects, p.Objects) && slices.Equal(c.media, p.Media) && slices.Equal(c.urls, p.URLs) &&
		slices.Equal(c.hashtags, p.Hashtags) && slices.Equal(c.mentions, p.Mentions)
}

// pendingKey is a key of the post being extracted: s, or x.keys[start:end] when end >= 0.
// scanKeys is how many keys a post's are looked through one by one before they are indexed.
const scanKeys = 32

type pendingKey struct {
	s          string
	start, end int
}

// fingerprint hashes the folded words (FNV-1a each, splitmix64 combined) and keeps the
// word hashes in x.th for shingling, their fingerprint in x.fp.
func (x *Extractor) fingerprint() uint64 {
	h := uint64(strhash.FNVOffset)
	x.th = x.th[:0]
	for _, t := range x.toks {
		th := strhash.FNV(strhash.FNVOffset, t.s)
		x.th = append(x.th, th)
		h = strhash.Mix(h ^ th)
	}
	x.fp = h
	return h
}

// recentText is a text's near-duplicate band keys, by the hashes of its words (x.th): one
// string cut into one key each at ends.
type recentText struct {
	th   []uint64
	fp   uint64 // the fingerprint of th
	keys string // the bands' keys, ending at Extractor.bandEnds
}

func (r recentText) held() (uint64, bool) { return r.fp, r.th != nil }

// recentTexts is how many texts' band keys are remembered, each in the slot its fingerprint
// names: about 25 MB an extractor once full (a slot, a text's nine keys and its word
// hashes, 375 bytes or so). Copies come back over days: on the IRA tweets, 2^16 slots
// computed a fifth fewer MinHash signatures than 2^12 (1.7 % of a batch analysis's
// instructions), 2^18 only 4 % fewer than 2^16.
const recentTexts = 1 << 16

// recentTable holds entries of recent texts, each in the slot its hash names, a newer one
// taking an older one's place. It starts at firstRecent slots and doubles, up to the most
// its caller allows, each time it has taken new entries for a quarter of its slots, the
// entries moving to the slots their hashes name in the larger one: a short-lived extractor
// does not clear megabytes it will never fill.
type recentTable[T recentEntry] struct {
	slots []T // a power of two long
	taken int // entries put since the table last grew
}

// recentEntry is an entry of a recentTable: its hash, and whether its slot holds one.
type recentEntry interface{ held() (uint64, bool) }

const firstRecent = 1 << 12

// slot returns the slot of hash h, the table grown first, up to most slots, when it is due.
func (t *recentTable[T]) slot(h uint64, most int) *T {
	if n := len(t.slots); n == 0 || 4*t.taken >= n && n < most {
		t.grow()
	}
	return &t.slots[h&uint64(len(t.slots)-1)]
}

// grow doubles the table (or makes the first), keeping what it holds.
func (t *recentTable[T]) grow() {
	old := t.slots
	t.slots, t.taken = make([]T, max(firstRecent, 2*len(old))), 0
	for _, e := range old {
		if h, ok := e.held(); ok {
			t.slots[h&uint64(len(t.slots)-1)] = e
		}
	}
}

// took counts an entry put in a slot slot returned.
func (t *recentTable[T]) took() { t.taken++ }

// bandKeys returns the near-duplicate band keys of the words hashed in x.th (fingerprint
// first). A third of the IRA tweets with bands repeat a text posted before, word for word,
// and the same words give the same shingles and bands: a text found among the recent ones
// (same word hashes, compared in full) takes its keys from there instead of a new MinHash.
func (x *Extractor) bandKeys() *recentText {
	r := x.recent.slot(x.fp, recentTexts)
	if slices.Equal(r.th, x.th) {
		return r
	}
	x.recent.took()
	nt := x.cfg.NearText
	x.shingles = x.shingles[:0]
	for i := 0; i+nt.Shingle <= len(x.th); i++ {
		s := uint64(nt.Shingle)
		for _, th := range x.th[i : i+nt.Shingle] {
			s = strhash.Mix(s ^ th)
		}
		x.shingles = append(x.shingles, s)
	}
	// The band keys of a post share one string, cut into one key each: one allocation
	// instead of one a band, and they live and die together anyway.
	x.bands = x.mh.appendBandKeys(x.bands[:0], x.shingles)
	b := x.keyBuf[:0]
	for band, key := range x.bands {
		b = append(b, x.bandPrefixes[band]...)
		b = appendHex(b, key)
	}
	x.keyBuf = b
	r.th, r.fp, r.keys = append(r.th[:0], x.th...), x.fp, string(b)
	return r
}

// candidates calls found once per candidate the post mentions.
func (x *Extractor) candidates(p leakwatch.Post, found func(int)) {
	if len(x.cfg.Candidates) == 0 {
		return
	}
	clear(x.cands)
	// A handle names a candidate unless the post is by that candidate's own account: a
	// candidate's thread replies to itself, and each reply would count as a mention.
	var self []int
	selfKnown := false
	handleHit := func(cs []int) {
		if len(cs) == 0 {
			return
		}
		x.byHandle = true
		if !selfKnown {
			self, selfKnown = x.ownCandidates(p.Author), true
		}
		for _, c := range cs {
			if !slices.Contains(self, c) {
				x.cands[c] = true
			}
		}
	}
	for _, h := range p.Mentions {
		handleHit(x.handles[x.fold.fold(strings.TrimPrefix(h, "@"))])
	}
	for _, h := range p.Hashtags {
		x.hashtagCandidates(x.fold.fold(strings.TrimPrefix(h, "#")))
	}
	toks := x.toks
	for i, t := range toks {
		switch t.kind {
		case tokHandle:
			handleHit(x.handles[t.s[1:]])
		case tokHashtag:
			x.hashtagCandidates(t.s[1:])
		case tokWord:
			if !x.phraseFirsts.May(t.s[0], len(t.s)) {
				continue
			}
			for _, ph := range x.phrases[t.s] {
				if matchPhrase(toks[i:], ph.words) {
					x.cands[ph.cand] = true
				}
			}
		}
	}
	for ci, ok := range x.cands {
		if ok {
			found(ci)
		}
	}
}

// ownCandidates returns the candidates whose handles name the author: its handle, or its id
// when a source (an archive of handles) names accounts by handle.
func (x *Extractor) ownCandidates(a leakwatch.Account) []int {
	own := x.handles[x.fold.fold(strings.TrimPrefix(a.Handle, "@"))]
	if a.ID != "" && a.ID != a.Handle {
		if byID := x.handles[x.fold.fold(strings.TrimPrefix(a.ID, "@"))]; len(byID) > 0 {
			own = append(slices.Clip(own), byID...)
		}
	}
	return own
}

func (x *Extractor) hashtagCandidates(tag string) {
	for _, c := range x.tags[tag] {
		x.cands[c] = true
	}
	for _, p := range x.prefixes {
		if strings.HasPrefix(tag, p.s) {
			x.cands[p.cand] = true
		}
	}
}

func matchPhrase(toks []token, words []string) bool {
	if len(toks) < len(words) {
		return false
	}
	for i, w := range words {
		if toks[i].kind != tokWord || toks[i].s != w || (i > 0 && !toks[i].next) {
			return false
		}
	}
	return true
}

// elisions are the French articles and pronouns written onto the next word with an
// apostrophe; they are dropped so "l'affaire" and "d'Emmanuel" yield "affaire", "emmanuel".
var elisions = map[string]bool{"l": true, "d": true, "j": true, "m": true, "n": true, "s": true, "t": true, "c": true, "qu": true, "jusqu": true, "lorsqu": true, "puisqu": true, "quoiqu": true}

// tokenize splits folded text into words, hashtags and handles. Any character that is not a
// letter, digit, '_' (in tags and handles), '#' or '@' separates words; apostrophes too, and
// an elided article before one is dropped.
func (x *Extractor) tokenize(s string, dst []token) []token {
	i := 0
	joined := false
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf && !lowWord[c] && c != '#' && c != '@' {
			// An ASCII separator, a fifth of a text's bytes: the default case below
			// without the rune decoded and classified.
			if !nameGlue[c] {
				joined = false
			}
			i++
			continue
		}
		r, size := rune(s[i]), 1 // ASCII, a word's first letter most often
		if r >= utf8.RuneSelf {
			if r, size = utf8x.Two(s[i:]), 2; r < 0 {
				r, size = utf8.DecodeRuneInString(s[i:])
			}
		}
		kind := tokWord
		start := i
		switch {
		case r == '#' || r == '@':
			if r == '#' {
				kind = tokHashtag
			} else {
				kind = tokHandle
			}
			i += size
		case isWordRune(r):
		default:
			if !wideSpace(r) {
				joined = false
			}
			i += size
			continue
		}
		i = wordEnd(s, i, kind != tokWord)
		if kind == tokHandle && i < len(s) && (s[i] == '.' || s[i] == '-') {
			i = domainHandle(s, i)
		}
		if kind != tokWord && (i-start == 1 || cutAt(s, i)) {
			continue // a lone '#' or '@', or a tag or handle the platform cut ("#JLM2…")
		}
		w := s[start:i]
		if kind == tokWord && i < len(s) && (s[i] == '\'' || strings.HasPrefix(s[i:], "’")) && elisions[w] {
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
			joined = true
			continue
		}
		dst = append(dst, token{s: w, kind: kind, next: joined})
		joined = true
	}
	return dst
}

// cutAt says whether a tag or handle ending at i was cut by the platform, as a text over 140
// characters was: an ellipsis or three dots right after it, then nothing but the link to the
// whole post. The cut name is another tag ("#JLM2…" is not #JLM2017), so it names nothing;
// an ellipsis followed by more words is punctuation ("#MacronLeaks… regardez").
func cutAt(s string, i int) bool {
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "…"):
		rest = rest[len("…"):]
	case strings.HasPrefix(rest, "..."):
		rest = rest[3:]
	default:
		return false
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return true
	}
	link, _, _ := strings.Cut(rest, " ")
	return (strings.HasPrefix(link, "https://") || strings.HasPrefix(link, "http://")) && strings.TrimSpace(rest[len(link):]) == ""
}

// wordEnd is where the word going on at i ends; underscore: '_' belongs to it (tags, handles).
func wordEnd(s string, i int, underscore bool) int {
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf { // most of any text: a table, not a rune decoded
			if !lowWord[c] && !(underscore && c == '_') {
				break
			}
			i++
			continue
		}
		r, size := utf8x.Two(s[i:]), 2
		if r < 0 {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if !isWordRune(r) {
			break
		}
		i += size
	}
	return i
}

// domainHandle is where a handle that stopped at a '.' or '-' at i ends: a domain-style
// handle ("@jean-luc.bsky.social") is one handle, not "@jean" followed by words; without a
// dot, "@user-name" is the handle "@user", as platforms read it. Asked only at those
// characters, so the word loop stays as tight as for any word.
func domainHandle(s string, i int) int {
	j, dot := i, false
	for j+1 < len(s) && (s[j] == '.' || s[j] == '-') && startsWord(s[j+1:]) {
		dot = dot || s[j] == '.'
		j = wordEnd(s, j+1, true)
	}
	if !dot {
		return i
	}
	return j
}

// startsWord reports whether s starts with a letter or digit.
func startsWord(s string) bool {
	if s[0] < utf8.RuneSelf {
		return lowWord[s[0]]
	}
	r, _ := utf8.DecodeRuneInString(s)
	return isWordRune(r)
}

func isWordRune(r rune) bool {
	if r < lowRunes {
		return lowWord[r]
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// nameGlue marks the ASCII separators a multi-word name continues across: white space
// (line breaks too) and '-' ("Le Pen", "Le\nPen", "Jean-Luc"). A table: a fifth of a text's
// bytes are separators, and six comparisons each were a measurable part of tokenizing.
var nameGlue = func() (t [utf8.RuneSelf]bool) {
	for c := range byte(utf8.RuneSelf) {
		t[c] = c == '-' || isSpaceByte(c)
	}
	return t
}()

// wideSpace is unicode.IsSpace for a rune past ASCII, asked only of runes that can be one:
// most non-ASCII separators are emoji and punctuation, and the category tables cost more.
func wideSpace(r rune) bool {
	return r == 0x85 || r == 0xA0 || r >= 0x1680 && r <= 0x3000 && unicode.IsSpace(r)
}

// lowWord is isWordRune below lowRunes, by table: Cyrillic posts looked every letter up in
// Unicode's category tables.
var lowWord = func() (t [lowRunes]bool) {
	for r := range rune(lowRunes) {
		t[r] = ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || ('A' <= r && r <= 'Z') ||
			r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
	}
	return t
}()

// cutRT splits "RT @user: text" into user and text.
func cutRT(s string) (user, rest string, ok bool) {
	t, ok := strings.CutPrefix(s, "RT @")
	if !ok {
		return "", s, false
	}
	user, rest, ok = strings.Cut(t, ":")
	if !ok || user == "" || strings.ContainsAny(user, " \n\t") {
		return "", s, false
	}
	return user, strings.TrimLeft(rest, " "), true
}

// appendHex appends h as 16 lower-case hex digits, eight a word: every post's text key and
// band keys pass here (a digit an append was a fiftieth of a batch analysis, two a byte from
// a table still a hundredth).
func appendHex(b []byte, h uint64) []byte {
	b = slices.Grow(b, 16)
	n := len(b)
	b = b[:n+16]
	binary.BigEndian.PutUint64(b[n:], hexWord(uint32(h>>32)))
	binary.BigEndian.PutUint64(b[n+8:], hexWord(uint32(h)))
	return b
}

// hexWord is the eight hex digits of x, the first in the top byte. Its nibbles are spread
// one a byte, most significant first, then each becomes '0'+d, or 'a'+d-10 when d >= 10
// (d+6 carries into bit 4 just then); no byte carries into the next.
func hexWord(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f
	ge10 := (v + 0x0606060606060606) >> 4 & 0x0101010101010101
	return v + 0x3030303030303030 + ge10*('a'-'0'-10)
}
