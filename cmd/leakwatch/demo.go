package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/collectors/scenario"
	"github.com/leakwatch/leakwatch/collectors/twitter"
	"github.com/leakwatch/leakwatch/dashboards/live"
	"github.com/leakwatch/leakwatch/dashboards/report"
	"github.com/leakwatch/leakwatch/stream"
	"github.com/leakwatch/leakwatch/stream/embedded"
	"github.com/leakwatch/leakwatch/stream/stages"
)

func init() {
	register(command{name: "demo", summary: "replay a campaign through the whole pipeline in one process, with the live page", run: runDemo})
}

// demoSpeed shows the scenario's week in about three and a half minutes.
const demoSpeed = 3000

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "[--listen 127.0.0.1:8080] [--scenario SEED|DIR] [--speed N]")
	listen := fs.String("listen", "127.0.0.1:8080", "address of the live page")
	scen := fs.String("scenario", "1", "a seed for a generated campaign, or a directory written by 'leakwatch scenario generate'")
	speed := fs.Float64("speed", demoSpeed, "event time runs this many times faster than the wall clock")
	dataDir := fs.String("data", "", "directory for the embedded broker's topics while the demo runs (default: the user cache dir)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q (a seed or a scenario directory goes to --scenario)", errUsage, fs.Args())
	}
	if err := checkSpeed(*speed); err != nil {
		return err
	}
	if *dataDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		*dataDir = filepath.Join(cache, "leakwatch", "demo")
	}
	cfg := DefaultConfig()
	cfg.Live.Listen = *listen
	liveTokenFromEnv(&cfg.Live) // a demo shown off loopback needs one, as the error says
	if err := cfg.Live.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}

	// The page's address first: a port in use fails here, before the campaign is made and
	// the data directory touched.
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *listen, err)
	}
	defer ln.Close()
	unlock, err := lockDataDir(*dataDir)
	if err != nil {
		return err
	}
	defer unlock()

	camp, err := demoScenario(*scen, e)
	if err != nil {
		return err
	}
	cal := camp.calendar
	cfg.Analysis.Calendar = &cal
	if len(cfg.Analysis.Entities.Candidates) == 0 {
		cfg.Analysis.Entities.Candidates = scenario.Candidates()
	}

	// Each demo starts from an empty broker and removes it on exit: nothing reads a demo's
	// topics afterwards, and a week of campaign takes tens of MB. A demo killed outright
	// leaves them for the next one to remove.
	brokerDir := filepath.Join(*dataDir, "broker")
	if err := removeDemoBroker(brokerDir); err != nil {
		return err
	}
	broker, err := embedded.Start(brokerDir, 0, cfg.Kafka.Partitions)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(brokerDir, demoBrokerMark), []byte("written by leakwatch demo: removed at its next start\n"), 0o644); err != nil {
		broker.Close()
		return err
	}
	defer os.RemoveAll(brokerDir) // after Close, which flushes into it
	defer broker.Close()
	cfg.Kafka.Brokers = broker.Addrs()
	if err := stream.EnsureTopics(ctx, cfg.Kafka); err != nil {
		return err
	}

	st := live.NewState(15 * time.Minute)
	st.SetCalendar(cal)
	page := liveGroup()
	return runEmbedded(ctx, e, cfg, st, ln, page, func(ctx context.Context, url string) error {
		fmt.Fprintf(e.stdout, "leakwatch demo: open %s  (Ctrl-C stops)\n", pageURL(url, cfg.Live))
		w, err := stream.NewWriter(cfg.Kafka, replayStage, stream.NewMetrics(nil))
		if err != nil {
			return err
		}
		defer w.Close()
		rp := &replayer{w: w, topics: cfg.Kafka.Topics, speed: *speed, progressEvery: 30 * time.Second, out: e.stderr, start: time.Now()}
		rp.nextProgress = rp.start.Add(rp.progressEvery)
		if err := replayCampaign(ctx, rp, camp); err != nil {
			return err
		}
		if err := rp.flush(ctx); err != nil {
			return err
		}
		// Detect flushes its open windows at its first idle check (every SourceIdle/2) once
		// it has heard nothing for FlushIdle; correlate and the page follow at once. The flush
		// starts at most FlushIdle+SourceIdle/2 after every stage caught up; waiting twice
		// FlushIdle+SourceIdle leaves it that long again to write what it found, which a
		// loaded machine may need for a week of windows.
		sc := embeddedStages(cfg)
		if err := settle(ctx, 2*(sc.FlushIdle+sc.SourceIdle), 250*time.Millisecond, func(ctx context.Context) (string, bool) {
			return pipelineMark(ctx, cfg.Kafka, st, page)
		}); err != nil {
			return nil // Ctrl-C before the end
		}
		st.SourceDone()
		printDemoSummary(e.stdout, st.Snapshot(), url)
		<-ctx.Done()
		return nil
	})
}

// demoBrokerMark is the file that tells a broker directory the demo wrote from one the user
// keeps under the same name: only the former is removed.
const demoBrokerMark = "leakwatch-demo-broker"

// removeDemoBroker removes the broker directory an earlier demo left (one killed outright
// leaves it), and refuses one holding files the demo did not write.
func removeDemoBroker(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, demoBrokerMark)); len(entries) > 0 && err != nil {
		return fmt.Errorf("%w: %s holds files a demo did not write: give another --data, or remove it yourself", errUsage, dir)
	}
	return os.RemoveAll(dir)
}

// checkSpeed refuses a replay speed no clock can keep (speedOK).
func checkSpeed(speed float64) error {
	if !speedOK(speed) {
		return fmt.Errorf("%w: --speed %g: want a speed from 0.001 (a thousandth of real time) to 1e9", errUsage, speed)
	}
	return nil
}

// speedOK reports whether event time can run speed times as fast as the wall clock: not
// when speed is not positive, not a number or infinite (the replay then ran unpaced), nor so
// slow that an hour of event time overflows the wall clock's durations.
func speedOK(speed float64) bool {
	return !math.IsNaN(speed) && speed >= 1e-3 && speed <= 1e9
}

// pageURL is the address to open the page at: a page listening on every interface (0.0.0.0,
// [::]) is opened on this machine at 127.0.0.1, and one that needs a token says so without
// printing it.
func pageURL(url string, cfg live.Config) string {
	for _, any := range []string{"http://0.0.0.0:", "http://[::]:"} {
		if rest, ok := strings.CutPrefix(url, any); ok {
			url = "http://127.0.0.1:" + rest
		}
	}
	if cfg.Token != "" || cfg.TokenFile != "" {
		url += "?token=TOKEN (the live token you set; it is asked once, then kept in a cookie)"
	}
	return url
}

// settle returns once mark has stayed the same, with every stage caught up, for quiet (it
// asks every interval), or with ctx's error.
func settle(ctx context.Context, quiet, every time.Duration, mark func(context.Context) (m string, caughtUp bool)) error {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var last string
	var since time.Time // when last was first seen with every stage caught up
	for {
		m, caughtUp := mark(ctx)
		now := time.Now()
		switch {
		case !caughtUp:
			since = time.Time{}
		case m != last || since.IsZero():
			since = now
		case now.Sub(since) >= quiet:
			return nil
		}
		last = m
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// pipelineMark is what the demo watches for the end: the end offset of every topic and the
// page's state (any record written or shown changes it), and whether every stage, and the
// page's reader (consumer group page, under the prefix), has committed its inputs to their
// end: the summary printed then is what the page holds, every alert included.
func pipelineMark(ctx context.Context, cfg stream.Config, st *live.State, page string) (string, bool) {
	var b strings.Builder
	for _, topic := range cfg.Topics.All() {
		r, err := stream.TopicRanges(ctx, cfg, topic)
		if err != nil {
			return "", false
		}
		for _, p := range slices.Sorted(maps.Keys(r)) {
			fmt.Fprintf(&b, "%s/%d:%d ", topic, p, r[p].End)
		}
	}
	caughtUp := true
	for _, stage := range stages.Names {
		topics, err := stages.Inputs(stage, cfg.Topics)
		if err != nil {
			return "", false
		}
		for _, topic := range topics {
			if lag, err := groupLag(ctx, cfg, cfg.GroupPrefix+stage, topic); err != nil || lag > 0 {
				caughtUp = false
			}
		}
	}
	for _, topic := range liveTopics(cfg.Topics) {
		if lag, err := groupLag(ctx, cfg, cfg.GroupPrefix+page, topic); err != nil || lag > 0 {
			caughtUp = false
		}
	}
	snap := st.Snapshot()
	fmt.Fprintf(&b, "page %d %+v", snap.Version, snap.Counts)
	return b.String(), caughtUp
}

// printDemoSummary is the demo's last word, once the page holds everything: the totals, then
// what `analyze` prints under its own (every leak incident with its timing and the network
// that amplified it, the largest groups, the strongest bursts), from the page's lists.
func printDemoSummary(w io.Writer, s live.Snapshot, url string) {
	c := s.Counts
	critical := 0
	for _, a := range s.Alerts {
		if a.Severity == "critical" {
			critical++
		}
	}
	fmt.Fprintf(w, "replay done: %s, %s, %s, %s, %s", plural(c.Posts, "post"), plural(c.Bursts, "burst"),
		plural(c.Groups, "coordinated group"), plural(c.Leaks, "leak"), plural(c.Alerts, "alert"))
	if critical > 0 {
		fmt.Fprintf(w, " (%d critical)", critical)
	}
	if c.DeadLetters > 0 {
		fmt.Fprintf(w, "; %s", plural(c.DeadLetters, "dead letter"))
	}
	fmt.Fprintln(w)
	var sigs []leakwatch.Signal
	for i := range s.Leaks {
		sigs = append(sigs, leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &s.Leaks[i]})
	}
	for i := range s.Groups {
		sigs = append(sigs, leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &s.Groups[i]})
	}
	for i := range s.Bursts {
		sigs = append(sigs, leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &s.Bursts[i]})
	}
	report.Digest(w, sigs, findings) // a failed write to the terminal has nowhere to go
	fmt.Fprintf(w, "open %s for the rest; the page stays up until Ctrl-C\n", url)
}

// plural says "1 leak", "2 leaks".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// campaign is what the demo replays: posts in time order (lazily decoded) and site changes.
type campaign struct {
	posts    func(yield func(collectors.Record) bool)
	changes  []leakwatch.SiteChange
	calendar leakwatch.Calendar
}

// demoScenario returns the campaign to replay: one generated in memory from a seed (no
// files: the page lights up within seconds), or a directory written by `scenario generate`.
func demoScenario(arg string, e *env) (campaign, error) {
	if seed, err := strconv.ParseUint(arg, 10, 64); err == nil {
		sc := scenario.DefaultConfig()
		sc.Seed = seed
		g, err := scenario.Generate(sc)
		if err != nil {
			return campaign{}, err
		}
		fmt.Fprintf(e.stdout, "generated campaign seed %d: %d posts over %d days, with a leak dump, a retweet ring and a defacement\n", seed, len(g.Tweets), sc.Days)
		return campaign{
			posts: func(yield func(collectors.Record) bool) {
				for i, raw := range g.Tweets {
					p, err := twitter.DecodeV1(raw)
					rec := collectors.Record{Post: &p}
					if err != nil {
						rec = collectors.Record{Bad: &collectors.BadRecord{Source: "scenario", Ref: fmt.Sprintf("tweet %d", i), Raw: raw, Err: err}}
					}
					if !yield(rec) {
						return
					}
				}
			},
			changes:  g.Changes,
			calendar: scenario.Calendar(),
		}, nil
	}
	cal, err := loadCalendar(filepath.Join(arg, scenario.CalendarFile))
	if err != nil {
		return campaign{}, fmt.Errorf("%w: --scenario %q is neither a seed nor a scenario directory: %v", errUsage, arg, err)
	}
	c := campaign{calendar: cal}
	paths := []string{filepath.Join(arg, scenario.PostsFile)}
	if _, err := os.Stat(filepath.Join(arg, scenario.SiteChangesFile)); err == nil {
		paths = append(paths, filepath.Join(arg, scenario.SiteChangesFile))
	}
	var posts []leakwatch.Post
	var bad []collectors.BadRecord
	for _, p := range paths {
		got, err := archive.ReadAll(p, archive.Options{Name: "demo"})
		if err != nil {
			return c, err
		}
		posts = append(posts, got.Posts...)
		c.changes = append(c.changes, got.Changes...)
		bad = append(bad, got.Bad...)
	}
	archive.SortPosts(posts)
	fmt.Fprintf(e.stdout, "loaded %s, %s from %s", plural(len(posts), "post"), plural(len(c.changes), "site change"), arg)
	if len(bad) > 0 {
		fmt.Fprintf(e.stdout, " (%s, sent to the dead letters)", plural(len(bad), "bad record"))
	}
	fmt.Fprintln(e.stdout)
	c.posts = func(yield func(collectors.Record) bool) {
		for i := range bad {
			if !yield(collectors.Record{Bad: &bad[i]}) {
				return
			}
		}
		for i := range posts {
			if !yield(collectors.Record{Post: &posts[i]}) {
				return
			}
		}
	}
	return c, nil
}

// replayCampaign sends posts and site changes merged by event time, paced by rp.
func replayCampaign(ctx context.Context, rp *replayer, c campaign) error {
	changes := append([]leakwatch.SiteChange(nil), c.changes...)
	sort.Slice(changes, func(i, j int) bool { return changes[i].ObservedAt.Before(changes[j].ObservedAt) })
	var err error
	c.posts(func(rec collectors.Record) bool {
		for rec.Post != nil && len(changes) > 0 && changes[0].ObservedAt.Before(rec.Post.CreatedAt) {
			if err = rp.add(ctx, collectors.Record{Change: &changes[0]}); err != nil {
				return false
			}
			changes = changes[1:]
		}
		err = rp.add(ctx, rec)
		return err == nil
	})
	for i := 0; err == nil && i < len(changes); i++ {
		err = rp.add(ctx, collectors.Record{Change: &changes[i]})
	}
	return err
}

// runEmbedded runs the processor stages, the live page and its feeder on cfg.Kafka, plus
// feed (the demo's replay or the configured collectors), until ctx ends or one of them fails.
// It is the one-process form of `run`: the same stage code as the production roles.
func runEmbedded(ctx context.Context, e *env, cfg Config, st *live.State, ln net.Listener, page string, feed func(ctx context.Context, url string) error) error {
	m := stream.NewMetrics(nil)
	scfg := embeddedStages(cfg)
	g, ctx := errgroup.WithContext(ctx)
	for _, name := range stages.Names {
		g.Go(func() error { return stages.Run(ctx, name, scfg, e.log, m) })
	}
	g.Go(func() error { return feedLive(ctx, cfg.Kafka, page, st, e.log, m) })
	addr := make(chan net.Addr, 1)
	g.Go(func() error {
		return serveListener(ctx, ln, live.Handler(cfg.Live, st, e.log), e.log, func(a net.Addr) { addr <- a })
	})
	g.Go(func() error {
		select {
		case a := <-addr:
			return feed(ctx, "http://"+a.String()+"/")
		case <-ctx.Done():
			return nil
		}
	})
	err := g.Wait()
	if ctx.Err() != nil && (err == nil || err == context.Canceled) {
		return nil
	}
	return err
}

// embeddedStages is the stages' configuration in one process.
func embeddedStages(cfg Config) stages.Config {
	scfg := stages.DefaultConfig()
	scfg.Stream, scfg.Pipeline = cfg.Kafka, cfg.Analysis
	// A finite replay must end with every window closed, as the batch analysis does.
	scfg.FlushIdle = 2 * scfg.SourceIdle
	return scfg
}
