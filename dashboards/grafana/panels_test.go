package grafana_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := panelsDB(t, ctx, "all")

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

	// Groups and edges name accounts by handle: the scenario's accounts are Twitter user ids.
	handles := map[string]bool{}
	for _, p := range c.posts {
		handles[p.Author.Handle] = true
	}
	for _, c := range []struct{ board, title, column string }{
		{"leakwatch-overview", "Active coordinated groups", "first_movers"},
		{"leakwatch-coordination", "Coordinated groups", "first_movers"},
		{"leakwatch-coordination", "Strongest edges", "a"},
		{"leakwatch-coordination", "Strongest edges", "b"},
		{"leakwatch-coordination", "Accounts in coordinated groups", "account"},
	} {
		p := panel(t, c.board, c.title)
		rows := query(t, ctx, w, c.title, p.SQL, r, all)
		col := slices.Index(rows.Columns, c.column)
		for _, row := range rows.Rows {
			for _, name := range strings.Split(fmt.Sprint(row[col]), ", ") {
				if !handles[name] {
					t.Errorf("%s, %s: %q is not a handle of the campaign's accounts (row %v)", c.title, c.column, name, row)
				}
			}
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

type campaign struct {
	from, to time.Time
	posts    []leakwatch.Post
}

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
	return campaign{from: sc.Start, to: sc.Start.Add(time.Duration(sc.Days) * 24 * time.Hour), posts: posts}
}

func panel(t *testing.T, board, title string) grafana.PanelSpec {
	t.Helper()
	for _, b := range grafana.Boards() {
		for _, p := range b.Panels {
			if b.UID == board && p.Title == title {
				return p
			}
		}
	}
	t.Fatalf("no panel %q on %s", title, board)
	return grafana.PanelSpec{}
}

// A record's later version can carry an earlier time than the first (an edge or group that
// grew back in time, an alert whose incident moved, a calendar event re-imported with a
// corrected start), and so land in another month's partition. The panels show each record
// once, at its latest version, and not at all in a range holding only an older version
// (there the time filter skips the newer version's month, and FINAL alone would show the
// stale one); an alert that a newer alert replaced is not shown.
func TestPanelsShowLatestVersionAcrossMonths(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := panelsDB(t, ctx, "versions")

	may := time.Date(2017, 5, 1, 0, 10, 0, 0, time.UTC) // first version, in May
	april := may.Add(-20 * time.Minute)                 // the later version, back in April
	edge := func(weight int, first time.Time) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: leakwatch.KindURL, A: "acct1", B: "acct2", Weight: weight, First: first, Last: may.Add(time.Duration(weight) * time.Minute)}}
	}
	group := func(accounts []string, first time.Time) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-1", Accounts: accounts, First: first, Last: may.Add(time.Duration(len(accounts)) * time.Minute)}}
	}
	for _, sigs := range [][]leakwatch.Signal{
		{edge(2, may), group([]string{"acct1", "acct2", "acct3"}, may)},
		{edge(5, april), group([]string{"acct1", "acct2", "acct3", "acct4"}, april)},
	} {
		if err := w.InsertSignals(ctx, sigs); err != nil {
			t.Fatal(err)
		}
	}
	replaced := leakwatch.Alert{ID: "leak|domain:archive.org", Rule: "leak", Summary: "Possible leak on domain:archive.org", StartsAt: may.Add(5 * time.Minute), RaisedAt: may.Add(6 * time.Minute)}
	for _, as := range [][]leakwatch.Alert{
		{{ID: "leak|hashtag:macronleaks", Rule: "leak", Summary: "Possible leak on hashtag:macronleaks", StartsAt: may, RaisedAt: may.Add(time.Minute)}, replaced,
			// About a candidate the dashboard's candidate variable leaves out: not shown.
			{ID: "burst|candidate:lepen", Rule: "CandidateBurst", Candidate: "lepen", Summary: "Burst on candidate:lepen", StartsAt: may, RaisedAt: may.Add(3 * time.Minute)}},
		{{ID: "leak|hashtag:macronleaks", Rule: "leak", Summary: "Possible leak on hashtag:macronleaks", StartsAt: april, RaisedAt: may.Add(2 * time.Minute)},
			{ID: "leak|url:https://pastebin.com/x", Rule: "leak", Summary: "Possible leak on url:https://pastebin.com/x", StartsAt: may, RaisedAt: may.Add(7 * time.Minute), Supersedes: []string{replaced.ID}}},
	} {
		if err := w.InsertAlerts(ctx, as); err != nil {
			t.Fatal(err)
		}
	}
	// The debate's start is corrected later, into May.
	for _, start := range []time.Time{april, may} {
		cal := leakwatch.Calendar{Name: "fr", Timezone: "Europe/Paris", Events: []leakwatch.Event{{ID: "debate-r2", Kind: leakwatch.EventDebate, Title: "Débat", Start: start, End: start.Add(10 * time.Minute)}}}
		if err := w.InsertCalendar(ctx, cal); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // the import time (ms) orders the two versions
	}

	all := map[string][]string{"candidate": {"macron"}, "platform": {"twitter"}}
	run := func(r grafana.Range, what, sql string) [][]string {
		res := query(t, ctx, w, what, sql, r, all)
		var out [][]string
		for _, row := range res.Rows {
			var s []string
			for _, v := range row {
				s = append(s, fmt.Sprint(v))
			}
			out = append(out, s)
		}
		return out
	}
	column := func(rows [][]string, i int) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r[i])
		}
		return out
	}
	both := grafana.Range{From: april.Add(-time.Hour), To: may.Add(time.Hour), Interval: time.Hour}
	mayOnly := grafana.Range{From: may.Add(-5 * time.Minute), To: may.Add(time.Hour), Interval: time.Hour}
	pastebin, macronleaks := "Possible leak on url:https://pastebin.com/x", "Possible leak on hashtag:macronleaks"
	for _, c := range []struct {
		board, title string
		col          int
		both, may    []string // the column's values over both months, and over May only
	}{
		// Bucketed by the pair's first co-share: nothing in May.
		{"leakwatch-coordination", "Co-share edge weight over time", 2, []string{"5"}, nil},
		// Active into May: the latest version shows there, never the older one (3 accounts,
		// weight 2).
		{"leakwatch-coordination", "Strongest edges", 3, []string{"5"}, []string{"5"}},
		{"leakwatch-coordination", "Coordinated groups", 2, []string{"4"}, []string{"4"}},
		{"leakwatch-coordination", "Accounts in coordinated groups", 1, []string{"1", "1", "1", "1"}, []string{"1", "1", "1", "1"}},
		{"leakwatch-overview", "Coordinated groups", 0, []string{"1"}, []string{"1"}},
		{"leakwatch-overview", "Active coordinated groups", 2, []string{"4"}, []string{"4"}},
		// By when they were raised, both in May; the replaced alert nowhere.
		{"leakwatch-overview", "Newest alerts", 3, []string{pastebin, macronleaks}, []string{pastebin, macronleaks}},
	} {
		p := panel(t, c.board, c.title)
		if got := column(run(both, c.title, p.SQL), c.col); !slices.Equal(got, c.both) {
			t.Errorf("%s/%s over both months: %s %v, want %v", c.board, c.title, p.Columns[c.col], got, c.both)
		}
		if got := column(run(mayOnly, c.title, p.SQL), c.col); !slices.Equal(got, c.may) {
			t.Errorf("%s/%s over May only: %s %v, want %v", c.board, c.title, p.Columns[c.col], got, c.may)
		}
	}
	// Under "All", the candidate variable holds the alerts' candidates too (this database has
	// no mentions at all): no alert is hidden.
	everyCandidate := column(run(both, "variable candidate", grafana.Variables["candidate"].SQL), 0)
	if !slices.Equal(everyCandidate, []string{"lepen"}) {
		t.Errorf("candidate variable %v, want the alerts' candidate lepen", everyCandidate)
	}
	res := query(t, ctx, w, "Newest alerts", panel(t, "leakwatch-overview", "Newest alerts").SQL, both, map[string][]string{"candidate": everyCandidate, "platform": {"twitter"}})
	if len(res.Rows) != 3 {
		t.Errorf("Newest alerts with every candidate selected: %d rows, want 3 (the lepen burst with the two leaks)", len(res.Rows))
	}

	// The calendar's version in May is the newer: April alone must not show the stale start.
	aprilOnly := grafana.Range{From: april.Add(-time.Hour), To: may.Add(-5 * time.Minute), Interval: time.Hour}
	for _, c := range []struct {
		what, sql string
		col       int
		r         grafana.Range
		want      []string
	}{
		{"Campaign calendar", panel(t, "leakwatch-leak-timing", "Campaign calendar").SQL, 0, both, []string{may.Format("2006-01-02 15:04:05 -0700 MST")}},
		{"Campaign calendar", panel(t, "leakwatch-leak-timing", "Campaign calendar").SQL, 0, aprilOnly, nil},
		{"calendar annotation", grafana.CalendarAnnotationSQL, 0, both, []string{fmt.Sprint(may.UnixMilli())}},
		{"calendar annotation", grafana.CalendarAnnotationSQL, 0, aprilOnly, nil},
	} {
		if got := column(run(c.r, c.what, c.sql), c.col); !slices.Equal(got, c.want) {
			t.Errorf("%s from %s to %s: %v, want %v", c.what, c.r.From.Format(time.RFC3339), c.r.To.Format(time.RFC3339), got, c.want)
		}
	}
}

// The leak panels follow the candidate variable: an incident naming a chosen candidate shows,
// one naming only others does not, and one naming nobody always does; the alerts raised on
// them likewise.
func TestPanelsFollowTheCandidate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := panelsDB(t, ctx, "cand")
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	timing := &leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 3.4, Score: 0.9}
	var sigs []leakwatch.Signal
	// Records 0-3 name macron, lepen, no one, and both: a chosen macron keeps 0, 2 and 3.
	for i, c := range [][]string{{"macron"}, {"lepen"}, nil, {"lepen", "macron"}} {
		on := at.Add(time.Duration(i) * time.Minute)
		l := leakwatch.Leak{Object: fmt.Sprintf("url:https://pastebin.com/%d", i), Onset: on, Evidence: []string{"domain:pastebin.com"}, Candidates: c}
		b := leakwatch.Burst{Object: fmt.Sprintf("hashtag:b%d", i), Onset: on, Peak: on, End: on.Add(time.Minute), Count: 40 - i, Baseline: 1, Score: float64(20 - i), Timing: timing, Candidates: c}
		g := leakwatch.Group{ID: fmt.Sprintf("g-%d", i), Accounts: []string{fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i), fmt.Sprintf("c%d", i)}, ObjectKinds: []leakwatch.ObjectKind{"url"},
			First: on, Last: on.Add(time.Duration(10-i) * time.Minute), Candidates: c}
		sigs = append(sigs, leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &l}, leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &b}, leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &g})
	}
	if err := w.InsertSignals(ctx, sigs); err != nil {
		t.Fatal(err)
	}
	// An alert carries one candidate, its record's first: record 3's alerts say lepen. Raised
	// on a record naming macron too, they show under macron, as the record does; an alert
	// about lepen on no stored record (written before alerts.detection) does not.
	var alerts []leakwatch.Alert
	for i, sig := range sigs {
		first := ""
		if c := [][]string{{"macron"}, {"lepen"}, nil, {"lepen", "macron"}}[i/3]; len(c) > 0 {
			first = c[0]
		}
		alerts = append(alerts, leakwatch.Alert{ID: "alert|" + sig.Key(), Rule: string(sig.Kind), Object: sig.Key(), Candidate: first, Detection: sig.Key(),
			StartsAt: at.Add(time.Duration(i/3) * time.Minute), RaisedAt: at.Add(time.Duration(i) * time.Minute)})
	}
	alerts = append(alerts, leakwatch.Alert{ID: "alert|old", Rule: "burst", Object: "candidate:lepen", Candidate: "lepen", StartsAt: at, RaisedAt: at})
	if err := w.InsertAlerts(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	var alerted []string
	for i, sig := range sigs {
		if i/3 != 1 {
			alerted = append(alerted, sig.Key())
		}
	}
	slices.Sort(alerted)
	leaks := []string{"url:https://pastebin.com/0", "url:https://pastebin.com/2", "url:https://pastebin.com/3"}
	bursts := []string{"hashtag:b0", "hashtag:b2", "hashtag:b3"}
	r := grafana.Range{From: at.Add(-time.Hour), To: at.Add(time.Hour), Interval: time.Hour}
	for _, c := range []struct {
		board, title, col string
		want              []string
	}{
		{"leakwatch-leak-timing", "Leaks against the calendar", "object", leaks},
		{"leakwatch-leak-timing", "Hours to the vote at each leak", "object", leaks},
		{"leakwatch-leak-timing", "Bursts near silence periods and votes", "object", bursts},
		{"leakwatch-overview", "Active bursts", "object", bursts},
		{"leakwatch-overview", "Active coordinated groups", "id", []string{"group|g-0", "group|g-2", "group|g-3"}},
		{"leakwatch-overview", "Newest alerts", "object", alerted},
		{"leakwatch-coordination", "Coordinated groups", "first", []string{fmt.Sprint(at), fmt.Sprint(at.Add(2 * time.Minute)), fmt.Sprint(at.Add(3 * time.Minute))}},
		{"leakwatch-coordination", "Accounts in coordinated groups", "account", []string{"a0", "a2", "a3", "b0", "b2", "b3", "c0", "c2", "c3"}},
	} {
		p := panel(t, c.board, c.title)
		col := slices.Index(p.Columns, c.col)
		res := query(t, ctx, w, c.title, p.SQL, r, map[string][]string{"candidate": {"macron"}})
		var got []string
		for _, row := range res.Rows {
			got = append(got, fmt.Sprint(row[col]))
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s with candidate macron: %v, want %v", c.title, got, c.want)
		}
		if about := slices.Index(p.Columns, "about"); about >= 0 && len(res.Rows) == 3 {
			if got := fmt.Sprint(res.Rows[0][about], "/", res.Rows[1][about], "/", res.Rows[2][about]); !strings.Contains(got, "lepen, macron") {
				t.Errorf("%s: about column %q, want the candidates of record 3 (lepen, macron)", c.title, got)
			}
		}
	}
}

// An account is one row of "Accounts in coordinated groups" however its groups were stored:
// before the warehouse kept handles (ids only), with its handle, or under a newer handle after
// a rename. It is shown by its latest handle, and by its id while none is known.
func TestAccountsPanelOneRowPerAccount(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := panelsDB(t, ctx, "accounts")
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	group := func(id string, minute int, accounts, handles []string) leakwatch.Signal {
		on := at.Add(time.Duration(minute) * time.Minute)
		return leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: id, Accounts: accounts, AccountHandles: handles,
			ObjectKinds: []leakwatch.ObjectKind{"url"}, First: on, Last: on.Add(time.Minute)}}
	}
	sigs := []leakwatch.Signal{
		group("g-old", 0, []string{"111", "222"}, nil),                                   // stored without handles
		group("g-new", 1, []string{"111", "333", "444"}, []string{"alice", "carol", ""}), // 444's handle unknown
		group("g-renamed", 2, []string{"111", "333"}, []string{"alice_v2", "carol"}),
		group("g-ring-a", 3, []string{"555", "666"}, nil), // two groups that merged into g-ring:
		group("g-ring-b", 3, []string{"777", "666"}, nil), // their accounts count once, in it
	}
	ring := group("g-ring", 4, []string{"555", "666", "777"}, nil)
	ring.Group.Supersedes = []string{"g-ring-a", "g-ring-b"}
	sigs = append(sigs, ring)
	if err := w.InsertSignals(ctx, sigs); err != nil {
		t.Fatal(err)
	}
	p := panel(t, "leakwatch-coordination", "Accounts in coordinated groups")
	r := grafana.Range{From: at.Add(-time.Hour), To: at.Add(time.Hour), Interval: time.Hour}
	res := query(t, ctx, w, p.Title, p.SQL, r, map[string][]string{"candidate": {"macron"}})
	var got []string
	for _, row := range res.Rows {
		got = append(got, fmt.Sprint(row[0], "=", row[1]))
	}
	if want := []string{"alice_v2=3", "carol=2", "222=1", "444=1", "555=1", "666=1", "777=1"}; !slices.Equal(got, want) {
		t.Errorf("accounts and their groups: %v, want %v", got, want)
	}
}

// A vote made in code has no end (the warehouse stores the epoch): the calendar panel and the
// annotation must still draw it, as a point.
func TestCalendarPointWithoutEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := panelsDB(t, ctx, "point")
	vote := time.Date(2017, 5, 7, 6, 0, 0, 0, time.UTC)
	cal := leakwatch.Calendar{Name: "fr", Timezone: "Europe/Paris", Events: []leakwatch.Event{{ID: "vote-r2", Kind: leakwatch.EventVote, Title: "Second round", Start: vote}}}
	if err := w.InsertCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	r := grafana.Range{From: vote.Add(-time.Hour), To: vote.Add(time.Hour), Interval: time.Hour}
	for _, c := range []struct{ what, sql, want string }{
		{"Campaign calendar", panel(t, "leakwatch-leak-timing", "Campaign calendar").SQL, fmt.Sprint(vote)},
		{"calendar annotation", grafana.CalendarAnnotationSQL, fmt.Sprint(vote.UnixMilli())},
	} {
		res := query(t, ctx, w, c.what, c.sql, r, nil)
		if len(res.Rows) != 1 || fmt.Sprint(res.Rows[0][1]) != c.want {
			t.Errorf("%s: rows %v, want the vote ending at its start (%s)", c.what, res.Rows, c.want)
		}
	}
}

// panelsDB opens a fresh warehouse database for one test, dropped when it ends.
func panelsDB(t *testing.T, ctx context.Context, name string) *warehouse.Warehouse {
	t.Helper()
	db := fmt.Sprintf("lw_panels_%s_%d", name, time.Now().UnixNano())
	cfg := warehouse.DefaultConfig()
	cfg.Addr, cfg.Database = testenv.ClickHouse(t), db
	w, err := warehouse.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run after defers: dropping needs the connection still open.
	t.Cleanup(func() {
		w.Query(context.Background(), "DROP DATABASE IF EXISTS "+db)
		w.Close()
	})
	return w
}

// A calendar without a silence (the US 2016 campaign) or without a vote ahead stores 0 hours
// to it; the timing panels show an empty cell there, as the report shows "—", and still the
// hours to an event the calendar has.
func TestTimingPanelsLeaveHoursEmptyWithoutTheEvent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := panelsDB(t, ctx, "timing")
	at := time.Date(2016, 7, 22, 14, 0, 0, 0, time.UTC) // the DNC e-mails
	timings := map[string]leakwatch.Timing{
		"vote-only": {NextVote: "vote", HoursToVote: 2585.5},
		"both":      {Silence: "silence-r2", HoursToSilence: 3.4, NextVote: "vote-r2", HoursToVote: 39.4, Score: 0.9},
		"none":      {},
	}
	var sigs []leakwatch.Signal
	for name, tm := range timings {
		l := leakwatch.Leak{Object: "hashtag:" + name, Onset: at, Start: at, Evidence: []string{"domain:wikileaks.org"}, Timing: tm}
		b := leakwatch.Burst{Object: "hashtag:" + name, Onset: at, Peak: at, End: at.Add(time.Minute), Count: 40, Baseline: 1, Score: 20, Timing: &tm}
		sigs = append(sigs, leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &l}, leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &b})
	}
	if err := w.InsertSignals(ctx, sigs); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{ // object -> column -> cell
		"hashtag:vote-only": {"hours_to_silence": "NULL", "hours_to_vote": "2585.5"},
		"hashtag:both":      {"hours_to_silence": "3.4", "hours_to_vote": "39.4"},
		"hashtag:none":      {"hours_to_silence": "NULL", "hours_to_vote": "NULL"},
	}
	r := grafana.Range{From: at.Add(-time.Hour), To: at.Add(time.Hour), Interval: time.Hour}
	for _, title := range []string{"Leaks against the calendar", "Hours to the vote at each leak", "Bursts near silence periods and votes"} {
		p := panel(t, "leakwatch-leak-timing", title)
		res := query(t, ctx, w, title, p.SQL, r, map[string][]string{"candidate": {"clinton"}})
		if len(res.Rows) != len(want) {
			t.Errorf("%s: %d rows, want %d", title, len(res.Rows), len(want))
		}
		obj := slices.Index(res.Columns, "object")
		for _, row := range res.Rows {
			o := fmt.Sprint(row[obj])
			for col, cell := range want[o] {
				if i := slices.Index(res.Columns, col); i >= 0 {
					if got := nullable(row[i]); got != cell {
						t.Errorf("%s, %s: %s %s, want %s", title, o, col, got, cell)
					}
				}
			}
		}
		if title == "Bursts near silence periods and votes" && len(res.Rows) > 0 && res.Rows[0][obj] != "hashtag:both" {
			t.Errorf("%s: first %v, want the burst before the silence (timing score 0.9)", title, res.Rows[0][obj])
		}
	}
}

// nullable prints a cell of a Nullable column: NULL, or the value.
func nullable(v any) string {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "NULL"
		}
		return fmt.Sprint(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}
