package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/stream"
)

func init() {
	register(command{name: "replay", summary: "replay archive files into Kafka (posts, site changes), at a speed factor or as fast as possible", run: runReplay})
}

// replayStage labels the replay's metrics and dead letters.
const replayStage = "replay"

// replayChunk is how many records one Write carries at --speed max: large enough for full
// per-partition batches, small enough that a progress line comes every second or so.
const replayChunk = 5000

func runReplay(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "replay", "FILE... [flags]")
	speedFlag := fs.String("speed", "max", "Nx (event time runs N times faster than the wall clock: 1x, 60x, 0.5x) or max")
	af := addArchiveFlags(fs, "")
	order := fs.String("order", "time", "time: load every file and send records in event-time order (what detection needs); file: stream in file order without loading (for files already in time order)")
	cfgPath := fs.String("config", "", "leakwatch config file (its kafka section); default: the local Kafka")
	progress := fs.Duration("progress", 2*time.Second, "progress line on stderr this often (0: none)")
	files, err := parseFiles(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: want at least one FILE", errUsage)
	}
	speed, err := parseSpeed(*speedFlag)
	if err != nil {
		return fmt.Errorf("%w: --speed: %v", errUsage, err)
	}
	if *order != "time" && *order != "file" {
		return fmt.Errorf("%w: --order %q: want time or file", errUsage, *order)
	}
	opts, err := af.options(replayStage)
	if err != nil {
		return err
	}
	c, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	scfg := c.Kafka
	if err := stream.CreateTopics(ctx, scfg, scfg.Topics.Posts, scfg.Topics.SiteChanges, scfg.Topics.DeadLetter); err != nil {
		return err
	}
	w, err := stream.NewWriter(scfg, replayStage, stream.NewMetrics(nil))
	if err != nil {
		return err
	}
	defer w.Close()

	rp := &replayer{w: w, topics: scfg.Topics, speed: speed, progressEvery: *progress, out: e.stderr, start: time.Now()}
	rp.nextProgress = rp.start.Add(*progress)
	if *order == "time" {
		err = rp.replaySorted(ctx, files, opts)
	} else {
		err = rp.replayFiles(ctx, files, opts)
	}
	if err == nil {
		err = rp.flush(ctx)
	}
	if err != nil {
		return err
	}
	el := time.Since(rp.start)
	fmt.Fprintf(e.stdout, "replayed %d posts, %d site changes, %d bad records (dead-lettered) into %s in %s (%.0f posts/s)\n",
		rp.posts, rp.changes, rp.bad, scfg.Topics.Posts, el.Round(time.Millisecond), float64(rp.posts)/el.Seconds())
	return nil
}

// parseSpeed reads "max" (0: no pacing) or "Nx".
func parseSpeed(s string) (float64, error) {
	if s == "max" {
		return 0, nil
	}
	n, err := strconv.ParseFloat(strings.TrimSuffix(s, "x"), 64)
	if err != nil || !strings.HasSuffix(s, "x") || !speedOK(n) {
		return 0, fmt.Errorf("%q: want Nx with N from 0.001 to 1e9 (1x, 60x) or max", s)
	}
	return n, nil
}

// replayer paces records by event time and writes them in large batches.
type replayer struct {
	w      *stream.Writer
	topics stream.Topics
	speed  float64 // 0: as fast as possible

	pending []stream.Message
	t0      time.Time // event time of the first record
	start   time.Time // wall time of the first record

	posts, changes, bad int
	lastEvent           time.Time
	progressEvery       time.Duration
	nextProgress        time.Time
	out                 io.Writer
}

// replaySorted loads every file, then sends all records in event-time order.
func (rp *replayer) replaySorted(ctx context.Context, paths []string, opts archive.Options) error {
	var posts []leakwatch.Post
	var changes []leakwatch.SiteChange
	for _, p := range paths {
		c, err := archive.ReadAll(p, opts)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", errUsage, p, err)
		}
		for i := range c.Bad {
			if err := rp.add(ctx, collectors.Record{Bad: &c.Bad[i]}); err != nil {
				return err
			}
		}
		posts = append(posts, c.Posts...)
		changes = append(changes, c.Changes...)
	}
	if len(paths) > 1 {
		archive.SortPosts(posts)
	}
	fmt.Fprintf(rp.out, "replay: loaded %d posts and %d site changes from %d files in %s; sending in event-time order\n",
		len(posts), len(changes), len(paths), time.Since(rp.start).Round(time.Millisecond))
	rp.start = time.Now() // rates count the sending only
	// Merge posts and site changes by event time.
	i, j := 0, 0
	for i < len(posts) || j < len(changes) {
		var rec collectors.Record
		if j >= len(changes) || (i < len(posts) && !changes[j].ObservedAt.Before(posts[i].CreatedAt)) {
			rec.Post = &posts[i]
			i++
		} else {
			rec.Change = &changes[j]
			j++
		}
		if err := rp.add(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

// replayFiles streams each file in file order.
func (rp *replayer) replayFiles(ctx context.Context, paths []string, opts archive.Options) error {
	for _, p := range paths {
		r, err := archive.Open(p, opts)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", errUsage, p, err)
		}
		if name := r.Recognised(); name != "" {
			fmt.Fprintf(rp.out, "replay: %s: preset %s, recognised from the CSV header\n", p, name)
		}
		for {
			rec, err := r.NextRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.Close()
				return fmt.Errorf("read: %w", err) // it names the file (and line) already
			}
			if err := rp.add(ctx, rec); err != nil {
				r.Close()
				return err
			}
		}
		r.Close()
	}
	return nil
}

// add queues one record, first waiting until its event time is due at the chosen speed.
func (rp *replayer) add(ctx context.Context, rec collectors.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var m stream.Message
	var err error
	var at time.Time
	switch {
	case rec.Bad != nil:
		b := rec.Bad
		d := stream.DeadLetter{Stage: replayStage, Reason: b.Error(), Ref: b.Ref, Value: b.Raw, At: time.Now().UTC()}
		m = d.Message(rp.topics.DeadLetter)
		rp.bad++
	case rec.Post != nil:
		m, err = stream.EncodePost(rp.topics.Posts, *rec.Post)
		at = rec.Post.CreatedAt
		rp.posts++
	case rec.Change != nil:
		m, err = stream.EncodeSiteChange(rp.topics.SiteChanges, *rec.Change)
		at = rec.Change.ObservedAt
		rp.changes++
	default:
		return nil
	}
	if err != nil {
		// A record the archive reader accepted but the codec cannot key (no URI): keep it.
		d := stream.DeadLetter{Stage: replayStage, Reason: err.Error(), At: time.Now().UTC()}
		d.Value, _ = jsonValue(rec)
		m = d.Message(rp.topics.DeadLetter)
		rp.bad++
	}
	if !at.IsZero() && rp.speed > 0 {
		if rp.t0.IsZero() {
			rp.t0, rp.start = at, time.Now()
		}
		due := rp.start.Add(time.Duration(float64(at.Sub(rp.t0)) / rp.speed))
		if wait := time.Until(due); wait > 0 {
			// Send what is due before sleeping, so nothing sits in the buffer past its time.
			if err := rp.flush(ctx); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
	}
	if at.After(rp.lastEvent) {
		rp.lastEvent = at
	}
	rp.pending = append(rp.pending, m)
	if len(rp.pending) >= replayChunk {
		return rp.flush(ctx)
	}
	return nil
}

func (rp *replayer) flush(ctx context.Context) error {
	if len(rp.pending) == 0 {
		return nil
	}
	if err := rp.w.Write(ctx, rp.pending...); err != nil {
		return err
	}
	rp.pending = rp.pending[:0]
	if rp.progressEvery > 0 && time.Now().After(rp.nextProgress) {
		el := time.Since(rp.start)
		fmt.Fprintf(rp.out, "replay: %d posts, %d site changes, %d bad written; %.0f posts/s; event time %s\n",
			rp.posts, rp.changes, rp.bad, float64(rp.posts)/el.Seconds(), rp.lastEvent.UTC().Format(time.RFC3339))
		rp.nextProgress = time.Now().Add(rp.progressEvery)
	}
	return nil
}

// jsonValue is the record as JSON, for a dead letter of a record the codec refused.
func jsonValue(rec collectors.Record) ([]byte, error) {
	var v any = rec.Post
	if rec.Change != nil {
		v = rec.Change
	}
	return json.Marshal(v)
}
