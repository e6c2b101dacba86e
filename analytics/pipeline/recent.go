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
	window    int64 // seconds
	cur, prev keymap.Map[int64]
	curFrom   int64 // the Unix second cur began at
	dropped   int64
}

func newRecentPosts(cfg Config) *recentPosts {
	w := int64((cfg.Lateness + cfg.Reorder + time.Second - 1) / time.Second)
	return &recentPosts{window: max(w, 1)}
}

// seen reports whether the post uri of time at is a copy of one taken at most the window
// before it (and counts it dropped); otherwise it remembers the post. A post without a URI
// is never a copy.
func (r *recentPosts) seen(uri string, at time.Time) bool {
	if uri == "" {
		return false
	}
	t := at.Unix()
	if t >= r.curFrom+r.window {
		// cur is a window old: it becomes prev; two windows old, both go. A new table each
		// time: clearing one sized for the busiest window cost more than growing a new one.
		r.prev, r.cur = r.cur, keymap.Map[int64]{}
		if t >= r.curFrom+2*r.window {
			r.prev = keymap.Map[int64]{}
		}
		r.curFrom = t
	}
	h := strhash.String(0, uri)
	if first, ok := r.cur.Get(h, uri); ok && first >= t-r.window {
		r.dropped++
		return true
	}
	if first, ok := r.prev.Get(h, uri); ok && first >= t-r.window {
		r.dropped++
		return true
	}
	r.cur.Put(h, uri, t)
	return false
}
