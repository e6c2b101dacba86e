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
