package pipeline

import "time"

// recentPosts drops a copy of a post (the same URI) that comes while the detect stage still
// holds the first one's time: archives overlap (two exports of one account, a stream
// collected twice, a CSV and a JSON of the same tweets), and a post counted twice makes
// bursts, leaks and alerts that never happened. The stream drops such copies the same way,
// by post and object within the lateness (stream/stages, detector.count), so a batch and a
// replay of one archive agree; a copy that comes later than that is late in the stream and
// is counted again here, as its time is then past any window it could inflate.
//
// Posts come in event-time order, so the URIs remembered are those of the last Lateness,
// forgotten at each watermark step as the stream forgets them. With Config.Reorder they come
// up to Reorder out of order, and are remembered that much longer.
type recentPosts struct {
	window, step time.Duration
	next         time.Time // the next step boundary: older posts are forgotten there
	at           map[string]time.Time
	order        []recentPost // the remembered posts by time, from head
	head         int
	dropped      int64
}

type recentPost struct {
	uri string
	at  time.Time
}

func newRecentPosts(cfg Config) *recentPosts {
	return &recentPosts{window: cfg.Lateness + cfg.Reorder, step: cfg.Step, at: map[string]time.Time{}}
}

// seen reports whether the post uri of time at is a copy of one taken within the lateness
// (and counts it dropped); otherwise it remembers the post. A post without a URI is never a
// copy.
func (r *recentPosts) seen(uri string, at time.Time) bool {
	if uri == "" {
		return false
	}
	if _, dup := r.at[uri]; dup {
		r.dropped++
		return true
	}
	if !at.Before(r.next) {
		r.next = at.Truncate(r.step).Add(r.step)
		r.forget(at.Add(-r.window))
	}
	r.at[uri] = at
	r.order = append(r.order, recentPost{uri, at})
	return false
}

// forget drops the posts older than horizon (those remembered before the first that is not,
// when they came out of order).
func (r *recentPosts) forget(horizon time.Time) {
	for r.head < len(r.order) && r.order[r.head].at.Before(horizon) {
		delete(r.at, r.order[r.head].uri)
		r.order[r.head] = recentPost{}
		r.head++
	}
	if r.head > len(r.order)/2 {
		n := copy(r.order, r.order[r.head:])
		clear(r.order[n:])
		r.order, r.head = r.order[:n], 0
	}
}
