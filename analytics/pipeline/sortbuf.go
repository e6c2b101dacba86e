package pipeline

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/minheap"
)

// RunStore keeps the sorted runs of a batch outside memory, for archives larger than
// Config.SortBuffer posts: Create opens a new run for writing, Open reads run i (in the order
// they were created) back from its start. Runs are only read after every one was written
// and closed. The analyze command stores them as temporary files.
type RunStore interface {
	Create() (io.WriteCloser, error)
	Open(i int) (io.ReadCloser, error)
}

// A batch sorts posts, not mentions: every mention of a post shares its time, account and
// evidence, so one entry a post carries them once and the sort moves a tenth as many items.

// postEntry is one post's mentions: the mention with Object left empty, and its objects.
type postEntry struct {
	m       leakwatch.Mention
	objects []string
}

// comparePosts orders entries by event time, then post, account and objects, so the same
// input gives the same run whatever order the archive listed it in (and whether or not it
// was spilled).
func comparePosts(a, b *postEntry) int {
	if c := a.m.At.Compare(b.m.At); c != 0 {
		return c
	}
	if c := strings.Compare(a.m.Post, b.m.Post); c != 0 {
		return c
	}
	if c := strings.Compare(a.m.Account, b.m.Account); c != 0 {
		return c
	}
	return slices.Compare(a.objects, b.objects)
}

// postBuffer holds the posts of a batch not yet in a run, in fixed-size chunks so growing
// never copies (and never leaves the old copy to the collector). A post's objects lie in one
// chunk of objects, so a post costs one entry and its strings.
type postBuffer struct {
	entries [][]bufEntry
	objects [][]string
	n       int
}

type bufEntry struct {
	m      leakwatch.Mention
	at     int64 // sort key: m.At in unix nanoseconds
	chunk  int32 // objects[chunk][lo:hi]
	lo, hi int32
}

const (
	entryChunk  = 1 << 13
	objectChunk = 1 << 16
)

func (b *postBuffer) len() int { return b.n }

// add buffers the objects of one post and the mention they share.
func (b *postBuffer) add(m leakwatch.Mention, objs []string) {
	if len(objs) == 0 {
		return
	}
	if b.n%entryChunk == 0 {
		b.entries = append(b.entries, make([]bufEntry, 0, entryChunk))
	}
	if k := len(b.objects); k == 0 || len(b.objects[k-1])+len(objs) > cap(b.objects[k-1]) {
		b.objects = append(b.objects, make([]string, 0, max(objectChunk, len(objs))))
	}
	m.Object = ""
	k := len(b.objects) - 1
	chunk := &b.objects[k]
	e := bufEntry{m: m, at: sortKey(m.At), chunk: int32(k), lo: int32(len(*chunk))}
	*chunk = append(*chunk, objs...)
	e.hi = int32(len(*chunk))
	last := &b.entries[len(b.entries)-1]
	*last = append(*last, e)
	b.n++
}

// sortKey is the event time in unix nanoseconds, the zero time first (its mentions are
// refused by detect with a reason, wherever they land).
func sortKey(t time.Time) int64 {
	if t.IsZero() {
		return -1 << 63
	}
	return t.UnixNano()
}

func (b *postBuffer) at(i int32) *bufEntry { return &b.entries[i/entryChunk][i%entryChunk] }

func (b *postBuffer) entry(i int32) postEntry {
	e := b.at(i)
	return postEntry{m: e.m, objects: b.objects[e.chunk][e.lo:e.hi]}
}

// sorted returns the entry indexes in comparePosts order: by time with a radix sort (stable,
// so posts of one time stay in buffer order), then each run of one time by comparePosts.
// Comparison sorting 87,000 keys took 1.5 % of a batch analysis; a few passes over bytes
// do the same work in a quarter of the instructions.
func (b *postBuffer) sorted() []int32 {
	keys := make([]timeKey, b.n)
	for i := range keys {
		keys[i] = timeKey{uint64(b.at(int32(i)).at) ^ 1<<63, int32(i)} // ^: signed order as unsigned
	}
	keys = radixSort(keys, make([]timeKey, len(keys)))
	idx := make([]int32, len(keys))
	for i, k := range keys {
		idx[i] = k.i
	}
	for lo := 0; lo < len(keys); {
		hi := lo + 1
		for hi < len(keys) && keys[hi].at == keys[lo].at {
			hi++
		}
		if hi-lo > 1 {
			slices.SortFunc(idx[lo:hi], func(x, y int32) int {
				ex, ey := b.entry(x), b.entry(y)
				return comparePosts(&ex, &ey)
			})
		}
		lo = hi
	}
	return idx
}

// timeKey is an entry's time, ordered as an unsigned number, and its index.
type timeKey struct {
	at uint64
	i  int32
}

// radixSort sorts keys by at, stably, one byte a pass from the lowest, skipping bytes every
// key shares (the high bytes of a campaign's times, the low ones of times in whole
// seconds); tmp is scratch of the same length. It returns whichever of the two holds the
// result.
func radixSort(keys, tmp []timeKey) []timeKey {
	if len(keys) < 2 {
		return keys
	}
	var counts [8][256]int
	for _, k := range keys {
		for d := range 8 {
			counts[d][byte(k.at>>(8*d))]++
		}
	}
	for d := range 8 {
		c := &counts[d]
		if c[byte(keys[0].at>>(8*d))] == len(keys) {
			continue // one value of this byte: the pass would change nothing
		}
		sum := 0
		for v := range c {
			c[v], sum = sum, sum+c[v]
		}
		for _, k := range keys {
			v := byte(k.at >> (8 * d))
			tmp[c[v]] = k
			c[v]++
		}
		keys, tmp = tmp, keys
	}
	return keys
}

func (b *postBuffer) reset() { *b = postBuffer{} }

// A run on disk is its entries in order, each:
//
//	seconds (varint), nanoseconds (uvarint), zero-time flag (byte),
//	account, post, platform (uvarint length + bytes),
//	evidence count (uvarint) and strings, object count (uvarint) and strings.
//
// Times come back in UTC: the batch turns every time to UTC when it takes the post, so a
// spilled run and a buffered one give identical records.

type runWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (w *runWriter) write(e postEntry) error {
	b := w.buf[:0]
	if e.m.At.IsZero() {
		b = append(b, 1)
	} else {
		b = append(b, 0)
		b = binary.AppendVarint(b, e.m.At.Unix())
		b = binary.AppendUvarint(b, uint64(e.m.At.Nanosecond()))
	}
	for _, s := range [...]string{e.m.Account, e.m.Handle, e.m.Post, e.m.Platform} {
		b = appendRunString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.m.Evidence)))
	for _, s := range e.m.Evidence {
		b = appendRunString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.objects)))
	for _, s := range e.objects {
		b = appendRunString(b, s)
	}
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

func appendRunString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// runReader reads a run back one entry at a time.
type runReader struct {
	r    *bufio.Reader
	c    io.Closer
	name string
	n    int // entries read
	strs []byte
}

// maxRunString bounds one string read back, so a damaged run file fails with a reason
// instead of allocating without end.
const maxRunString = 1 << 24

func (r *runReader) next() (postEntry, error) {
	var e postEntry
	zero, err := r.r.ReadByte()
	if err == io.EOF {
		return e, io.EOF
	}
	if err != nil {
		return e, r.fail(err)
	}
	if zero == 0 {
		sec, err := binary.ReadVarint(r.r)
		if err != nil {
			return e, r.fail(err)
		}
		nsec, err := binary.ReadUvarint(r.r)
		if err != nil {
			return e, r.fail(err)
		}
		e.m.At = time.Unix(sec, int64(nsec)).UTC()
	}
	for _, p := range [...]*string{&e.m.Account, &e.m.Handle, &e.m.Post, &e.m.Platform} {
		if *p, err = r.str(); err != nil {
			return e, r.fail(err)
		}
	}
	if e.m.Evidence, err = r.strings(); err != nil {
		return e, r.fail(err)
	}
	if e.objects, err = r.strings(); err != nil {
		return e, r.fail(err)
	}
	r.n++
	return e, nil
}

func (r *runReader) fail(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("sorted run %s, entry %d: %w", r.name, r.n+1, err)
}

func (r *runReader) str() (string, error) {
	n, err := binary.ReadUvarint(r.r)
	if err != nil {
		return "", err
	}
	if n > maxRunString {
		return "", fmt.Errorf("string of %d bytes: the run is damaged", n)
	}
	if cap(r.strs) < int(n) {
		r.strs = make([]byte, n)
	}
	b := r.strs[:n]
	if _, err := io.ReadFull(r.r, b); err != nil {
		return "", err
	}
	return string(b), nil
}

func (r *runReader) strings() ([]string, error) {
	n, err := binary.ReadUvarint(r.r)
	if err != nil || n == 0 {
		return nil, err
	}
	if n > maxRunString {
		return nil, fmt.Errorf("list of %d strings: the run is damaged", n)
	}
	out := make([]string, n)
	for i := range out {
		if out[i], err = r.str(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// merger yields the entries of the runs and of the buffer in comparePosts order.
type merger struct {
	srcs  []source
	queue minheap.Heap[mergeItem] // the next entry of each source not yet exhausted
	one   source                  // the only source, read straight through
}

type source interface {
	next() (postEntry, error)
}

// bufferSource reads the sorted buffer in place.
type bufferSource struct {
	b   *postBuffer
	idx []int32
}

func (s *bufferSource) next() (postEntry, error) {
	if len(s.idx) == 0 {
		return postEntry{}, io.EOF
	}
	e := s.b.entry(s.idx[0])
	s.idx = s.idx[1:]
	return e, nil
}

type mergeItem struct {
	e   postEntry
	src int
}

// less orders by comparePosts, equal entries by source, so the merge has one order.
func (a mergeItem) less(b mergeItem) bool {
	if c := comparePosts(&a.e, &b.e); c != 0 {
		return c < 0
	}
	return a.src < b.src
}

func newMerger(srcs []source) (*merger, error) {
	m := &merger{srcs: srcs, queue: minheap.New(mergeItem.less)}
	if len(srcs) == 1 {
		m.one = srcs[0] // an archive that fit in memory: nothing to merge
		return m, nil
	}
	for i := range srcs {
		if err := m.pull(i); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// pull queues source i's next entry, if it has one.
func (m *merger) pull(i int) error {
	e, err := m.srcs[i].next()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	m.queue.Push(mergeItem{e: e, src: i})
	return nil
}

// next returns the next entry in order, or io.EOF.
func (m *merger) next() (postEntry, error) {
	if m.one != nil {
		return m.one.next()
	}
	if m.queue.Len() == 0 {
		return postEntry{}, io.EOF
	}
	it := m.queue.Pop()
	return it.e, m.pull(it.src)
}
