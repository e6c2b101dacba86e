package leak_test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/collectors/scenario"
)

// analyzeScenario generates a short campaign (the last three days before the run-off, 2000
// organic accounts, the dump at its #MacronLeaks time) and analyses it as `leakwatch analyze` would.
func analyzeScenario(t *testing.T, seed uint64, leakDump bool) (*scenario.Scenario, pipeline.Result) {
	gen, cfg, posts := scenarioPosts(t, seed, leakDump)
	res, err := pipeline.Analyze(cfg, slices.Values(posts), nil)
	if err != nil {
		t.Fatal(err)
	}
	return gen, res
}

// generated caches campaigns by seed and dump: three tests share seed 1.
var generated sync.Map

type generatedKey struct {
	seed     uint64
	leakDump bool
}

type generatedPosts struct {
	gen   *scenario.Scenario
	posts []leakwatch.Post
}

func scenarioPosts(t *testing.T, seed uint64, leakDump bool) (*scenario.Scenario, pipeline.Config, []leakwatch.Post) {
	t.Helper()
	cfg := pipeline.DefaultConfig()
	cal := scenario.Calendar()
	cfg.Calendar = &cal
	cfg.Entities.Candidates = scenario.Candidates()
	if g, ok := generated.Load(generatedKey{seed, leakDump}); ok {
		return g.(generatedPosts).gen, cfg, g.(generatedPosts).posts
	}
	sc := scenario.DefaultConfig()
	sc.Seed = seed
	sc.Start = time.Date(2017, 5, 3, 22, 0, 0, 0, time.UTC) // 4 May, midnight in Paris
	sc.Days = 3
	sc.Accounts = 2000
	sc.LeakDump = leakDump
	sc.Defacement = leakDump
	gen, err := scenario.Generate(sc)
	if err != nil {
		t.Fatal(err)
	}
	posts, err := gen.Posts()
	if err != nil {
		t.Fatal(err)
	}
	generated.Store(generatedKey{seed, leakDump}, generatedPosts{gen, posts})
	return gen, cfg, posts
}

// TestScenarioOneIncidentPerDump: the dump touches dozens of objects (paste, archive and
// file-sharing URLs and domains, the hashtag, retweeted posts, the whole stream); an analyst
// gets one leak incident, started at the first seed post, timed 3.4 h before the silence,
// and one alert for it.
func TestScenarioOneIncidentPerDump(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and analyses three campaigns")
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			gen, res := analyzeScenario(t, seed, true)
			var want *leakwatch.Leak
			var network []string
			for _, op := range gen.Truth.Operations {
				if op.Kind == "leak_dump" {
					want = &leakwatch.Leak{Onset: op.Leak.Onset}
					network = op.Accounts
				}
			}
			if want == nil {
				t.Fatal("the truth lists no leak dump")
			}
			var leaks []*leakwatch.Leak
			for _, s := range res.Signals {
				if s.Kind == leakwatch.SignalLeak {
					leaks = append(leaks, s.Leak)
				}
			}
			if len(leaks) != 1 {
				for _, l := range leaks {
					t.Logf("leak %s at %s: %q", l.Object, l.Onset.Format(time.RFC3339), l.Evidence)
				}
				t.Fatalf("%d leak incidents, want 1", len(leaks))
			}
			l := leaks[0]
			if d := l.Start.Sub(want.Onset); d < -2*time.Minute || d > 2*time.Minute {
				t.Errorf("incident starts %s, the dump's first post was %s", l.Start.Format(time.RFC3339), want.Onset.Format(time.RFC3339))
			}
			if l.Timing.Silence != "silence-r2" || math.Round(l.Timing.HoursToSilence*10)/10 != 3.4 {
				t.Errorf("timing %+v, want 3.4 h before silence-r2", l.Timing)
			}
			objects := 0
			for _, e := range l.Evidence {
				if len(e) > 7 && e[:7] == "object:" {
					objects++
				}
			}
			if objects < 5 {
				t.Errorf("the incident lists %d objects, want the dump's paste, archive and file links among them: %q", objects, l.Evidence)
			}
			// The network that passed the dump round is a member of the incident: a group in
			// it holds most of the operation's accounts (as many as grouping finds in three
			// days: 38 of 43 on seed 1).
			groups := map[string][]string{}
			for _, s := range res.Signals {
				if s.Kind == leakwatch.SignalGroup {
					groups[s.Group.ID] = s.Group.Accounts
				}
			}
			amplifiers, network0 := 0, ""
			for _, e := range l.Evidence {
				if id, ok := strings.CutPrefix(e, "group:"); ok {
					n := 0
					for _, a := range groups[id] {
						if slices.Contains(network, a) {
							n++
						}
					}
					if n > amplifiers {
						amplifiers, network0 = n, id
					}
				}
			}
			if amplifiers*4 < len(network)*3 {
				t.Errorf("the incident's groups hold at most %d of the dump network's %d accounts: %q", amplifiers, len(network), l.Evidence)
			}
			var alerts []leakwatch.Alert
			groupAlert := false
			for _, a := range res.Alerts {
				if a.Kind == leakwatch.SignalLeak {
					alerts = append(alerts, a)
				}
				groupAlert = groupAlert || a.Rule == "CoordinatedGroup" && a.Object == "group:"+network0
			}
			// The batch raises the alerts a live run would, groups' included.
			if !groupAlert {
				t.Errorf("no CoordinatedGroup alert on the dump network group:%s among %d alerts", network0, len(res.Alerts))
			}
			if len(alerts) != 1 || alerts[0].Rule != "LeakBeforeSilence" || alerts[0].Candidate != "macron" {
				t.Errorf("leak alerts %+v, want one LeakBeforeSilence about macron", alerts)
			}
			// The record says whom it is about, the alert's candidate first.
			if len(l.Candidates) == 0 || l.Candidates[0] != "macron" {
				t.Errorf("incident candidates %q, want macron first", l.Candidates)
			}
			// So do the network that passed the dump round and the dump hashtag's burst.
			records := map[string]leakwatch.Signal{}
			macronleaks := 0
			for _, s := range res.Signals {
				records[s.Key()] = s
				switch {
				case s.Kind == leakwatch.SignalGroup && s.Group.ID == network0 && !slices.Contains(s.Group.Candidates, "macron"):
					t.Errorf("the dump network group %s names %q, want macron among them (objects %q, evidence %q)", network0, s.Group.Candidates, s.Group.Objects, s.Group.Evidence)
				case s.Kind == leakwatch.SignalBurst && s.Burst.Object == "hashtag:macronleaks":
					macronleaks++
					if !slices.Equal(s.Burst.Candidates, []string{"macron"}) {
						t.Errorf("burst on hashtag:macronleaks at %s names %q, want macron", s.Burst.Onset.Format(time.RFC3339), s.Burst.Candidates)
					}
				case s.Kind == leakwatch.SignalBurst && strings.HasPrefix(s.Burst.Object, "candidate:") && !slices.Equal(s.Burst.Candidates, []string{strings.TrimPrefix(s.Burst.Object, "candidate:")}):
					t.Errorf("burst on %s names %q", s.Burst.Object, s.Burst.Candidates)
				}
			}
			if macronleaks == 0 {
				t.Error("no burst on hashtag:macronleaks")
			}
			// Every alert names the record it was raised on, and labels the record's first
			// candidate.
			for _, a := range res.Alerts {
				if a.Kind == "site_change" {
					if !strings.HasPrefix(a.Detection, "site|") {
						t.Errorf("site alert %s: detection %q", a.ID, a.Detection)
					}
					continue
				}
				rec, ok := records[a.Detection]
				if !ok {
					t.Errorf("alert %s (%s on %s): detection %q names no record", a.ID, a.Rule, a.Object, a.Detection)
					continue
				}
				var about []string
				switch rec.Kind {
				case leakwatch.SignalBurst:
					about = rec.Burst.Candidates
				case leakwatch.SignalGroup:
					about = rec.Group.Candidates
				case leakwatch.SignalLeak:
					about = rec.Leak.Candidates
				}
				want := ""
				if len(about) > 0 {
					want = about[0]
				}
				if a.Candidate != want {
					t.Errorf("alert %s on %s: candidate %q, its record names %q", a.ID, a.Detection, a.Candidate, about)
				}
			}
			t.Logf("incident %s (start %s): %d evidence entries, %d objects; %d alerts in all",
				leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: l}.Key(), l.Start.Format(time.RFC3339), len(l.Evidence), objects, len(res.Alerts))
		})
	}
	t.Run("no dump", func(t *testing.T) {
		_, res := analyzeScenario(t, 1, false)
		if res.Summary.Leaks != 0 {
			t.Errorf("%d leaks in a campaign without a dump", res.Summary.Leaks)
		}
	})
}

// TestScenarioReplayMatchesAnalyze: bursts reach the correlate stage in another order when
// the detect stage runs as partitions advancing at their own pace. The final incident must
// be the batch analysis's: key, start, timing, score and every evidence entry.
func TestScenarioReplayMatchesAnalyze(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and analyses a campaign")
	}
	_, cfg, posts := scenarioPosts(t, 1, true)
	want, err := pipeline.Analyze(cfg, slices.Values(posts), nil)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := pipeline.NewExtract(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mentions []leakwatch.Mention
	for _, p := range posts {
		mentions = ex.AppendMentions(mentions, p)
	}
	slices.SortStableFunc(mentions, func(a, b leakwatch.Mention) int { return a.At.Compare(b.At) })
	for _, n := range []int{3, 8} {
		t.Run(fmt.Sprint("partitions=", n), func(t *testing.T) {
			parts := make([]*pipeline.Detect, n)
			for i := range parts {
				if parts[i], err = pipeline.NewDetect(cfg); err != nil {
					t.Fatal(err)
				}
			}
			corr, err := pipeline.NewCorrelate(cfg)
			if err != nil {
				t.Fatal(err)
			}
			final := pipeline.NewFinal()
			var coshares []pipeline.CoShare
			deliver := func(out pipeline.DetectOutput) {
				for _, b := range out.Bursts {
					final.Add(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &b})
					final.Add(corr.Burst(b).Signals...)
				}
				coshares = append(coshares, out.CoShares...)
			}
			count := make([]int, n)
			for i, m := range mentions {
				h := fnv.New32a()
				h.Write([]byte(m.Object))
				p := int(h.Sum32() % uint32(n))
				if err := parts[p].Add(m); err != nil {
					t.Fatal(err)
				}
				if count[p]++; count[p]%(40+53*p) == 0 { // each partition advances at its own pace
					deliver(parts[p].Advance(parts[p].Watermark()))
				}
				if i%700 == 0 {
					for _, o := range coshares {
						corr.CoShare(o)
					}
					coshares = coshares[:0]
					low := parts[0].Watermark()
					for _, d := range parts[1:] {
						if d.Watermark().Before(low) {
							low = d.Watermark()
						}
					}
					final.Add(corr.Advance(low).Signals...)
				}
			}
			for _, d := range parts {
				deliver(d.Flush())
			}
			for _, o := range coshares {
				corr.CoShare(o)
			}
			final.Add(corr.Flush().Signals...)
			leaks := func(sigs []leakwatch.Signal) []string {
				var out []string
				for _, s := range sigs {
					if s.Kind == leakwatch.SignalLeak {
						b, _ := json.Marshal(s.Leak)
						out = append(out, string(b))
					}
				}
				return out
			}
			w, g := leaks(want.Signals), leaks(final.Signals())
			if len(w) != 1 || !slices.Equal(w, g) {
				t.Errorf("leaks differ:\nbatch  %q\nreplay %q", w, g)
			}
		})
	}
}

// TestScenarioSiteChanges: with the watcher's site changes, the defacement of the
// candidate's site raises its own alert (labelled with the candidate), through the
// correlate stage into the batch result, and the posts pointing to the defaced site make a
// leak incident of it.
func TestScenarioSiteChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and analyses a campaign")
	}
	gen, cfg, posts := scenarioPosts(t, 1, true)
	if len(gen.Changes) == 0 {
		t.Fatal("the scenario has no site change")
	}
	res, err := pipeline.Analyze(cfg, slices.Values(posts), gen.Changes)
	if err != nil {
		t.Fatal(err)
	}
	var deface []leakwatch.Alert
	for _, a := range res.Alerts {
		if a.Rule == "SiteDefacement" {
			deface = append(deface, a)
		}
	}
	if len(deface) != 1 || deface[0].Candidate != "macron" || deface[0].Severity != "critical" {
		t.Errorf("defacement alerts %+v, want one critical about macron", deface)
	}
	defaced := false
	for _, s := range res.Signals {
		if s.Kind == leakwatch.SignalLeak {
			defaced = defaced || slices.Contains(s.Leak.Evidence, "defacement:en-marche")
			t.Logf("leak %s start %s: %q", s.Key(), s.Leak.Start.Format(time.RFC3339), s.Leak.Evidence[:min(8, len(s.Leak.Evidence))])
		}
	}
	if !defaced {
		t.Error("no leak incident follows the defacement: the bursts of posts linking the defaced site should")
	}
}
