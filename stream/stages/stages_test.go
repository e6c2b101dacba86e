package stages_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/collectors/scenario"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
	"github.com/leakwatch/leakwatch/stream/stages"
)

// testConfig is the local Kafka with topics and groups of this run alone.
func testConfig(t *testing.T) stages.Config {
	t.Helper()
	addr := testenv.Kafka(t)
	run := "test." + t.Name() + "." + strconv.FormatInt(time.Now().UnixNano(), 36)
	cfg := stages.DefaultConfig()
	cfg.Stream.Brokers = []string{addr}
	cfg.Stream.GroupPrefix = run + "."
	tp := &cfg.Stream.Topics
	for _, p := range []*string{&tp.Posts, &tp.SiteChanges, &tp.Mentions, &tp.CoShares, &tp.Signals, &tp.Alerts, &tp.DeadLetter} {
		*p = run + "." + *p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stream.EnsureTopics(ctx, cfg.Stream); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stream.DeleteTopics(context.Background(), cfg.Stream, tp.All()...); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	return cfg
}

// campaign is a small synthetic campaign with a leak dump, a retweet ring and a defacement.
func campaign(t *testing.T) ([]leakwatch.Post, []leakwatch.SiteChange) {
	t.Helper()
	sc := scenario.DefaultConfig()
	sc.Days = 3
	sc.Start = time.Date(2017, 5, 4, 0, 0, 0, 0, time.UTC)
	sc.Accounts = 600
	return generate(t, sc)
}

// generate makes the campaign sc describes, its posts sorted by time.
func generate(t *testing.T, sc scenario.Config) ([]leakwatch.Post, []leakwatch.SiteChange) {
	t.Helper()
	s, err := scenario.Generate(sc)
	if err != nil {
		t.Fatal(err)
	}
	posts := make([]leakwatch.Post, 0, len(s.Tweets))
	for i, tw := range s.Tweets {
		p, _, err := archive.DecodeLine(tw)
		if err != nil || p == nil {
			t.Fatalf("scenario tweet %d: %v", i, err)
		}
		posts = append(posts, *p)
	}
	archive.SortPosts(posts)
	return posts, s.Changes
}

func lines(sigs []leakwatch.Signal) []string {
	out := make([]string, len(sigs))
	for i, s := range sigs {
		b, _ := json.Marshal(s)
		out[i] = string(b)
	}
	return out
}

func count(sigs []leakwatch.Signal) map[leakwatch.SignalKind]int {
	n := map[leakwatch.SignalKind]int{}
	for _, s := range sigs {
		n[s.Kind]++
	}
	return n
}

// TestStagesOverKafkaMatchBatchAnalysis replays a campaign into Kafka at full speed, runs
// extract, detect and correlate as consumer groups, and checks that the signals topic ends
// with exactly the bursts, edges and groups of the batch analysis of the same posts.
// Leak incidents are only logged: correlate merges related candidates into the oldest
// incident, so which object names an incident depends on whether a burst or a group reached
// correlate first, and the two topics do not preserve the batch order between them.
func TestStagesOverKafkaMatchBatchAnalysis(t *testing.T) {
	posts, changes := campaign(t)
	matchBatch(t, posts, changes, 0)
}

// With coord.max_sharers on, the stream leaves out the pairs the batch analysis leaves out,
// and counts them on leakwatch_coshare_pairs_skipped_total as analyze's summary does: an
// operator who turned the cap on for memory sees what it cost.
func TestStagesCountPairsTheCapSkipped(t *testing.T) {
	posts, changes := campaign(t)
	matchBatch(t, posts, changes, 5)
}

// TestStagesMatchBatchOnAQuietStart starts the campaign at night, when few posts come: each
// mentions partition gets its first mention at another minute, and the burst warm-up must
// still be measured from the input's first post, as the batch analysis measures it.
func TestStagesMatchBatchOnAQuietStart(t *testing.T) {
	sc := scenario.DefaultConfig()
	sc.Days = 2
	sc.LeakAt = sc.Start.Add(26 * time.Hour)
	posts, changes := generate(t, sc)
	matchBatch(t, posts, changes, 0)
}

// matchBatch replays posts and site changes through the three stages over Kafka and checks
// the signals topic ends with the batch analysis' bursts, edges and groups, with
// coord.max_sharers set to maxSharers, and the pairs it skipped counted alike.
func matchBatch(t *testing.T, posts []leakwatch.Post, changes []leakwatch.SiteChange, maxSharers int) {
	t.Helper()
	cfg := testConfig(t)
	cfg.SourceIdle = time.Second
	cfg.FlushIdle = 4 * time.Second
	cfg.Pipeline.Coord.MaxSharers = maxSharers
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg

	res, err := pipeline.Analyze(cfg.Pipeline, slices.Values(posts), changes)
	if err != nil {
		t.Fatal(err)
	}
	want := lines(withoutLeaks(res.Signals))
	t.Logf("batch analysis of %d posts: %v", len(posts), count(res.Signals))
	if len(res.Signals) == 0 {
		t.Fatal("the campaign gives no detections: nothing to compare")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	w, err := stream.NewWriter(cfg.Stream, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var msgs []stream.Message
	for _, c := range changes {
		m, err := stream.EncodeSiteChange(cfg.Stream.Topics.SiteChanges, c)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	for _, p := range posts {
		m, err := stream.EncodePost(cfg.Stream.Topics.Posts, p)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	start := time.Now()
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}

	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	sctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, len(stages.Names))
	for _, name := range stages.Names {
		wg.Go(func() {
			if err := stages.Run(sctx, name, cfg, log, nil); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		})
	}

	// Collect the signals topic until it matches, or stops changing for a while.
	final := pipeline.NewFinal()
	var mu sync.Mutex
	changed := time.Now()
	collector, err := stream.NewGroup(cfg.Stream, "collect", []string{cfg.Stream.Topics.Signals}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() {
		err := collector.Run(sctx, func(ctx context.Context, batch []stream.Record) error {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range batch {
				s, err := stream.Decode[leakwatch.Signal](r)
				if err != nil {
					return err
				}
				final.Add(s)
			}
			changed = time.Now()
			return nil
		})
		if err != nil {
			errs <- fmt.Errorf("collector: %w", err)
		}
	})
	var got []string
	var gotSigs []leakwatch.Signal
	for {
		time.Sleep(500 * time.Millisecond)
		mu.Lock()
		gotSigs = final.Signals()
		quiet := time.Since(changed)
		mu.Unlock()
		got = lines(withoutLeaks(gotSigs))
		if slices.Equal(got, want) || (quiet > 15*time.Second && len(got) > 0) || ctx.Err() != nil {
			break
		}
	}
	took := time.Since(start)
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	deadLetters(t, cfg.Stream)
	if got := pairsSkipped(t, reg); got != res.Summary.PairsSkipped {
		t.Errorf("leakwatch_coshare_pairs_skipped_total = %d, the batch analysis skipped %d", got, res.Summary.PairsSkipped)
	} else {
		t.Logf("co-share pairs skipped by coord.max_sharers %d: %d, as the batch analysis", maxSharers, got)
	}
	if lw, lg := lines(leaksOnly(res.Signals)), lines(leaksOnly(gotSigs)); !slices.Equal(lw, lg) {
		missing, extra := diff(lw, lg)
		t.Logf("leak incidents differ from the batch (%d missing, %d extra): %s", len(missing), len(extra), first(extra))
	}
	t.Logf("stream stages: %v after %s (%.0f posts/s end to end)", count(gotSigs), took.Round(time.Millisecond), float64(len(posts))/took.Seconds())
	if !slices.Equal(got, want) {
		mentionStats(t, cfg.Stream, res.Summary.Mentions)
		if r, err := stream.TopicRanges(context.Background(), cfg.Stream, cfg.Stream.Topics.CoShares); err == nil {
			t.Logf("coshares topic: %d observations; batch made %d", stream.Count(r), res.Summary.CoShares)
		}
		missing, extra := diff(want, got)
		t.Fatalf("signals topic differs from the batch analysis: %d missing, %d extra\nfirst missing: %s\nfirst extra:   %s",
			len(missing), len(extra), first(missing), first(extra))
	}
}

func diff(want, got []string) (missing, extra []string) {
	w, g := map[string]bool{}, map[string]bool{}
	for _, s := range want {
		w[s] = true
	}
	for _, s := range got {
		g[s] = true
		if !w[s] {
			extra = append(extra, s)
		}
	}
	for _, s := range want {
		if !g[s] {
			missing = append(missing, s)
		}
	}
	return missing, extra
}

func first(ss []string) string {
	if len(ss) == 0 {
		return "(none)"
	}
	return strings.Join(ss[:min(3, len(ss))], "\n    ")
}

// deadLetters fails the test when any record was dead-lettered, showing a few reasons.
func deadLetters(t *testing.T, cfg stream.Config) {
	t.Helper()
	ctx := context.Background()
	ranges, err := stream.TopicRanges(ctx, cfg, cfg.Topics.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	n := stream.Count(ranges)
	if n == 0 {
		return
	}
	reasons := map[string]int{}
	for p, r := range ranges {
		err := stream.ReadPartition(ctx, cfg, cfg.Topics.DeadLetter, p, r.First, r.End, func(recs []stream.Record) error {
			for _, rec := range recs {
				d, err := stream.ParseDeadLetter(rec)
				if err != nil {
					return err
				}
				reason := d.Reason
				if i := strings.Index(reason, " is late"); i > 0 {
					reason = "late"
				}
				reasons[d.Stage+": "+reason]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Errorf("%d records dead-lettered: %v", n, reasons)
}

// mentionStats logs how many mentions the mentions topic holds against the batch count.
func mentionStats(t *testing.T, cfg stream.Config, want int64) {
	ctx := context.Background()
	ranges, err := stream.TopicRanges(ctx, cfg, cfg.Topics.Mentions)
	if err != nil {
		t.Fatal(err)
	}
	n, wms := 0, 0
	distinct := map[string]bool{}
	for p, r := range ranges {
		err := stream.ReadPartition(ctx, cfg, cfg.Topics.Mentions, p, r.First, r.End, func(recs []stream.Record) error {
			for _, rec := range recs {
				if typ, _ := rec.Header(stream.HeaderType); typ != "mention" {
					wms++
					continue
				}
				m, err := stream.Decode[leakwatch.Mention](rec)
				if err != nil {
					return err
				}
				n++
				distinct[m.Post+"|"+m.Object] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("mentions topic: %d mentions (%d distinct), %d watermarks; batch extracted %d", n, len(distinct), wms, want)
}

func withoutLeaks(sigs []leakwatch.Signal) []leakwatch.Signal {
	return slices.DeleteFunc(slices.Clone(sigs), func(s leakwatch.Signal) bool { return s.Kind == leakwatch.SignalLeak })
}

func leaksOnly(sigs []leakwatch.Signal) []leakwatch.Signal {
	return slices.DeleteFunc(slices.Clone(sigs), func(s leakwatch.Signal) bool { return s.Kind != leakwatch.SignalLeak })
}

func pairsSkipped(t *testing.T, reg *prometheus.Registry) int64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "leakwatch_coshare_pairs_skipped_total" {
			return int64(mf.GetMetric()[0].GetCounter().GetValue())
		}
	}
	t.Fatal("no leakwatch_coshare_pairs_skipped_total")
	return 0
}
