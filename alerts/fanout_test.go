package alerts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/health"
)

func TestFanout(t *testing.T) {
	dedup := DedupConfig{Interval: time.Hour, MaxEntries: 10}
	ok, refused, down := &recorder{}, &recorder{fail: errors.New("400 bad request")}, &recorder{fail: errDown, retry: true}
	m := NewMetrics(nil)
	f := NewFanout(nil,
		NewReceiver("ok", ok, dedup, testPolicy, m, nil),
		NewReceiver("refused", refused, dedup, testPolicy, m, nil),
		NewReceiver("down", down, dedup, testPolicy, m, nil),
	)
	a := leakAlert("a")
	res := f.Deliver(context.Background(), a)
	want := []struct {
		name  string
		err   bool
		retry bool
	}{{"ok", false, false}, {"refused", true, false}, {"down", true, true}}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d", len(res), len(want))
	}
	for i, w := range want {
		if res[i].Receiver != w.name || (res[i].Err != nil) != w.err || res[i].Retry != w.retry {
			t.Errorf("result %d = %+v, want receiver %s err %v retry %v", i, res[i], w.name, w.err, w.retry)
		}
	}
	if !errors.Is(res[2].Err, ErrGaveUp) || len(down.calls) != testPolicy.MaxAttempts {
		t.Errorf("down receiver: %d attempts, err %v; want %d attempts and ErrGaveUp", len(down.calls), res[2].Err, testPolicy.MaxAttempts)
	}

	// Sending again reaches only the receivers that did not take it (dedup is per receiver).
	down.fail, down.retry = nil, false
	refused.fail = nil
	retry, err := f.Notify(context.Background(), a)
	if err != nil || retry {
		t.Fatalf("second Notify = (%v, %v)", retry, err)
	}
	if len(ok.calls) != 1 || len(refused.calls) != 2 || len(down.calls) != testPolicy.MaxAttempts+1 {
		t.Errorf("calls ok=%d refused=%d down=%d, want 1, 2, %d", len(ok.calls), len(refused.calls), len(down.calls), testPolicy.MaxAttempts+1)
	}
	for _, c := range []struct {
		receiver, outcome string
		want              float64
	}{
		{"ok", OutcomeDelivered, 1}, {"ok", OutcomeSuppressed, 1},
		{"refused", OutcomeRejected, 1}, {"refused", OutcomeDelivered, 1},
		{"down", OutcomeFailed, 1}, {"down", OutcomeDelivered, 1},
	} {
		if got := counter(t, m.sent, c.receiver, c.outcome); got != c.want {
			t.Errorf("sent_total{receiver=%s,outcome=%s} = %v, want %v", c.receiver, c.outcome, got, c.want)
		}
	}
	if got := f.Receivers(); len(got) != 3 || got[0] != "ok" || got[2] != "down" {
		t.Errorf("Receivers() = %v", got)
	}
}

// A receiver that hangs does not hold back the others.
func TestFanoutConcurrent(t *testing.T) {
	release := make(chan struct{})
	fastDone := make(chan struct{})
	slow := NotifierFunc(func(ctx context.Context, _ ...leakwatch.Alert) (bool, error) {
		<-release
		return false, nil
	})
	fast := NotifierFunc(func(context.Context, ...leakwatch.Alert) (bool, error) {
		close(fastDone)
		return false, nil
	})
	f := NewFanout(nil, NewReceiver("slow", slow, DedupConfig{}, testPolicy, nil, nil), NewReceiver("fast", fast, DedupConfig{}, testPolicy, nil, nil))
	done := make(chan []Result)
	go func() { done <- f.Deliver(context.Background(), leakAlert("a")) }()
	select {
	case <-fastDone:
	case <-time.After(10 * time.Second):
		t.Fatal("fast receiver waited for the slow one")
	}
	close(release)
	for _, r := range <-done {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Receiver, r.Err)
		}
	}
}

// refusingBad is an Alertmanager that records the ids of each request and refuses with 400
// every request holding the alert "bad", as Alertmanager refuses a batch for one bad alert.
func refusingBad(requests *[][]string) Notifier {
	return NotifierFunc(func(_ context.Context, alerts ...leakwatch.Alert) (bool, error) {
		var ids []string
		for _, a := range alerts {
			ids = append(ids, a.ID)
		}
		*requests = append(*requests, ids)
		if slices.ContainsFunc(alerts, func(a leakwatch.Alert) bool { return a.ID == "bad" }) {
			return false, &StatusError{Receiver: "alertmanager", Code: 400, Body: "start time must be before end time"}
		}
		return false, nil
	})
}

// A batch holding an alert and the later one that supersedes it sends only the later, also
// when the request is refused and its alerts go one at a time: the replaced one never fires.
func TestReceiverDropsWhatTheBatchSupersedes(t *testing.T) {
	var requests [][]string
	am := refusingBad(&requests)
	m := NewMetrics(nil)
	r := NewReceiver("alertmanager", am, DedupConfig{Interval: time.Hour, MaxEntries: 10}, testPolicy, m, nil)
	later := leakAlert("later")
	later.Supersedes = []string{"early"}
	errs := r.DeliverEach(context.Background(), leakAlert("bad"), leakAlert("early"), later)
	if fmt.Sprint(requests) != "[[bad later] [bad] [later]]" {
		t.Errorf("requests %v, want the superseded alert in none", requests)
	}
	if errs[0] == nil || errs[1] != nil || errs[2] != nil {
		t.Errorf("errors %v, want only the bad alert's", errs)
	}
	if got := counter(t, m.sent, "alertmanager", OutcomeSuppressed); got != 1 {
		t.Errorf("suppressed = %v, want 1 (the superseded alert)", got)
	}
}

// Alertmanager answers 400 for a whole request when one alert is bad. The receiver then sends
// the alerts one by one: only the bad one fails, the others are delivered and remembered, and
// each alert of the batch is counted once, by its final outcome.
func TestReceiverSplitsRefusedBatch(t *testing.T) {
	var requests [][]string
	am := refusingBad(&requests)
	m := NewMetrics(nil)
	r := NewReceiver("alertmanager", am, DedupConfig{Interval: time.Hour, MaxEntries: 10}, testPolicy, m, nil)
	batch := []leakwatch.Alert{leakAlert("g1"), leakAlert("g2"), leakAlert("bad"), leakAlert("g1")}

	errs := r.DeliverEach(context.Background(), batch...)
	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, batch[i].ID)
			var se *StatusError
			if !errors.As(err, &se) || se.Code != 400 {
				t.Errorf("%s: error %v, want the 400", batch[i].ID, err)
			}
		}
	}
	if fmt.Sprint(failed) != "[bad]" {
		t.Errorf("failed alerts %v, want [bad]", failed)
	}
	// g1's last copy is the one sent: a batch's later copy of an id is the finding as it stands.
	if fmt.Sprint(requests) != "[[g2 bad g1] [g2] [bad] [g1]]" {
		t.Errorf("requests %v, want the batch then each alert alone", requests)
	}
	want := map[string]float64{OutcomeDelivered: 2, OutcomeRejected: 1, OutcomeSuppressed: 1, OutcomeFailed: 0}
	total := 0.0
	for outcome, n := range want {
		got := counter(t, m.sent, "alertmanager", outcome)
		total += got
		if got != n {
			t.Errorf("sent_total{outcome=%s} = %v, want %v", outcome, got, n)
		}
	}
	if total != float64(len(batch)) {
		t.Errorf("%v outcomes counted for %d alerts, want one each", total, len(batch))
	}

	// The ones delivered alone are remembered: the redelivered batch sends only the bad one.
	requests = nil
	_ = r.DeliverEach(context.Background(), batch...)
	if fmt.Sprint(requests) != "[[bad]]" {
		t.Errorf("redelivery sent %v, want [[bad]]", requests)
	}
}

// A growing finding is in the alerts topic once per version; a batch read after an outage
// holds them all and sends the last. When that fails, only the last is dead-lettered: the
// earlier versions were never sent, and fed back they would each be news again.
func TestFailedBatchBlamesOnlyTheSentCopy(t *testing.T) {
	var requests [][]string
	m := NewMetrics(nil)
	refusing := NotifierFunc(func(_ context.Context, alerts ...leakwatch.Alert) (bool, error) {
		var ids []string
		for _, a := range alerts {
			ids = append(ids, a.ID)
		}
		requests = append(requests, ids)
		return false, &StatusError{Receiver: "newsroom", Code: 401, Body: "bad signature"}
	})
	r := NewReceiver("newsroom", refusing, DedupConfig{Interval: time.Hour, MaxEntries: 10}, testPolicy, m, nil)
	grown := leakAlert("leak")
	grown.Evidence = []string{"domain:pastebin.com", "term:leaked"}
	batch := []leakwatch.Alert{leakAlert("leak"), leakAlert("other"), leakAlert("leak"), grown}
	errs := r.DeliverEach(context.Background(), batch...)
	var blamed []int
	for i, err := range errs {
		if err != nil {
			blamed = append(blamed, i)
		}
	}
	if fmt.Sprint(blamed) != "[1 3]" {
		t.Errorf("failed copies %v, want [1 3]: other, and the last version of leak (requests %v)", blamed, requests)
	}
}

// A receiver that is down until the retries give up fails the request as a whole. Only what
// it was sent is dead-lettered: an alert another of the batch supersedes was never sent, and
// fed back it fired again beside the one that replaced it.
func TestGaveUpBlamesNoSupersededAlert(t *testing.T) {
	down := NotifierFunc(func(context.Context, ...leakwatch.Alert) (bool, error) {
		return true, errors.New("dial tcp 127.0.0.1:18998: connect: connection refused")
	})
	r := NewReceiver("chatbot", down, DedupConfig{Interval: time.Hour, MaxEntries: 10}, testPolicy, nil, nil)
	merged := leakAlert("group-new")
	merged.Supersedes = []string{"group-old"}
	batch := []leakwatch.Alert{leakAlert("group-old"), leakAlert("other"), merged}
	errs := r.DeliverEach(context.Background(), batch...)
	var blamed []string
	for i, err := range errs {
		if err != nil {
			blamed = append(blamed, batch[i].ID)
		}
	}
	if fmt.Sprint(blamed) != "[other group-new]" {
		t.Errorf("dead-lettered %v, want [other group-new]: group-old was never sent", blamed)
	}
}

// A receiver that does not answer shows on the process's /readyz board while its alerts
// are retried and after they were given up on, until one is delivered; one that refuses an
// alert answers, and is no outage.
func TestReceiverDownShowsOnTheBoard(t *testing.T) {
	reg := prometheus.NewRegistry()
	board := health.On(reg)
	failing := func() []string {
		var out []string
		for _, p := range board.Problems() {
			out = append(out, p.Component)
		}
		return out
	}
	down := &recorder{fail: errDown, retry: true}
	var during []string
	probe := NotifierFunc(func(ctx context.Context, as ...leakwatch.Alert) (bool, error) {
		if len(down.calls) == 1 {
			during = failing()
		}
		return down.Notify(ctx, as...)
	})
	r := NewReceiver("chatbot", probe, DedupConfig{Interval: time.Hour, MaxEntries: 10}, testPolicy, NewMetrics(reg), nil)
	r.Notify(context.Background(), leakAlert("a"))
	if fmt.Sprint(during) != "[deliver chatbot]" {
		t.Errorf("failing while retrying: %v, want [deliver chatbot]", during)
	}
	if got := failing(); fmt.Sprint(got) != "[deliver chatbot]" {
		t.Errorf("failing after giving up: %v", got)
	}
	down.fail, down.retry = errors.New("400 bad request"), false
	r.Notify(context.Background(), leakAlert("b"))
	if got := failing(); len(got) != 0 {
		t.Errorf("failing after a refusal: %v", got)
	}
	down.fail = nil
	r.Notify(context.Background(), leakAlert("c"))
	if got := failing(); len(got) != 0 {
		t.Errorf("failing after a delivery: %v", got)
	}
}
