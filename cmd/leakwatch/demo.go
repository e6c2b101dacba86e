package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/collectors/scenario"
	"github.com/leakwatch/leakwatch/collectors/twitter"
	"github.com/leakwatch/leakwatch/dashboards/live"
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
	dataDir := fs.String("data", "", "directory for the embedded broker (default: the user cache dir)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *speed <= 0 {
		return fmt.Errorf("%w: --speed must be positive", errUsage)
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

	camp, err := demoScenario(*scen, e)
	if err != nil {
		return err
	}
	cal := camp.calendar
	cfg.Analysis.Calendar = &cal
	if len(cfg.Analysis.Entities.Candidates) == 0 {
		cfg.Analysis.Entities.Candidates = scenario.Candidates()
	}

	// Each demo starts from an empty broker: its data dir keeps the topics only while it runs.
	brokerDir := filepath.Join(*dataDir, "broker")
	if err := os.RemoveAll(brokerDir); err != nil {
		return err
	}
	broker, err := embedded.Start(brokerDir, 0, cfg.Kafka.Partitions)
	if err != nil {
		return err
	}
	defer broker.Close()
	cfg.Kafka.Brokers = broker.Addrs()
	if err := stream.EnsureTopics(ctx, cfg.Kafka); err != nil {
		return err
	}

	st := live.NewState(15 * time.Minute)
	st.SetCalendar(cal)
	return runEmbedded(ctx, e, cfg, st, func(ctx context.Context, url string) error {
		fmt.Fprintf(e.stdout, "leakwatch demo: open %s  (Ctrl-C stops)\n", url)
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
		// The stages flush open windows once the input has been idle for FlushIdle.
		time.Sleep(2 * stages.DefaultConfig().SourceIdle)
		c := st.Snapshot().Counts
		fmt.Fprintf(e.stdout, "replay done: %d posts, %d bursts, %d coordinated groups, %d leaks, %d alerts; the page stays up until Ctrl-C\n",
			c.Posts, c.Bursts, c.Groups, c.Leaks, c.Alerts)
		<-ctx.Done()
		return nil
	})
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
func runEmbedded(ctx context.Context, e *env, cfg Config, st *live.State, feed func(ctx context.Context, url string) error) error {
	m := stream.NewMetrics(nil)
	scfg := stages.DefaultConfig()
	scfg.Stream, scfg.Pipeline = cfg.Kafka, cfg.Analysis
	// A finite replay must end with every window closed, as the batch analysis does.
	scfg.FlushIdle = 2 * scfg.SourceIdle
	g, ctx := errgroup.WithContext(ctx)
	for _, name := range stages.Names {
		g.Go(func() error { return stages.Run(ctx, name, scfg, e.log, m) })
	}
	g.Go(func() error { return feedLive(ctx, cfg.Kafka, st, e.log, m) })
	addr := make(chan net.Addr, 1)
	g.Go(func() error {
		return serveHTTP(ctx, cfg.Live.Listen, live.Handler(cfg.Live, st, e.log), e.log, func(a net.Addr) { addr <- a })
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
