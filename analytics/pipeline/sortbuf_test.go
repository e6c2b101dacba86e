package pipeline_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
)

// memRuns is a RunStore in memory, counting the runs and the bytes written.
type memRuns struct {
	runs  []*bytes.Buffer
	bytes int
}

type runBuffer struct {
	*bytes.Buffer
	m *memRuns
}

func (w runBuffer) Close() error { w.m.bytes += w.Len(); return nil }

func (m *memRuns) Create() (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	m.runs = append(m.runs, b)
	return runBuffer{b, m}, nil
}

func (m *memRuns) Open(i int) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(m.runs[i].Bytes())), nil
}

// batchWithRuns posts every post to a batch whose runs go to memory.
func batchWithRuns(t *testing.T, cfg pipeline.Config, posts []leakwatch.Post, onRun func(run, posts int)) (*pipeline.Batch, *memRuns) {
	t.Helper()
	b, err := pipeline.NewBatch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := &memRuns{}
	b.Runs, b.OnRun = store, onRun
	for _, p := range posts {
		if err := b.Post(p); err != nil {
			t.Fatal(err)
		}
	}
	return b, store
}

// TestSortedRunsMatchSortInMemory: an archive in random order analysed with a sort buffer
// far smaller than it (so through sorted runs merged back) gives exactly the detections of
// sorting it whole in memory; times in other zones come out the same as in UTC.
func TestSortedRunsMatchSortInMemory(t *testing.T) {
	posts := iraPosts(t, 20000)
	rng := rand.New(rand.NewPCG(7, 8))
	rng.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
	paris := time.FixedZone("CEST", 2*3600)
	for i := range posts {
		if i%3 == 0 {
			posts[i].CreatedAt = posts[i].CreatedAt.In(paris)
		}
	}
	cfg := testConfig(t)
	want, err := pipeline.Analyze(cfg, slices.Values(posts), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want.Summary.Runs != 0 {
		t.Fatalf("Analyze without a RunStore wrote %d runs", want.Summary.Runs)
	}

	cfg.SortBuffer = 1500
	var told []int
	b, store := batchWithRuns(t, cfg, posts, func(run, posts int) { told = append(told, run) })
	var done, total int64
	b.OnDetect = func(d, all int64) {
		if d <= done || d > all {
			t.Errorf("progress %d of %d after %d", d, all, done)
		}
		done, total = d, all
	}
	got, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if wantRuns := len(posts) / cfg.SortBuffer; got.Summary.Runs != wantRuns || len(store.runs) != wantRuns || len(told) != wantRuns {
		t.Fatalf("runs: summary %d, stored %d, told %d; want %d", got.Summary.Runs, len(store.runs), len(told), wantRuns)
	}
	if done == 0 || total != got.Summary.Mentions {
		t.Errorf("detect progress: last %d of %d, want calls counting up to %d mentions", done, total, got.Summary.Mentions)
	}
	if got.Summary.Mentions != want.Summary.Mentions {
		t.Fatalf("mentions through runs %d, in memory %d", got.Summary.Mentions, want.Summary.Mentions)
	}
	g, w := records(t, got.Signals), records(t, want.Signals)
	if !slices.Equal(g, w) {
		t.Fatalf("through %d runs: %d signals; sorted in memory: %d", got.Summary.Runs, len(g), len(w))
	}
	if len(w) == 0 {
		t.Fatal("no signals: the comparison proves nothing")
	}
	t.Logf("%d posts in %d runs (%d bytes, %.0f a post): %d identical signals", len(posts), got.Summary.Runs, store.bytes, float64(store.bytes)/float64(len(posts)-len(posts)%cfg.SortBuffer), len(g))
}

// TestDamagedRunIsAnError: a run that cannot be read back fails Finish with the run named,
// instead of losing the posts in it.
func TestDamagedRunIsAnError(t *testing.T) {
	posts := iraPosts(t, 3000)
	cfg := testConfig(t)
	cfg.SortBuffer = 1000
	b, store := batchWithRuns(t, cfg, posts, nil)
	store.runs[1].Truncate(store.runs[1].Len() / 2)
	_, err := b.Finish()
	if err == nil || !strings.Contains(err.Error(), "sorted run 2") {
		t.Fatalf("Finish with run 2 cut in half: error %v, want one naming sorted run 2", err)
	}
}

// TestSortBufferValidated: a sort buffer below one post is named.
func TestSortBufferValidated(t *testing.T) {
	cfg := pipeline.DefaultConfig()
	cfg.SortBuffer = 0
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "sort_buffer") {
		t.Fatalf("error %v, want it to name sort_buffer", err)
	}
}
