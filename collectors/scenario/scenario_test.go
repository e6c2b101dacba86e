package scenario_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/calendar"
	"github.com/leakwatch/leakwatch/analytics/eval"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/collectors/scenario"
	"github.com/leakwatch/leakwatch/collectors/twitter"
)

func generate(t testing.TB, cfg scenario.Config) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestDeterministic(t *testing.T) {
	cfg := scenario.DefaultConfig()
	cfg.Accounts, cfg.Days = 300, 7
	a, b := generate(t, cfg), generate(t, cfg)
	if len(a.Tweets) != len(b.Tweets) {
		t.Fatalf("%d tweets then %d", len(a.Tweets), len(b.Tweets))
	}
	for i := range a.Tweets {
		if !bytes.Equal(a.Tweets[i], b.Tweets[i]) {
			t.Fatalf("tweet %d differs:\n%s\n%s", i, a.Tweets[i], b.Tweets[i])
		}
	}
	cfg.Seed = 2
	c := generate(t, cfg)
	if len(c.Tweets) == len(a.Tweets) && bytes.Equal(c.Tweets[0], a.Tweets[0]) {
		t.Error("seed 2 gives the same output as seed 1")
	}
}

// TestTweetsAreV1 decodes every tweet with the v1.1 decoder and checks what the truth says
// against what the posts show.
func TestTweetsAreV1(t *testing.T) {
	sc := generate(t, scenario.DefaultConfig())
	posts := make([]leakwatch.Post, len(sc.Tweets))
	authors := map[string]int{}
	var prev time.Time
	for i, raw := range sc.Tweets {
		p, err := twitter.DecodeV1(raw)
		if err != nil {
			t.Fatalf("tweet %d: %v\n%s", i, err, raw)
		}
		if p.CreatedAt.Before(prev) {
			t.Fatalf("tweet %d out of time order", i)
		}
		prev = p.CreatedAt
		posts[i] = p
		authors[p.Author.ID]++
	}
	tr := sc.Truth
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	if tr.Posts != len(posts) {
		t.Errorf("truth counts %d posts, file has %d", tr.Posts, len(posts))
	}
	ops := map[string]eval.Operation{}
	for _, op := range tr.Operations {
		ops[op.ID] = op
	}
	leak, ok := ops["leak-dump"]
	if !ok {
		t.Fatal("no leak-dump operation")
	}
	if want := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC); !leak.Onset.Equal(want) {
		t.Errorf("leak onset %v, want %v (20:35 Paris)", leak.Onset, want)
	}
	if leak.Leak == nil || leak.Leak.Silence != "silence-r2" || leak.Leak.HoursToSilence < 3.4 || leak.Leak.HoursToSilence > 3.45 {
		t.Errorf("expected leak %+v", leak.Leak)
	}
	coordinated := tr.CoordinatedAccounts()
	for _, a := range tr.OrganicAccounts {
		if coordinated[a] {
			t.Fatalf("account %s is both organic and coordinated", a)
		}
	}
	for a := range coordinated {
		if authors[a] == 0 {
			t.Errorf("coordinated account %s never posts", a)
		}
	}
	// Organic accounts use the operation's hashtag too, and retweet the seeds: precision
	// has to be earned.
	organic := map[string]bool{}
	for _, a := range tr.OrganicAccounts {
		organic[a] = true
	}
	var organicLeak, organicSeedRT, botPosts int
	seedURIs := map[string]bool{}
	for _, o := range leak.Objects {
		if u, ok := strings.CutPrefix(o, "reshare_of:"); ok {
			seedURIs[u] = true
		}
	}
	for _, p := range posts {
		if organic[p.Author.ID] && strings.Contains(strings.ToLower(p.Text), "#macronleaks") {
			organicLeak++
		}
		if organic[p.Author.ID] && seedURIs[p.ReshareOf] {
			organicSeedRT++
		}
		if coordinated[p.Author.ID] && !p.CreatedAt.Before(leak.Onset) && p.CreatedAt.Before(leak.Onset.Add(10*time.Minute)) {
			botPosts++
		}
	}
	if organicLeak < 50 || organicSeedRT < 10 {
		t.Errorf("organic #MacronLeaks posts %d, organic retweets of seeds %d: want organic reaction", organicLeak, organicSeedRT)
	}
	if botPosts < len(leak.Accounts) {
		t.Errorf("%d operation posts in the first 10 minutes, want at least one per account (%d)", botPosts, len(leak.Accounts))
	}
	ring := ops["retweet-ring"]
	if len(ring.Objects) < 10 || len(ring.Accounts) != 13 {
		t.Errorf("ring: %d targets, %d accounts", len(ring.Objects), len(ring.Accounts))
	}
	def := ops["defacement"]
	if def.Target == "" || !def.Onset.Before(leak.Onset) {
		t.Errorf("defacement %+v not before the leak", def)
	}
	var defaced int
	for _, c := range sc.Changes {
		if c.Defacement {
			defaced++
		}
	}
	if defaced != 1 {
		t.Errorf("%d defacements in the site changes, want 1", defaced)
	}
	t.Logf("%d posts, %d organic accounts, %d coordinated, %d organic #MacronLeaks posts, %d organic seed retweets",
		len(posts), len(tr.OrganicAccounts), len(coordinated), organicLeak, organicSeedRT)
}

// TestWriteDir writes the files and reads them back through the archive reader.
func TestWriteDir(t *testing.T) {
	cfg := scenario.DefaultConfig()
	cfg.Accounts = 200
	sc := generate(t, cfg)
	dir := t.TempDir()
	if err := sc.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	c, err := archive.ReadAll(filepath.Join(dir, scenario.PostsFile), archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Posts) != len(sc.Tweets) || len(c.Bad) != 0 {
		t.Fatalf("read %d posts %d bad, wrote %d", len(c.Posts), len(c.Bad), len(sc.Tweets))
	}
	ch, err := archive.ReadAll(filepath.Join(dir, scenario.SiteChangesFile), archive.Options{})
	if err != nil || len(ch.Changes) != len(sc.Changes) {
		t.Fatalf("site changes: %d read, %d written, %v", len(ch.Changes), len(sc.Changes), err)
	}
	b, err := os.ReadFile(filepath.Join(dir, scenario.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := eval.ParseTruth(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Operations) != 3 {
		t.Errorf("%d operations in truth.json", len(tr.Operations))
	}
	cal, _ := os.ReadFile(filepath.Join(dir, scenario.CalendarFile))
	if !bytes.Contains(cal, []byte("silence-r2")) {
		t.Error("calendar.yaml has no silence-r2")
	}
	var v map[string]any
	if err := json.Unmarshal(sc.Tweets[0], &v); err != nil || v["id_str"] == nil || v["user"] == nil {
		t.Errorf("first tweet is not v1.1 shaped: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*scenario.Config)
		want string
	}{
		{"days", func(c *scenario.Config) { c.Days = 0 }, "days:"},
		{"accounts", func(c *scenario.Config) { c.Accounts = 3 }, "accounts:"},
		{"bots", func(c *scenario.Config) { c.Bots = 1 }, "bots:"},
		{"leak outside", func(c *scenario.Config) { c.Start = c.Start.AddDate(0, 1, 0) }, "leak_at:"},
		{"defacement alone", func(c *scenario.Config) { c.LeakDump = false }, "defacement:"},
	}
	for _, tc := range tests {
		cfg := scenario.DefaultConfig()
		tc.mod(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := scenario.DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

func BenchmarkGenerateWeek(b *testing.B) {
	cfg := scenario.DefaultConfig()
	var n int
	for b.Loop() {
		sc, err := scenario.Generate(cfg)
		if err != nil {
			b.Fatal(err)
		}
		n = len(sc.Tweets)
	}
	b.ReportMetric(float64(n), "posts/op")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "posts/s")
	b.ReportAllocs()
}

// TestTextIsClean: every template renders without format errors.
func TestTextIsClean(t *testing.T) {
	cfg := scenario.DefaultConfig()
	cfg.Accounts = 500
	for _, raw := range generate(t, cfg).Tweets {
		if bytes.Contains(raw, []byte("%!")) {
			t.Fatalf("format error in %s", raw)
		}
	}
}

// TestScenarioTruthSilence: the truth times each expected leak against the silence as a
// detection's timing does (docs/DETECTION.md, "Timing"), wherever --leak-at puts the dump:
// inside the silence that is "in silence-r2" with no hours left, not hours since it began.
func TestScenarioTruthSilence(t *testing.T) {
	tests := []struct {
		name    string
		leakAt  string
		days    int
		silence string
		in      bool
		hours   float64 // the dump's; the defacement is 47 minutes earlier
	}{
		{"before the silence", "", 7, "silence-r2", false, 3.42},
		{"inside the silence", "2017-05-07T10:00:00+02:00", 9, "silence-r2", true, 0},
		{"after the last silence", "2017-05-08T10:00:00+02:00", 10, "", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := scenario.DefaultConfig()
			cfg.Accounts, cfg.Days, cfg.RetweetRing = 50, tc.days, false
			if tc.leakAt != "" {
				at, err := time.Parse(time.RFC3339, tc.leakAt)
				if err != nil {
					t.Fatal(err)
				}
				cfg.LeakAt = at
			}
			tr := generate(t, cfg).Truth
			if len(tr.Operations) != 2 {
				t.Fatalf("%d operations, want the dump and the defacement", len(tr.Operations))
			}
			dump := tr.Operations[0].Leak
			if dump.Silence != tc.silence || dump.InSilence != tc.in || dump.HoursToSilence != tc.hours {
				t.Errorf("dump: silence %q in %v, %.2fh; want %q in %v, %.2fh", dump.Silence, dump.InSilence, dump.HoursToSilence, tc.silence, tc.in, tc.hours)
			}
			for _, op := range tr.Operations {
				_, tm := calendar.Place(scenario.Calendar(), op.Leak.Onset)
				exp := op.Leak
				if exp.HoursToSilence < 0 || exp.Silence != tm.Silence || exp.InSilence != tm.InSilence || math.Abs(exp.HoursToSilence-tm.HoursToSilence) > 0.005 {
					t.Errorf("%s: truth %q in %v, %.2fh; a detection at its onset says %q in %v, %.4fh",
						op.ID, exp.Silence, exp.InSilence, exp.HoursToSilence, tm.Silence, tm.InSilence, tm.HoursToSilence)
				}
			}
		})
	}
}
