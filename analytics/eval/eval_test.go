package eval_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/eval"
)

var t0 = time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)

func truth() eval.Truth {
	return eval.Truth{
		Scenario:        "test",
		OrganicAccounts: []string{"o1", "o2", "o3", "o4"},
		Operations: []eval.Operation{
			{ID: "leak", Kind: eval.OpLeakDump, Accounts: []string{"b1", "b2", "b3", "b4"}, Onset: t0,
				Objects: []string{"hashtag:macronleaks", "url:pastebin.com/x"},
				Leak:    &eval.ExpectedLeak{Onset: t0, Objects: []string{"hashtag:macronleaks", "url:pastebin.com/x"}, HoursToSilence: 3.42}},
			{ID: "ring", Kind: eval.OpRetweetRing, Accounts: []string{"r1", "r2"}, Onset: t0.Add(-48 * time.Hour), Objects: []string{"reshare_of:t1"}},
			{ID: "deface", Kind: eval.OpDefacement, Target: "site", Onset: t0.Add(-47 * time.Minute),
				Leak: &eval.ExpectedLeak{Onset: t0.Add(-47 * time.Minute), Evidence: []string{"defacement:site"}}},
		},
	}
}

func group(id string, first time.Time, accounts ...string) leakwatch.Signal {
	return leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: id, Accounts: accounts, ObjectKinds: []leakwatch.ObjectKind{"url"}, First: first, Last: first}}
}

func burst(object string, onset time.Time) leakwatch.Signal {
	return leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: object, Onset: onset, Peak: onset, End: onset}}
}

func leak(object string, onset time.Time, evidence ...string) leakwatch.Signal {
	return leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: object, Onset: onset, Evidence: evidence,
		Timing: leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 3.4, Score: 0.9}}}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name                string
		sigs                []leakwatch.Signal
		precision, recall   float64
		fps, missed         int
		leakDelay           float64 // seconds; NaN-free: -1 means not found
		ringBurst           bool
		defaceFound         bool
		leakRecall          float64
		leakBurstDelay      float64
		wantLeakBurstObject string
		amplifiers          int // the operation's accounts in the incident's groups
	}{
		{
			name: "perfect",
			sigs: []leakwatch.Signal{
				group("g1", t0, "b1", "b2", "b3", "b4"), group("g2", t0, "r1", "r2"),
				burst("url:pastebin.com/x", t0.Add(time.Minute)), burst("hashtag:macronleaks", t0.Add(30*time.Second)),
				burst("reshare_of:t1", t0.Add(-48*time.Hour)),
				leak("hashtag:macronleaks", t0.Add(30*time.Second)), leak("domain:site.fr", t0.Add(-40*time.Minute), "change:site", "defacement:site"),
			},
			precision: 1, recall: 1, leakDelay: 30, ringBurst: true, defaceFound: true, leakRecall: 1,
			leakBurstDelay: 30, wantLeakBurstObject: "hashtag:macronleaks",
		},
		{
			name: "organic in a group, one bot missed, leak through evidence only",
			sigs: []leakwatch.Signal{
				group("g1", t0, "b1", "b2", "b3", "o1", "o2"),
				burst("hashtag:presidentielle2017", t0), // not an operation object
				leak("group:g1", t0.Add(5*time.Minute), "domain:pastebin.com", "url:pastebin.com/x", "group:g1"),
			},
			precision: 3.0 / 5, recall: 3.0 / 6, fps: 2, missed: 3, leakDelay: 300, leakRecall: 0.75, leakBurstDelay: -1, amplifiers: 3,
		},
		{
			name: "leak too late and off-topic, unknown account",
			sigs: []leakwatch.Signal{
				group("g1", t0, "b1", "x9"),
				leak("hashtag:macronleaks", t0.Add(25*time.Hour)),
				leak("hashtag:other", t0),
			},
			precision: 0.5, recall: 1.0 / 6, fps: 1, missed: 5, leakDelay: -1, leakRecall: 0.25, leakBurstDelay: -1,
		},
		{name: "nothing", precision: 0, recall: 0, missed: 6, leakDelay: -1, leakBurstDelay: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := eval.Score(truth(), tc.sigs, eval.DefaultOptions())
			a := r.Accounts
			if !near(a.Precision, tc.precision) || !near(a.Recall, tc.recall) || a.FalsePositivesTotal != tc.fps || a.MissedTotal != tc.missed {
				t.Errorf("accounts %+v; want precision %.3f recall %.3f fps %d missed %d", a, tc.precision, tc.recall, tc.fps, tc.missed)
			}
			ops := map[string]eval.OperationScore{}
			for _, op := range r.Operations {
				ops[op.ID] = op
			}
			lk := ops["leak"]
			if !near(lk.Recall, tc.leakRecall) {
				t.Errorf("leak op recall %.3f, want %.3f", lk.Recall, tc.leakRecall)
			}
			switch {
			case tc.leakDelay < 0 && lk.Leak.Found:
				t.Errorf("leak found %+v, want none", lk.Leak.Match)
			case tc.leakDelay >= 0 && (!lk.Leak.Found || lk.Leak.Match.DelayS != tc.leakDelay):
				t.Errorf("leak %+v, want found with delay %.0fs", lk.Leak, tc.leakDelay)
			}
			if lk.Leak.Amplifiers != tc.amplifiers {
				t.Errorf("%d of the operation's accounts in the incident's groups, want %d", lk.Leak.Amplifiers, tc.amplifiers)
			}
			switch {
			case tc.leakBurstDelay < 0 && lk.Burst != nil:
				t.Errorf("burst %+v matched, want none", lk.Burst)
			case tc.leakBurstDelay >= 0 && (lk.Burst == nil || lk.Burst.DelayS != tc.leakBurstDelay || lk.Burst.Object != tc.wantLeakBurstObject):
				t.Errorf("burst %+v, want %s at %+.0fs", lk.Burst, tc.wantLeakBurstObject, tc.leakBurstDelay)
			}
			if (ops["ring"].Burst != nil) != tc.ringBurst {
				t.Errorf("ring burst %+v, want %v", ops["ring"].Burst, tc.ringBurst)
			}
			if ops["deface"].Leak.Found != tc.defaceFound {
				t.Errorf("defacement leak found %v, want %v", ops["deface"].Leak.Found, tc.defaceFound)
			}
			if txt := r.Text(); !strings.Contains(txt, "precision") || !strings.Contains(txt, "leak") {
				t.Errorf("text report:\n%s", txt)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	sigs := []leakwatch.Signal{group("g1", t0, "b1", "b2", "b3", "b4", "r1", "r2", "o1"), burst("hashtag:macronleaks", t0.Add(3*time.Minute))}
	r := eval.Score(truth(), sigs, eval.DefaultOptions())
	got := strings.Join(r.Check(eval.Targets{MinPrecision: 0.95, MinRecall: 0.95, MaxOnsetDelay: 2 * time.Minute, LeakRequired: true}), "\n")
	for _, want := range []string{"precision 0.857 < 0.950", "leak: burst onset +180s", "ring: no burst", "leak: expected leak not reported", "deface: expected leak not reported"} {
		if !strings.Contains(got, want) {
			t.Errorf("check lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "recall") {
		t.Errorf("recall 1.0 reported as missed:\n%s", got)
	}
	if len(r.Check(eval.Targets{})) != 0 {
		t.Error("zero targets must check nothing")
	}
}

func TestParse(t *testing.T) {
	sigs := []leakwatch.Signal{group("g1", t0, "a", "b"), burst("x:y", t0), leak("x:y", t0)}
	var lines []string
	for _, s := range sigs {
		b, _ := json.Marshal(s)
		lines = append(lines, string(b))
	}
	got, err := eval.ParseDetections([]byte(strings.Join(lines, "\n") + "\n\n"))
	if err != nil || len(got) != 3 {
		t.Fatalf("parsed %d, %v", len(got), err)
	}
	if _, err := eval.ParseDetections([]byte(lines[0] + "\n{\"kind\":\"nope\"}\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("unknown kind: %v", err)
	}
	bad := []string{
		`{"operations":[{"id":"","onset":"2017-05-05T18:35:00Z","accounts":["a"]}]}`,
		`{"operations":[{"id":"a","accounts":["a"]}]}`,
		`{"operations":[{"id":"a","onset":"2017-05-05T18:35:00Z"}]}`,
		`{"operations":[{"id":"a","onset":"2017-05-05T18:35:00Z","accounts":["x"]},{"id":"a","onset":"2017-05-05T18:35:00Z","accounts":["y"]}]}`,
	}
	for _, b := range bad {
		if _, err := eval.ParseTruth([]byte(b)); err == nil {
			t.Errorf("truth %s: no error", b)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// An operation's objects can burst for organic reasons days apart, and another dump can use a
// paste URL this one's only begins with: neither is this operation's burst or leak.
func TestScoreMatchesOnlyTheOperation(t *testing.T) {
	sigs := []leakwatch.Signal{
		burst("hashtag:macronleaks", t0.Add(-48*time.Hour)), // organic, two days before
		burst("hashtag:macronleaks", t0.Add(time.Minute)),
		leak("url:pastebin.com/xyz", t0.Add(time.Hour), "domain:pastebin.com", "object:url:pastebin.com/xyz", "object:hashtag:macronleaksfr"),
	}
	r := eval.Score(truth(), sigs, eval.DefaultOptions())
	op := r.Operations[0]
	if op.Burst == nil || op.Burst.DelayS != 60 {
		t.Errorf("burst matched %+v, want the one a minute after the onset (delay 60 s)", op.Burst)
	}
	if op.Leak == nil || op.Leak.Found {
		t.Errorf("a leak about another paste and another hashtag was taken for this dump: %+v", op.Leak.Match)
	}
	sigs = append(sigs, leak("all:posts", t0.Add(2*time.Minute), "term:#macronleaks", "object:all:posts", "object:url:pastebin.com/x"))
	if op := eval.Score(truth(), sigs, eval.DefaultOptions()).Operations[0]; op.Leak == nil || !op.Leak.Found || op.Leak.Match.DelayS != 120 {
		t.Errorf("the incident naming the dump's paste URL: %+v", op.Leak)
	}
}

// Burst onsets are rounded down to the minute, so a burst on time can begin before the true
// onset: only one that begins later than the limit misses MaxOnsetDelay.
func TestEvalCheckEarlyBurst(t *testing.T) {
	tests := []struct {
		name      string
		leak, rng time.Duration // burst onset minus the operation's onset
		want      []string
	}{
		{"early bursts pass", -50 * time.Second, -10 * time.Second, nil},
		{"on time", 0, 5 * time.Second, nil},
		{"late", 10 * time.Second, -10 * time.Second, []string{"leak: burst onset +10s after the true onset, limit 5s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := truth()
			sigs := []leakwatch.Signal{burst("hashtag:macronleaks", t0.Add(tc.leak)), burst("reshare_of:t1", tr.Operations[1].Onset.Add(tc.rng))}
			got := eval.Score(tr, sigs, eval.DefaultOptions()).Check(eval.Targets{MaxOnsetDelay: 5 * time.Second})
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("misses %q, want %q", got, tc.want)
			}
		})
	}
}

// A leak inside the silence is "in" it, in the truth as in the detection.
func TestEvalTextInSilence(t *testing.T) {
	tr := truth()
	tr.Operations[0].Leak.InSilence, tr.Operations[0].Leak.HoursToSilence = true, 0
	l := leak("hashtag:macronleaks", t0)
	l.Leak.Timing.InSilence, l.Leak.Timing.HoursToSilence = true, 0
	r := eval.Score(tr, []leakwatch.Signal{l}, eval.DefaultOptions())
	if ls := r.Operations[0].Leak; !ls.InSilence || !ls.ExpectedInSilence {
		t.Errorf("leak score %+v: want in silence, detected and expected", ls)
	}
	if txt := r.Text(); !strings.Contains(txt, "found +0s on hashtag:macronleaks, in silence-r2 (truth in silence)") {
		t.Errorf("text report:\n%s", txt)
	}
}

func TestEvalSameData(t *testing.T) {
	tr := truth()
	tr.Start, tr.End = t0.Add(-6*24*time.Hour), t0.Add(30*time.Hour)
	year := -365 * 24 * time.Hour
	tests := []struct {
		name string
		tr   eval.Truth
		sigs []leakwatch.Signal
		want string // in the error; empty: none
	}{
		{"same data", tr, []leakwatch.Signal{group("g1", t0, "b1", "x9"), burst("hashtag:x", t0.Add(year))}, ""},
		{"nothing detected", tr, nil, ""},
		{"only unknown accounts", tr, []leakwatch.Signal{group("g1", t0, "x1", "x2"), group("g2", t0, "x3")},
			"none of the 3 accounts in detected edges and groups is among the truth's 10 (organic and coordinated)"},
		{"another year", tr, []leakwatch.Signal{group("g1", t0.Add(year), "b1"), burst("hashtag:x", t0.Add(year+time.Hour)), leak("hashtag:x", t0.Add(year+2*time.Hour))},
			"detections span 2016-05-05 18:35..2016-05-05 20:35 UTC, the truth's window 2017-04-29 18:35..2017-05-07 00:35 UTC"},
		{"truth without a window", truth(), []leakwatch.Signal{group("g1", t0.Add(year), "b1")}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.tr.SameData(tc.sigs)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.want != "" && (!errors.Is(err, eval.ErrOtherData) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want ErrOtherData saying %q", err, tc.want)
			}
		})
	}
}

// TestOtherLeaksAreListed: a leak incident no operation explains (election night's debate
// hashtag, two days after the dump) is a false alarm the report names; the dump's incidents,
// and one that names the dump's object in its evidence, are not listed.
func TestOtherLeaksAreListed(t *testing.T) {
	electionNight := t0.Add(49 * time.Hour)
	sigs := []leakwatch.Signal{
		leak("hashtag:macronleaks", t0.Add(30*time.Second)),
		leak("all:posts", t0.Add(2*time.Hour), "object:url:pastebin.com/x", "term:leaked"),
		leak("hashtag:debatmacronlepen", electionNight, "term:leak"),
	}
	rep := eval.Score(truth(), sigs, eval.DefaultOptions())
	if len(rep.OtherLeaks) != 1 || rep.OtherLeaks[0].Object != "hashtag:debatmacronlepen" || !rep.OtherLeaks[0].Start.Equal(electionNight) {
		t.Fatalf("other leaks %+v, want only election night's", rep.OtherLeaks)
	}
	if want := "leak incidents no operation explains (1 of 3):\n  2017-05-07 19:35:00  hashtag:debatmacronlepen; evidence term:leak"; !strings.Contains(rep.Text(), want) {
		t.Errorf("text lacks %q:\n%s", want, rep.Text())
	}
	b, _ := json.Marshal(eval.Score(truth(), sigs[:2], eval.DefaultOptions()))
	if !strings.Contains(string(b), `"other_leaks":[]`) {
		t.Errorf("JSON without other leaks lacks an empty other_leaks list: %s", b)
	}
}

// Detections of another run of the same seed with the dump elsewhere (--leak-at) pass the
// same-data check: the missed leak says where the dump's objects did leak.
func TestMissedLeakNamesTheNearestOnItsObjects(t *testing.T) {
	elsewhere := t0.Add(-56 * time.Hour)
	sigs := []leakwatch.Signal{
		leak("hashtag:macronleaks", t0.Add(-80*time.Hour)),
		leak("hashtag:macronleaks", elsewhere),
		leak("hashtag:debatmacronlepen", t0.Add(-time.Minute), "term:leak"), // not its objects
	}
	rep := eval.Score(truth(), sigs, eval.DefaultOptions())
	var l *eval.LeakScore
	for _, op := range rep.Operations {
		if op.ID == "leak" {
			l = op.Leak
		}
	}
	if l == nil || l.Found {
		t.Fatalf("leak score %+v, want a missed leak", l)
	}
	if l.Elsewhere == nil || !l.Elsewhere.Onset.Equal(elsewhere) || l.Elsewhere.DelayS != -56*3600 {
		t.Fatalf("elsewhere = %+v, want the leak at %s, -56h", l.Elsewhere, elsewhere)
	}
	if want := "MISSED; nearest on its objects hashtag:macronleaks at 2017-05-03 10:35 (-56.0h)"; !strings.Contains(rep.Text(), want) {
		t.Errorf("text lacks %q:\n%s", want, rep.Text())
	}
	found := eval.Score(truth(), append(sigs, leak("hashtag:macronleaks", t0.Add(time.Minute))), eval.DefaultOptions())
	for _, op := range found.Operations {
		if op.ID == "leak" && (!op.Leak.Found || op.Leak.Elsewhere != nil) {
			t.Errorf("a found leak: %+v, want found and nothing elsewhere", op.Leak)
		}
	}
}
