// Package volume counts posts per time bucket for the whole stream and for each candidate:
// the volume lines the live page, the report and the dashboards draw against the calendar.
// It is pure: mentions in, series out. It must not do I/O.
package volume

import (
	"sort"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
)

// All is the series of the whole stream.
const All = "all"

const candidatePrefix = string(leakwatch.KindCandidate) + ":"

// Point is one bucket: posts whose event time falls in [T, T+bucket).
type Point struct {
	T time.Time `json:"t"`
	N int       `json:"n"`
}

// Series is one line: "all" or a candidate id. Buckets without posts have no point, so a
// campaign of months with a quiet candidate stays small.
type Series struct {
	Name string `json:"name"`
	// BucketS is the bucket width in seconds: what tells a bucket without posts (no point)
	// from the next point. 0 when unknown (files written before it was kept).
	BucketS int64   `json:"bucket_s,omitempty"`
	Points  []Point `json:"points"`
}

// Counter buckets all:posts and candidate mentions. MaxBuckets bounds each series (oldest
// buckets go first) so a live process stays small; 0 keeps everything, for batch runs.
type Counter struct {
	Bucket     time.Duration
	MaxBuckets int
	counts     map[string]*series
	// last is the series counted last: posts come in time order, nearly all of the stream,
	// so most counts go to the bucket that series counted last, with no map lookup (the two
	// lookups a post were half a percent of a batch analysis).
	last     *series
	lastName string
}

// series is one line's counts by bucket start (Unix seconds), and the bucket counted last:
// cur counts the posts from Unix second from to before to.
type series struct {
	counts   map[int64]*int
	cur      *int
	from, to int64
}

// New returns a counter with the given bucket width.
func New(bucket time.Duration, maxBuckets int) *Counter {
	return &Counter{Bucket: bucket, MaxBuckets: maxBuckets, counts: map[string]*series{}}
}

// Add counts a mention if it is of the whole stream or of a candidate, and says whether it was.
func (c *Counter) Add(m leakwatch.Mention) bool { return c.AddObject(m.Object, m.At) }

// AddObject is Add for a mention of object at time at.
func (c *Counter) AddObject(object string, at time.Time) bool {
	// Neither the whole stream nor a candidate, as nine mentions in ten: told by the first
	// byte, in line at the caller (the rest is not inlined).
	if object == "" || !counted[object[0]] {
		return false
	}
	return c.add(object, at)
}

// Counts says whether a Counter counts mentions of object: the whole stream and candidates.
func Counts(object string) bool {
	return object == leakwatch.AllPosts || strings.HasPrefix(object, candidatePrefix)
}

// counted is the first bytes of the objects a Counter counts.
var counted = func() (t [256]bool) {
	t[leakwatch.AllPosts[0]], t[candidatePrefix[0]] = true, true
	return t
}()

func (c *Counter) add(object string, at time.Time) bool {
	var name string
	switch {
	case object == leakwatch.AllPosts:
		name = All
	case strings.HasPrefix(object, candidatePrefix):
		name = object[len(candidatePrefix):]
	default:
		return false
	}
	s := c.last
	if s == nil || name != c.lastName {
		if s = c.counts[name]; s == nil {
			s = &series{counts: map[int64]*int{}}
			c.counts[name] = s
		}
		c.last, c.lastName = s, name
	}
	if u := at.Unix(); s.cur != nil && u >= s.from && u < s.to {
		*s.cur++
		return true
	}
	start := at.Truncate(c.Bucket)
	b := start.Unix()
	n := s.counts[b]
	if n == nil {
		n = new(int)
		s.counts[b] = n
	}
	*n++
	s.cur, s.from, s.to = n, b, b
	if c.Bucket%time.Second == 0 {
		// A bucket of whole seconds holds exactly the posts of its seconds; other widths
		// always take the lookup above.
		s.to = start.Add(c.Bucket).Unix()
	}
	if c.MaxBuckets > 0 && len(s.counts) > c.MaxBuckets {
		// When the oldest is b itself (a late post), cur is left counting a bucket no longer
		// kept: what counting it afresh would do, as it would be the oldest again.
		oldest := b
		for k := range s.counts {
			oldest = min(oldest, k)
		}
		delete(s.counts, oldest)
	}
	return true
}

// Series returns every line, by name, with points in time order.
func (c *Counter) Series() []Series {
	names := make([]string, 0, len(c.counts))
	for n := range c.counts {
		names = append(names, n)
	}
	sort.Strings(names)
	var bucketS int64 // a width of fractional seconds has no whole number: left unknown
	if c.Bucket%time.Second == 0 {
		bucketS = int64(c.Bucket / time.Second)
	}
	out := make([]Series, 0, len(names))
	for _, n := range names {
		pts := make([]Point, 0, len(c.counts[n].counts))
		for t, v := range c.counts[n].counts {
			pts = append(pts, Point{T: time.Unix(t, 0).UTC(), N: *v})
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].T.Before(pts[j].T) })
		out = append(out, Series{Name: n, BucketS: bucketS, Points: pts})
	}
	return out
}

// StrayGap and StrayShare are leakwatch's rule for posts dated far from the rest, which
// analyze warns of and the report's timeline leaves out: more than StrayGap from all the
// others, and at most one post in StrayShare (at least one post).
const (
	StrayGap   = 30 * 24 * time.Hour
	StrayShare = 1000
)

// Stray finds the buckets of a series that lie far from the rest at either end: before the
// last gap longer than gap that at most limit posts precede (head), and after the first such
// gap at most limit posts follow (tail). A post dated years off, by a typo or a broken
// export, starts the burst warm-up and the baselines where it lies, and stretches every
// timeline over the empty years between.
func Stray(s Series, gap time.Duration, limit int) (head, tail []Point) {
	pts := s.Points
	n := 0
	for i := 0; i+1 < len(pts); i++ {
		if n += pts[i].N; n > limit {
			break
		}
		if pts[i+1].T.Sub(pts[i].T) > gap {
			head = pts[:i+1]
		}
	}
	n = 0
	for i := len(pts) - 1; i > len(head); i-- {
		if n += pts[i].N; n > limit {
			break
		}
		if pts[i].T.Sub(pts[i-1].T) > gap {
			tail = pts[i:]
		}
	}
	return head, tail
}
