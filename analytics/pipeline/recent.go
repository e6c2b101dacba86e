package pipeline

import (
	"time"

	"github.com/leakwatch/leakwatch/internal/keymap"
	"github.com/leakwatch/leakwatch/internal/strhash"
)

// recentPosts drops a copy of a post (the same URI) that comes while the detect stage still
// holds the first one's time: archives overlap (two exports of one account, a stream
// collected twice, a CSV and a JSON of the same tweets), and a post counted twice makes
// bursts, leaks and alerts that never happened. The stream drops such copies the same way,
// by post and object within the lateness (stream/stages, detector.count), so a batch and a
// replay of one archive agree; a copy that comes later than that is late in the stream and
// is counted again here, as its time is then past any window it could inflate.
//
// Posts come in event-time order (with Config.Reorder, up to Reorder out of it, and the
// window is that much longer). The URIs are kept in two generations, each a window of event
// time: a lookup tries both and compares the time, and the older generation is dropped
// whole. Forgetting each post on its own, as the stream does, cost more than the rest of
// this (a delete a post was two percent of an analysis).
type recentPosts struct {
	lateness  int64 // ns: a copy is a post of the same URI at most this far from the first
	keep      int64 // ns each generation spans: the lateness, and the reorder on top
	cur, prev keymap.Map[int64]
	curFrom   int64 // the Unix ns cur began at
	dropped   int64
}

func newRecentPosts(cfg Config) *recentPosts {
	return &recentPosts{lateness: int64(cfg.Lateness), keep: max(int64(cfg.Lateness+cfg.Reorder), 1)}
}

// seen reports whether the post uri of time at is a copy of one taken at most the lateness
// from it (and counts it dropped), the stream's rule (stream/stages, detector.count);
// otherwise it remembers the post. A post without a URI is never a copy.
func (r *recentPosts) seen(uri string, at time.Time) bool {
	if uri == "" {
		return false
	}
	t := at.UnixNano()
	if t >= r.curFrom+r.keep {
		// cur is a generation old: it becomes prev; two old, both go. A new table each
		// time: clearing one sized for the busiest window cost more than growing a new one.
		r.prev, r.cur = r.cur, keymap.Map[int64]{}
		if t >= r.curFrom+2*r.keep {
			r.prev = keymap.Map[int64]{}
		}
		r.curFrom = t
	}
	h := strhash.String(0, uri)
	if first, ok := r.cur.Get(h, uri); ok && abs(t-first) <= r.lateness {
		r.dropped++
		return true
	}
	if first, ok := r.prev.Get(h, uri); ok && abs(t-first) <= r.lateness {
		r.dropped++
		return true
	}
	r.cur.Put(h, uri, t)
	return false
}

func abs(d int64) int64 {
	if d < 0 {
		return -d
	}
	return d
}
