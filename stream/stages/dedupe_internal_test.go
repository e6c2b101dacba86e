package stages

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/stream"
)

// A batch extract writes again after a crash reaches detect as copies of mentions it already
// counted: detect must count each (post, object) once, and refuse a copy older than it
// accepts as late, like any other mention that old.
func TestDetectCountsRedeliveredMentionsOnce(t *testing.T) {
	cfg := DefaultConfig()
	d, err := pipeline.NewDetect(cfg.Pipeline)
	if err != nil {
		t.Fatal(err)
	}
	s := &detector{cfg: cfg, log: slog.New(slog.DiscardHandler), parts: map[int]*detectPart{}, sources: 1}
	p := &detectPart{d: d, sources: map[int]time.Time{0: {}}, told: map[int]bool{}, seen: map[string]time.Time{}, live: true}
	t0 := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	rec := func(off int64, m leakwatch.Mention) stream.Record {
		msg, err := stream.EncodeMention("mentions", m)
		if err != nil {
			t.Fatal(err)
		}
		msg.Headers = append(msg.Headers, stream.Header{Key: HeaderSourcePartition, Value: []byte("0")})
		return stream.Record{Topic: "mentions", Offset: off, Key: msg.Key, Value: msg.Value, Headers: msg.Headers}
	}
	mention := func(i int) leakwatch.Mention {
		return leakwatch.Mention{Object: "hashtag:macronleaks", Account: "a" + strconv.Itoa(i), Post: "p" + strconv.Itoa(i), Platform: "twitter", At: t0.Add(time.Duration(i) * time.Second)}
	}
	var out outputs
	now := time.Now()
	off := int64(0)
	feed := func(ms ...leakwatch.Mention) {
		for _, m := range ms {
			s.take(p, rec(off, m), now, &out)
			off++
		}
		s.drain(p, true, &out)
	}
	feed(mention(1), mention(2), mention(3))
	feed(mention(2), mention(3)) // the redelivered batch
	if p.dups != 2 || len(out.dead) != 0 {
		t.Fatalf("skipped %d copies with %d dead letters; want 2 skipped, none dead", p.dups, len(out.dead))
	}
	// An hour later the copies are older than the lateness: refused as late, not counted.
	feed(mention(3600))
	feed(mention(3))
	if len(out.dead) != 1 || p.dups != 2 {
		t.Fatalf("old copy: %d dead letters, %d skipped; want it dead-lettered as late", len(out.dead), p.dups)
	}
	if st := d.Stats(); st.Late != 1 {
		t.Errorf("detect counted %d late mentions, want 1", st.Late)
	}
	// The late copy fed back from the dead-letter topic is refused again, with its reason:
	// it was never counted, so it is no copy of a counted mention.
	feed(mention(3))
	if len(out.dead) != 2 || p.dups != 2 {
		t.Fatalf("late mention fed back: %d dead letters, %d skipped; want it dead-lettered again", len(out.dead), p.dups)
	}
	// The same post at another time is a copy only within the lateness (5 min) of the
	// first, as in the batch analysis: 4 min after it, dropped; 5 min 30 s after it, counted.
	again := func(of, at int) leakwatch.Mention {
		m := mention(of)
		m.At = t0.Add(time.Duration(at) * time.Second)
		return m
	}
	feed(mention(3700), again(3700, 3700+240))
	if p.dups != 3 {
		t.Fatalf("copy 4 min after its post: %d skipped in all, want 3", p.dups)
	}
	feed(again(3700, 3700+330))
	if p.dups != 3 || len(out.dead) != 2 {
		t.Fatalf("copy 5 min 30 s after its post: %d skipped, %d dead letters; want it counted", p.dups, len(out.dead))
	}
}
