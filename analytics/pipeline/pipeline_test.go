package pipeline_test

import (
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/calendar"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// iraPosts reads the IRA tweets (July-August 2016) as posts: author, time, text, and a
// retweet flag turned into a reshare of the text, as the archive preset does.
func iraPosts(t testing.TB, limit int) []leakwatch.Post {
	t.Helper()
	f, err := os.Open(testenv.SharedData(t, "data/ira-2016-07/ira_tweets_2016-07-01_2016-08-15.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(zr)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	var out []leakwatch.Post
	for line := 2; limit <= 0 || len(out) < limit; line++ {
		row, err := r.Read()
		if err != nil {
			break
		}
		at, err := time.Parse(time.DateTime, row[col["publish_date"]])
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		id := fmt.Sprintf("ira:%d", line)
		out = append(out, leakwatch.Post{
			Platform: "twitter", ID: id, URI: id, CreatedAt: at,
			Author: leakwatch.Account{ID: row[col["author"]], Handle: row[col["author"]]},
			Text:   row[col["content"]],
		})
	}
	return out
}

func usCalendar(t testing.TB) *leakwatch.Calendar {
	t.Helper()
	b, err := os.ReadFile(testenv.SharedData(t, "calendars/us-2016-presidential.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return &cal
}

func testConfig(t testing.TB) pipeline.Config {
	cfg := pipeline.DefaultConfig()
	cfg.Calendar = usCalendar(t)
	return cfg
}

func records(t testing.TB, sigs []leakwatch.Signal) []string {
	t.Helper()
	out := make([]string, len(sigs))
	for i, s := range sigs {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

// TestPartitionedReplayMatchesAnalyze replays the IRA tweets through the stages as the
// processor runs them: mentions split by object over N detect partitions, each advancing its
// own watermark at its own pace, co-shares reaching correlate interleaved, correlate advanced
// with the lowest watermark. The final signals must equal the batch analysis.
func TestPartitionedReplayMatchesAnalyze(t *testing.T) {
	posts := iraPosts(t, 40000)
	cfg := testConfig(t)
	want, err := pipeline.Analyze(cfg, slices.Values(posts), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := want.Summary
	if s.Bursts == 0 || s.Edges == 0 || s.Groups == 0 {
		t.Fatalf("batch found %d bursts, %d edges, %d groups: the data does not exercise the stages", s.Bursts, s.Edges, s.Groups)
	}
	t.Logf("batch: %+v", s)

	ex, err := pipeline.NewExtract(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mentions []leakwatch.Mention
	for _, p := range posts {
		mentions = ex.AppendMentions(mentions, p)
	}
	slices.SortStableFunc(mentions, func(a, b leakwatch.Mention) int { return a.At.Compare(b.At) })

	for _, n := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("partitions=%d", n), func(t *testing.T) {
			got := replay(t, cfg, mentions, n)
			w, g := records(t, want.Signals), records(t, got)
			if !slices.Equal(w, g) {
				diff := 0
				for _, r := range w {
					if !slices.Contains(g, r) && diff < 5 {
						t.Errorf("batch only: %s", r)
						diff++
					}
				}
				for _, r := range g {
					if !slices.Contains(w, r) && diff < 10 {
						t.Errorf("replay only: %s", r)
						diff++
					}
				}
				t.Fatalf("replay gave %d signals, batch %d", len(g), len(w))
			}
		})
	}
}

func replay(t *testing.T, cfg pipeline.Config, mentions []leakwatch.Mention, n int) []leakwatch.Signal {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	parts := make([]*pipeline.Detect, n)
	every := make([]int, n)
	for i := range parts {
		d, err := pipeline.NewDetect(cfg)
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = d
		every[i] = 50 + 37*i // each partition's consumer advances at its own pace
	}
	corr, err := pipeline.NewCorrelate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	final := pipeline.NewFinal()
	var topic []pipeline.CoShare // the signals topic between detect and correlate
	deliver := func(out pipeline.DetectOutput) {
		for _, b := range out.Bursts {
			final.Add(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &b})
			final.Add(corr.Burst(b).Signals...)
		}
		topic = append(topic, out.CoShares...)
	}
	drain := func() {
		// Observations of different partitions interleave on the topic in any order.
		rng.Shuffle(len(topic), func(i, j int) { topic[i], topic[j] = topic[j], topic[i] })
		for _, o := range topic {
			// Through the wire format, as the Kafka stage would.
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			var back pipeline.CoShare
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			corr.CoShare(back)
		}
		topic = topic[:0]
	}
	count := make([]int, n)
	for i, m := range mentions {
		h := fnv.New32a()
		h.Write([]byte(m.Object))
		p := int(h.Sum32()) % n
		if err := parts[p].Add(m); err != nil {
			t.Fatalf("partition %d refused %s: %v", p, m.Object, err)
		}
		count[p]++
		if count[p]%every[p] == 0 {
			deliver(parts[p].Advance(parts[p].Watermark()))
		}
		if i%500 == 0 {
			drain()
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
	drain()
	final.Add(corr.Flush().Signals...)
	return final.Signals()
}

// TestAnalyzeFindsRingAndLeak: organic chatter plus an operation: five accounts posting the
// same paste link and text within seconds, on a hashtag that bursts just before a silence.
func TestAnalyzeFindsRingAndLeak(t *testing.T) {
	start := time.Date(2017, 5, 5, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 1))
	var posts []leakwatch.Post
	id := 0
	post := func(author string, at time.Time, text string) {
		id++
		posts = append(posts, leakwatch.Post{Platform: "twitter", ID: fmt.Sprint(id), URI: fmt.Sprintf("twitter:%d", id), CreatedAt: at, Author: leakwatch.Account{ID: author}, Text: text})
	}
	topics := []string{"#debat", "#presidentielle", "#france", "#politique"}
	for i := range 6000 { // organic: 300 accounts over 8 hours
		at := start.Add(time.Duration(rng.IntN(8*3600)) * time.Second)
		post(fmt.Sprintf("user%d", rng.IntN(300)), at, fmt.Sprintf("message numéro %d sur %s et la campagne", i, topics[rng.IntN(len(topics))]))
	}
	op := start.Add(6*time.Hour + 35*time.Minute) // 18:35 UTC, 20:35 Paris
	bots := []string{"bot1", "bot2", "bot3", "bot4", "bot5"}
	for wave := range 6 {
		for j, b := range bots {
			at := op.Add(time.Duration(wave)*4*time.Minute + time.Duration(j*7)*time.Second)
			post(b, at, fmt.Sprintf("#MacronLeaks les documents sont là https://pastebin.com/leak%d vague %d", wave, wave))
		}
	}
	for i := range 60 { // and the crowd picks the hashtag up
		post(fmt.Sprintf("user%d", i), op.Add(time.Duration(30+i*20)*time.Second), "c'est quoi #MacronLeaks ?")
	}
	cfg := pipeline.DefaultConfig()
	b, err := os.ReadFile(testenv.SharedData(t, "calendars/fr-2017-presidential.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Calendar = &cal
	// Any file order gives the same result.
	rng.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
	res, err := pipeline.Analyze(cfg, slices.Values(posts), nil)
	if err != nil {
		t.Fatal(err)
	}
	var groups, bursts, leaks []leakwatch.Signal
	for _, s := range res.Signals {
		switch s.Kind {
		case leakwatch.SignalGroup:
			groups = append(groups, s)
		case leakwatch.SignalBurst:
			if s.Burst.Object == "hashtag:macronleaks" {
				bursts = append(bursts, s)
			}
		case leakwatch.SignalLeak:
			leaks = append(leaks, s)
		}
	}
	if len(groups) != 1 || !slices.Equal(groups[0].Group.Accounts, bots) {
		t.Fatalf("groups %s; want one group of the five bots", records(t, groups))
	}
	g := groups[0].Group
	if !g.First.Equal(op) || len(g.FirstMovers) == 0 || g.FirstMovers[0] != "bot1" {
		t.Errorf("group first %s, first movers %v; want %s and bot1", g.First, g.FirstMovers, op)
	}
	if len(bursts) != 1 {
		t.Fatalf("bursts of hashtag:macronleaks: %s", records(t, bursts))
	}
	if on := bursts[0].Burst.Onset; on.Before(op.Add(-time.Minute)) || on.After(op.Add(2*time.Minute)) {
		t.Errorf("burst onset %s, want about %s", on, op)
	}
	if len(bursts[0].Burst.Calendar) == 0 {
		t.Error("burst not placed on the calendar")
	}
	if len(leaks) == 0 {
		t.Fatal("no leak detected")
	}
	for _, l := range leaks {
		if !l.Leak.Timing.InSilence && l.Leak.Timing.HoursToSilence > 4 {
			t.Errorf("leak %s timed %+v; want hours before the silence", l.Leak.Object, l.Leak.Timing)
		}
	}
}

func TestDetectRefusesLateMention(t *testing.T) {
	cfg := pipeline.DefaultConfig()
	d, err := pipeline.NewDetect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2016, 7, 22, 12, 0, 0, 0, time.UTC)
	m := leakwatch.Mention{Object: "hashtag:dnc", Account: "a", Post: "p1", At: at}
	if err := d.Add(m); err != nil {
		t.Fatal(err)
	}
	d.Advance(at.Add(time.Hour))
	m.At = at.Add(50 * time.Minute) // 10 minutes behind the watermark; lateness is 5
	err = d.Add(m)
	var late *pipeline.LateError
	if !errors.As(err, &late) || late.Mention.Post != "p1" || !late.Mention.At.Equal(m.At) {
		t.Fatalf("Add of a late mention: %v, want a *LateError carrying it", err)
	}
	if !strings.Contains(err.Error(), "hashtag:dnc") || d.Stats().Late != 1 {
		t.Errorf("late error %q, stats %+v", err, d.Stats())
	}
	m.At = at.Add(56 * time.Minute)
	if err := d.Add(m); err != nil {
		t.Errorf("mention within the lateness refused: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := pipeline.DefaultConfig()
	cfg.Coord.Window = 0
	cfg.Step = 0
	err := cfg.Validate()
	for _, want := range []string{"coord: window", "step"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %q", err, want)
		}
	}
}

// The hour scale is read from slow_burst, its keys inline as burst's, its defaults kept for
// keys a file leaves out; a bucket no slower than the minute scale's is refused by name.
func TestSlowBurstConfig(t *testing.T) {
	cfg := pipeline.DefaultConfig()
	if err := yaml.Unmarshal([]byte("slow_burst: {min_count: 30, quiet: 2h}"), &cfg); err != nil {
		t.Fatal(err)
	}
	if s := cfg.SlowBurst; !s.Enabled || s.MinCount != 30 || s.Quiet != 2*time.Hour || s.Bucket != time.Hour || !s.OwnEvidence {
		t.Errorf("slow_burst %+v: want enabled, min_count 30, quiet 2h, the rest default", s)
	}
	if err := yaml.Unmarshal([]byte("slow_burst: {enabled: false}"), &cfg); err != nil || cfg.SlowBurst.Enabled {
		t.Errorf("enabled: false left it on (%v)", err)
	}
	cfg = pipeline.DefaultConfig()
	cfg.SlowBurst.Bucket = time.Minute
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "slow_burst: burst: bucket") {
		t.Errorf("a one-minute slow bucket: %v", err)
	}
}

// TestReorderBoundMatchesSort: an archive only slightly out of order gives the same result
// through the bounded reorder buffer as through a full sort; mentions beyond the bound are
// refused with a reason, never dropped silently.
func TestReorderBoundMatchesSort(t *testing.T) {
	posts := iraPosts(t, 15000)
	slices.SortStableFunc(posts, func(a, b leakwatch.Post) int { return a.CreatedAt.Compare(b.CreatedAt) })
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range posts { // swap neighbours a few minutes apart
		if j := i + rng.IntN(20); j < len(posts) && posts[j].CreatedAt.Sub(posts[i].CreatedAt) < 3*time.Minute {
			posts[i], posts[j] = posts[j], posts[i]
		}
	}
	cfg := testConfig(t)
	want, err := pipeline.Analyze(cfg, slices.Values(posts), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Reorder = 10 * time.Minute
	got, err := pipeline.Analyze(cfg, slices.Values(posts), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary.Refused != 0 || !slices.Equal(records(t, got.Signals), records(t, want.Signals)) {
		t.Fatalf("bounded reorder: %d refused, %d signals; full sort: %d signals", got.Summary.Refused, len(got.Signals), len(want.Signals))
	}
	// A post an hour late is refused, with the reason.
	late := posts[len(posts)/2]
	late.ID, late.URI = "late", "late"
	late.CreatedAt = posts[len(posts)-1].CreatedAt.Add(-time.Hour)
	got, err = pipeline.Analyze(cfg, slices.Values(append(slices.Clone(posts), late)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary.Refused == 0 || got.Refused[0].Mention.Post != "late" || !strings.Contains(got.Refused[0].Reason, "late") {
		t.Fatalf("late post: refused %+v", got.Refused)
	}
}

// TestCopiesOfAPostCountOnce: archives overlap (two exports of one account, a stream
// collected twice). A copy of a post, the same URI, must not make bursts, leaks or alerts the
// archive without it does not have, in memory, through sorted runs and with a bounded
// reorder; the summary counts the copies.
func TestCopiesOfAPostCountOnce(t *testing.T) {
	posts := iraPosts(t, 15000)
	slices.SortStableFunc(posts, func(a, b leakwatch.Post) int { return a.CreatedAt.Compare(b.CreatedAt) })
	cfg := testConfig(t)
	want, err := pipeline.Analyze(cfg, slices.Values(posts), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want.Summary.Bursts == 0 || want.Summary.Duplicates != 0 {
		t.Fatalf("without copies: %+v", want.Summary)
	}
	// Every post twice, and a third of them three times, shuffled.
	copies := slices.Clone(posts)
	copies = append(copies, posts...)
	for i := 0; i < len(posts); i += 3 {
		copies = append(copies, posts[i])
	}
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(copies), func(i, j int) { copies[i], copies[j] = copies[j], copies[i] })
	dropped := int64(len(copies) - len(posts))

	check := func(how string, got pipeline.Result) {
		t.Helper()
		if got.Summary.Duplicates != dropped || got.Summary.Mentions != want.Summary.Mentions || got.Summary.Posts != int64(len(copies)) {
			t.Errorf("%s: %d posts, %d copies dropped, %d mentions; want %d posts, %d copies, %d mentions",
				how, got.Summary.Posts, got.Summary.Duplicates, got.Summary.Mentions, len(copies), dropped, want.Summary.Mentions)
		}
		if g, w := records(t, got.Signals), records(t, want.Signals); !slices.Equal(g, w) {
			t.Errorf("%s: %d signals, %d without the copies, not the same", how, len(g), len(w))
		}
		if g, w := jsonOf(t, got.Alerts), jsonOf(t, want.Alerts); g != w {
			t.Errorf("%s: %d alerts, %d without the copies, not the same", how, len(got.Alerts), len(want.Alerts))
		}
	}
	got, err := pipeline.Analyze(cfg, slices.Values(copies), nil)
	if err != nil {
		t.Fatal(err)
	}
	check("in memory", got)

	runs := cfg
	runs.SortBuffer = 4000
	b, _ := batchWithRuns(t, runs, copies, nil)
	got, err = b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary.Runs == 0 {
		t.Fatal("no sorted run written")
	}
	check("through sorted runs", got)

	// The reorder buffer holds mentions: copies arriving next to each other, in time order.
	var near []leakwatch.Post
	for i, p := range posts {
		near = append(near, p)
		if i%3 == 0 {
			near = append(near, p)
		}
	}
	reorder := cfg
	reorder.Reorder = 10 * time.Minute
	got, err = pipeline.Analyze(reorder, slices.Values(near), nil)
	if err != nil {
		t.Fatal(err)
	}
	dropped = int64(len(near) - len(posts))
	copies = near
	check("with a bounded reorder", got)
}

// TestCopyFurtherThanTheLatenessCountsAgain: a post seen again at another time is a copy
// within the lateness of the first (5 min), the stream's rule, and counted again beyond it.
func TestCopyFurtherThanTheLatenessCountsAgain(t *testing.T) {
	t0 := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	post := func(id string, at time.Duration) leakwatch.Post {
		return leakwatch.Post{ID: id, URI: "twitter:" + id, Platform: "twitter", Author: leakwatch.Account{ID: "a"}, Text: "#macronleaks " + id, CreatedAt: t0.Add(at)}
	}
	posts := []leakwatch.Post{post("1", 0), post("1", 4*time.Minute+59*time.Second), post("2", time.Minute), post("1", 10*time.Minute+time.Second)}
	for i := range 20 { // filler, so event time moves on between the copies
		posts = append(posts, post("f"+strconv.Itoa(i), time.Duration(i)*30*time.Second))
	}
	res, err := pipeline.Analyze(pipeline.DefaultConfig(), slices.Values(posts), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Duplicates != 1 {
		t.Errorf("%d copies dropped, want 1: the one 4 min 59 s after its post, not the one 10 min after the one it copied", res.Summary.Duplicates)
	}
}

// Accounts known by ids (Twitter's user ids) are keyed by id, and a group names its first
// movers by their handles too, in FirstMovers' order: an id says nothing to an analyst. An
// account renamed during the operation is named by its handle at its earliest share, in
// any file order.
func TestGroupNamesFirstMoversByHandle(t *testing.T) {
	start := time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)
	ids := []string{"853883402931493550", "541321667014617081", "853318870000000001", "777000000000000002"}
	handles := []string{"leak_relay", "patriote_75", "fr_news_now", "verite2017"}
	var posts []leakwatch.Post
	for wave := range 6 {
		for j, id := range ids {
			h := handles[j]
			if j == 0 && wave >= 3 {
				h = "leak_relay_2" // renamed half way
			}
			at := start.Add(time.Duration(wave)*10*time.Minute + time.Duration(j*5)*time.Second)
			n := len(posts)
			posts = append(posts, leakwatch.Post{Platform: "twitter", ID: fmt.Sprint(n), URI: fmt.Sprintf("twitter:%d", n), CreatedAt: at,
				Author: leakwatch.Account{ID: id, Handle: h}, Text: fmt.Sprintf("Les documents https://pastebin.com/w%d #MacronLeaks", wave)})
		}
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for round := range 3 {
		res, err := pipeline.Analyze(pipeline.DefaultConfig(), slices.Values(posts), nil)
		if err != nil {
			t.Fatal(err)
		}
		var g *leakwatch.Group
		for _, s := range res.Signals {
			if s.Kind == leakwatch.SignalGroup {
				g = s.Group
			}
		}
		if g == nil || !slices.Equal(g.Accounts, slices.Sorted(slices.Values(ids))) {
			t.Fatalf("round %d: no group of the four accounts: %+v", round, g)
		}
		if g.FirstMovers[0] != ids[0] || len(g.FirstMoverHandles) != len(g.FirstMovers) {
			t.Fatalf("round %d: first movers %v, handles %v; want %s first, a handle each", round, g.FirstMovers, g.FirstMoverHandles, ids[0])
		}
		for i, a := range g.FirstMovers {
			if want := handles[slices.Index(ids, a)]; g.FirstMoverHandles[i] != want || g.FirstMoverNames()[i] != want {
				t.Errorf("round %d: first mover %s named %q (%q shown), want %q", round, a, g.FirstMoverHandles[i], g.FirstMoverNames()[i], want)
			}
		}
		for i, a := range g.Accounts {
			if want := handles[slices.Index(ids, a)]; g.AccountNames()[i] != want {
				t.Errorf("round %d: account %s shown as %q, want %q", round, a, g.AccountNames()[i], want)
			}
		}
		edges := 0
		for _, s := range res.Signals {
			if e := s.Edge; e != nil {
				edges++
				if e.AHandle != handles[slices.Index(ids, e.A)] || e.BHandle != handles[slices.Index(ids, e.B)] {
					t.Errorf("round %d: edge %s-%s named %q-%q", round, e.A, e.B, e.AHandle, e.BHandle)
				}
			}
		}
		if edges == 0 {
			t.Errorf("round %d: no edges", round)
		}
		rng.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
	}
}
