package alerts

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

// recorder is the notifier under the stage being tested: it keeps the IDs of each call and
// fails while fail is set.
type recorder struct {
	calls [][]string
	fail  error
	retry bool
}

func (r *recorder) Notify(_ context.Context, alerts ...leakwatch.Alert) (bool, error) {
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	r.calls = append(r.calls, ids)
	return r.retry, r.fail
}

func alertIDs(ids ...string) []leakwatch.Alert {
	as := make([]leakwatch.Alert, len(ids))
	for i, id := range ids {
		as[i] = leakwatch.Alert{ID: id, Severity: "warning"}
	}
	return as
}

func TestDedup(t *testing.T) {
	type step struct {
		after time.Duration // clock advance before the call
		send  []string
		fail  bool
		want  []string // IDs reaching the notifier; nil: no call
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"repeat within interval is dropped", []step{
			{send: []string{"a"}, want: []string{"a"}},
			{after: 59 * time.Minute, send: []string{"a"}},
		}},
		{"repeat after interval is sent", []step{
			{send: []string{"a"}, want: []string{"a"}},
			{after: time.Hour, send: []string{"a"}, want: []string{"a"}},
		}},
		{"only new alerts of a batch pass", []step{
			{send: []string{"a", "b"}, want: []string{"a", "b"}},
			{after: time.Minute, send: []string{"b", "c", "a"}, want: []string{"c"}},
		}},
		{"duplicates inside one batch are sent once", []step{
			{send: []string{"a", "a", "b", "a"}, want: []string{"a", "b"}},
		}},
		{"a failed delivery is not remembered", []step{
			{send: []string{"a"}, fail: true, want: []string{"a"}},
			{after: time.Second, send: []string{"a"}, want: []string{"a"}},
			{after: time.Second, send: []string{"a"}},
		}},
		{"resending restarts the interval", []step{
			{send: []string{"a"}, want: []string{"a"}},
			{after: 61 * time.Minute, send: []string{"a"}, want: []string{"a"}},
			{after: 30 * time.Minute, send: []string{"a"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 100})
			clock := time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)
			d.now = func() time.Time { return clock }
			for i, s := range tc.steps {
				clock = clock.Add(s.after)
				rec.fail = nil
				if s.fail {
					rec.fail = errors.New("down")
				}
				before := len(rec.calls)
				_, _ = d.Notify(context.Background(), alertIDs(s.send...)...)
				var got []string
				if len(rec.calls) > before {
					got = rec.calls[before]
				}
				if fmt.Sprint(got) != fmt.Sprint(s.want) || (got == nil) != (s.want == nil) {
					t.Errorf("step %d: sending %v delivered %v, want %v", i, s.send, got, s.want)
				}
			}
		})
	}
}

func TestDedupSeverityChangeIsNews(t *testing.T) {
	rec := &recorder{}
	d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
	a := leakwatch.Alert{ID: "leak|x", Severity: "warning"}
	_, _ = d.Notify(context.Background(), a)
	a.Severity = "critical"
	_, _ = d.Notify(context.Background(), a)
	_, _ = d.Notify(context.Background(), a)
	if len(rec.calls) != 2 {
		t.Errorf("%d deliveries, want 2 (warning, then the escalation once)", len(rec.calls))
	}
}

// A group alert whose candidate changed as the group grew goes to another desk: that is news
// at once, while repeats of either form stay suppressed and grown evidence alone is not.
func TestDedupCandidateChangeIsNews(t *testing.T) {
	rec := &recorder{}
	d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
	a := leakwatch.Alert{ID: "group|g1", Severity: "warning", Object: "group:g1", Candidate: "lepen", Evidence: []string{"url:a"}}
	_, _ = d.Notify(context.Background(), a)
	a.Evidence = append(a.Evidence, "url:b")
	_, _ = d.Notify(context.Background(), a)
	a.Candidate = "macron"
	_, _ = d.Notify(context.Background(), a)
	_, _ = d.Notify(context.Background(), a)
	if len(rec.calls) != 2 {
		t.Errorf("%d deliveries, want 2 (lepen, then macron once)", len(rec.calls))
	}
}

// A leak incident that absorbed another keeps its id and gains supersedes: receivers must
// hear of the merge at once, while plain repeats of either form stay suppressed.
func TestDedupSupersedesChangeIsNews(t *testing.T) {
	tests := []struct {
		name string
		sent [][]string // Supersedes of each send of alert "leak|x"
		want int        // deliveries
	}{
		{"plain repeat", [][]string{nil, nil}, 1},
		{"absorbed an incident", [][]string{nil, {"leak|y"}}, 2},
		{"absorbed another one", [][]string{{"leak|y"}, {"leak|y", "leak|z"}}, 2},
		{"repeat of the merged alert", [][]string{nil, {"leak|y", "leak|z"}, {"leak|y", "leak|z"}}, 2},
		{"same set in another order", [][]string{{"leak|y", "leak|z"}, {"leak|z", "leak|y"}}, 1},
		{"moved to another incident", [][]string{{"leak|y"}, {"leak|z"}}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
			for _, sup := range tc.sent {
				a := leakAlert("leak|x")
				a.Supersedes = sup
				_, _ = d.Notify(context.Background(), a)
			}
			if len(rec.calls) != tc.want {
				t.Errorf("sending supersedes %v: %d deliveries, want %d", tc.sent, len(rec.calls), tc.want)
			}
		})
	}
}

// Memory stays bounded; the oldest entry is forgotten first, and that is counted.
func TestDedupBounded(t *testing.T) {
	rec := &recorder{}
	m := NewMetrics(nil)
	r := NewReceiver("r", rec, DedupConfig{Interval: time.Hour, MaxEntries: 3}, testPolicy, m, nil)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		_, _ = r.Notify(context.Background(), alertIDs(id)...)
	}
	if n := r.dedup.Len(); n != 3 {
		t.Errorf("dedup holds %d entries, want 3", n)
	}
	if got := counter(t, m.evicted, "r"); got != 2 {
		t.Errorf("evicted = %v, want 2", got)
	}
	before := len(rec.calls)
	_, _ = r.Notify(context.Background(), alertIDs("e", "a")...) // e remembered, a forgotten
	if got := rec.calls[len(rec.calls)-1]; len(rec.calls) != before+1 || fmt.Sprint(got) != "[a]" {
		t.Errorf("after eviction, sending [e a] delivered %v, want [a]", got)
	}
}

func TestDedupOff(t *testing.T) {
	rec := &recorder{}
	d := NewDedup(rec, DedupConfig{})
	for range 3 {
		_, _ = d.Notify(context.Background(), alertIDs("a")...)
	}
	if len(rec.calls) != 3 || d.Len() != 0 {
		t.Errorf("with interval 0: %d deliveries and %d entries, want 3 and 0", len(rec.calls), d.Len())
	}
}

func BenchmarkDedup(b *testing.B) {
	const distinct = 100_000
	ok := NotifierFunc(func(context.Context, ...leakwatch.Alert) (bool, error) { return false, nil })
	d := NewDedup(ok, DedupConfig{Interval: time.Hour, MaxEntries: distinct})
	alerts := make([]leakwatch.Alert, distinct)
	for i := range alerts {
		alerts[i] = leakwatch.Alert{ID: fmt.Sprintf("burst|hashtag:h%d|2017-05-05T18:35:00Z", i), Severity: "warning"}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, _ = d.Notify(context.Background(), alerts[i%distinct])
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "alerts/s")
}

// summaries keeps the summary of every alert delivered, in order, and fails while fail is set.
type summaries struct {
	got  []string
	fail error
}

func (s *summaries) Notify(_ context.Context, alerts ...leakwatch.Alert) (bool, error) {
	if s.fail != nil {
		return true, s.fail
	}
	for _, a := range alerts {
		s.got = append(s.got, a.Severity+" "+a.Summary)
	}
	return false, nil
}

func grown(objects int) leakwatch.Alert {
	a := leakAlert("group|g1")
	a.Severity = "warning"
	a.Summary = fmt.Sprintf("Coordinated group g1 (%d objects)", objects)
	return a
}

// A group whose evidence grows while dedup holds it back reaches the receiver as it last was,
// once the interval has passed: on a finite replay the rules never raise it again, and the
// receiver kept the first version for good.
func TestDedupSendsGrownEvidenceAfterTheInterval(t *testing.T) {
	rec := &summaries{}
	d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
	clock := time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)
	d.now = func() time.Time { return clock }
	ctx := context.Background()
	for _, n := range []int{9, 12, 20, 20} {
		_, _ = d.Notify(ctx, grown(n))
		clock = clock.Add(time.Minute)
	}
	if n, err := d.SendUpdates(ctx, false); n != 0 || err != nil {
		t.Fatalf("4 minutes after delivery, SendUpdates sent %d (%v), want 0: the interval has not passed", n, err)
	}
	clock = clock.Add(56 * time.Minute)
	if n, err := d.SendUpdates(ctx, false); n != 1 || err != nil {
		t.Fatalf("an hour after delivery, SendUpdates sent %d (%v), want 1", n, err)
	}
	_, _ = d.Notify(ctx, grown(20)) // a repeat of what was just sent
	if n, _ := d.SendUpdates(ctx, true); n != 0 {
		t.Errorf("a repeat of the update made %d more updates, want 0", n)
	}
	want := "[warning Coordinated group g1 (9 objects) warning Coordinated group g1 (20 objects)]"
	if fmt.Sprint(rec.got) != want {
		t.Errorf("delivered %v, want %v", rec.got, want)
	}
}

func TestDedupUpdates(t *testing.T) {
	ctx := context.Background()
	t.Run("a plain repeat is no update", func(t *testing.T) {
		rec := &summaries{}
		d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
		_, _ = d.Notify(ctx, grown(9))
		_, _ = d.Notify(ctx, grown(9))
		if d.Waiting("group|g1") {
			t.Error("a plain repeat waits as an update")
		}
		if n, _ := d.SendUpdates(ctx, true); n != 0 || len(rec.got) != 1 {
			t.Errorf("sent %d updates and %d alerts, want 0 and 1", n, len(rec.got))
		}
	})
	t.Run("evidence back to what was delivered is no update", func(t *testing.T) {
		rec := &summaries{}
		d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
		_, _ = d.Notify(ctx, grown(9))
		_, _ = d.Notify(ctx, grown(12))
		_, _ = d.Notify(ctx, grown(9))
		if n, _ := d.SendUpdates(ctx, true); n != 0 {
			t.Errorf("sent %d updates, want 0", n)
		}
	})
	t.Run("a newer version delivered drops the waiting one", func(t *testing.T) {
		rec := &summaries{}
		d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
		_, _ = d.Notify(ctx, grown(9))
		_, _ = d.Notify(ctx, grown(12)) // waits
		esc := grown(15)
		esc.Severity = "critical"
		_, _ = d.Notify(ctx, esc) // news at once
		if n, _ := d.SendUpdates(ctx, true); n != 0 {
			t.Errorf("sent %d updates after the escalation, want 0: the warning would undo it", n)
		}
		if got := rec.got[len(rec.got)-1]; got != "critical Coordinated group g1 (15 objects)" {
			t.Errorf("the receiver holds %q, want the escalation", got)
		}
	})
	t.Run("on shutdown every waiting update is sent", func(t *testing.T) {
		rec := &summaries{}
		d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
		_, _ = d.Notify(ctx, grown(9))
		_, _ = d.Notify(ctx, grown(20))
		if !d.Waiting("group|g1") || d.Waiting("group|g2") {
			t.Errorf("waiting g1 %v, g2 %v; want only the grown g1", d.Waiting("group|g1"), d.Waiting("group|g2"))
		}
		if n, err := d.SendUpdates(ctx, true); n != 1 || err != nil {
			t.Errorf("sent %d (%v), want 1", n, err)
		}
		// The update is now what was delivered: a repeat of it within the interval waits.
		_, _ = d.Notify(ctx, grown(20))
		if len(rec.got) != 2 {
			t.Errorf("delivered %v, want 2 alerts", rec.got)
		}
	})
	t.Run("a failed update waits for the next try", func(t *testing.T) {
		rec := &summaries{}
		d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
		_, _ = d.Notify(ctx, grown(9))
		_, _ = d.Notify(ctx, grown(20))
		rec.fail = errors.New("down")
		if n, err := d.SendUpdates(ctx, true); n != 0 || err == nil {
			t.Fatalf("with the receiver down: sent %d (%v), want 0 and an error", n, err)
		}
		if !d.Waiting("group|g1") {
			t.Error("a failed update is not waiting: its record would be committed and lost")
		}
		rec.fail = nil
		if n, err := d.SendUpdates(ctx, true); n != 1 || err != nil {
			t.Errorf("with the receiver back: sent %d (%v), want 1", n, err)
		}
		if d.Waiting("group|g1") {
			t.Error("an update delivered still waits")
		}
	})
}

// The alert role's receivers send what dedup still holds when they stop.
func TestReceiverSendsUpdatesOnShutdown(t *testing.T) {
	rec := &summaries{}
	r := NewReceiver("r", rec, DedupConfig{Interval: time.Hour, MaxEntries: 10}, testPolicy, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.KeepUpdated(ctx, 5*time.Second) }()
	_, _ = r.Notify(ctx, grown(9))
	_, _ = r.Notify(ctx, grown(20))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := "[warning Coordinated group g1 (9 objects) warning Coordinated group g1 (20 objects)]"
	if fmt.Sprint(rec.got) != want {
		t.Errorf("delivered %v, want %v", rec.got, want)
	}
}

// A replaced alert read after the alert that replaced it (they lie on different partitions;
// a reader catching up a backlog meets them in any order) is not sent: one leak paged twice.
func TestDedupDropsAReplacedAlertReadLate(t *testing.T) {
	rec := &recorder{}
	d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
	clock := time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)
	d.now = func() time.Time { return clock }
	ctx := context.Background()
	y := leakwatch.Alert{ID: "y", Severity: "critical", Supersedes: []string{"x"}}
	_, _ = d.Notify(ctx, y)
	clock = clock.Add(2 * time.Hour) // past the interval: only the replacement keeps x out
	_, _ = d.Notify(ctx, leakwatch.Alert{ID: "x", Severity: "critical"})
	if fmt.Sprint(rec.calls) != "[[y]]" {
		t.Errorf("calls %v, want only the replacement", rec.calls)
	}
	clock = clock.Add(25 * time.Hour) // a day later x is news again, if it ever comes
	_, _ = d.Notify(ctx, leakwatch.Alert{ID: "x", Severity: "critical"})
	if fmt.Sprint(rec.calls) != "[[y] [x]]" {
		t.Errorf("calls %v, want x a day later", rec.calls)
	}
}

// A dead letter fed back after the finding grew is an older version: it neither becomes the
// waiting update nor drops the newer one waiting, and the receiver ends on the newest.
func TestDedupIgnoresAnOlderCopy(t *testing.T) {
	rec := &summaries{}
	d := NewDedup(rec, DedupConfig{Interval: time.Hour, MaxEntries: 10})
	ctx := context.Background()
	at := time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)
	version := func(objects int, raised time.Duration) leakwatch.Alert {
		a := grown(objects)
		a.RaisedAt = at.Add(raised)
		return a
	}
	_, _ = d.Notify(ctx, version(2, 10*time.Minute)) // delivered
	_, _ = d.Notify(ctx, version(1, 0))              // the older copy, fed back
	if d.Waiting("group|g1") {
		t.Error("an older copy waits as an update")
	}
	_, _ = d.Notify(ctx, version(3, 20*time.Minute)) // grew: waits
	_, _ = d.Notify(ctx, version(2, 10*time.Minute)) // the delivered version again, read late
	if !d.Waiting("group|g1") {
		t.Fatal("a late copy of the delivered version dropped the newer update")
	}
	if n, _ := d.SendUpdates(ctx, true); n != 1 {
		t.Fatalf("sent %d updates, want 1", n)
	}
	want := "[warning Coordinated group g1 (2 objects) warning Coordinated group g1 (3 objects)]"
	if fmt.Sprint(rec.got) != want {
		t.Errorf("delivered %v, want %v", rec.got, want)
	}
}
