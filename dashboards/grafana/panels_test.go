package grafana_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/dashboards/grafana"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/warehouse"
)

// TestPanelSQLOnClickHouse runs every panel's SQL, the variables' and the calendar
// annotation's, with the macros expanded for a fixed range as Grafana would, against the real
// ClickHouse holding a campaign, and checks each returns rows with the columns it draws.
func TestPanelSQLOnClickHouse(t *testing.T) {
	addr := testenv.ClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	db := fmt.Sprintf("lw_panels_%d", time.Now().UnixNano())
	cfg := warehouse.DefaultConfig()
	cfg.Addr, cfg.Database = addr, db
	w, err := warehouse.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run after defers: dropping needs the connection still open.
	t.Cleanup(func() {
		w.Query(context.Background(), "DROP DATABASE IF EXISTS "+db)
		w.Close()
	})

	c := loadCampaign(t, ctx, w)

	r := grafana.Range{From: c.from, To: c.to, Interval: 10 * time.Minute}
	all := map[string][]string{}
	for name, v := range grafana.Variables {
		rows := query(t, ctx, w, "variable "+name, v.SQL, r, nil)
		if len(rows.Rows) == 0 {
			t.Errorf("variable %s: no values", name)
		}
		for _, row := range rows.Rows {
			all[name] = append(all[name], fmt.Sprint(row[0]))
		}
	}
	if !slices.Contains(all["candidate"], "macron") {
		t.Errorf("candidate variable values %v lack macron", all["candidate"])
	}
	anno := query(t, ctx, w, "calendar annotation", grafana.CalendarAnnotationSQL, r, all)
	if !slices.Equal(anno.Columns, []string{"time", "timeEnd", "text", "tags"}) || len(anno.Rows) == 0 {
		t.Errorf("calendar annotation: columns %v, %d rows", anno.Columns, len(anno.Rows))
	}

	for _, b := range grafana.Boards() {
		for _, p := range b.Panels {
			t.Run(b.UID+"/"+p.Title, func(t *testing.T) {
				start := time.Now()
				rows := query(t, ctx, w, p.Title, p.SQL, r, all)
				t.Logf("%d rows in %v", len(rows.Rows), time.Since(start).Round(time.Millisecond))
				if !slices.Equal(rows.Columns, p.Columns) {
					t.Fatalf("columns %v, want %v", rows.Columns, p.Columns)
				}
				if len(rows.Rows) == 0 {
					t.Fatalf("no rows for a campaign that has data for this panel")
				}
			})
		}
	}

	// A variable narrowed to one candidate narrows the candidate panel.
	one := grafana.Range{From: c.from, To: c.to, Interval: 10 * time.Minute, Vars: map[string][]string{"candidate": {"lepen"}}}
	vol := query(t, ctx, w, "volume per candidate", grafana.Boards()[0].Panels[4].SQL, one, all)
	for _, row := range vol.Rows {
		if row[1] != "lepen" {
			t.Fatalf("candidate filter let %v through", row)
		}
	}
}

func query(t *testing.T, ctx context.Context, w *warehouse.Warehouse, what, sql string, r grafana.Range, all map[string][]string) warehouse.Result {
	t.Helper()
	q, err := grafana.Expand(sql, r, all)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	res, err := w.Query(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, q)
	}
	return res
}

type campaign struct{ from, to time.Time }

// loadCampaign writes a small campaign the way the sink does: posts, their mentions, the
// calendar, and one signal of each kind, a site change and an alert.
func loadCampaign(t *testing.T, ctx context.Context, w *warehouse.Warehouse) campaign {
	t.Helper()
	paris, _ := time.LoadLocation("Europe/Paris")
	t0 := time.Date(2017, 5, 5, 18, 0, 0, 0, paris)
	var posts []leakwatch.Post
	var mentions []leakwatch.Mention
	for i := range 600 {
		at := t0.Add(time.Duration(i) * 30 * time.Second)
		cand := []string{"macron", "lepen"}[i%2]
		p := leakwatch.Post{Platform: []string{"twitter", "mastodon"}[i%3/2], ID: fmt.Sprint(i), URI: fmt.Sprintf("https://twitter.com/i/status/%d", i),
			CreatedAt: at, ObservedAt: at, Author: leakwatch.Account{ID: fmt.Sprint("acct", i%40), Handle: fmt.Sprint("acct", i%40)},
			Text: "post about " + cand, Hashtags: []string{"presidentielle2017"}}
		posts = append(posts, p)
		ev := []string(nil)
		if i%5 == 0 {
			ev = []string{"domain:pastebin.com"}
		}
		for _, obj := range []string{leakwatch.AllPosts, "candidate:" + cand, "hashtag:presidentielle2017"} {
			mentions = append(mentions, leakwatch.Mention{Object: obj, Account: p.Author.ID, Post: p.URI, Platform: p.Platform, At: at, Evidence: ev})
		}
	}
	leakAt := time.Date(2017, 5, 5, 20, 35, 0, 0, paris)
	timing := &leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 3.42, NextVote: "vote-r2", HoursToVote: 35.4, Score: 0.9}
	cal := leakwatch.Calendar{Name: "France presidential 2017", Timezone: "Europe/Paris", Events: []leakwatch.Event{
		{ID: "silence-r2", Kind: "silence", Title: "Campaign silence", Start: time.Date(2017, 5, 6, 0, 0, 0, 0, paris), End: time.Date(2017, 5, 7, 20, 0, 0, 0, paris)},
		{ID: "vote-r2", Kind: "vote", Title: "Run-off", Start: time.Date(2017, 5, 7, 8, 0, 0, 0, paris), End: time.Date(2017, 5, 7, 20, 0, 0, 0, paris)},
	}}
	signals := []leakwatch.Signal{
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:macronleaks", Onset: leakAt, Peak: leakAt.Add(10 * time.Minute), End: leakAt.Add(time.Hour), Count: 300, Baseline: 2, Score: 30, Accounts: 40, Timing: timing,
			Calendar: []leakwatch.CalendarRef{{Event: "silence-r2", Kind: "silence", OffsetS: -12300}}}},
		{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: leakwatch.KindNearText, A: "bot1", B: "bot2", Weight: 4, First: leakAt, Last: leakAt.Add(time.Hour), Score: 3}},
		{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g1", Accounts: []string{"bot1", "bot2"}, ObjectKinds: []leakwatch.ObjectKind{leakwatch.KindNearText}, First: leakAt, Last: leakAt.Add(time.Hour),
			Objects: []string{"neartext:ab12"}, FirstMovers: []string{"bot1"}, Edges: 1, Score: 3}},
		{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:macronleaks", Onset: leakAt, Evidence: []string{"domain:pastebin.com", "term:leak"}, Timing: *timing}},
	}
	change := leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: leakAt.Add(-time.Hour), Changed: []string{"content", "title", "tls"}, Status: 200,
		Title: "hacked", Diff: "-Bienvenue\n+Hacked by x\n", TLSSHA256: "ab", TLSNotAfter: leakAt.Add(90 * 24 * time.Hour), Defacement: true, Reasons: []string{"text replaced"}}
	alert := leakwatch.Alert{ID: "a1", Rule: "leak-near-silence", Severity: "critical", Kind: leakwatch.SignalLeak, Object: "hashtag:macronleaks", Candidate: "macron",
		Summary: "leak 3.4 h before the silence", StartsAt: leakAt, RaisedAt: leakAt}

	for _, step := range []error{
		w.InsertPosts(ctx, posts), w.InsertMentions(ctx, mentions), w.InsertCalendar(ctx, cal),
		w.InsertSignals(ctx, signals), w.InsertSiteChanges(ctx, []leakwatch.SiteChange{change}), w.InsertAlerts(ctx, []leakwatch.Alert{alert}),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	return campaign{from: t0.Add(-time.Hour), to: time.Date(2017, 5, 8, 0, 0, 0, 0, paris)}
}
