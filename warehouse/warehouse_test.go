package warehouse

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/volume"
)

func TestMigrationsApplyOnceThenNoOp(t *testing.T) {
	w := openTest(t, "migrate")
	ctx := context.Background()

	v, err := w.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != LatestSchemaVersion() {
		t.Fatalf("schema version %d after Open on an empty server, want %d", v, LatestSchemaVersion())
	}
	res, err := w.Query(ctx, "SELECT name FROM system.tables WHERE database = ? ORDER BY name", w.Database())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, r[0].(string))
	}
	want := append(EventTables(), "calendar_events", "mentions_per_minute_mv", "schema_migrations")
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("tables:\n got %v\nwant %v", got, want)
	}
	recorded := scalar(t, w, "SELECT count() FROM schema_migrations")

	// Again on the same connection, and as a restarted writer would.
	if err := w.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	again, err := Open(ctx, w.cfg, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer again.Close()
	if v2, err := again.SchemaVersion(ctx); err != nil || v2 != v {
		t.Fatalf("schema version after re-applying: %d, %v; want %d", v2, err, v)
	}
	if n := scalar(t, w, "SELECT count() FROM schema_migrations"); n != recorded || n != uint64(len(migrations)) {
		t.Fatalf("schema_migrations holds %d rows after re-applying, want %d (one per migration)", n, len(migrations))
	}
}

// A warehouse created by a binary that knew only the first schema version is brought up to
// date on Open, keeps its rows, and can then store what the new columns hold.
func TestMigrateUpgradesAnOlderWarehouse(t *testing.T) {
	all := migrations
	migrations = all[:1]
	w := openTest(t, "upgrade")
	migrations = all
	ctx := context.Background()
	old := leakwatch.Alert{ID: "leak|domain:archive.org|2017-05-05T18:38:00Z", Rule: "leak", StartsAt: t0, RaisedAt: t0}
	b, err := w.conn.PrepareBatch(ctx, "INSERT INTO alerts (id, rule, starts_at, raised_at, version)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(old.ID, old.Rule, old.StartsAt, old.RaisedAt, uint64(1)); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	if v, err := w.SchemaVersion(ctx); err != nil || v != 1 {
		t.Fatalf("schema version before the upgrade: %d, %v; want 1", v, err)
	}

	again, err := Open(ctx, w.cfg, nil)
	if err != nil {
		t.Fatalf("open with the newer binary: %v", err)
	}
	defer again.Close()
	if v, err := again.SchemaVersion(ctx); err != nil || v != LatestSchemaVersion() {
		t.Fatalf("schema version after the upgrade: %d, %v; want %d", v, err, LatestSchemaVersion())
	}
	// The column is there already: adding it again (a second writer, a retried step) is harmless.
	if err := again.addColumn(ctx, column{"alerts", "supersedes", "Array(String)"}); err != nil {
		t.Fatalf("adding an existing column: %v", err)
	}
	newer := leakwatch.Alert{ID: "leak|url:https://pastebin.com/x|2017-05-05T18:35:00Z", Rule: "leak", StartsAt: t0, RaisedAt: t0.Add(time.Minute), Supersedes: []string{old.ID},
		Detection: "leak|url:https://pastebin.com/x|2017-05-05T18:35:00Z"}
	if err := again.InsertAlerts(ctx, []leakwatch.Alert{newer}); err != nil {
		t.Fatal(err)
	}
	got, err := again.Alerts(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != newer.ID || !slices.Equal(got[0].Supersedes, []string{old.ID}) || got[0].Detection != newer.Detection {
		t.Fatalf("alerts after the upgrade: %+v, want only %s, naming the alert it replaced and its record", got, newer.ID)
	}
	g := leakwatch.Group{ID: "g-net", Accounts: []string{"a", "b", "c"}, First: t0.Add(-48 * time.Hour), Last: t0.Add(time.Hour),
		Evidence: []string{"term:#macronleaks"}, EvidenceFirst: t0.Add(4 * time.Minute), EvidenceLast: t0.Add(50 * time.Minute), Candidates: []string{"macron"},
		FirstMovers: []string{"853883402931493550", "b"}, FirstMoverHandles: []string{"leak_relay", ""}, AccountHandles: []string{"", "bravo", ""}}
	b1 := leakwatch.Burst{Object: "candidate:lepen", Onset: t0, Peak: t0, End: t0.Add(time.Minute), Count: 30, Candidates: []string{"lepen"}, Learning: true}
	b2 := leakwatch.Burst{Object: "hashtag:dncleaks", Onset: t0, Peak: t0, End: t0.Add(time.Hour), Count: 39, Slow: true}
	if err := again.InsertSignals(ctx, []leakwatch.Signal{{Kind: leakwatch.SignalGroup, Group: &g}, {Kind: leakwatch.SignalBurst, Burst: &b1}, {Kind: leakwatch.SignalBurst, Burst: &b2}}); err != nil {
		t.Fatal(err)
	}
	groups, err := again.Groups(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || !groups[0].EvidenceFirst.Equal(g.EvidenceFirst) || !groups[0].EvidenceLast.Equal(g.EvidenceLast) || !slices.Equal(groups[0].Candidates, g.Candidates) {
		t.Fatalf("groups after the upgrade: %+v, want g-net about macron passing the dump round from %s to %s", groups, g.EvidenceFirst, g.EvidenceLast)
	}
	if !slices.Equal(groups[0].FirstMoverHandles, g.FirstMoverHandles) || !slices.Equal(groups[0].AccountHandles, g.AccountHandles) {
		t.Errorf("first movers %v named %q, accounts %v named %q; want %q and %q", groups[0].FirstMovers, groups[0].FirstMoverHandles,
			groups[0].Accounts, groups[0].AccountHandles, g.FirstMoverHandles, g.AccountHandles)
	}
	ed := leakwatch.Edge{ObjectKind: leakwatch.KindURL, A: "541321667014617081", B: "853883402931493550", AHandle: "patriote_75", Weight: 3, First: t0, Last: t0.Add(time.Minute)}
	if err := again.InsertSignals(ctx, []leakwatch.Signal{{Kind: leakwatch.SignalEdge, Edge: &ed}}); err != nil {
		t.Fatal(err)
	}
	if edges, err := again.Edges(ctx, t0.Add(-time.Hour), t0.Add(time.Hour)); err != nil || len(edges) != 1 || edges[0] != ed {
		t.Errorf("edges after the upgrade: %+v (%v), want %+v", edges, err, ed)
	}
	bursts, err := again.Bursts(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(bursts, func(a, b leakwatch.Burst) int { return strings.Compare(a.Object, b.Object) })
	if len(bursts) != 2 || !slices.Equal(bursts[0].Candidates, b1.Candidates) || !bursts[0].Learning || bursts[0].Slow || !bursts[1].Slow {
		t.Fatalf("bursts after the upgrade: %+v, want the burst naming lepen, its baseline learning, and the slow one", bursts)
	}
	l := leakwatch.Leak{Object: "hashtag:macronleaks", Onset: t0, Evidence: []string{"term:#macronleaks"}, Candidates: []string{"macron"}}
	if err := again.InsertSignals(ctx, []leakwatch.Signal{{Kind: leakwatch.SignalLeak, Leak: &l}}); err != nil {
		t.Fatal(err)
	}
	leaks, err := again.Leaks(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(leaks) != 1 || !slices.Equal(leaks[0].Candidates, l.Candidates) {
		t.Fatalf("leaks after the upgrade: %+v, want the incident naming macron", leaks)
	}
}

func TestOpenReadOnlyOnMissingDatabaseFails(t *testing.T) {
	cfg := testConfig(t, "missing")
	cfg.SkipMigrations = true
	w, err := Open(context.Background(), cfg, nil)
	if err == nil {
		w.Close()
		t.Fatal("Open with skip_migrations on a missing database: want an error")
	}
	if !strings.Contains(err.Error(), cfg.Database) || !strings.Contains(err.Error(), "leakwatch sink") {
		t.Fatalf("error does not name the database %s and how to create it: %v", cfg.Database, err)
	}
}

// snapshot is everything a dashboard or report reads back.
type snapshot struct {
	counts     map[string]uint64
	finalPosts uint64
	volume     []VolumePoint
	top        []ObjectCount
	postVolume []PlatformPoint
	bursts     []leakwatch.Burst
	edges      []leakwatch.Edge
	groups     []leakwatch.Group
	leaks      []leakwatch.Leak
	changes    []leakwatch.SiteChange
	alerts     []leakwatch.Alert
	calendar   leakwatch.Calendar
	signals    []leakwatch.Signal
	series     []volume.Series
}

func takeSnapshot(t *testing.T, w *Warehouse) snapshot {
	t.Helper()
	ctx := context.Background()
	from, to := time.Date(2017, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)
	s := snapshot{counts: countsMap(t, w), finalPosts: scalar(t, w, "SELECT count() FROM posts FINAL")}
	var err error
	must := func(what string, err error) {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	s.volume, err = w.Volume(ctx, VolumeQuery{Objects: []string{leakwatch.AllPosts, "candidate:macron", "candidate:lepen", "hashtag:macronleaks"}, From: from, To: to, Step: 30 * time.Minute})
	must("volume", err)
	s.top, err = w.TopObjects(ctx, leakwatch.KindCandidate, from, to, 10)
	must("top objects", err)
	s.postVolume, err = w.PostVolume(ctx, from, to, time.Hour)
	must("post volume", err)
	s.bursts, err = w.Bursts(ctx, from, to)
	must("bursts", err)
	s.edges, err = w.Edges(ctx, from, to)
	must("edges", err)
	s.groups, err = w.Groups(ctx, from, to)
	must("groups", err)
	s.leaks, err = w.Leaks(ctx, from, to)
	must("leaks", err)
	s.changes, err = w.SiteChanges(ctx, from, to)
	must("site changes", err)
	s.alerts, err = w.Alerts(ctx, from, to)
	must("alerts", err)
	s.calendar, err = w.Calendar(ctx, "fr-2017-presidential")
	must("calendar", err)
	s.signals, err = w.Signals(ctx, from, to)
	must("signals", err)
	s.series, err = w.VolumeSeries(ctx, from, to, time.Hour)
	must("volume series", err)
	return s
}

// expectedVolume counts distinct posts and accounts per object per step in Go.
func expectedVolume(ms []leakwatch.Mention, step time.Duration) []VolumePoint {
	type key struct {
		obj string
		at  time.Time
	}
	posts, accounts := map[key]map[string]bool{}, map[key]map[string]bool{}
	for _, m := range ms {
		k := key{m.Object, m.At.Truncate(step)}
		if posts[k] == nil {
			posts[k], accounts[k] = map[string]bool{}, map[string]bool{}
		}
		posts[k][m.Post], accounts[k][m.Account] = true, true
	}
	var out []VolumePoint
	for k := range posts {
		out = append(out, VolumePoint{Object: k.obj, At: k.at, Posts: uint64(len(posts[k])), Accounts: uint64(len(accounts[k]))})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Object != out[j].Object {
			return out[i].Object < out[j].Object
		}
		return out[i].At.Before(out[j].At)
	})
	return out
}

func TestSinkTwiceGivesSameResults(t *testing.T) {
	w := openTest(t, "redeliver")
	f := newFixture(300)

	f.insert(t, w)
	first := takeSnapshot(t, w)

	// What a user would check after one delivery.
	wantCounts := map[string]uint64{"posts": 300, "mentions": uint64(len(f.mentions)), "bursts": 2, "edges": 2, "groups": 1, "leaks": 1, "site_changes": 2, "alerts": 2, "calendar_events": 3}
	if !reflect.DeepEqual(first.counts, wantCounts) {
		t.Fatalf("counts after one delivery:\n got %v\nwant %v", first.counts, wantCounts)
	}
	if first.finalPosts != 300 {
		t.Fatalf("posts FINAL: %d rows, want 300", first.finalPosts)
	}
	if want := expectedVolume(f.mentions, 30*time.Minute); !reflect.DeepEqual(first.volume, want) {
		t.Fatalf("volume from the rollup:\n got %+v\nwant %+v", first.volume, want)
	}
	if len(first.top) != 2 || first.top[0].Object != "candidate:macron" || first.top[0].Posts != 200 || first.top[1].Posts != 100 || first.top[0].Accounts != 17 {
		t.Fatalf("top candidates: %+v, want macron 200 posts by 17 accounts, lepen 100", first.top)
	}
	var postSum uint64
	for _, p := range first.postVolume {
		postSum += p.Posts
	}
	if postSum != 300 || len(first.postVolume) != 4 {
		t.Fatalf("post volume: %d posts in %d hours, want 300 in 4: %+v", postSum, len(first.postVolume), first.postVolume)
	}
	checkSignalsRoundTrip(t, f, first)
	var kinds []string
	for i, sig := range first.signals {
		kinds = append(kinds, string(sig.Kind))
		if i > 0 && signalTime(sig).Before(signalTime(first.signals[i-1])) {
			t.Errorf("signals out of time order at %d: %s before %s", i, sig.Key(), first.signals[i-1].Key())
		}
	}
	if want := []string{"burst", "burst", "edge", "group", "leak", "edge"}; !slices.Equal(kinds, want) {
		t.Errorf("signals by time: %v, want %v", kinds, want)
	}
	sums := map[string]int{}
	for _, s := range first.series {
		for _, p := range s.Points {
			sums[s.Name] += p.N
		}
	}
	if want := map[string]int{"all": 300, "macron": 200, "lepen": 100}; !reflect.DeepEqual(sums, want) {
		t.Errorf("volume series totals %v, want %v", sums, want)
	}

	// Redelivery: same records again, in batches of another size so they land in other parts.
	w.cfg.BatchSize = 64
	f.insert(t, w)
	second := takeSnapshot(t, w)
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("results changed after the same input was sunk twice:\nfirst  %+v\nsecond %+v", first, second)
	}
	if n := scalar(t, w, "SELECT count() FROM posts"); n < 300 {
		t.Fatalf("posts holds %d physical rows, want at least 300", n)
	}

	// Merging the parts keeps the answers.
	for _, tb := range []string{"posts", "mentions", "mentions_per_minute", "bursts"} {
		if err := w.conn.Exec(context.Background(), "OPTIMIZE TABLE "+tb+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	if merged := takeSnapshot(t, w); !reflect.DeepEqual(first, merged) {
		t.Fatalf("results changed after parts merged:\nfirst  %+v\nmerged %+v", first, merged)
	}
}

func signalTime(s leakwatch.Signal) time.Time {
	switch s.Kind {
	case leakwatch.SignalBurst:
		return s.Burst.Onset
	case leakwatch.SignalEdge:
		return s.Edge.First
	case leakwatch.SignalGroup:
		return s.Group.First
	}
	return s.Leak.Onset
}

func checkSignalsRoundTrip(t *testing.T, f fixture, s snapshot) {
	t.Helper()
	var bursts []leakwatch.Burst
	var edges []leakwatch.Edge
	var groups []leakwatch.Group
	var leaks []leakwatch.Leak
	for _, sig := range f.signals {
		switch sig.Kind {
		case leakwatch.SignalBurst:
			bursts = append(bursts, *sig.Burst)
		case leakwatch.SignalEdge:
			edges = append(edges, *sig.Edge)
		case leakwatch.SignalGroup:
			groups = append(groups, *sig.Group)
		case leakwatch.SignalLeak:
			leaks = append(leaks, *sig.Leak)
		}
	}
	sort.Slice(bursts, func(i, j int) bool { return bursts[i].Onset.Before(bursts[j].Onset) })
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"bursts", s.bursts, bursts}, {"edges", s.edges, edges}, {"groups", s.groups, groups}, {"leaks", s.leaks, leaks},
		{"site changes", s.changes, []leakwatch.SiteChange{f.changes[1], f.changes[0]}},
		{"alerts", s.alerts, []leakwatch.Alert{f.alerts[1], f.alerts[0]}},
		{"calendar", s.calendar, f.calendar},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s read back differ from what was stored:\n got %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
}

func TestSupersedingSignalReplacesOlder(t *testing.T) {
	w := openTest(t, "supersede")
	ctx := context.Background()
	edge := func(weight int, last time.Time) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: leakwatch.KindURL, A: "a", B: "b", Weight: weight, First: t0, Last: last}}
	}
	// The heavier edge arrives first; the stale lighter one is redelivered after it.
	for _, s := range []leakwatch.Signal{edge(2, t0.Add(time.Minute)), edge(5, t0.Add(3*time.Minute)), edge(2, t0.Add(time.Minute))} {
		if err := w.InsertSignals(ctx, []leakwatch.Signal{s}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := w.Edges(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Weight != 5 || !got[0].Last.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("edges: %+v, want the one edge a-b with weight 5", got)
	}
}

// A late co-share earlier than one counted replaces it, and a group's or edge's last time
// can then go back with no account or edge more: the later publication must still be the
// row readers get, here and with an older row of the same record stored before.
func TestLatestPublicationWinsWhenLastGoesBack(t *testing.T) {
	w := openTest(t, "lastback")
	ctx := context.Background()
	group := func(last time.Time, objects ...string) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-net", Accounts: []string{"a", "b", "c"},
			ObjectKinds: []leakwatch.ObjectKind{leakwatch.KindURL}, First: t0, Last: last, Objects: objects, Edges: 2}}
	}
	edge := func(last time.Time, score float64) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: leakwatch.KindURL, A: "a", B: "b", Weight: 3, First: t0, Last: last, Score: score}}
	}
	// A row as the previous schema of versions stored it: accounts, then the last time.
	b, err := w.conn.PrepareBatch(ctx, "INSERT INTO groups (id, accounts, size, object_kinds, first_at, last_at, version)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("group|g-net", []string{"a", "b", "c"}, int64(3), []string{"url"}, t0, t0.Add(3*time.Hour), uint64(3)<<32|uint64(t0.Add(3*time.Hour).Unix())); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []leakwatch.Signal{group(t0.Add(2*time.Hour), "url:x"), group(t0.Add(time.Hour), "url:x", "url:y"),
		edge(t0.Add(2*time.Hour), 1.5), edge(t0.Add(time.Hour), 2.5)} {
		if err := w.InsertSignals(ctx, []leakwatch.Signal{s}); err != nil {
			t.Fatal(err)
		}
	}
	groups, err := w.Groups(ctx, t0.Add(-time.Hour), t0.Add(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || !groups[0].Last.Equal(t0.Add(time.Hour)) || len(groups[0].Objects) != 2 {
		t.Fatalf("groups: %+v, want g-net as last published (last %s, two objects)", groups, t0.Add(time.Hour))
	}
	edges, err := w.Edges(ctx, t0.Add(-time.Hour), t0.Add(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(edges) != 1 || !edges[0].Last.Equal(t0.Add(time.Hour)) || edges[0].Score != 2.5 {
		t.Fatalf("edges: %+v, want a-b as last published (last %s, score 2.5)", edges, t0.Add(time.Hour))
	}
}

// A group that merged into another and a leak incident that moved to an earlier member are
// listed in their successor's supersedes: readers no longer return them.
func TestSupersededGroupsAndLeaksAreGone(t *testing.T) {
	w := openTest(t, "superseded")
	ctx := context.Background()
	group := func(id string, accounts []string, supersedes ...string) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: id, Accounts: accounts, First: t0, Last: t0.Add(time.Hour), Supersedes: supersedes}}
	}
	leak := func(object string, onset time.Time, supersedes ...string) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: object, Onset: onset, Start: onset, Evidence: []string{"domain:pastebin.com"}, Supersedes: supersedes}}
	}
	late := leak("domain:archive.org", t0.Add(3*time.Minute))
	sigs := []leakwatch.Signal{
		group("g-b", []string{"c", "d", "e"}), group("g-a", []string{"a", "b", "c", "d", "e"}, "g-b"), group("g-x", []string{"x", "y", "z"}),
		late, leak("url:https://pastebin.com/x", t0, late.Key()),
	}
	if err := w.InsertSignals(ctx, sigs); err != nil {
		t.Fatal(err)
	}
	groups, err := w.Groups(ctx, t0.Add(-time.Hour), t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range groups {
		ids = append(ids, g.ID)
	}
	if !slices.Equal(ids, []string{"g-a", "g-x"}) {
		t.Errorf("groups %v, want g-a and g-x (g-b merged into g-a)", ids)
	}
	leaks, err := w.Leaks(ctx, t0.Add(-time.Hour), t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(leaks) != 1 || leaks[0].Object != "url:https://pastebin.com/x" {
		t.Errorf("leaks %+v, want only the incident under its earliest member", leaks)
	}
}

// An incident that moved to an earlier key is raised again under it, naming the alert it
// replaces: the warehouse then lists only the new alert, as the live page does.
func TestSupersededAlertsAreGone(t *testing.T) {
	w := openTest(t, "superseded_alerts")
	ctx := context.Background()
	old := leakwatch.Alert{ID: "leak|domain:archive.org|2017-05-05T18:38:00Z", Rule: "leak", Summary: "Possible leak on domain:archive.org", StartsAt: t0.Add(3 * time.Minute), RaisedAt: t0.Add(4 * time.Minute)}
	other := leakwatch.Alert{ID: "burst|candidate:macron", Rule: "burst", StartsAt: t0, RaisedAt: t0}
	if err := w.InsertAlerts(ctx, []leakwatch.Alert{old, other}); err != nil {
		t.Fatal(err)
	}
	moved := leakwatch.Alert{ID: "leak|url:https://pastebin.com/x|2017-05-05T18:35:00Z", Rule: "leak", Summary: "Possible leak on url:https://pastebin.com/x", StartsAt: t0, RaisedAt: t0.Add(6 * time.Minute), Supersedes: []string{old.ID}}
	if err := w.InsertAlerts(ctx, []leakwatch.Alert{moved}); err != nil {
		t.Fatal(err)
	}
	got, err := w.Alerts(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if want := []string{other.ID, moved.ID}; !slices.Equal(ids, want) {
		t.Fatalf("alerts %v, want %v (the moved incident's old alert left out)", ids, want)
	}
}

func TestDropBeforeDropsWholeOldMonths(t *testing.T) {
	w := openTest(t, "retention")
	ctx := context.Background()
	times := []time.Time{
		time.Date(2017, 3, 15, 12, 0, 0, 0, time.UTC),
		time.Date(2017, 4, 30, 23, 59, 59, 0, time.UTC), // last second of April
		time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC),     // first second of May
		time.Date(2017, 5, 20, 8, 0, 0, 0, time.UTC),
	}
	var posts []leakwatch.Post
	var mentions []leakwatch.Mention
	var sigs []leakwatch.Signal
	for i, at := range times {
		uri := "twitter:" + at.Format("0102150405")
		posts = append(posts, leakwatch.Post{Platform: "twitter", URI: uri, CreatedAt: at, Author: leakwatch.Account{ID: "a"}})
		mentions = append(mentions, leakwatch.Mention{Object: "candidate:macron", Account: "a", Post: uri, At: at})
		sigs = append(sigs, leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "candidate:macron", Onset: at, Count: i + 1}})
	}
	if err := w.InsertPosts(ctx, posts); err != nil {
		t.Fatal(err)
	}
	if err := w.InsertMentions(ctx, mentions); err != nil {
		t.Fatal(err)
	}
	if err := w.InsertSignals(ctx, sigs); err != nil {
		t.Fatal(err)
	}

	if _, err := w.DropBefore(ctx, "users", times[0]); err == nil || !strings.Contains(err.Error(), `"users"`) {
		t.Fatalf("DropBefore on an unknown table: %v, want an error naming it", err)
	}

	// Posts only: mentions and bursts keep their months.
	dropped, err := w.DropBefore(ctx, "posts", time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []DroppedPartition{{"posts", "201703", 1}, {"posts", "201704", 1}}
	if !reflect.DeepEqual(dropped, want) {
		t.Fatalf("dropped %+v, want %+v", dropped, want)
	}
	c := countsMap(t, w)
	if c["posts"] != 2 || c["mentions"] != 4 || c["bursts"] != 4 {
		t.Fatalf("after dropping old posts: %v, want posts 2, mentions 4, bursts 4", c)
	}

	// Everything, with a cut inside May: May is kept whole, including its first second.
	dropped, err = w.DropBefore(ctx, AllTables, time.Date(2017, 5, 10, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dropped {
		names = append(names, d.Table+"/"+d.Partition)
	}
	wantNames := []string{"mentions/201703", "mentions/201704", "mentions_per_minute/201703", "mentions_per_minute/201704", "bursts/201703", "bursts/201704"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("dropped %v, want %v", names, wantNames)
	}
	c = countsMap(t, w)
	if c["posts"] != 2 || c["mentions"] != 2 || c["bursts"] != 2 {
		t.Fatalf("after dropping everything before May: %v, want 2 of each", c)
	}
	vol, err := w.Volume(ctx, VolumeQuery{Kind: leakwatch.KindCandidate, From: times[0], To: times[3].Add(time.Hour), Step: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(vol) != 2 || !vol[0].At.Equal(times[2]) {
		t.Fatalf("rollup after retention: %+v, want the two May hours", vol)
	}
	if again, err := w.DropBefore(ctx, AllTables, time.Date(2017, 5, 10, 0, 0, 0, 0, time.UTC)); err != nil || len(again) != 0 {
		t.Fatalf("second DropBefore: dropped %v, err %v; want nothing", again, err)
	}
}

// Retention with a cut on 1 May keeps what readers still need from older months: an edge
// that began in April and lasts into May, a group and a leak incident that supersede records
// of May from months before (dropping them would bring the superseded ones back), an alert
// whose latest version moved into April. What nothing links to the cut goes.
func TestDropBeforeKeepsOlderMonthsTheCutStillNeeds(t *testing.T) {
	w := openTest(t, "retention_links")
	ctx := context.Background()
	day := func(month time.Month, d int) time.Time { return time.Date(2017, month, d, 12, 0, 0, 0, time.UTC) }
	edge := func(a, b string, first, last time.Time) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: leakwatch.KindURL, A: a, B: b, Weight: 2, First: first, Last: last}}
	}
	group := func(id string, first time.Time, supersedes ...string) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: id, Accounts: []string{"a", "b", "c"}, First: first, Last: first.Add(time.Hour), Supersedes: supersedes}}
	}
	leak := func(object string, onset time.Time, supersedes ...string) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: object, Onset: onset, Evidence: []string{"term:leaks"}, Supersedes: supersedes}}
	}
	lateLeak := leak("domain:archive.org", day(5, 2))
	if err := w.InsertSignals(ctx, []leakwatch.Signal{
		edge("a", "b", day(2, 1), day(2, 2)),  // February, over before the cut: dropped
		edge("a", "c", day(4, 10), day(5, 5)), // from April into May
		group("g-b", day(5, 3)), group("g-a", day(3, 10), "g-b"),
		lateLeak, leak("url:https://pastebin.com/x", day(3, 28), lateLeak.Key()),
	}); err != nil {
		t.Fatal(err)
	}
	moving := leakwatch.Alert{ID: "leak|url:https://pastebin.com/x", Rule: "leak", StartsAt: day(5, 2), RaisedAt: day(5, 2)}
	for _, as := range [][]leakwatch.Alert{{moving, {ID: "burst|old", Rule: "burst", StartsAt: day(2, 1), RaisedAt: day(2, 1)}}, {{ID: moving.ID, Rule: "leak", StartsAt: day(4, 28), RaisedAt: day(5, 3)}}} {
		if err := w.InsertAlerts(ctx, as); err != nil {
			t.Fatal(err)
		}
	}

	dropped, err := w.DropBefore(ctx, AllTables, time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dropped {
		names = append(names, d.Table+"/"+d.Partition)
	}
	if want := []string{"edges/201702", "alerts/201702"}; !slices.Equal(names, want) {
		t.Errorf("dropped %v, want %v", names, want)
	}
	from, to := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2017, 7, 1, 0, 0, 0, 0, time.UTC)
	edges, err := w.Edges(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(edges) != 1 || edges[0].B != "c" {
		t.Errorf("edges after retention: %+v, want the a-c edge lasting into May", edges)
	}
	groups, err := w.Groups(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].ID != "g-a" {
		t.Errorf("groups after retention: %+v, want only g-a (g-b merged into it)", groups)
	}
	leaks, err := w.Leaks(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaks) != 1 || leaks[0].Object != "url:https://pastebin.com/x" {
		t.Errorf("leaks after retention: %+v, want only the incident under its earliest member", leaks)
	}
	alerts, err := w.Alerts(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || !alerts[0].StartsAt.Equal(day(4, 28)) {
		t.Errorf("alerts after retention: %+v, want the leak alert once, at its latest start (28 April)", alerts)
	}
}

func TestMalformedRecordIsNamedAndNothingStored(t *testing.T) {
	w := openTest(t, "malformed")
	ctx := context.Background()
	good := newFixture(2)
	post := func(edit func(*leakwatch.Post)) []leakwatch.Post {
		p := good.posts[1]
		edit(&p)
		return []leakwatch.Post{good.posts[0], p}
	}
	tests := []struct {
		name  string
		table string
		ins   func() error
		want  []string // substrings of the error
	}{
		{"post without uri", "posts", func() error { return w.InsertPosts(ctx, post(func(p *leakwatch.Post) { p.URI = "" })) },
			[]string{"posts record 1", `uri ""`, "uri: empty"}},
		{"post without time", "posts", func() error {
			return w.InsertPosts(ctx, post(func(p *leakwatch.Post) { p.CreatedAt = time.Time{} }))
		}, []string{"posts record 1", `uri "twitter:status/1001"`, "created_at: not set"}},
		{"post before 1970", "posts", func() error {
			return w.InsertPosts(ctx, post(func(p *leakwatch.Post) { p.CreatedAt = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) }))
		}, []string{"posts record 1", "created_at 1969-12-31T00:00:00Z: outside the storable range"}},
		{"mention with a bare object", "mentions", func() error {
			m := good.mentions[0]
			m.Object = "macron"
			return w.InsertMentions(ctx, []leakwatch.Mention{good.mentions[1], m})
		}, []string{"mentions record 1", `object "macron"`, "want KIND:VALUE"}},
		{"burst signal without a burst", "bursts", func() error {
			return w.InsertSignals(ctx, []leakwatch.Signal{good.signals[0], {Kind: leakwatch.SignalBurst}})
		}, []string{"signals record 1", "no burst body"}},
		{"unknown signal kind", "bursts", func() error {
			return w.InsertSignals(ctx, []leakwatch.Signal{{Kind: "rumour"}})
		}, []string{"signals record 0", `kind "rumour": unknown`}},
		{"edge with a after b", "edges", func() error {
			return w.InsertSignals(ctx, []leakwatch.Signal{good.signals[0], {Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: "url", A: "z", B: "a", Weight: 2, First: t0, Last: t0}}})
		}, []string{"edges record 1", `edge|url|z|a`, `a "z", b "a": want two accounts with a < b`}},
		{"alert without start", "alerts", func() error {
			return w.InsertAlerts(ctx, []leakwatch.Alert{{ID: "x", Rule: "r"}})
		}, []string{"alerts record 0", `id "x"`, "starts_at: not set"}},
		{"calendar event after 2106", "calendar_events", func() error {
			c := good.calendar
			c.Events = append(slices.Clone(c.Events), leakwatch.Event{ID: "far", Start: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)})
			return w.InsertCalendar(ctx, c)
		}, []string{"calendar_events record 3", `event "far"`, "start 2200-01-01T00:00:00Z: outside"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ins()
			if err == nil {
				t.Fatal("want an error")
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			var re *RecordError
			if !errors.As(err, &re) {
				t.Errorf("error %v is not a *RecordError", err)
			}
			if n := countsMap(t, w)[tc.table]; n != 0 {
				t.Errorf("%s holds %d events after a rejected batch, want 0 (all or nothing)", tc.table, n)
			}
		})
	}

	if err := CheckPost(good.posts[0]); err != nil {
		t.Errorf("CheckPost on a good post: %v", err)
	}
	if err := CheckSignal(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g"}}); err == nil || !strings.Contains(err.Error(), `groups record (id "group|g"): accounts: empty`) {
		t.Errorf("CheckSignal on a group without accounts: %v", err)
	}
}

// A table renamed away or a user refused stops a writer; a server that is down, or an
// error of the data, is for the caller to tell otherwise.
func TestPermanent(t *testing.T) {
	for code, want := range map[int32]bool{60: true, 81: true, 516: true, 16: true, 159: false, 202: false, 241: false} {
		err := fmt.Errorf("insert: %w", &clickhouse.Exception{Code: code, Message: "x"})
		if got := Permanent(err); got != want {
			t.Errorf("code %d: permanent %v, want %v", code, got, want)
		}
	}
	if Permanent(errors.New("dial tcp 127.0.0.1:19000: connect: connection refused")) {
		t.Error("a refused connection taken for permanent")
	}
}
