package stream_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// brokerConfig points at the local Kafka with topics and groups of this test run alone, and
// deletes the topics afterwards.
func brokerConfig(t testing.TB) stream.Config {
	t.Helper()
	addr := testenv.Kafka(t)
	run := strings.NewReplacer("/", ".", " ", "_").Replace(t.Name()) + "." + strconv.FormatInt(time.Now().UnixNano(), 36)
	cfg := stream.DefaultConfig()
	cfg.Brokers = []string{addr}
	cfg.ClientID = "leakwatch-test"
	cfg.Topics = stream.Topics{
		Posts: "test." + run + ".posts", SiteChanges: "test." + run + ".sitechanges", Mentions: "test." + run + ".mentions",
		Signals: "test." + run + ".signals", Alerts: "test." + run + ".alerts", DeadLetter: "test." + run + ".deadletter",
		CoShares: "test." + run + ".coshares",
	}
	cfg.GroupPrefix = "test." + run + "."
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stream.EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := stream.DeleteTopics(ctx, cfg, cfg.Topics.All()...); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	return cfg
}

func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

var postBase = time.Date(2016, 7, 22, 14, 0, 0, 0, time.UTC)

// makePosts builds n distinct posts shaped like archive tweets.
func makePosts(n int) []leakwatch.Post {
	ps := make([]leakwatch.Post, n)
	for i := range ps {
		id := strconv.Itoa(700000000000000000 + i)
		acct := strconv.Itoa(i % 997)
		ps[i] = leakwatch.Post{
			Platform: leakwatch.PlatformTwitter, ID: id, URI: "https://twitter.com/i/web/status/" + id,
			CreatedAt: postBase.Add(time.Duration(i) * time.Second), ObservedAt: postBase.Add(time.Duration(i) * time.Second),
			Author:   leakwatch.Account{ID: acct, Handle: "user" + acct},
			Text:     "RT @wikileaks: DNC emails show coordination #DNCLeak https://wikileaks.org/dnc-emails/emailid/" + strconv.Itoa(i%50),
			Hashtags: []string{"DNCLeak"},
			URLs:     []leakwatch.Link{{Raw: "https://wikileaks.org/dnc-emails/emailid/" + strconv.Itoa(i%50), Domain: "wikileaks.org"}},
		}
	}
	return ps
}

// produce writes posts in calls of chunk messages and returns the rate.
func produce(t testing.TB, ctx context.Context, w *stream.Writer, topic string, posts []leakwatch.Post, chunk int) float64 {
	t.Helper()
	start := time.Now()
	msgs := make([]stream.Message, 0, chunk)
	for i, p := range posts {
		m, err := stream.EncodePost(topic, p)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
		if len(msgs) == chunk || i == len(posts)-1 {
			if err := w.Write(ctx, msgs...); err != nil {
				t.Fatal(err)
			}
			msgs = msgs[:0]
		}
	}
	return float64(len(posts)) / time.Since(start).Seconds()
}

// fullyCommitted waits until group has committed every partition of topic up to its end.
func fullyCommitted(ctx context.Context, cfg stream.Config, group, topic string) error {
	for {
		ends, err1 := stream.TopicRanges(ctx, cfg, topic)
		done, err2 := stream.Committed(ctx, cfg, group, topic)
		if err1 == nil && err2 == nil {
			behind := 0
			for p, r := range ends {
				if done[p] < r.End {
					behind++
				}
			}
			if behind == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("group %s never committed all of %s: %w (last errors: %v, %v)", group, topic, ctx.Err(), err1, err2)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestGroupLosesNothingWhenAMemberDies produces 100k posts, consumes them with two members of
// one group, kills one in the middle of a batch (its last batch handled but not committed),
// restarts it, and checks that every post was handled at least once, the killed batch was
// delivered again, and the group's offsets resume where it stopped.
func TestGroupLosesNothingWhenAMemberDies(t *testing.T) {
	const n = 100_000
	cfg := brokerConfig(t)
	cfg.FetchBatch = 500
	log := testLogger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	w, err := stream.NewWriter(cfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	posts := makePosts(n)
	rate := produce(t, ctx, w, cfg.Topics.Posts, posts, 5000)
	t.Logf("produced %d posts at %.0f posts/s", n, rate)

	var (
		mu         sync.Mutex
		seen       = make(map[string]int, n)
		handled    = map[string]int{}
		killed     []string // URIs of the batch the killed member handled but never committed
		ready      = map[string]bool{}
		bothReady  = make(chan struct{})
		killAfter  = 5000
		consumeBeg = time.Now()
	)
	// member returns a handler that records posts, first waiting until both original members
	// hold partitions (so the work is really shared), and that kills its member after killAt
	// records by cancelling its context inside a batch, before that batch commits.
	member := func(name string, killAt int, kill context.CancelFunc) stream.Handler {
		return func(ctx context.Context, batch []stream.Record) error {
			mu.Lock()
			if !ready[name] && (name == "a" || name == "b") {
				ready[name] = true
				if ready["a"] && ready["b"] {
					close(bothReady)
				}
			}
			mu.Unlock()
			if name == "a" || name == "b" {
				select {
				case <-bothReady:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			uris := make([]string, 0, len(batch))
			for _, r := range batch {
				p, err := stream.Decode[leakwatch.Post](r)
				if err != nil {
					return err
				}
				uris = append(uris, p.URI)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, u := range uris {
				seen[u]++
			}
			handled[name] += len(uris)
			if kill != nil && handled[name] >= killAt && killed == nil {
				killed = uris
				kill()
				return ctx.Err()
			}
			return nil
		}
	}
	runMember := func(name string, ctx context.Context, h stream.Handler) chan error {
		g, err := stream.NewGroup(cfg, "consume", []string{cfg.Topics.Posts}, log.With("member", name), nil)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- g.Run(ctx, h) }()
		return done
	}

	ctxA, killA := context.WithCancel(ctx)
	ctxB, stopB := context.WithCancel(ctx)
	defer stopB()
	doneA := runMember("a", ctxA, member("a", killAfter, killA))
	doneB := runMember("b", ctxB, member("b", 0, nil))

	if err := <-doneA; err != nil {
		t.Fatalf("member a: %v", err)
	}
	mu.Lock()
	t.Logf("member a killed after handling %d posts; its last batch of %d was not committed", handled["a"], len(killed))
	mu.Unlock()

	ctxA2, stopA2 := context.WithCancel(ctx)
	defer stopA2()
	doneA2 := runMember("a2", ctxA2, member("a2", 0, nil))

	group := cfg.GroupPrefix + "consume"
	if err := fullyCommitted(ctx, cfg, group, cfg.Topics.Posts); err != nil {
		t.Fatal(err)
	}
	consumeRate := float64(n) / time.Since(consumeBeg).Seconds()
	stopB()
	stopA2()
	for name, done := range map[string]chan error{"b": doneB, "a2": doneA2} {
		if err := <-done; err != nil {
			t.Errorf("member %s: %v", name, err)
		}
	}

	mu.Lock()
	total := handled["a"] + handled["b"] + handled["a2"]
	t.Logf("consumed %d posts (%d deliveries: a %d, b %d, restarted a %d) at %.0f posts/s including the kill and two rebalances",
		len(seen), total, handled["a"], handled["b"], handled["a2"], consumeRate)
	if handled["b"] == 0 {
		t.Error("member b handled nothing: the group did not share the work")
	}
	for _, p := range posts {
		if seen[p.URI] == 0 {
			t.Fatalf("post %s was never handled (and %d others may be missing)", p.URI, n-len(seen))
		}
	}
	if len(seen) != n {
		t.Errorf("handled %d distinct posts, produced %d", len(seen), n)
	}
	for _, u := range killed {
		if seen[u] < 2 {
			t.Fatalf("post %s from the killed member's uncommitted batch was not delivered again", u)
		}
	}
	mu.Unlock()

	// A third run of the same group starts from the committed offsets: it must see only a
	// post written after everything was committed.
	sentinel := makePosts(n + 1)[n]
	var third []string
	ctxC, stopC := context.WithCancel(ctx)
	defer stopC()
	doneC := runMember("c", ctxC, func(ctx context.Context, batch []stream.Record) error {
		for _, r := range batch {
			p, err := stream.Decode[leakwatch.Post](r)
			if err != nil {
				return err
			}
			third = append(third, p.URI)
			if p.URI == sentinel.URI {
				stopC()
			}
		}
		return nil
	})
	produce(t, ctx, w, cfg.Topics.Posts, []leakwatch.Post{sentinel}, 1)
	if err := <-doneC; err != nil {
		t.Fatalf("third run: %v", err)
	}
	if len(third) != 1 || third[0] != sentinel.URI {
		n := min(len(third), 3)
		t.Fatalf("third run saw %d posts (first %v), want only the new one %s", len(third), third[:n], sentinel.URI)
	}
}

// TestUndecodableRecordsGoToDeadLetter mixes good posts with records a post reader cannot
// decode: the bad ones land on the dead-letter topic with their reason and origin, every good
// one is handled, and the group commits past all of them.
func TestUndecodableRecordsGoToDeadLetter(t *testing.T) {
	cfg := brokerConfig(t)
	log := testLogger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, err := stream.NewWriter(cfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	posts := makePosts(60)
	h := func(k, v string) stream.Header { return stream.Header{Key: k, Value: []byte(v)} }
	bad := []struct {
		msg    stream.Message
		reason string
	}{
		{stream.Message{Key: []byte("bad-json"), Value: []byte(`{"uri":"x",`), Headers: []stream.Header{h(stream.HeaderType, "post"), h(stream.HeaderVersion, "1")}},
			"post/v1 value is not valid JSON"},
		{stream.Message{Key: []byte("from-the-future"), Value: []byte(`{"uri":"y"}`), Headers: []stream.Header{h(stream.HeaderType, "post"), h(stream.HeaderVersion, "3")}},
			"post version 3, this build reads only version 1"},
		{stream.Message{Key: []byte("a-mention"), Value: []byte(`{"object":"hashtag:x"}`), Headers: []stream.Header{h(stream.HeaderType, "mention"), h(stream.HeaderVersion, "1")}},
			`type "mention", want "post"`},
		{stream.Message{Key: []byte("no-headers"), Value: []byte(`{}`)},
			"no leakwatch-type header"},
	}
	var msgs []stream.Message
	for i, p := range posts {
		m, err := stream.EncodePost(cfg.Topics.Posts, p)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
		if i%15 == 7 {
			b := bad[i/15].msg
			b.Topic = cfg.Topics.Posts
			msgs = append(msgs, b)
		}
	}
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	got := map[string]bool{}
	gctx, stop := context.WithCancel(ctx)
	g, err := stream.NewGroup(cfg, "extract", []string{cfg.Topics.Posts}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- g.Run(gctx, stream.DecodeHandler("extract", w, cfg.Topics.DeadLetter, log,
			func(ctx context.Context, items []stream.Item[leakwatch.Post]) error {
				mu.Lock()
				defer mu.Unlock()
				for _, it := range items {
					got[it.Value.URI] = true
				}
				return nil
			}))
	}()
	if err := fullyCommitted(ctx, cfg, g.ID(), cfg.Topics.Posts); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, p := range posts {
		if !got[p.URI] {
			t.Errorf("good post %s was not handled", p.URI)
		}
	}

	// Read the dead letters back with a group of their own.
	var dls []stream.DeadLetter
	dctx, dstop := context.WithCancel(ctx)
	dg, err := stream.NewGroup(cfg, "inspect", []string{cfg.Topics.DeadLetter}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := dg.Run(dctx, func(ctx context.Context, batch []stream.Record) error {
		for _, r := range batch {
			d, err := stream.ParseDeadLetter(r)
			if err != nil {
				return err
			}
			dls = append(dls, d)
		}
		if len(dls) >= len(bad) {
			dstop()
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(dls) != len(bad) {
		t.Fatalf("%d dead letters, want %d", len(dls), len(bad))
	}
	byKey := map[string]stream.DeadLetter{}
	for _, d := range dls {
		byKey[string(d.Key)] = d
	}
	for _, b := range bad {
		d, ok := byKey[string(b.msg.Key)]
		if !ok {
			t.Errorf("record %q is not in the dead-letter topic", b.msg.Key)
			continue
		}
		if !strings.Contains(d.Reason, b.reason) || !strings.Contains(d.Reason, cfg.Topics.Posts+"/") {
			t.Errorf("record %q: reason %q, want it to name the record and say %q", b.msg.Key, d.Reason, b.reason)
		}
		if string(d.Value) != string(b.msg.Value) || d.Stage != "extract" || d.Topic != cfg.Topics.Posts || d.At.IsZero() {
			t.Errorf("record %q: dead letter %+v does not keep the original value, stage, source and time", b.msg.Key, d)
		}
		if want := fmt.Sprintf("%s/%d@%d", d.Topic, d.Partition, d.Offset); !strings.Contains(d.Reason, want) {
			t.Errorf("record %q: source position %s does not match the reason %q", b.msg.Key, want, d.Reason)
		}
	}
}

// TestToPartitionOverridesTheKey sends records with one key to chosen partitions (how stages
// broadcast watermarks) and checks each landed where it was sent, while plain records with
// that key all share one partition.
func TestToPartitionOverridesTheKey(t *testing.T) {
	cfg := brokerConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := stream.NewWriter(cfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var msgs []stream.Message
	for p := range cfg.Partitions {
		m := stream.Message{Topic: cfg.Topics.Posts, Key: []byte("same"), Value: []byte(strconv.Itoa(p))}
		m.ToPartition(p)
		msgs = append(msgs, m, stream.Message{Topic: cfg.Topics.Posts, Key: []byte("same"), Value: []byte("hashed")})
	}
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	ranges, err := stream.TopicRanges(ctx, cfg, cfg.Topics.Posts)
	if err != nil {
		t.Fatal(err)
	}
	hashedIn := -1
	for p, r := range ranges {
		err := stream.ReadPartition(ctx, cfg, cfg.Topics.Posts, p, r.First, r.End, func(recs []stream.Record) error {
			for _, rec := range recs {
				switch v := string(rec.Value); {
				case v == "hashed" && hashedIn >= 0 && hashedIn != p:
					return fmt.Errorf("key %q hashed to partitions %d and %d", rec.Key, hashedIn, p)
				case v == "hashed":
					hashedIn = p
				case v != strconv.Itoa(p):
					return fmt.Errorf("record sent to partition %s landed in %d", v, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := stream.Count(ranges); n != int64(len(msgs)) {
		t.Fatalf("%d records in the topic, wrote %d", n, len(msgs))
	}
}

// TestCommitHoldKeepsRecordsForARestart: a group with a commit hold commits each partition
// only up to the record the hold names, so a member that starts after it reads that record
// and the ones after it again; once the hold is released, the partition's next batch commits
// everything.
func TestCommitHoldKeepsRecordsForARestart(t *testing.T) {
	cfg := brokerConfig(t)
	cfg.Partitions = 1
	cfg.Topics.Posts += "-one"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := stream.CreateTopics(ctx, cfg, cfg.Topics.Posts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stream.DeleteTopics(context.Background(), cfg, cfg.Topics.Posts) })
	w, err := stream.NewWriter(cfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	write := func(from, n int) {
		var msgs []stream.Message
		for i := from; i < from+n; i++ {
			msgs = append(msgs, stream.Message{Topic: cfg.Topics.Posts, Value: []byte(strconv.Itoa(i))})
		}
		if err := w.Write(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	// consume runs a member until it has seen the record of value last, and returns the
	// values it read first, in order.
	var held atomic.Int64 // -1: no hold
	consume := func(last string) []string {
		t.Helper()
		g, err := stream.NewGroup(cfg, "hold", []string{cfg.Topics.Posts}, testLogger(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		g.WithCommitHold(func(topic string, partition int) (int64, bool) {
			h := held.Load()
			return h, h >= 0 && topic == cfg.Topics.Posts && partition == 0
		})
		rctx, stop := context.WithCancel(ctx)
		var got []string
		err = g.Run(rctx, func(_ context.Context, batch []stream.Record) error {
			for _, r := range batch {
				got = append(got, string(r.Value))
				if string(r.Value) == last {
					defer stop() // after this batch's commit
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	committed := func() int64 {
		t.Helper()
		c, err := stream.Committed(ctx, cfg, cfg.GroupPrefix+"hold", cfg.Topics.Posts)
		if err != nil {
			t.Fatal(err)
		}
		return c[0]
	}

	write(0, 6)
	held.Store(2) // the record at offset 2 is not final
	if got := consume("5"); strings.Join(got, ",") != "0,1,2,3,4,5" {
		t.Fatalf("first member read %v", got)
	}
	if c := committed(); c != 2 {
		t.Fatalf("committed offset %d with the hold at 2, want 2", c)
	}
	// A member started now (after a crash, say) reads the held record again, and what follows.
	write(6, 1)
	if got := consume("6"); strings.Join(got, ",") != "2,3,4,5,6" {
		t.Fatalf("member after a restart read %v, want 2 to 6", got)
	}
	if c := committed(); c != 2 {
		t.Fatalf("committed offset %d, want it still held at 2", c)
	}
	held.Store(-1)
	write(7, 1)
	if got := consume("7"); strings.Join(got, ",") != "2,3,4,5,6,7" {
		t.Fatalf("member after the hold read %v, want 2 to 7", got)
	}
	if c := committed(); c != 8 {
		t.Fatalf("committed offset %d once the hold was released, want 8 (all)", c)
	}
}

// BenchmarkWriterPosts measures producing posts (encode + acks=all write) into the local Kafka,
// 1000 posts per Write call, per compression codec.
func BenchmarkWriterPosts(b *testing.B) {
	for _, codec := range []string{"zstd", "lz4", "none"} {
		b.Run(codec, func(b *testing.B) {
			cfg := brokerConfig(b)
			cfg.Compression = codec
			w, err := stream.NewWriter(cfg, "bench", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			posts := makePosts(1000)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				produce(b, ctx, w, cfg.Topics.Posts, posts, len(posts))
			}
			b.ReportMetric(float64(b.N*len(posts))/b.Elapsed().Seconds(), "posts/s")
		})
	}
}
