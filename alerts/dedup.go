package alerts

import (
	"container/list"
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Dedup drops alerts already delivered within Interval: a rule that fires again on the same
// subject (same Alert.ID) while the first alert is still fresh is not news. A change of
// severity is news, and so is a change of Supersedes (a leak incident that absorbed another
// keeps its ID and only gains supersedes; receivers must learn of the replacement), and of
// Candidate or Object, which receivers route on (a growing group's most shared objects can
// come to name another candidate: held back, the alert stayed with the wrong desk until the
// interval passed, and for good on a finite replay). So the key is ID, severity, candidate,
// object and the set of superseded IDs; evidence that only grew is not news at once. It is
// not lost either: the latest suppressed version whose summary or evidence differs from the
// one delivered waits, one per ID, and SendUpdates delivers it once the delivered version is
// Interval old (or at once, on shutdown). A receiver thus holds a finding at most Interval
// behind its evidence, instead of as first raised: a finite replay never raised it again,
// and Alertmanager kept "(9 objects)" where the records said 20. Only successful deliveries
// are remembered, so a failed alert is sent again on the next try.
//
// Memory is bounded by MaxEntries: past it the oldest entries are forgotten early (counted in
// leakwatch_alerts_dedup_evicted_total), which can only cause a repeat, never a loss. The
// state is in memory; a restarted process may send one repeat per alert. Waiting tells the
// caller which alerts' latest versions are not yet delivered, so it can keep their records.
type Dedup struct {
	next     Notifier
	interval time.Duration
	max      int
	now      func() time.Time

	// onSuppress and onEvict feed metrics when the stage runs inside a Receiver.
	onSuppress func(n int)
	onEvict    func()

	// send is held over a whole delivery, filter to remember: an update sent by the clock
	// must not overtake, or be overtaken by, the newer version of a batch.
	send sync.Mutex

	mu      sync.Mutex
	entries map[string]*list.Element // key -> element of order
	order   *list.List               // *dedupEntry, oldest delivery first
	// pending holds, by alert ID, the latest suppressed version whose summary or evidence
	// differs from the one delivered under its key. Any delivery of the ID drops it (it is
	// older than what was sent); its size is bounded by the entries, since an entry's
	// eviction makes its update due at the next SendUpdates.
	pending map[string]leakwatch.Alert
	// replaced holds the IDs a delivered alert superseded, with when that was learned: alerts
	// are keyed by ID, so a replaced alert and its replacement lie on different partitions
	// and a reader catching up a backlog can meet the replaced one after; sent then, one leak
	// paged twice. Kept for replacedFor (or the interval, if longer), at most max of them.
	replaced      map[string]time.Time
	replacedOrder []string
}

// replacedFor is how long a replaced ID is refused: longer than a backlog takes to catch up.
const replacedFor = 24 * time.Hour

type dedupEntry struct {
	key    string
	sent   time.Time
	sum    uint64    // of the delivered version's summary and evidence
	raised time.Time // the delivered version's RaisedAt
}

// NewDedup returns a Dedup in front of next.
func NewDedup(next Notifier, cfg DedupConfig) *Dedup {
	return &Dedup{
		next:     next,
		interval: cfg.Interval,
		max:      cfg.MaxEntries,
		now:      time.Now,
		entries:  map[string]*list.Element{},
		order:    list.New(),
		pending:  map[string]leakwatch.Alert{},
		replaced: map[string]time.Time{},
	}
}

// contentSum hashes what a person reads of an alert, its summary and evidence. Times and the
// link move with every republication of a growing finding; they alone are no update.
func contentSum(a leakwatch.Alert) uint64 {
	h := fnv.New64a()
	h.Write([]byte(a.Summary))
	for _, e := range a.Evidence {
		h.Write([]byte{0})
		h.Write([]byte(e))
	}
	return h.Sum64()
}

func dedupKey(a leakwatch.Alert) string {
	k := a.ID + "\x00" + a.Severity + "\x00" + a.Candidate + "\x00" + a.Object
	if len(a.Supersedes) == 0 {
		return k
	}
	// A hash, not the list, keeps an entry small however many incidents one absorbed; the
	// set is sorted so the order the rules listed them in does not matter.
	ids := slices.Clone(a.Supersedes)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	h := fnv.New64a()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return k + "\x00" + strconv.FormatUint(h.Sum64(), 16)
}

// Notify passes on the alerts not delivered within the interval (and each key once per
// call), and remembers them when next succeeds.
func (d *Dedup) Notify(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
	d.send.Lock()
	defer d.send.Unlock()
	return d.deliver(ctx, d.filter(alerts), len(alerts))
}

// deliver sends fresh (of a call of n alerts) and remembers what got through.
func (d *Dedup) deliver(ctx context.Context, fresh []leakwatch.Alert, n int) (bool, error) {
	if n := n - len(fresh); n > 0 && d.onSuppress != nil {
		d.onSuppress(n)
	}
	if len(fresh) == 0 {
		return false, nil
	}
	retry, err := d.next.Notify(ctx, fresh...)
	var pe *PartialError
	switch {
	case err == nil:
		d.remember(fresh)
	case errors.As(err, &pe):
		// Sent one by one after a refusal of the whole: remember those that got through.
		failed := make(map[string]bool, len(pe.Failed))
		for _, f := range pe.Failed {
			failed[dedupKey(f.Alert)] = true
		}
		var sent []leakwatch.Alert
		for _, a := range fresh {
			if !failed[dedupKey(a)] {
				sent = append(sent, a)
			}
		}
		d.remember(sent)
	}
	return retry, err
}

func (d *Dedup) filter(alerts []leakwatch.Alert) []leakwatch.Alert {
	if d.interval <= 0 {
		return alerts
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(now)
	fresh := make([]leakwatch.Alert, 0, len(alerts))
	var seen map[string]bool // repeats inside the batch; single alerts (the common case) need none
	if len(alerts) > 1 {
		seen = make(map[string]bool, len(alerts))
	}
	for _, a := range alerts {
		k := dedupKey(a)
		if seen != nil {
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		if _, gone := d.replaced[a.ID]; gone {
			continue // replaced by an alert already delivered
		}
		if el, ok := d.entries[k]; ok {
			// Delivered less than interval ago (expire removed the older ones): a repeat,
			// or an update to send when the interval has passed. A copy raised before the
			// delivered version (a dead letter fed back after the finding grew) is neither:
			// it must not become the waiting update, nor drop the one waiting.
			e := el.Value.(*dedupEntry)
			if a.RaisedAt.Before(e.raised) {
				continue
			}
			if w, ok := d.pending[a.ID]; ok && a.RaisedAt.Before(w.RaisedAt) {
				continue // older than the update already waiting
			}
			if contentSum(a) != e.sum {
				d.pending[a.ID] = a
			} else {
				delete(d.pending, a.ID)
			}
			continue
		}
		if w, ok := d.pending[a.ID]; ok && a.RaisedAt.Before(w.RaisedAt) {
			continue // a copy older than the update waiting for this ID
		}
		delete(d.pending, a.ID) // this version is newer than any waiting
		fresh = append(fresh, a)
	}
	return fresh
}

// SendUpdates delivers the waiting updates (see Dedup) whose delivered version is at least
// the interval old, or every waiting update when all is set (on shutdown: a receiver should
// hold the last version rather than wait for a process that is stopping). It returns how many
// it sent; an update that failed waits for the next call.
func (d *Dedup) SendUpdates(ctx context.Context, all bool) (int, error) {
	d.send.Lock()
	defer d.send.Unlock()
	d.mu.Lock()
	d.expire(d.now())
	var due []leakwatch.Alert
	for id, a := range d.pending {
		if _, fresh := d.entries[dedupKey(a)]; fresh && !all {
			continue
		}
		due = append(due, a)
		delete(d.pending, id)
	}
	d.mu.Unlock()
	if len(due) == 0 {
		return 0, nil
	}
	slices.SortFunc(due, func(a, b leakwatch.Alert) int { return strings.Compare(a.ID, b.ID) })
	_, err := d.deliver(ctx, due, len(due))
	if err == nil {
		return len(due), nil
	}
	failed := due
	var pe *PartialError
	if errors.As(err, &pe) {
		failed = failed[:0:0]
		for _, f := range pe.Failed {
			failed = append(failed, f.Alert)
		}
	}
	d.mu.Lock()
	for _, a := range failed {
		if _, newer := d.pending[a.ID]; !newer {
			d.pending[a.ID] = a
		}
	}
	d.mu.Unlock()
	return len(due) - len(failed), err
}

func (d *Dedup) remember(alerts []leakwatch.Alert) {
	if d.interval <= 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for _, a := range alerts {
		k := dedupKey(a)
		for _, id := range a.Supersedes {
			if _, ok := d.replaced[id]; !ok {
				d.replacedOrder = append(d.replacedOrder, id)
			}
			d.replaced[id] = now
		}
		if el, ok := d.entries[k]; ok {
			// Delivered again (the interval passed, or an update on shutdown): restart its
			// clock.
			e := el.Value.(*dedupEntry)
			e.sent, e.sum, e.raised = now, contentSum(a), later(e.raised, a.RaisedAt)
			d.order.MoveToBack(el)
			continue
		}
		d.entries[k] = d.order.PushBack(&dedupEntry{key: k, sent: now, sum: contentSum(a), raised: a.RaisedAt})
		for d.order.Len() > d.max {
			d.drop(d.order.Front())
			if d.onEvict != nil {
				d.onEvict()
			}
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// expire forgets entries older than the interval, and replaced IDs older than replacedFor
// (or past max of them). order is sorted by sent time, so it stops at the first fresh one.
func (d *Dedup) expire(now time.Time) {
	keep := max(replacedFor, d.interval)
	for len(d.replacedOrder) > 0 {
		id := d.replacedOrder[0]
		if len(d.replacedOrder) <= d.max && now.Sub(d.replaced[id]) < keep {
			break
		}
		delete(d.replaced, id)
		d.replacedOrder = d.replacedOrder[1:]
	}
	for el := d.order.Front(); el != nil; el = d.order.Front() {
		if now.Sub(el.Value.(*dedupEntry).sent) < d.interval {
			return
		}
		d.drop(el)
	}
}

func (d *Dedup) drop(el *list.Element) {
	delete(d.entries, el.Value.(*dedupEntry).key)
	d.order.Remove(el)
}

// Waiting reports whether an update of alert id waits to be sent (see Dedup). An update being
// sent counts as waiting until its delivery is over: it goes back to waiting if that fails.
// The alert role keeps the record of a waiting version uncommitted, so a process killed
// before the update went out reads it again on restart instead of losing it.
func (d *Dedup) Waiting(id string) bool {
	d.send.Lock()
	defer d.send.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.pending[id]
	return ok
}

// Len is the number of remembered deliveries.
func (d *Dedup) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.order.Len()
}
