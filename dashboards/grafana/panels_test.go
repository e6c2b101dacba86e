package grafana_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/collectors/scenario"
	"github.com/leakwatch/leakwatch/collectors/twitter"
	"github.com/leakwatch/leakwatch/dashboards/grafana"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/warehouse"
)

// TestPanelSQLOnClickHouse runs every panel's SQL, the variables' and the calendar
// annotation's, with the macros expanded for a fixed range as Grafana would, against the real
// ClickHouse holding a generated campaign and its detections, and checks each returns rows
// with the columns it draws. The time each query took is logged (-v).
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

// loadCampaign stores a generated campaign the way the sink does: a three-day scenario
// around the French run-off's Friday (organic chatter, a leak dump amplified by a bot
// network, a retweet ring, a site defacement), its posts and their mentions, and what the
// detectors and alert rules make of it, with the calendar.
func loadCampaign(t *testing.T, ctx context.Context, w *warehouse.Warehouse) campaign {
	t.Helper()
	sc := scenario.DefaultConfig()
	sc.Seed = 3
	sc.Start = time.Date(2017, 5, 3, 22, 0, 0, 0, time.UTC) // 4 May, midnight in Paris
	sc.Days = 3
	sc.Accounts = 1500
	gen, err := scenario.Generate(sc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.DefaultConfig()
	cal := scenario.Calendar()
	cfg.Calendar = &cal
	cfg.Entities.Candidates = scenario.Candidates()
	ex, err := pipeline.NewExtract(cfg)
	if err != nil {
		t.Fatal(err)
	}
	posts := make([]leakwatch.Post, 0, len(gen.Tweets))
	var mentions []leakwatch.Mention
	for i, raw := range gen.Tweets {
		p, err := twitter.DecodeV1(raw)
		if err != nil {
			t.Fatalf("tweet %d: %v", i, err)
		}
		p.ObservedAt = p.CreatedAt
		posts = append(posts, p)
		mentions = ex.AppendMentions(mentions, p)
	}
	res, err := pipeline.Analyze(cfg, slices.Values(posts), gen.Changes)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scenario seed %d: %d posts, %d mentions, %d site changes; %+v; %d alerts",
		sc.Seed, len(posts), len(mentions), len(gen.Changes), res.Summary, len(res.Alerts))
	for _, step := range []func() error{
		func() error { return w.InsertPosts(ctx, posts) },
		func() error { return w.InsertMentions(ctx, mentions) },
		func() error { return w.InsertCalendar(ctx, cal) },
		func() error { return w.InsertSignals(ctx, res.Signals) },
		func() error { return w.InsertSiteChanges(ctx, gen.Changes) },
		func() error { return w.InsertAlerts(ctx, res.Alerts) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	return campaign{from: sc.Start, to: sc.Start.Add(time.Duration(sc.Days) * 24 * time.Hour)}
}
