package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
	"github.com/leakwatch/leakwatch/stream/stages"
	"github.com/leakwatch/leakwatch/warehouse"
)

// `leakwatch sink` against real Kafka and ClickHouse: N posts are produced; the sink is
// stopped while it works, then a member dies after inserting a batch but before committing
// it, then the sink runs again to the end. ClickHouse must hold exactly N distinct posts,
// every offset must be committed, and the two unusable records must be on the dead-letter
// topic with their reasons.
func TestSinkCommandStopAndRestartStoresEachPostOnce(t *testing.T) {
	broker := testenv.Kafka(t)
	chAddr := testenv.ClickHouse(t)
	runID := fmt.Sprintf("t%d", time.Now().UnixNano())
	const n = 3000

	scfg := stream.DefaultConfig()
	scfg.Brokers = []string{broker}
	scfg.Partitions = 2
	scfg.GroupPrefix = "test-" + runID + "-"
	scfg.FetchBatch = 100
	tp := &scfg.Topics
	// Only the topics the sink touches, each renamed for this run: never a shared default.
	var topics []string
	for _, p := range []*string{&tp.Posts, &tp.SiteChanges, &tp.Mentions, &tp.Signals, &tp.Alerts, &tp.DeadLetter} {
		*p += ".test-" + runID
		topics = append(topics, *p)
	}
	wcfg := warehouse.DefaultConfig()
	wcfg.Addr, wcfg.Database = chAddr, "lwtest_sink_"+runID
	wcfg.BatchSize = 100 // the sink's batches: many, so it can stop and crash between them

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := stream.CreateTopics(ctx, scfg, topics...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stream.DeleteTopics(context.Background(), scfg, topics...) })
	wh, err := warehouse.Open(ctx, wcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = wh.Query(context.Background(), "DROP DATABASE IF EXISTS "+wcfg.Database)
		wh.Close()
	})

	cfgPath := filepath.Join(t.TempDir(), "leakwatch.yaml")
	yaml := fmt.Sprintf(`kafka:
  brokers: [%q]
  partitions: 2
  group_prefix: %q
  fetch_batch: 100
  topics: {posts: %q, sitechanges: %q, mentions: %q, signals: %q, alerts: %q, deadletter: %q}
clickhouse:
  addr: %q
  database: %q
  batch_size: 100
metrics: ""
`, broker, scfg.GroupPrefix, tp.Posts, tp.SiteChanges, tp.Mentions, tp.Signals, tp.Alerts, tp.DeadLetter, chAddr, wcfg.Database)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	pw, err := stream.NewWriter(scfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	produce := func(from, to int, extra ...stream.Message) {
		t.Helper()
		msgs := extra
		for i := from; i < to; i++ {
			at := time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
			m, err := stream.EncodePost(tp.Posts, leakwatch.Post{Platform: "twitter", ID: fmt.Sprint(i), URI: fmt.Sprintf("twitter:%d", i), CreatedAt: at, ObservedAt: at,
				Author: leakwatch.Account{ID: fmt.Sprintf("a%d", i%50)}, Text: "#MacronLeaks", Hashtags: []string{"MacronLeaks"}})
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		if err := pw.Write(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	undecodable := stream.Message{Topic: tp.Posts, Key: []byte("twitter:broken"), Value: []byte("{not json"),
		Headers: []stream.Header{{Key: stream.HeaderType, Value: []byte("post")}, {Key: stream.HeaderVersion, Value: []byte("1")}}}
	unstorable, err := stream.EncodePost(tp.Posts, leakwatch.Post{Platform: "twitter", URI: "twitter:timeless", Author: leakwatch.Account{ID: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	// Extract's watermarks share the mentions topic: the sink passes over them, without a
	// dead letter (the two above are the only ones expected).
	watermark, err := stream.EncodeAs(tp.Mentions, "watermark", stages.SchemaWatermark, map[string]any{"source": "0", "at": time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	// Mentions are stored, except near-duplicate bands (internal to co-share detection).
	var mentions []stream.Message
	for _, obj := range []string{"hashtag:macronleaks", "neartext:3-9f2c41d07a3b5e18"} {
		m, err := stream.EncodeMention(tp.Mentions, leakwatch.Mention{Object: obj, Account: "a", Post: "twitter:1", Platform: "twitter", At: time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		mentions = append(mentions, m)
	}
	produce(0, n/2, append(mentions, undecodable, unstorable, watermark)...)

	stored := func() (distinct, final uint64) {
		t.Helper()
		res, err := wh.Query(ctx, "SELECT uniqExact(uri), (SELECT count() FROM posts FINAL) FROM posts")
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0].(uint64), res.Rows[0][1].(uint64)
	}
	sinkCmd := func(ctx context.Context) <-chan int {
		done := make(chan int, 1)
		go func() {
			var out, errb bytes.Buffer
			code := run(ctx, []string{"sink", "-config", cfgPath}, &out, &errb)
			if code != 0 {
				t.Logf("sink exited %d:\n%s", code, errb.String())
			}
			done <- code
		}()
		return done
	}

	// 1. Stop the sink as soon as it stored something.
	actx, astop := context.WithCancel(ctx)
	done := sinkCmd(actx)
	for {
		if d, _ := stored(); d > 0 {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("sink exited %d before storing anything", code)
		case <-time.After(10 * time.Millisecond):
		}
	}
	astop()
	if code := <-done; code != 0 {
		t.Fatalf("stopped sink exited %d, want 0", code)
	}
	afterStop, _ := stored()
	t.Logf("stopped after %d of %d posts", afterStop, n/2)

	// 2. A member that inserts a batch and dies before committing it.
	produce(n/2, n)
	crash := errors.New("crashed after the insert")
	s := newSink(wh, pw, scfg.Topics, slog.New(slog.DiscardHandler), newSinkMetrics(newRegistry()))
	group, err := newSinkGroup(scfg, wcfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var crashed int
	err = group.Run(ctx, func(ctx context.Context, batch []stream.Record) error {
		if err := s.handle(ctx, batch); err != nil {
			return err
		}
		crashed = len(batch)
		return crash
	})
	if !errors.Is(err, crash) {
		t.Fatalf("crashing member: %v, want it to stop with the crash", err)
	}
	afterCrash, _ := stored()
	t.Logf("crashed after inserting a batch of %d; %d posts stored", crashed, afterCrash)

	// 3. Restart and run until every offset is committed.
	cctx, cstop := context.WithCancel(ctx)
	done = sinkCmd(cctx)
	deadline := time.Now().Add(90 * time.Second)
	for {
		ok, state := allCommitted(t, ctx, scfg, scfg.GroupPrefix+sinkStage, tp.Posts)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted sink did not commit every offset in 90 s (%s)", state)
		}
		select {
		case code := <-done:
			t.Fatalf("restarted sink exited %d", code)
		case <-time.After(50 * time.Millisecond):
		}
	}
	cstop()
	if code := <-done; code != 0 {
		t.Fatalf("sink exited %d, want 0", code)
	}

	distinct, final := stored()
	if distinct != n || final != n {
		t.Fatalf("ClickHouse holds %d distinct posts (%d rows after FINAL), want exactly %d", distinct, final, n)
	}
	res, err := wh.Query(ctx, "SELECT groupArray(object) FROM (SELECT DISTINCT object FROM mentions)")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Rows[0][0]); got != "[hashtag:macronleaks]" {
		t.Errorf("mentions stored for objects %s, want only [hashtag:macronleaks] (band keys are not stored)", got)
	}

	dead := readAll(t, ctx, scfg, tp.DeadLetter)
	reasons := map[string]string{} // by source partition@offset: a record dead-lettered twice counts once
	for _, r := range dead {
		d, err := stream.ParseDeadLetter(r)
		if err != nil {
			t.Fatal(err)
		}
		reasons[fmt.Sprintf("%d@%d", d.Partition, d.Offset)] = d.Reason
	}
	if len(reasons) != 2 {
		t.Fatalf("dead letters for %d distinct records, want 2: %v", len(reasons), reasons)
	}
	var all string
	for _, r := range reasons {
		all += r + "\n"
	}
	for _, want := range []string{"decode " + tp.Posts, `posts record (uri "twitter:timeless"): created_at: not set`} {
		if !strings.Contains(all, want) {
			t.Errorf("dead-letter reasons do not say %q:\n%s", want, all)
		}
	}
}

// allCommitted reports whether group has committed every record of topic, and says what it
// saw. A partition no record went to has nothing to commit: the group leaves it at -1.
func allCommitted(t *testing.T, ctx context.Context, cfg stream.Config, group, topic string) (bool, string) {
	t.Helper()
	ranges, err := stream.TopicRanges(ctx, cfg, topic)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := stream.Committed(ctx, cfg, group, topic)
	state := fmt.Sprintf("committed %v, ranges %v, err %v", committed, ranges, err)
	if err != nil {
		return false, state // the group may be rebalancing
	}
	for p, r := range ranges {
		if r.End > r.First && committed[p] != r.End {
			return false, state
		}
	}
	return true, state
}

// readAll reads every record topic holds now.
func readAll(t *testing.T, ctx context.Context, cfg stream.Config, topic string) []stream.Record {
	t.Helper()
	ranges, err := stream.TopicRanges(ctx, cfg, topic)
	if err != nil {
		t.Fatal(err)
	}
	want := int(stream.Count(ranges))
	g, err := stream.NewGroup(cfg, "read-"+topic, []string{topic}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	var out []stream.Record
	if err := g.Run(rctx, func(_ context.Context, batch []stream.Record) error {
		mu.Lock()
		defer mu.Unlock()
		out = append(out, batch...)
		if len(out) >= want {
			cancel()
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(out) < want {
		t.Fatalf("read %d records of %s, want %d", len(out), topic, want)
	}
	return out
}

// An insert ClickHouse does not answer is retried with the batch held, and the process's
// /readyz names it meanwhile (alive on /healthz: a restart would not bring ClickHouse back),
// then answers ok once the insert went through.
func TestSinkWaitingShowsOnReadyz(t *testing.T) {
	reg := newRegistry()
	s := newSink(nil, nil, stream.Topics{}, newDiscardLogger(), newSinkMetrics(reg))
	s.backoff = time.Millisecond
	srv := httptest.NewServer(metricsHandler(reg))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var seen []string
	tries := 0
	err := s.insert(context.Background(), "posts", 3, func(context.Context) error {
		tries++
		if tries < 3 {
			return errors.New("dial tcp 127.0.0.1:19000: connect: connection refused")
		}
		code, body := get("/readyz")
		hc, _ := get("/healthz")
		seen = append(seen, fmt.Sprintf("%d %d %s", hc, code, body))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || !strings.HasPrefix(seen[0], "200 503 sink posts: failing for ") || !strings.Contains(seen[0], "2 failures): dial tcp 127.0.0.1:19000: connect: connection refused") {
		t.Errorf("healthz, readyz while waiting: %q", seen)
	}
	if code, body := get("/readyz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("readyz after the insert: %d %q", code, body)
	}
}
