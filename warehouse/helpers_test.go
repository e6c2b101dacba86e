package warehouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// openTest opens a warehouse on a database of its own (dropped at the end), so tests and
// concurrent runs never see each other's rows.
func openTest(t testing.TB, name string, edit ...func(*Config)) *Warehouse {
	t.Helper()
	cfg := testConfig(t, name)
	for _, e := range edit {
		e(&cfg)
	}
	ctx := context.Background()
	w, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+cfg.Database); err != nil {
			t.Errorf("drop test database %s: %v", cfg.Database, err)
		}
		w.Close()
	})
	return w
}

func testConfig(t testing.TB, name string) Config {
	cfg := DefaultConfig()
	cfg.Addr = testenv.ClickHouse(t)
	var b [4]byte
	rand.Read(b[:])
	cfg.Database = "lwtest_" + name + "_" + hex.EncodeToString(b[:])
	return cfg
}

var t0 = time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC) // #MacronLeaks

// fixture is one delivery of everything the sink stores, with second-resolution UTC times
// so what is read back can be compared exactly.
type fixture struct {
	posts    []leakwatch.Post
	mentions []leakwatch.Mention
	signals  []leakwatch.Signal
	changes  []leakwatch.SiteChange
	alerts   []leakwatch.Alert
	calendar leakwatch.Calendar
}

// newFixture has n posts by 17 accounts over both sides of a month boundary (so rows land
// in two partitions), each mentioning one of two candidates and some a hashtag.
func newFixture(n int) fixture {
	var f fixture
	start := time.Date(2017, 4, 30, 22, 0, 0, 0, time.UTC)
	for i := range n {
		at := start.Add(time.Duration(i*97%14400) * time.Second) // spread over 4 hours, unordered
		acc := fmt.Sprintf("acct%02d", i%17)
		p := leakwatch.Post{
			Platform: leakwatch.PlatformTwitter, ID: fmt.Sprint(1000 + i), URI: fmt.Sprintf("twitter:status/%d", 1000+i),
			CreatedAt: at, ObservedAt: at.Add(3 * time.Second),
			Author: leakwatch.Account{ID: acc, Handle: "h_" + acc, Followers: int64(i * 10)},
			Text:   fmt.Sprintf("post %d l'élection #MacronLeaks", i), Lang: "fr",
			Hashtags: []string{"MacronLeaks"},
			URLs:     []leakwatch.Link{{Raw: "https://t.co/x", Expanded: "https://pastebin.com/abc", Normalized: "https://pastebin.com/abc", Domain: "pastebin.com"}},
			Raw:      []byte(fmt.Sprintf(`{"id":%d}`, 1000+i)),
		}
		f.posts = append(f.posts, p)
		cand := "candidate:macron"
		if i%3 == 0 {
			cand = "candidate:lepen"
		}
		f.mentions = append(f.mentions,
			leakwatch.Mention{Object: leakwatch.AllPosts, Account: acc, Post: p.URI, Platform: p.Platform, At: at},
			leakwatch.Mention{Object: cand, Account: acc, Post: p.URI, Platform: p.Platform, At: at})
		if i%2 == 0 {
			f.mentions = append(f.mentions, leakwatch.Mention{Object: "hashtag:macronleaks", Account: acc, Post: p.URI, Platform: p.Platform, At: at, Evidence: []string{"term:leaks"}})
		}
	}
	timing := &leakwatch.Timing{InSilence: false, Silence: "silence-r2", HoursToSilence: 3.4, NextVote: "vote-r2", HoursToVote: 27.4, Score: 0.9}
	cal := []leakwatch.CalendarRef{{Event: "silence-r2", Kind: "silence", OffsetS: -12300}}
	f.signals = []leakwatch.Signal{
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:macronleaks", Onset: t0, Peak: t0.Add(10 * time.Minute), End: t0.Add(40 * time.Minute), Count: 120, Baseline: 2.5, Score: 11.2, Accounts: 40, Evidence: []string{"domain:pastebin.com"}, Calendar: cal, Timing: timing}},
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "candidate:macron", Onset: t0.Add(-48 * time.Hour), Peak: t0.Add(-47 * time.Hour), End: t0.Add(-46 * time.Hour), Count: 30, Baseline: 10, Score: 3}},
		{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: leakwatch.KindURL, A: "acct01", B: "acct02", Weight: 3, First: t0, Last: t0.Add(time.Minute), Score: 1.5}},
		{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: leakwatch.KindHashtag, A: "acct01", B: "acct03", Weight: 2, First: t0.Add(time.Minute), Last: t0.Add(2 * time.Minute)}},
		{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-1", Accounts: []string{"acct01", "acct02", "acct03"}, ObjectKinds: []leakwatch.ObjectKind{leakwatch.KindURL, leakwatch.KindHashtag}, First: t0, Last: t0.Add(2 * time.Minute), Objects: []string{"url:https://pastebin.com/abc"}, FirstMovers: []string{"acct01"}, Edges: 2, Evidence: []string{"domain:pastebin.com"}, EvidenceFirst: t0.Add(time.Minute), EvidenceLast: t0.Add(2 * time.Minute), Score: 4, Calendar: cal, Timing: timing}},
		{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:macronleaks", Onset: t0, Start: t0.Add(-2 * time.Minute), Evidence: []string{"domain:pastebin.com", "term:leaks"}, Calendar: cal, Timing: *timing, Score: 0.95}},
	}
	f.changes = []leakwatch.SiteChange{
		{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: t0.Add(-time.Hour), Changed: []string{"content", "title"}, Status: 200, TextHash: "b", PrevTextHash: "a", Title: "Hacked", Diff: "-a\n+b", Defacement: true, Reasons: []string{"text mostly replaced"}, TLSNotAfter: time.Date(2017, 8, 1, 0, 0, 0, 0, time.UTC)},
		{Target: "fn", URL: "https://fn.fr/", ObservedAt: t0.Add(-2 * time.Hour), Changed: []string{"unreachable"}, Error: "dial tcp: timeout"},
	}
	f.alerts = []leakwatch.Alert{
		{ID: "leak|hashtag:macronleaks", Rule: "leak-before-silence", Severity: "critical", Kind: leakwatch.SignalLeak, Object: "hashtag:macronleaks", Candidate: "macron", Summary: "leak 3.4 h before silence", Evidence: []string{"domain:pastebin.com"}, StartsAt: t0, RaisedAt: t0.Add(5 * time.Minute), Labels: map[string]string{"campaign": "fr-2017", "team": "cert"}},
		{ID: "burst|candidate:macron", Rule: "burst", Severity: "warning", Kind: leakwatch.SignalBurst, StartsAt: t0.Add(-48 * time.Hour), RaisedAt: t0.Add(-48 * time.Hour)},
	}
	paris := 2 * time.Hour
	f.calendar = leakwatch.Calendar{Name: "fr-2017-presidential", Timezone: "Europe/Paris", Events: []leakwatch.Event{
		{ID: "debate-r2", Kind: leakwatch.EventDebate, Title: "Débat de l'entre-deux-tours", Start: time.Date(2017, 5, 3, 21, 0, 0, 0, time.UTC).Add(-paris), End: time.Date(2017, 5, 3, 23, 30, 0, 0, time.UTC).Add(-paris)},
		{ID: "silence-r2", Kind: leakwatch.EventSilence, Title: "Campaign silence", Start: time.Date(2017, 5, 6, 0, 0, 0, 0, time.UTC).Add(-paris), End: time.Date(2017, 5, 7, 20, 0, 0, 0, time.UTC).Add(-paris)},
		{ID: "vote-r2", Kind: leakwatch.EventVote, Title: "Second round", Start: time.Date(2017, 5, 7, 8, 0, 0, 0, time.UTC).Add(-paris)},
	}}
	return f
}

func (f fixture) insert(t testing.TB, w *Warehouse) {
	t.Helper()
	ctx := context.Background()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"posts", func() error { return w.InsertPosts(ctx, f.posts) }},
		{"mentions", func() error { return w.InsertMentions(ctx, f.mentions) }},
		{"signals", func() error { return w.InsertSignals(ctx, f.signals) }},
		{"site changes", func() error { return w.InsertSiteChanges(ctx, f.changes) }},
		{"alerts", func() error { return w.InsertAlerts(ctx, f.alerts) }},
		{"calendar", func() error { return w.InsertCalendar(ctx, f.calendar) }},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			t.Fatalf("insert %s: %v", s.name, err)
		}
	}
}

func countsMap(t testing.TB, w *Warehouse) map[string]uint64 {
	t.Helper()
	cs, err := w.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]uint64{}
	for _, c := range cs {
		m[c.Table] = c.Events
	}
	return m
}

func scalar(t testing.TB, w *Warehouse, query string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := w.conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", strings.Join(strings.Fields(query), " "), err)
	}
	return n
}
