package pipeline_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/collectors/scenario"
)

// TestWorkersMatchOneWorker: the batch's detect stage spread over several goroutines gives
// the result of one: the same signals, alerts, refused mentions (in the same order) and
// summary, on IRA tweets in random order with site changes, posts without a time and the
// candidate-edge bound forgetting edges.
func TestWorkersMatchOneWorker(t *testing.T) {
	posts := iraPosts(t, 30000)
	rng := rand.New(rand.NewPCG(11, 12))
	rng.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
	for i := range 5 { // refused with a reason by detect
		p := posts[i*1000]
		p.ID, p.URI, p.CreatedAt = fmt.Sprintf("notime-%d", i), fmt.Sprintf("twitter:notime-%d", i), time.Time{}
		posts = append(posts, p)
	}
	var changes []leakwatch.SiteChange
	for i := range 20 { // a defacement now and then, tying later bursts to a site change
		at := posts[rng.IntN(len(posts))].CreatedAt
		if at.IsZero() {
			continue
		}
		changes = append(changes, leakwatch.SiteChange{Target: fmt.Sprintf("site%d", i%3), URL: "https://example.org/", ObservedAt: at,
			Changed: []string{"content"}, Status: 200, Defacement: i%4 == 0, Reasons: []string{"text replaced"}})
	}
	cfg := testConfig(t)
	cfg.Workers = 1
	// A candidate-edge bound that binds: which edges it forgets depends on the order
	// observations reach correlate, which the batch fixes whatever the partitions.
	cfg.Coord.MaxCandidateEdges = 100
	want, err := pipeline.Analyze(cfg, slices.Values(posts), changes)
	if err != nil {
		t.Fatal(err)
	}
	if want.Summary.Bursts == 0 || want.Summary.Groups == 0 || want.Summary.Refused == 0 || len(want.Alerts) == 0 || want.Summary.EdgesForgotten == 0 {
		t.Fatalf("one worker: %+v, %d alerts: the data does not exercise every output", want.Summary, len(want.Alerts))
	}
	for _, w := range []int{2, 3, 8} {
		cfg.Workers = w
		got, err := pipeline.Analyze(cfg, slices.Values(posts), changes)
		if err != nil {
			t.Fatal(err)
		}
		if got.Summary != want.Summary {
			t.Errorf("%d workers: summary %+v\nwant %+v", w, got.Summary, want.Summary)
		}
		if g, o := records(t, got.Signals), records(t, want.Signals); !slices.Equal(g, o) {
			t.Errorf("%d workers: %d signals, one worker %d, not the same", w, len(g), len(o))
		}
		if g, o := jsonOf(t, got.Alerts), jsonOf(t, want.Alerts); g != o {
			t.Errorf("%d workers: alerts differ (%d, one worker %d)", w, len(got.Alerts), len(want.Alerts))
		}
		if g, o := jsonOf(t, got.Refused), jsonOf(t, want.Refused); g != o {
			t.Errorf("%d workers: %d refused mentions, one worker %d, not the same or not in the same order", w, len(got.Refused), len(want.Refused))
		}
	}

	// PostAll extracts batches of posts on the workers: the same result again.
	cfg.Workers = 3
	b, err := pipeline.NewBatch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		b.Change(c)
	}
	for batch := range slices.Chunk(posts, 700) {
		if err := b.PostAll(batch); err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary != want.Summary || !slices.Equal(records(t, got.Signals), records(t, want.Signals)) || jsonOf(t, got.Refused) != jsonOf(t, want.Refused) {
		t.Errorf("PostAll with 3 workers: %+v\nwant %+v", got.Summary, want.Summary)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWorkersMatchOneWorkerOnScenario: a generated campaign starts quietly, so most
// partitions see their first mention minutes after the stream began. Each must still end
// its bursts' warm-up where one detect stage does: the same signals for any number of
// workers.
func TestWorkersMatchOneWorkerOnScenario(t *testing.T) {
	sc := scenario.DefaultConfig()
	sc.Days = 2
	sc.LeakAt = sc.Start.Add(26 * time.Hour)
	gen, err := scenario.Generate(sc)
	if err != nil {
		t.Fatal(err)
	}
	posts, err := gen.Posts()
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.DefaultConfig()
	cal := scenario.Calendar()
	cfg.Calendar = &cal
	cfg.Workers = 1
	want, err := pipeline.Analyze(cfg, slices.Values(posts), gen.Changes)
	if err != nil {
		t.Fatal(err)
	}
	if want.Summary.Bursts == 0 {
		t.Fatalf("one worker: %+v: no bursts", want.Summary)
	}
	for _, w := range []int{2, 3, 4, 8} {
		cfg.Workers = w
		got, err := pipeline.Analyze(cfg, slices.Values(posts), gen.Changes)
		if err != nil {
			t.Fatal(err)
		}
		if got.Summary != want.Summary {
			t.Errorf("%d workers: summary %+v\nwant %+v", w, got.Summary, want.Summary)
		}
		g, o := records(t, got.Signals), records(t, want.Signals)
		if i := firstDiff(g, o); i >= 0 {
			t.Errorf("%d workers: %d signals, one worker %d; first difference at %d:\n%s\nwant\n%s", w, len(g), len(o), i, at(g, i), at(o, i))
		}
	}
}

// firstDiff is the first index at which a and b differ, or -1.
func firstDiff(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return -1
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}
