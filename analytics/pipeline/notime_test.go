package pipeline

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

// A mention of a post without created_at is refused for that, also once the watermark has
// moved on: it lies before any horizon, and was dead-lettered as "late at
// 0001-01-01T00:00:00Z", which sent a reader looking for a delay, and counted as late.
func TestTimelessMentionIsRefusedForItsTime(t *testing.T) {
	d, err := NewDetect(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)
	for i := range 30 {
		at := t0.Add(time.Duration(i) * time.Minute)
		if err := d.Add(leakwatch.Mention{Object: "hashtag:x", Account: "a", Post: "p", Platform: "twitter", At: at}); err != nil {
			t.Fatal(err)
		}
		d.Advance(at)
	}
	timeless := leakwatch.Mention{Object: "hashtag:x", Account: "b", Post: "nocreated", Platform: "twitter"}
	err = d.Add(timeless)
	var late *LateError
	if err == nil || errors.As(err, &late) || !strings.Contains(err.Error(), "no event time") {
		t.Errorf("timeless mention: %v; want it refused for having no event time", err)
	}
	var refused []Refused
	d.addObjects(&timeless, []string{"hashtag:x", "url:https://a.example/"}, &refused)
	if len(refused) != 2 || !strings.Contains(refused[1].Reason, "url:https://a.example/") || !strings.Contains(refused[1].Reason, "no event time") {
		t.Errorf("timeless post's objects: %+v", refused)
	}
	if st := d.Stats(); st.Late != 0 {
		t.Errorf("%d counted as late", st.Late)
	}
}

// Finish asks Err as it reports progress, and stops with its error: Ctrl-C during the
// detection of a large archive was ignored until the end, which wrote full results and
// exited 0.
func TestFinishStopsWhenAsked(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Workers = 1
	b, err := NewBatch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)
	ps := make([]leakwatch.Post, 40_000)
	for i := range ps {
		id := strconv.Itoa(i)
		ps[i] = leakwatch.Post{Platform: "twitter", ID: id, URI: "https://twitter.com/i/status/" + id, CreatedAt: t0.Add(time.Duration(i) * time.Second),
			Author: leakwatch.Account{ID: "a" + strconv.Itoa(i%500)}, Text: "post " + id, Hashtags: []string{"h" + strconv.Itoa(i%50)}}
	}
	if err := b.PostAll(ps); err != nil {
		t.Fatal(err)
	}
	asked := 0
	b.Err = func() error {
		if asked++; asked == 1 {
			return context.Canceled
		}
		return nil
	}
	if _, err := b.Finish(); !errors.Is(err, context.Canceled) || asked != 1 {
		t.Errorf("Finish: %v after asking %d times; want it stopped at the first answer", err, asked)
	}
}
