package burst

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/strhash"
)

var t0 = time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC)

// stream builds mentions deterministically.
type stream struct {
	r  *rand.Rand
	ms []leakwatch.Mention
}

func newStream(seed uint64) *stream { return &stream{r: rand.New(rand.NewPCG(seed, 1))} }

// poisson draws a Poisson count (Knuth for small means, a rounded normal for large ones).
func (s *stream) poisson(mean float64) int {
	if mean > 50 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*s.r.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= s.r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// rhythm is a daily activity curve: quiet at 04:00 UTC, busy at 16:00.
func rhythm(at time.Time) float64 {
	h := float64(at.Hour()) + float64(at.Minute())/60
	return 1 + 0.8*math.Sin((h-10)/24*2*math.Pi)
}

// background adds minute by minute Poisson traffic on object at rate(minute) per minute.
func (s *stream) background(object string, from time.Time, minutes int, rate func(time.Time) float64, accounts int) {
	for i := range minutes {
		at := from.Add(time.Duration(i) * time.Minute)
		for range s.poisson(rate(at)) {
			s.add(object, at.Add(time.Duration(s.r.IntN(60))*time.Second), fmt.Sprintf("u%d", s.r.IntN(accounts)))
		}
	}
}

func (s *stream) add(object string, at time.Time, account string, evidence ...string) {
	s.ms = append(s.ms, leakwatch.Mention{Object: object, Account: account, Post: fmt.Sprintf("p%d", len(s.ms)), At: at, Evidence: evidence})
}

// sorted returns the mentions in event-time order (stable on insertion order).
func (s *stream) sorted() []leakwatch.Mention {
	ms := slices.Clone(s.ms)
	slices.SortStableFunc(ms, func(a, b leakwatch.Mention) int { return a.At.Compare(b.At) })
	return ms
}

// feed feeds ms in order, advancing the watermark to lateness behind the newest event time
// every `every` mentions, then flushes.
func feed(t testing.TB, cfg Config, ms []leakwatch.Mention, lateness time.Duration, every int) []leakwatch.Burst {
	t.Helper()
	return feedInto(t, New(cfg), ms, lateness, every)
}

// feedInto is feed with a detector of the caller's.
func feedInto(t testing.TB, d *Detector, ms []leakwatch.Mention, lateness time.Duration, every int) []leakwatch.Burst {
	t.Helper()
	var out []leakwatch.Burst
	var newest time.Time
	for i, m := range ms {
		if err := d.Add(m); err != nil {
			t.Fatal(err)
		}
		if m.At.After(newest) {
			newest = m.At
		}
		if every > 0 && (i+1)%every == 0 {
			out = append(out, d.Advance(newest.Add(-lateness))...)
		}
	}
	out = append(out, d.Flush()...)
	return out
}

func byObject(bs []leakwatch.Burst, object string) []leakwatch.Burst {
	var out []leakwatch.Burst
	for _, b := range bs {
		if b.Object == object {
			out = append(out, b)
		}
	}
	return out
}

func TestNewObjectBurst(t *testing.T) {
	s := newStream(1)
	s.background("all:posts", t0, 6*60, func(time.Time) float64 { return 20 }, 5000)
	s.background("hashtag:news", t0, 6*60, func(time.Time) float64 { return 0.3 }, 5000)
	onset := t0.Add(4*time.Hour + 12*time.Minute + 20*time.Second)
	// A dump announced once, then amplified by 40 accounts over 15 minutes.
	s.add("hashtag:leaks", onset, "leaker", "domain:pastebin.com", "term:leak")
	for i := range 120 {
		at := onset.Add(time.Duration(30+i*7) * time.Second)
		s.add("hashtag:leaks", at, fmt.Sprintf("bot%d", i%40), "domain:pastebin.com")
	}
	// A sparse object with a handful of mentions must not burst.
	for i := range 6 {
		s.add("url:https://example.org/a", onset.Add(time.Duration(i)*10*time.Second), fmt.Sprintf("x%d", i))
	}

	got := feed(t, DefaultConfig(), s.sorted(), 30*time.Second, 50)
	bs := byObject(got, "hashtag:leaks")
	if len(bs) != 1 {
		t.Fatalf("hashtag:leaks bursts = %+v, want one", bs)
	}
	b := bs[0]
	if want := onset.Truncate(time.Minute); !b.Onset.Equal(want) {
		t.Errorf("onset = %s, want %s", b.Onset, want)
	}
	if b.Count != 121 || b.Accounts != 41 {
		t.Errorf("count, accounts = %d, %d; want 121, 41", b.Count, b.Accounts)
	}
	if b.Score < 20 {
		t.Errorf("score = %.1f, want a strong surprise (>20)", b.Score)
	}
	if !reflect.DeepEqual(b.Evidence, []string{"domain:pastebin.com"}) {
		t.Errorf("evidence = %q, want only the domain (the term appears once)", b.Evidence)
	}
	if end := onset.Add(time.Duration(30+119*7) * time.Second); b.End.Before(end) || b.End.After(end.Add(2*time.Minute)) {
		t.Errorf("end = %s, want just after the last mention %s", b.End, end)
	}
	if len(byObject(got, "url:https://example.org/a")) != 0 {
		t.Errorf("sparse url burst below min_count: %+v", got)
	}
	if len(byObject(got, "hashtag:news")) != 0 || len(byObject(got, "all:posts")) != 0 {
		t.Errorf("steady background raised bursts: %+v", got)
	}
}

// TestDailyRhythm: five days of traffic that swings threefold over the day must raise no
// burst once the profile has seen it, while an injected rise of a quarter is found with its
// onset within two minutes.
func TestDailyRhythm(t *testing.T) {
	s := newStream(7)
	days := 5
	s.background("candidate:macron", t0, days*24*60, func(at time.Time) float64 { return 40 * rhythm(at) }, 20000)
	onset := t0.Add(3*24*time.Hour + 21*time.Hour + 7*time.Minute)
	for i := range 20 * 30 { // 20 per minute for 30 minutes, at the evening's busiest
		s.add("candidate:macron", onset.Add(time.Duration(i)*3*time.Second), fmt.Sprintf("op%d", i%150))
	}
	bs := feed(t, DefaultConfig(), s.sorted(), time.Minute, 500)
	var found bool
	for _, b := range bs {
		switch {
		case !b.Onset.Before(onset.Add(-time.Hour)) && b.Onset.Before(onset.Add(time.Hour)):
			found = true
			if d := b.Onset.Sub(onset); d < -2*time.Minute || d > 2*time.Minute {
				t.Errorf("onset %s is %s from the true start %s", b.Onset, d, onset)
			}
			if b.Count < 600 {
				t.Errorf("count = %d, want the injected 600 and their background", b.Count)
			}
		case b.Onset.After(t0.Add(24 * time.Hour)):
			t.Errorf("false burst after the first day: %+v", b)
		}
	}
	if !found {
		t.Fatalf("injected burst not found; bursts: %+v", bs)
	}
}

// TestInterleavingInvariant: the same mentions give the same bursts whether objects are
// interleaved by time, grouped object by object (as separate partitions would see them),
// advanced after every mention or only flushed at the end.
func TestInterleavingInvariant(t *testing.T) {
	s := newStream(3)
	for i, obj := range []string{"all:posts", "hashtag:a", "hashtag:b", "url:x"} {
		rate := []float64{15, 1, 0.2, 0.05}[i]
		s.background(obj, t0, 12*60, func(at time.Time) float64 { return rate * rhythm(at) }, 300)
	}
	for _, obj := range []string{"hashtag:a", "hashtag:b", "url:x", "all:posts"} {
		at := t0.Add(time.Duration(3+len(obj)%5) * time.Hour)
		for i := range 80 {
			s.add(obj, at.Add(time.Duration(i)*5*time.Second), fmt.Sprintf("b%d", i%25), "term:leak")
		}
	}
	ms := s.sorted()
	want := feed(t, DefaultConfig(), ms, 0, 0)
	if len(want) < 4 {
		t.Fatalf("want at least the 4 injected bursts, got %d: %+v", len(want), want)
	}
	grouped := slices.Clone(ms)
	slices.SortStableFunc(grouped, func(a, b leakwatch.Mention) int { return strings.Compare(a.Object, b.Object) })
	// Shuffle within a 20 s lateness bound.
	jittered := slices.Clone(ms)
	r := rand.New(rand.NewPCG(9, 9))
	for i := range jittered {
		j := min(len(jittered)-1, i+r.IntN(4))
		if jittered[j].At.Sub(jittered[i].At) < 20*time.Second {
			jittered[i], jittered[j] = jittered[j], jittered[i]
		}
	}
	cases := []struct {
		name     string
		ms       []leakwatch.Mention
		lateness time.Duration
		every    int
	}{
		{"every mention", ms, 0, 1},
		{"every 97", ms, 30 * time.Second, 97},
		{"out of order within lateness", jittered, 30 * time.Second, 13},
	}
	sortBursts := func(bs []leakwatch.Burst) {
		slices.SortFunc(bs, func(a, b leakwatch.Burst) int {
			return strings.Compare(a.Object+a.Onset.String(), b.Object+b.Onset.String())
		})
	}
	sortBursts(want)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := feed(t, DefaultConfig(), c.ms, c.lateness, c.every)
			sortBursts(got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("bursts differ\n got %+v\nwant %+v", got, want)
			}
		})
	}
	// Partitions: each object alone in its own detector.
	t.Run("one detector per object", func(t *testing.T) {
		var got []leakwatch.Burst
		for _, obj := range []string{"all:posts", "hashtag:a", "hashtag:b", "url:x"} {
			var part []leakwatch.Mention
			for _, m := range grouped {
				if m.Object == obj {
					part = append(part, m)
				}
			}
			// Warm-up is measured from the earliest mention: tell each partition the stream's.
			d := New(DefaultConfig())
			d.Begin(t0)
			got = append(got, feedInto(t, d, part, 0, 7)...)
		}
		sortBursts(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("bursts differ\n got %+v\nwant %+v", got, want)
		}
	})
}

func TestLateAndEviction(t *testing.T) {
	d := New(DefaultConfig())
	add := func(obj string, at time.Time) {
		if err := d.Add(leakwatch.Mention{Object: obj, Account: "a", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	add("url:a", t0)
	add("url:b", t0.Add(time.Minute))
	for i := range 600 { // enough for a profile: kept for Idle, not IdleSparse
		add("candidate:busy", t0.Add(time.Duration(i)*time.Second))
	}
	d.Advance(t0.Add(10 * time.Minute))
	add("url:a", t0.Add(time.Minute)) // behind the watermark: counted in the open bucket
	if got := d.Stats().Late; got != 1 {
		t.Errorf("late = %d, want 1", got)
	}
	steps := []struct {
		at               time.Duration
		objects, evicted int
	}{
		{7 * time.Hour, 2, 2},  // the sparse URLs went after 6 h; the candidate stays
		{80 * time.Hour, 1, 3}, // the candidate after 72 h; the hashtag is back and restarts
	}
	for _, s := range steps {
		add("hashtag:alive", t0.Add(s.at))
		d.Advance(t0.Add(s.at))
		if st := d.Stats(); st.Objects != s.objects || st.Evicted != int64(s.evicted) {
			t.Errorf("after %s: objects %d evicted %d, want %d and %d", s.at, st.Objects, st.Evicted, s.objects, s.evicted)
		}
	}
}

func TestAddRejects(t *testing.T) {
	d := New(DefaultConfig())
	for _, m := range []leakwatch.Mention{
		{Account: "a", Post: "p1", At: t0},
		{Object: "hashtag:x", Account: "a", Post: "p2"},
	} {
		if err := d.Add(m); err == nil || !strings.Contains(err.Error(), m.Post) {
			t.Errorf("Add(%+v) = %v, want an error naming the post", m, err)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"default", func(*Config) {}, ""},
		{"bucket not dividing an hour", func(c *Config) { c.Bucket = 7 * time.Minute }, "bucket"},
		{"zero bucket", func(c *Config) { c.Bucket = 0 }, "bucket"},
		{"floor", func(c *Config) { c.Floor = 0 }, "floor"},
		{"threshold", func(c *Config) { c.Threshold = -1 }, "threshold"},
		{"min_count", func(c *Config) { c.MinCount = 0 }, "min_count"},
		{"quiet below bucket", func(c *Config) { c.Quiet = time.Second }, "quiet"},
		{"idle", func(c *Config) { c.Idle = time.Minute }, "idle"},
		{"idle_sparse above idle", func(c *Config) { c.IdleSparse = 100 * time.Hour }, "idle_sparse"},
		{"evidence share", func(c *Config) { c.EvidenceShare = 2 }, "evidence_share"},
		{"profile half-life", func(c *Config) { c.ProfileHalfLife = time.Hour }, "profile_half_life"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.edit(&cfg)
			err := cfg.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.field+":") {
				t.Errorf("Validate() = %v, want an error naming %s", err, c.field)
			}
		})
	}
}

func TestSurprise(t *testing.T) {
	cases := []struct {
		count    int
		expected float64
		lo, hi   float64
	}{
		{10, 10, -0.01, 0.01},
		{0, 4, -2.9, -2.7},      // sqrt(8)
		{20, 10, 2.7, 2.85},     // close to (20-10)/sqrt(10)=3.16, less for a Poisson tail
		{121, 0.3, 34, 35.5},    // a brand-new object
		{1100, 1000, 3.1, 3.15}, // large counts: about (c-e)/sqrt(e)
		{5, 0, 0, 0},            // no baseline: undefined, reported as 0
		{30, 200, -15.5, -14.5}, // a collapse is negative
	}
	for _, c := range cases {
		if got := Surprise(c.count, c.expected); got < c.lo || got > c.hi {
			t.Errorf("Surprise(%d, %g) = %.3f, want in [%g, %g]", c.count, c.expected, got, c.lo, c.hi)
		}
	}
}

func TestOpen(t *testing.T) {
	d := New(DefaultConfig())
	onset := t0.Add(2 * time.Hour)
	// The input starts two hours earlier, so the burst is past the warm-up.
	if err := d.Add(leakwatch.Mention{Object: "all:posts", Account: "a", At: t0}); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		if err := d.Add(leakwatch.Mention{Object: "hashtag:leaks", Account: fmt.Sprintf("b%d", i%20), At: onset.Add(time.Duration(i) * 10 * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.Advance(onset.Add(5 * time.Minute)); len(got) != 0 {
		t.Fatalf("ended bursts mid-burst: %+v", got)
	}
	open := d.Open()
	if len(open) != 1 || open[0].Object != "hashtag:leaks" || !open[0].Onset.Equal(onset) || open[0].Count != 30 {
		t.Fatalf("open = %+v, want hashtag:leaks from %s with the 30 mentions of its closed buckets", open, onset)
	}
	final := d.Flush()
	if len(final) != 1 || !final[0].Onset.Equal(open[0].Onset) || final[0].Count != 60 {
		t.Fatalf("final = %+v", final)
	}
	if len(d.Open()) != 0 {
		t.Error("burst still open after Flush")
	}
}

// TestWarmup: a replay joins a busy stream; without the warm-up its start looks like a burst
// of everything.
func TestWarmup(t *testing.T) {
	s := newStream(5)
	s.background("all:posts", t0, 3*60, func(time.Time) float64 { return 30 }, 3000)
	s.background("candidate:x", t0, 3*60, func(time.Time) float64 { return 3 }, 3000)
	for _, c := range []struct {
		warmup time.Duration
		want   int
	}{{time.Hour, 0}, {0, 2}} {
		cfg := DefaultConfig()
		cfg.Warmup = c.warmup
		got := feed(t, cfg, s.sorted(), time.Minute, 100)
		if len(got) != c.want {
			t.Errorf("warmup %s: %d bursts, want %d: %+v", c.warmup, len(got), c.want, got)
		}
	}
}

// TestBegin: a detector given only objects first mentioned after the stream began ends its
// warm-up where a detector of the whole stream does once Begin tells it when the stream
// began; an earlier Begin is ignored once a bucket has closed, a later one always.
func TestBegin(t *testing.T) {
	s := newStream(7)
	s.background("all:posts", t0, 5*60, func(time.Time) float64 { return 20 }, 3000)
	// From 40 min in, busy enough to be warm, and a rise 75 min in: after the stream's
	// warm-up, within one measured from the hashtag's first mention.
	s.background("hashtag:late", t0.Add(40*time.Minute), 4*60, func(at time.Time) float64 {
		if m := at.Sub(t0).Minutes(); m >= 75 && m < 90 {
			return 6
		}
		return 1
	}, 300)
	ms := s.sorted()
	want := byObject(feed(t, DefaultConfig(), ms, 0, 50), "hashtag:late")
	if len(want) == 0 {
		t.Fatal("no burst of hashtag:late in the whole stream")
	}
	var late []leakwatch.Mention
	for _, m := range ms {
		if m.Object == "hashtag:late" {
			late = append(late, m)
		}
	}
	// Each case prepares a detector and returns the mentions left to feed it.
	cases := []struct {
		name    string
		prepare func(d *Detector) []leakwatch.Mention
		same    bool
	}{
		{"the stream's start", func(d *Detector) []leakwatch.Mention { d.Begin(t0); return late }, true},
		{"none", func(*Detector) []leakwatch.Mention { return late }, false},
		{"after the first mention", func(d *Detector) []leakwatch.Mention {
			d.Begin(late[0].At.Add(time.Minute))
			return late
		}, false},
		{"after a bucket closed", func(d *Detector) []leakwatch.Mention {
			if err := d.Add(late[0]); err != nil {
				t.Fatal(err)
			}
			d.Advance(late[0].At.Add(time.Minute))
			d.Begin(t0)
			return late[1:]
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := New(DefaultConfig())
			got := feedInto(t, d, c.prepare(d), 0, 50)
			if same := reflect.DeepEqual(got, want); same != c.same {
				t.Errorf("same as the whole stream's: %v, want %v\n got %+v\nwant %+v", same, c.same, got, want)
			}
		})
	}
}

// TestBacktrack: the seed post of a dump, minutes before bots amplify it, is the onset; on an
// object that is not silent an earlier mention is not pulled in.
func TestBacktrack(t *testing.T) {
	seed := t0.Add(3*time.Hour + 20*time.Second)
	cases := []struct {
		name      string
		gap       time.Duration
		trickle   bool // the object had a mention every 2 minutes for the hour before
		wantOnset time.Time
		wantCount int
	}{
		{"seed 3 min before", 3 * time.Minute, false, seed.Truncate(time.Minute), 41},
		{"seed 5 min before", 5 * time.Minute, false, seed.Truncate(time.Minute), 41},
		{"seed 7 min before", 7 * time.Minute, false, seed.Add(7 * time.Minute).Truncate(time.Minute), 40},
		{"busy object", 3 * time.Minute, true, seed.Add(3 * time.Minute).Truncate(time.Minute), 40},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStream(2)
			s.add("all:posts", t0, "start")
			if c.trickle {
				for at := seed.Add(-time.Hour); at.Before(seed); at = at.Add(2 * time.Minute) {
					s.add("url:x", at, "organic")
				}
			} else {
				s.add("url:x", seed, "seeder")
			}
			for i := range 40 {
				s.add("url:x", seed.Add(c.gap+time.Duration(i)*5*time.Second), fmt.Sprintf("bot%d", i))
			}
			bs := byObject(feed(t, DefaultConfig(), s.sorted(), 0, 10), "url:x")
			if len(bs) != 1 || !bs[0].Onset.Equal(c.wantOnset) || bs[0].Count != c.wantCount {
				t.Errorf("bursts %+v, want one from %s with %d mentions", bs, c.wantOnset, c.wantCount)
			}
		})
	}
}

func TestConfigYAML(t *testing.T) {
	cfg := DefaultConfig()
	if err := yaml.Unmarshal([]byte("bucket: 30s\nquiet: 15m\nmin_count: 20\nprofile_half_life: 336h\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Bucket != 30*time.Second || cfg.Quiet != 15*time.Minute || cfg.MinCount != 20 || cfg.ProfileHalfLife != 14*24*time.Hour || cfg.Floor != DefaultConfig().Floor {
		t.Errorf("config = %+v", cfg)
	}
}

// TestSweepEvictsEveryIdleObject holds the hourly sweep, which looks only at objects whose
// idle entry is due, to what a walk of every object would evict: after each Advance no
// object left may be evictable, and Evicted counts each object dropped.
func TestSweepEvictsEveryIdleObject(t *testing.T) {
	cfg := DefaultConfig()
	d := New(cfg)
	r := rand.New(rand.NewPCG(7, 7))
	type src struct {
		obj string
		at  time.Time
	}
	// Busy objects earn a profile (kept for Idle), sparse ones not (IdleSparse); gaps from
	// seconds to days send objects idle, back again before or after eviction, and reset.
	var srcs []src
	for i := range 300 {
		srcs = append(srcs, src{obj: fmt.Sprintf("hashtag:o%d", i), at: t0.Add(time.Duration(r.IntN(3600)) * time.Second)})
	}
	gaps := []time.Duration{time.Second, 30 * time.Second, 10 * time.Minute, 5 * time.Hour, 7 * time.Hour, 30 * time.Hour, 80 * time.Hour}
	end := t0.Add(20 * 24 * time.Hour)
	mentions := 0
	for now := t0; now.Before(end); now = now.Add(time.Duration(1+r.IntN(90)) * time.Minute) {
		for i := range srcs {
			s := &srcs[i]
			for s.at.Before(now) {
				if err := d.Add(leakwatch.Mention{Object: s.obj, Account: fmt.Sprintf("a%d", r.IntN(50)), At: s.at}); err != nil {
					t.Fatal(err)
				}
				mentions++
				g := gaps[r.IntN(len(gaps))]
				if i%10 == 0 {
					g = gaps[r.IntN(3)] // busy
				}
				s.at = s.at.Add(g + time.Duration(r.IntN(60))*time.Second)
			}
		}
		d.Advance(now)
		for o := range d.objects.All {
			if o.run == nil && len(o.pending) == 0 && d.lastSweep-o.lastActive > d.idleFor(o) {
				t.Fatalf("at %s (sweep at bucket %d): %s idle since bucket %d (idle after %d) was not evicted",
					now, d.lastSweep, o.key, o.lastActive, d.idleFor(o))
			}
		}
	}
	st := d.Stats()
	if st.Evicted < 300 {
		t.Errorf("evicted %d times over 20 days of %d mentions, want objects to come and go", st.Evicted, mentions)
	}
	t.Logf("%d mentions, %d evictions, %d objects held at the end", mentions, st.Evicted, st.Objects)
}

// TestShortcutsMatchTheirFormulas checks the values step and catchUp look up instead of
// computing: the floor's burst alternative and log ratio, and the level kept over a gap.
func TestShortcutsMatchTheirFormulas(t *testing.T) {
	for _, cfg := range []Config{DefaultConfig(), func() Config {
		c := DefaultConfig()
		c.Bucket, c.HalfLife, c.Floor, c.MinShift, c.Shift, c.RelShift = 5*time.Minute, 3*time.Hour, 0.5, 1, 4, 0.3
		return c
	}()} {
		d := New(cfg)
		e := cfg.Floor
		e1 := e + max(cfg.MinShift, cfg.Shift*math.Sqrt(e), cfg.RelShift*e)
		if d.floorE1 != e1 || d.floorLog != math.Log(e1/e) {
			t.Fatalf("floor: got %v %v, want %v %v", d.floorE1, d.floorLog, e1, math.Log(e1/e))
		}
		for k := range d.decay {
			if want := math.Pow(1-d.alpha, float64(k)); d.decay[k] != want {
				t.Fatalf("decay[%d] = %v, want %v", k, d.decay[k], want)
			}
		}
	}
}

// TestOnceMentionedObjectLeavesNoTimer: an object mentioned once opens a run that ends
// unconfirmed; when the timers drain it after its backtrack window, its prelude is released
// at once and no timer is left for it.
func TestOnceMentionedObjectLeavesNoTimer(t *testing.T) {
	d := New(DefaultConfig())
	d.Advance(t0)
	at := t0.Add(2 * time.Hour)
	if err := d.Add(leakwatch.Mention{Object: "url:x", Account: "a", Post: "p", At: at}); err != nil {
		t.Fatal(err)
	}
	d.Advance(at.Add(time.Minute))
	d.Advance(at.Add(20 * time.Minute))
	o := d.object("url:x")
	if o.run != nil || o.prelude != nil {
		t.Fatalf("run %v, prelude %v: want both ended", o.run, o.prelude)
	}
	if _, objs, ok := d.timers.Next(math.MaxInt64); ok {
		t.Fatalf("timers left: %d", len(objs))
	}
}

// TestStreamObjectEvictedAndSeenAgain: Add finds the stream object without the map; once it
// is evicted and its memory taken by another object, a new mention of it must not land there.
func TestStreamObjectEvictedAndSeenAgain(t *testing.T) {
	d := New(DefaultConfig())
	add := func(object string, at time.Time) {
		t.Helper()
		if err := d.Add(leakwatch.Mention{Object: object, Account: "a", Post: "p", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	add(leakwatch.AllPosts, t0)
	at := t0.Add(DefaultConfig().IdleSparse + 2*time.Hour)
	d.Advance(at)
	if d.Stats().Evicted != 1 {
		t.Fatalf("evicted %d, want the stream object", d.Stats().Evicted)
	}
	add("hashtag:x", at)
	add(leakwatch.AllPosts, at)
	x, all := d.object("hashtag:x"), d.object(leakwatch.AllPosts)
	if x == nil || all == nil || x == all || x.key != "hashtag:x" || all.key != leakwatch.AllPosts {
		t.Fatalf("objects after eviction: %+v %+v", x, all)
	}
	if x.pending[0].count != 1 || all.pending[0].count != 1 {
		t.Fatalf("counts %d and %d, want 1 each", x.pending[0].count, all.pending[0].count)
	}
}

// object is the state of the object key, nil when none is held.
func (d *Detector) object(key string) *object {
	o, _ := d.objects.Get(strhash.String(0, key), key)
	return o
}

// A burst's accounts are the distinct authors of its mentions, and confirmation needs
// MinAccounts of them however often each posts: a run of many mentions by a few accounts
// counts each once, on both sides of the threshold, in short runs and long ones, in the
// final burst and while it is open.
func TestBurstCountsDistinctAccounts(t *testing.T) {
	for _, tc := range []struct {
		mentions, accounts, want int // want 0: no burst
	}{{24, 2, 0}, {24, 3, 3}, {24, 5, 5}, {60, 2, 0}, {60, 3, 3}, {60, 30, 30}} {
		s := newStream(1)
		s.background("all:posts", t0, 6*60, func(time.Time) float64 { return 20 }, 5000)
		onset := t0.Add(4 * time.Hour)
		for i := range tc.mentions {
			s.add("hashtag:flood", onset.Add(time.Duration(i*10)*time.Second), fmt.Sprintf("acct%d", (i*7)%tc.accounts))
		}
		name := fmt.Sprintf("%d mentions by %d accounts", tc.mentions, tc.accounts)
		d := New(DefaultConfig())
		var bs []leakwatch.Burst
		open := 0
		for _, m := range s.sorted() {
			if err := d.Add(m); err != nil {
				t.Fatal(err)
			}
			if m.At.After(onset.Add(time.Duration(tc.mentions*10) * time.Second)) {
				bs = append(bs, byObject(d.Advance(m.At.Add(-30*time.Second)), "hashtag:flood")...)
				open = max(open, len(byObject(d.Open(), "hashtag:flood")))
			}
		}
		bs = append(bs, byObject(d.Flush(), "hashtag:flood")...)
		switch {
		case tc.want == 0 && (len(bs) != 0 || open != 0):
			t.Errorf("%s: bursts %+v (open %d), want none (min_accounts 3)", name, bs, open)
		case tc.want > 0 && (len(bs) != 1 || open != 1):
			t.Errorf("%s: %d bursts (open %d), want one", name, len(bs), open)
		case tc.want > 0 && bs[0].Accounts != tc.want:
			t.Errorf("%s: burst counts %d accounts", name, bs[0].Accounts)
		}
	}
}

// TestLearningFirstDay: a candidate active from the start rises every morning; on the first
// day its baseline has seen only the night, so those bursts are marked Learning (the alert
// rules skip them), and none after. A link first shared in the first day bursts against the
// floor, whatever the hour, and is not Learning.
func TestLearningFirstDay(t *testing.T) {
	s := newStream(7)
	s.background("candidate:macron", t0, 3*24*60, func(at time.Time) float64 { return 40 * rhythm(at) }, 20000)
	paste := t0.Add(9 * time.Hour)
	for i := range 40 {
		s.add("url:https://pastebin.com/x", paste.Add(time.Duration(i)*5*time.Second), fmt.Sprintf("bot%d", i))
	}
	bs := feed(t, DefaultConfig(), s.sorted(), time.Minute, 500)
	day1 := 0
	for _, b := range byObject(bs, "candidate:macron") {
		first := b.Onset.Before(t0.Add(24 * time.Hour))
		if first {
			day1++
		}
		if b.Learning != first {
			t.Errorf("burst at %s: learning %v, want %v", b.Onset.Format(time.RFC3339), b.Learning, first)
		}
	}
	if day1 == 0 {
		t.Fatal("no first-day burst on the candidate: the test proves nothing")
	}
	pb := byObject(bs, "url:https://pastebin.com/x")
	if len(pb) != 1 || pb[0].Learning {
		t.Errorf("paste link bursts %+v, want one, not learning", pb)
	}
	cfg := DefaultConfig()
	cfg.Learning = 0
	for _, b := range feed(t, cfg, s.sorted(), time.Minute, 500) {
		if b.Learning {
			t.Errorf("learning 0: burst at %s marked learning", b.Onset.Format(time.RFC3339))
		}
	}
}

// A run takes only the last backtrack of the unconfirmed run before it. A mention every 5
// minutes for hours (a feed's schedule, a sparse keyword) left each run's records to the
// next, and the burst of a dump after them began hours before the dump, moving a leak after
// the polls closed into the silence.
func TestBacktrackDoesNotChain(t *testing.T) {
	dump := t0.Add(8*time.Hour + 20*time.Second)
	for _, every := range []time.Duration{4 * time.Minute, 5 * time.Minute} {
		t.Run(every.String(), func(t *testing.T) {
			s := newStream(3)
			s.add("all:posts", t0, "start")
			for at := dump.Add(-4 * time.Hour); at.Before(dump); at = at.Add(every) {
				s.add("url:x", at, "schedule")
			}
			for i := range 20 {
				s.add("url:x", dump.Add(time.Duration(i)*10*time.Second), fmt.Sprintf("bot%d", i))
			}
			bs := byObject(feed(t, DefaultConfig(), s.sorted(), 0, 10), "url:x")
			if len(bs) != 1 {
				t.Fatalf("bursts %+v, want one", bs)
			}
			if earliest := dump.Add(-DefaultConfig().Backtrack - time.Minute); bs[0].Onset.Before(earliest) {
				t.Errorf("onset %s, %s before the dump; want at most the backtrack (%s) before it", bs[0].Onset, dump.Sub(bs[0].Onset), DefaultConfig().Backtrack)
			}
		})
	}
}

// TestEvidenceExplainsAQuarterOfTheExcess: a burst lists a leak value only when the posts
// carrying it are at least a quarter of its excess over baseline. Two posts of a leak hashtag
// in a burst of something else (the IRA stream on 24 July 2016: a Russian text retweeted a
// dozen times, two #DNCLeaks posts among 28) say nothing about why the stream rose.
func TestEvidenceExplainsAQuarterOfTheExcess(t *testing.T) {
	for _, c := range []struct {
		carrying int
		want     []string
	}{{2, nil}, {12, nil}, {30, []string{"term:#dncleaks"}}} {
		s := newStream(7)
		s.background("all:posts", t0, 8*60, func(time.Time) float64 { return 2 }, 5000)
		onset := t0.Add(6 * time.Hour)
		// 80 extra posts in 10 minutes; c.carrying of them carry the hashtag.
		for i := range 80 {
			var ev []string
			if step := 80 / c.carrying; i%step == 0 && i/step < c.carrying {
				ev = []string{"term:#dncleaks"}
			}
			s.add("all:posts", onset.Add(time.Duration(i*7500)*time.Millisecond), fmt.Sprintf("r%d", i%30), ev...)
		}
		bs := byObject(feed(t, DefaultConfig(), s.sorted(), 30*time.Second, 50), "all:posts")
		var b *leakwatch.Burst
		for i := range bs {
			if !bs[i].Onset.Before(onset.Add(-5*time.Minute)) && bs[i].Onset.Before(onset.Add(5*time.Minute)) {
				b = &bs[i]
			}
		}
		if b == nil {
			t.Fatalf("%d carrying: no all:posts burst at %s: %+v", c.carrying, onset, bs)
		}
		if !slices.Equal(b.Evidence, c.want) {
			t.Errorf("%d of %d posts carrying the hashtag (excess %.0f): evidence %q, want %q", c.carrying, b.Count, float64(b.Count)-b.Baseline, b.Evidence, c.want)
		}
	}
}
