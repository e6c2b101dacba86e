package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"golang.org/x/sync/errgroup"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/alerts"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/collectors/scenario"
	"github.com/leakwatch/leakwatch/collectors/twitter"
	"github.com/leakwatch/leakwatch/stream"
	"github.com/leakwatch/leakwatch/stream/stages"
	"github.com/leakwatch/leakwatch/warehouse"
)

func init() {
	register(command{name: "bench", summary: "measure the pipeline on the real services: posts/s, lag, post-to-alert latency, RSS", run: runBench})
}

// benchLabel marks the alerts one bench run delivers, so its Alertmanager read-back sees only
// its own alerts (alert ids are stable per rule and subject, so other runs share them).
const benchLabel = "leakwatch_bench_run"

// benchGroups are the consumer groups whose lag a bench run follows, with their input topics.
func benchGroups(t stream.Topics) []benchGroup {
	var gs []benchGroup
	for _, stage := range stages.Names {
		topics, _ := stages.Inputs(stage, t) // every name is a stage
		gs = append(gs, benchGroup{stage, topics})
	}
	return append(gs,
		benchGroup{sinkStage, []string{t.Posts, t.SiteChanges, t.Mentions, t.Signals, t.Alerts}},
		benchGroup{alertStage, []string{t.Alerts}})
}

type benchGroup struct {
	stage  string
	topics []string
}

// sinkPostsLag keys the sink's lag on the posts topic alone in the lag maps.
const sinkPostsLag = "sink_posts"

// benchResult is one run at one offered rate: the JSON document's entries.
type benchResult struct {
	Run          string  `json:"run"`
	OfferedRate  string  `json:"offered_rate"` // posts/s or "max"
	Posts        int     `json:"posts"`
	SiteChanges  int     `json:"site_changes"`
	Accounts     int     `json:"accounts"`
	ProduceSecs  float64 `json:"produce_seconds"`  // replay: first to last acknowledged write
	ProducedRate float64 `json:"produced_posts_s"` // what the replay reached
	SinkSecs     float64 `json:"sink_seconds"`     // first write to every post committed by the sink
	Sustained    float64 `json:"sustained_posts_s"`
	DrainSecs    float64 `json:"drain_seconds"` // end of replay to every post stored
	// Lag per stage in records (sum over partitions of end offset - committed offset).
	LagMax map[string]int64 `json:"lag_max_records"`
	LagEnd map[string]int64 `json:"lag_end_records"`
	// LagMaxSecs is the sink's largest lag on the posts topic converted to seconds at the
	// rate the replay reached.
	LagMaxSecs     float64            `json:"lag_max_seconds_posts"`
	Alerts         int                `json:"alerts"`
	AlertsMeasured int                `json:"alerts_measured"`
	LatencyMs      map[string]float64 `json:"post_to_alert_ms,omitempty"` // p50, p99, max
	DeliverMs      map[string]float64 `json:"post_to_delivery_ms,omitempty"`
	RSSMaxMB       float64            `json:"rss_max_mb"` // VmHWM of this process
	HeapMaxMB      float64            `json:"heap_inuse_max_mb"`
	ClickHouseRows int64              `json:"clickhouse_rows"`
	RowsPerSec     float64            `json:"clickhouse_rows_s"`
	StoredPosts    int64              `json:"clickhouse_posts_final"`
	Load           [3]float64         `json:"load_average_start"`
	LoadEnd        [3]float64         `json:"load_average_end"`
	CPUs           int                `json:"cpus"`
}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench", "[flags]")
	cfgPath := fs.String("config", "", "leakwatch config file (kafka, clickhouse, alerts, analysis); default: the local services")
	rates := fs.String("rates", "max,10000", "offered rates, comma separated: posts/s or max; one run each")
	seed := fs.Uint64("seed", 1, "scenario seed")
	accounts := fs.Int("accounts", 20000, "scenario: organic accounts (50..500000)")
	days := fs.Int("days", 7, "scenario: days")
	perDay := fs.Float64("posts-per-day", 2, "scenario: mean posts per account a day")
	synthetic := fs.Int("synthetic-accounts", 0, "instead of a scenario: a synthetic stream with this many accounts, all active within one hour of event time (the memory check)")
	synthPosts := fs.Int("synthetic-posts", 0, "posts of the synthetic stream (default: 2 per account)")
	file := fs.String("file", "", "replay this archive instead of a scenario")
	af := addArchiveFlags(fs, "--file ")
	partitions := fs.Int("partitions", 4, "partitions of the run's topics")
	jsonOut := fs.String("json", "", "write the figures as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (every stage runs in this process) to this file")
	blockProfile := fs.String("blockprofile", "", "write a profile of where goroutines waited (channels, locks, I/O waits of the stages) to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile, taken when the pipeline has caught up, to this file (the last run's)")
	drain := fs.Duration("drain-timeout", 3*time.Minute, "longest wait for the pipeline to catch up after the replay")
	keep := fs.Bool("keep", false, "keep the run's topics and database")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rateList, err := parseRates(*rates)
	if err != nil {
		return fmt.Errorf("%w: --rates: %v", errUsage, err)
	}
	c, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *partitions < 1 {
		return fmt.Errorf("%w: --partitions must be at least 1", errUsage)
	}
	c.Kafka.Partitions = *partitions

	var src benchSource
	switch {
	case *synthetic > 0:
		n := *synthPosts
		if n == 0 {
			n = 2 * *synthetic
		}
		src = &syntheticSource{nAccounts: *synthetic, posts: n}
	case *file != "":
		opts, err := af.options("bench")
		if err != nil {
			return err
		}
		got, err := archive.ReadAll(*file, opts)
		if err != nil {
			return err
		}
		archive.SortPosts(got.Posts)
		src = &memSource{posts: got.Posts, changes: got.Changes}
	default:
		sc := scenario.DefaultConfig()
		sc.Seed, sc.Accounts, sc.Days, sc.PostsPerDay = *seed, *accounts, *days, *perDay
		g, err := scenario.Generate(sc)
		if err != nil {
			return fmt.Errorf("%w: scenario: %v", errUsage, err)
		}
		ms := &memSource{changes: g.Changes}
		for _, raw := range g.Tweets {
			if p, err := twitter.DecodeV1(raw); err == nil {
				ms.posts = append(ms.posts, p)
			}
		}
		g = nil
		if c.Analysis.Calendar == nil {
			cal := scenario.Calendar()
			c.Analysis.Calendar = &cal
		}
		if len(c.Analysis.Entities.Candidates) == 0 {
			c.Analysis.Entities.Candidates = scenario.Candidates()
		}
		src = ms
	}
	fmt.Fprintf(e.stdout, "bench: %s; %d cpus; load average %s\n", src.describe(), runtime.NumCPU(), fmtLoad(loadAvg()))

	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	if *blockProfile != "" {
		// A stage that is behind while the CPU is not busy waits somewhere: on the broker's
		// acknowledgements, commits or its input. Sample every wait over 100 µs.
		runtime.SetBlockProfileRate(int(100 * time.Microsecond))
		defer func() {
			if err := writeProfile("block", *blockProfile); err != nil {
				fmt.Fprintln(e.stderr, "bench:", err)
			}
		}()
	}
	var results []benchResult
	for _, rate := range rateList {
		r, err := benchRun(ctx, e, c, src, rate, *drain, *keep, *memProfile)
		if err != nil {
			return err
		}
		printBench(e.stdout, r)
		results = append(results, r)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"runs": results}, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "max" {
			out = append(out, 0)
			continue
		}
		n, err := strconv.ParseFloat(f, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q: want posts/s above 0 or max", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// benchSource yields the campaign in event-time order, as many times as there are runs.
type benchSource interface {
	describe() string
	each(yield func(p *leakwatch.Post, c *leakwatch.SiteChange) bool)
	accounts() int
}

type memSource struct {
	posts   []leakwatch.Post
	changes []leakwatch.SiteChange
}

func (m *memSource) describe() string {
	return fmt.Sprintf("%d posts from %d accounts, %d site changes", len(m.posts), m.accounts(), len(m.changes))
}

func (m *memSource) accounts() int {
	set := map[string]struct{}{}
	for i := range m.posts {
		set[m.posts[i].Author.ID] = struct{}{}
	}
	return len(set)
}

func (m *memSource) each(yield func(*leakwatch.Post, *leakwatch.SiteChange) bool) {
	j := 0
	for i := range m.posts {
		for j < len(m.changes) && m.changes[j].ObservedAt.Before(m.posts[i].CreatedAt) {
			if !yield(nil, &m.changes[j]) {
				return
			}
			j++
		}
		if !yield(&m.posts[i], nil) {
			return
		}
	}
	for ; j < len(m.changes); j++ {
		if !yield(nil, &m.changes[j]) {
			return
		}
	}
}

// syntheticSource makes posts on the fly (nothing held in memory, so the process's peak RSS
// is the pipeline's): every account posts within one hour of event time, each post carrying
// one of 50 000 hashtags and one of 200 000 URLs on 1 000 domains, so detect and correlate hold windowed state
// for every account at once.
type syntheticSource struct{ nAccounts, posts int }

func (s *syntheticSource) describe() string {
	return fmt.Sprintf("synthetic stream: %d posts from %d accounts within one hour", s.posts, s.nAccounts)
}
func (s *syntheticSource) accounts() int { return s.nAccounts }

func (s *syntheticSource) each(yield func(*leakwatch.Post, *leakwatch.SiteChange) bool) {
	t0 := time.Date(2017, 5, 5, 17, 0, 0, 0, time.UTC)
	step := time.Hour / time.Duration(s.posts)
	var p leakwatch.Post
	for k := range s.posts {
		a := k % s.nAccounts
		// A multiplicative hash spreads objects over accounts without a random source.
		h := uint64(k)*0x9E3779B97F4A7C15 ^ uint64(a)
		tag := "tag" + strconv.FormatUint(h%50_000, 10)
		link := "https://news" + strconv.FormatUint((h>>20)%1000, 10) + ".example/a/" + strconv.FormatUint((h>>8)%200_000, 10)
		p = leakwatch.Post{
			Platform:   leakwatch.PlatformArchive,
			ID:         strconv.Itoa(k),
			URI:        "bench:post/" + strconv.Itoa(k),
			CreatedAt:  t0.Add(time.Duration(k) * step),
			ObservedAt: t0.Add(time.Duration(k) * step),
			Author:     leakwatch.Account{ID: "acct" + strconv.Itoa(a)},
			Text:       "#" + tag + " " + link,
			Hashtags:   []string{tag},
			URLs:       []leakwatch.Link{{Raw: link}},
		}
		if !yield(&p, nil) {
			return
		}
	}
}

// mark is when the replay's writes had reached an event time.
type mark struct {
	event time.Time
	wall  time.Time
}

// benchRun runs the whole pipeline once on topics and a database of its own.
func benchRun(ctx context.Context, e *env, c Config, src benchSource, rate float64, drainTimeout time.Duration, keep bool, memProfile string) (benchResult, error) {
	id := fmt.Sprintf("%d_%d", time.Now().Unix(), os.Getpid())
	res := benchResult{Run: id, OfferedRate: "max", CPUs: runtime.NumCPU(), Load: loadAvg(),
		LagMax: map[string]int64{}, LagEnd: map[string]int64{}, Accounts: src.accounts()}
	if rate > 0 {
		res.OfferedRate = strconv.FormatFloat(rate, 'f', -1, 64)
	}
	scfg := c.Kafka
	prefix := "leakwatch-bench-" + id
	scfg.Topics = stream.Topics{
		Posts: prefix + ".posts", SiteChanges: prefix + ".sitechanges", Mentions: prefix + ".mentions",
		Signals: prefix + ".signals", Alerts: prefix + ".alerts", DeadLetter: prefix + ".deadletter", CoShares: prefix + ".coshares",
	}
	scfg.GroupPrefix = prefix + "-"
	wcfg := c.ClickHouse
	wcfg.Database = "leakwatch_bench_" + id
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	if err := stream.EnsureTopics(ctx, scfg); err != nil {
		return res, err
	}
	if err := waitOffsets(ctx, scfg); err != nil {
		return res, err
	}
	wh, err := warehouse.Open(ctx, wcfg, log)
	if err != nil {
		return res, err
	}
	defer wh.Close()
	ch, err := clickhouse.Open(&clickhouse.Options{Addr: []string{wcfg.Addr}, Auth: clickhouse.Auth{Database: wcfg.Database, Username: wcfg.Username, Password: wcfg.Password}})
	if err != nil {
		return res, err
	}
	defer ch.Close()
	defer func() {
		if keep {
			fmt.Fprintf(e.stdout, "bench: kept topics %s.* and database %s\n", prefix, wcfg.Database)
			return
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := stream.DeleteTopics(cctx, scfg, scfg.Topics.All()...); err != nil {
			e.log.Warn("bench: deleting topics", "err", err)
		}
		if err := ch.Exec(cctx, "DROP DATABASE IF EXISTS "+wcfg.Database); err != nil {
			e.log.Warn("bench: dropping database", "err", err)
		}
	}()

	pctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(pctx)
	m := stream.NewMetrics(nil)
	stc := stages.DefaultConfig()
	stc.Stream, stc.Pipeline = scfg, c.Analysis
	stc.FlushIdle = 2 * stc.SourceIdle
	for _, name := range stages.Names {
		g.Go(func() error { return stages.Run(gctx, name, stc, log, m) })
	}
	reg := newRegistry()
	sinkW, err := stream.NewWriter(scfg, sinkStage, m)
	if err != nil {
		return res, err
	}
	defer sinkW.Close()
	sinkG, err := newSinkGroup(scfg, c.ClickHouse, log, m)
	if err != nil {
		return res, err
	}
	sk := newSink(wh, sinkW, scfg.Topics, log, newSinkMetrics(reg))
	g.Go(func() error { return sinkG.Run(gctx, sk.handle) })

	// Alert delivery as the alert role does it, plus a label naming this run.
	var amu sync.Mutex
	raised := map[string]time.Time{}    // alert id -> event time it was raised at
	delivered := map[string]time.Time{} // alert id -> wall time Alertmanager accepted it
	if c.Alerts.Alertmanager.URL != "" || len(c.Alerts.Webhooks) > 0 {
		receivers, err := c.Alerts.Receivers(alerts.Options{Metrics: alerts.NewMetrics(reg), Log: log})
		if err != nil {
			return res, err
		}
		d := &alertDelivery{fanout: alerts.NewFanout(log, receivers...), stage: alertStage, log: log}
		alertG, err := stream.NewGroup(scfg, alertStage, []string{scfg.Topics.Alerts}, log, m)
		if err != nil {
			return res, err
		}
		g.Go(func() error {
			return alertG.Run(gctx, stream.DecodeHandler(alertStage, sinkW, scfg.Topics.DeadLetter, log, func(ctx context.Context, items []stream.Item[leakwatch.Alert]) error {
				for i := range items {
					a := &items[i].Value
					a.Labels = withLabel(a.Labels, benchLabel, id)
				}
				dead, err := d.deliver(ctx, items)
				if err != nil {
					return err
				}
				now := time.Now()
				amu.Lock()
				for _, it := range items {
					if _, ok := delivered[it.Value.ID]; !ok {
						delivered[it.Value.ID], raised[it.Value.ID] = now, it.Value.RaisedAt
					}
				}
				amu.Unlock()
				return sinkW.SendDeadLetters(ctx, scfg.Topics.DeadLetter, dead...)
			}))
		})
	}
	// Alertmanager read-back: when each of this run's alerts first shows in its API.
	seen := map[string]time.Time{}
	if u := c.Alerts.Alertmanager.URL; u != "" {
		g.Go(func() error { pollAlertmanager(gctx, u, id, &amu, seen); return nil })
	}

	// Lag and memory sampling, with a progress line.
	var lmu sync.Mutex
	var maxHeap uint64
	replayDone := make(chan struct{})
	var produced int64
	var producedMu sync.Mutex
	sample := func() map[string]int64 {
		lags := map[string]int64{}
		for _, bg := range benchGroups(scfg.Topics) {
			var sum int64
			for _, t := range bg.topics {
				l, err := groupLag(gctx, scfg, scfg.GroupPrefix+bg.stage, t)
				if err != nil {
					continue
				}
				sum += l
			}
			lags[bg.stage] = sum
		}
		// The sink's lag on the posts topic alone is what delays "stored" for a post.
		if l, err := groupLag(gctx, scfg, scfg.GroupPrefix+sinkStage, scfg.Topics.Posts); err == nil {
			lags[sinkPostsLag] = l
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		lmu.Lock()
		for k, v := range lags {
			res.LagMax[k] = max(res.LagMax[k], v)
		}
		maxHeap = max(maxHeap, ms.HeapInuse)
		lmu.Unlock()
		return lags
	}
	start := time.Now()
	g.Go(func() error {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-gctx.Done():
				return nil
			case <-tick.C:
			}
			lags := sample()
			producedMu.Lock()
			n := produced
			producedMu.Unlock()
			fmt.Fprintf(e.stderr, "bench %s: %5.0fs %d posts written (%.0f/s); lag extract %d detect %d correlate %d sink %d alert %d; rss %.0f MB\n",
				res.OfferedRate, time.Since(start).Seconds(), n, float64(n)/time.Since(start).Seconds(),
				lags[stages.Extract], lags[stages.Detect], lags[stages.Correlate], lags[sinkStage], lags[alertStage], rssMB("VmRSS"))
		}
	})

	// The replay: chunks paced to the offered rate, every write acknowledged (acks=all).
	var marks []mark
	var replayEnd time.Time
	var replayErr error
	g.Go(func() error {
		defer close(replayDone)
		w, err := stream.NewWriter(scfg, "bench", m)
		if err != nil {
			replayErr = err
			return err
		}
		defer w.Close()
		chunk := 5000
		if rate > 0 {
			chunk = max(1, min(chunk, int(rate/50)))
		}
		buf := make([]stream.Message, 0, chunk)
		var latest time.Time
		n, nch := 0, 0
		flush := func() error {
			if len(buf) == 0 {
				return nil
			}
			if err := w.Write(gctx, buf...); err != nil {
				return err
			}
			buf = buf[:0]
			marks = append(marks, mark{event: latest, wall: time.Now()})
			producedMu.Lock()
			produced = int64(n)
			producedMu.Unlock()
			return nil
		}
		src.each(func(p *leakwatch.Post, sc *leakwatch.SiteChange) bool {
			var msg stream.Message
			if p != nil {
				msg, err = stream.EncodePost(scfg.Topics.Posts, *p)
				latest = p.CreatedAt
				n++
			} else {
				msg, err = stream.EncodeSiteChange(scfg.Topics.SiteChanges, *sc)
				nch++
			}
			if err != nil {
				return false
			}
			buf = append(buf, msg)
			if len(buf) < chunk {
				return true
			}
			if rate > 0 {
				due := start.Add(time.Duration(float64(n) / rate * float64(time.Second)))
				select {
				case <-gctx.Done():
					err = gctx.Err()
					return false
				case <-time.After(time.Until(due)):
				}
			}
			err = flush()
			return err == nil
		})
		if err == nil {
			err = flush()
		}
		replayEnd = time.Now()
		res.Posts, res.SiteChanges = n, nch
		replayErr = err
		return err
	})

	// Wait for the sink to hold every post, then for the pipeline to go quiet.
	waitErr := func() error {
		select {
		case <-replayDone:
		case <-gctx.Done():
			return errors.Join(replayErr, context.Cause(gctx))
		}
		if replayErr != nil {
			return replayErr
		}
		deadline := time.Now().Add(drainTimeout)
		for {
			l, err := groupLag(gctx, scfg, scfg.GroupPrefix+sinkStage, scfg.Topics.Posts)
			if err == nil && l == 0 {
				break
			}
			if time.Now().After(deadline) || gctx.Err() != nil {
				return fmt.Errorf("bench: sink did not store every post within %s after the replay (lag %d)", drainTimeout, l)
			}
			time.Sleep(100 * time.Millisecond)
		}
		sinkDone := time.Now()
		res.SinkSecs = sinkDone.Sub(start).Seconds()
		res.DrainSecs = sinkDone.Sub(replayEnd).Seconds()
		// Open windows flush after FlushIdle of quiet input; then every stage must be at 0.
		quietSince := time.Time{}
		for time.Now().Before(deadline) && gctx.Err() == nil {
			lags := sample()
			zero := true
			for _, v := range lags {
				zero = zero && v == 0
			}
			switch {
			case !zero:
				quietSince = time.Time{}
			case quietSince.IsZero():
				quietSince = time.Now()
			case time.Since(quietSince) > stc.FlushIdle+5*time.Second:
				res.LagEnd = lags
				return nil
			}
			time.Sleep(time.Second)
		}
		res.LagEnd = sample()
		return nil
	}()
	time.Sleep(time.Second) // a last Alertmanager poll
	if memProfile != "" {
		if err := writeProfile("heap", memProfile); err != nil {
			fmt.Fprintln(e.stderr, "bench:", err)
		}
	}
	stop()
	gErr := g.Wait()
	if waitErr != nil {
		return res, waitErr
	}
	if gErr != nil && !errors.Is(gErr, context.Canceled) {
		return res, gErr
	}

	res.ProduceSecs = replayEnd.Sub(start).Seconds()
	res.ProducedRate = float64(res.Posts) / res.ProduceSecs
	res.Sustained = float64(res.Posts) / res.SinkSecs
	r := res.ProducedRate
	res.LagMaxSecs = float64(res.LagMax[sinkPostsLag]) / r
	res.RSSMaxMB = rssMB("VmHWM")
	res.HeapMaxMB = float64(maxHeap) / (1 << 20)
	res.LoadEnd = loadAvg()

	// Latency: from the acknowledged write that first reached the alert's event time to
	// Alertmanager showing it. Alerts raised only by the end-of-input flush have no such write.
	var lat, del []float64
	amu.Lock()
	res.Alerts = len(delivered)
	for aid, at := range raised {
		i, ok := slices.BinarySearchFunc(marks, at, func(m mark, t time.Time) int { return m.event.Compare(t) })
		if i >= len(marks) || (i == len(marks)-1 && !ok) {
			continue
		}
		w := marks[i].wall
		del = append(del, float64(delivered[aid].Sub(w).Milliseconds()))
		if s, ok := seen[aid]; ok {
			lat = append(lat, float64(s.Sub(w).Milliseconds()))
		}
	}
	amu.Unlock()
	res.AlertsMeasured = len(lat)
	res.LatencyMs, res.DeliverMs = percentiles(lat), percentiles(del)

	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, t := range []string{"posts", "mentions", "bursts", "edges", "groups", "leaks", "site_changes", "alerts"} {
		var n uint64
		if err := ch.QueryRow(qctx, "SELECT count() FROM "+wcfg.Database+"."+t).Scan(&n); err == nil {
			res.ClickHouseRows += int64(n)
		}
	}
	var final uint64
	if err := ch.QueryRow(qctx, "SELECT count() FROM "+wcfg.Database+".posts FINAL").Scan(&final); err == nil {
		res.StoredPosts = int64(final)
	}
	res.RowsPerSec = float64(res.ClickHouseRows) / res.SinkSecs
	if res.StoredPosts != int64(res.Posts) {
		return res, fmt.Errorf("bench: ClickHouse holds %d posts after FINAL, the replay wrote %d", res.StoredPosts, res.Posts)
	}
	return res, nil
}

// waitOffsets waits until every topic of cfg answers ListOffsets: right after creation a
// partition can have a leader in the metadata yet still answer "not leader", and the stages
// read offsets when they start.
func waitOffsets(ctx context.Context, cfg stream.Config) error {
	deadline := time.Now().Add(30 * time.Second)
	for _, t := range cfg.Topics.All() {
		for {
			_, err := stream.TopicRanges(ctx, cfg, t)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// withLabel returns a copy of m with k set to v (the decoded alert's map is not shared).
func withLabel(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

// groupLag is end offset minus committed offset summed over the partitions of topic (a
// partition with no commit counts from its first offset).
func groupLag(ctx context.Context, cfg stream.Config, group, topic string) (int64, error) {
	ranges, err := stream.TopicRanges(ctx, cfg, topic)
	if err != nil {
		return 0, err
	}
	com, err := stream.Committed(ctx, cfg, group, topic)
	if err != nil {
		return 0, err
	}
	var lag int64
	for p, r := range ranges {
		at, ok := com[p]
		if !ok || at < r.First {
			at = r.First
		}
		lag += max(0, r.End-at)
	}
	return lag, nil
}

// pollAlertmanager records when each alert of run id first appears in Alertmanager's API.
func pollAlertmanager(ctx context.Context, base, id string, mu *sync.Mutex, seen map[string]time.Time) {
	q := url.Values{"filter": {benchLabel + `="` + id + `"`}}
	u := strings.TrimSuffix(base, "/") + "/api/v2/alerts?" + q.Encode()
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		var got []struct {
			Labels map[string]string `json:"labels"`
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			continue
		}
		now := time.Now()
		mu.Lock()
		for _, a := range got {
			if aid := a.Labels[alerts.LabelID]; aid != "" {
				if _, ok := seen[aid]; !ok {
					seen[aid] = now
				}
			}
		}
		mu.Unlock()
	}
}

func percentiles(v []float64) map[string]float64 {
	if len(v) == 0 {
		return nil
	}
	slices.Sort(v)
	at := func(q float64) float64 { return v[min(len(v)-1, int(math.Ceil(q*float64(len(v))))-1)] }
	return map[string]float64{"p50": at(0.5), "p99": at(0.99), "max": v[len(v)-1]}
}

// rssMB reads a memory figure (VmRSS, VmHWM) of this process from /proc/self/status.
func rssMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func loadAvg() [3]float64 {
	var l [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		l[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return l
}

func fmtLoad(l [3]float64) string { return fmt.Sprintf("%.2f %.2f %.2f", l[0], l[1], l[2]) }

func printBench(w io.Writer, r benchResult) {
	fmt.Fprintf(w, "run %s, offered rate %s posts/s, %d posts, %d accounts, %d cpus, load %s -> %s\n", r.Run, r.OfferedRate, r.Posts, r.Accounts, r.CPUs, fmtLoad(r.Load), fmtLoad(r.LoadEnd))
	fmt.Fprintf(w, "  replay produced        %.0f posts/s (%.1fs)\n", r.ProducedRate, r.ProduceSecs)
	fmt.Fprintf(w, "  sustained end to end   %.0f posts/s (all posts stored after %.1fs, %.1fs after the replay ended)\n", r.Sustained, r.SinkSecs, r.DrainSecs)
	for _, bg := range []string{stages.Extract, stages.Detect, stages.Correlate, sinkStage, alertStage} {
		fmt.Fprintf(w, "  lag %-10s          max %d records, end %d\n", bg, r.LagMax[bg], r.LagEnd[bg])
	}
	fmt.Fprintf(w, "  sink lag on posts      max %d records = %.1fs at the produced rate\n", r.LagMax[sinkPostsLag], r.LagMaxSecs)
	if r.LatencyMs != nil {
		fmt.Fprintf(w, "  post-to-alert          p50 %.0fms p99 %.0fms max %.0fms (%d of %d alerts measured)\n", r.LatencyMs["p50"], r.LatencyMs["p99"], r.LatencyMs["max"], r.AlertsMeasured, r.Alerts)
	} else {
		fmt.Fprintf(w, "  post-to-alert          none measured (%d alerts)\n", r.Alerts)
	}
	if r.DeliverMs != nil {
		fmt.Fprintf(w, "  post-to-delivery       p50 %.0fms p99 %.0fms max %.0fms\n", r.DeliverMs["p50"], r.DeliverMs["p99"], r.DeliverMs["max"])
	}
	fmt.Fprintf(w, "  process peak RSS       %.0f MB (Go heap in use max %.0f MB)\n", r.RSSMaxMB, r.HeapMaxMB)
	fmt.Fprintf(w, "  ClickHouse             %d rows, %.0f rows/s, %d posts after FINAL\n", r.ClickHouseRows, r.RowsPerSec, r.StoredPosts)
}

// startCPUProfile profiles the CPU into path until the returned stop runs; with no path it
// does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeProfile writes the named runtime profile (heap, block) to path.
func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("%s profile: %w", name, err)
	}
	return f.Close()
}
