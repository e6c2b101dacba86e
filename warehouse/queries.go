package warehouse

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/leakwatch/leakwatch"
)

// Every reader deduplicates: events are counted with uniqExact over their event id, the
// rollup merges distinct-count states, and superseding records (signals, alerts, calendar
// events) are read as the highest version per id (FINAL, then LIMIT 1 BY id across months).
// Time bounds are half-open [from, to) and bound as Unix seconds, never as formatted text,
// so the server's time zone cannot shift them.

func unix(t time.Time) int64 { return min(max(t.Unix(), 0), 1<<32-1) }

// fromDB turns a stored time back into Go: the epoch stands for "not set".
func fromDB(t time.Time) time.Time {
	if t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func stepSeconds(step time.Duration) (int64, error) {
	s := int64(step / time.Second)
	if s < 60 || step%time.Minute != 0 {
		return 0, fmt.Errorf("warehouse: step %v: want a whole number of minutes (the rollup's resolution)", step)
	}
	return s, nil
}

// TableCount is how many distinct events a table holds.
type TableCount struct {
	Table  string
	Events uint64
}

// countExprs is the event id of each table, as counted.
var countExprs = []struct{ table, id string }{
	{"posts", "uri"},
	{"mentions", "object, post"},
	{"bursts", "id"},
	{"edges", "id"},
	{"groups", "id"},
	{"leaks", "id"},
	{"site_changes", "id"},
	{"alerts", "id"},
	{"calendar_events", "campaign, id"},
}

// Counts is the number of distinct events per table, however often each was delivered.
func (w *Warehouse) Counts(ctx context.Context) ([]TableCount, error) {
	out := make([]TableCount, 0, len(countExprs))
	for _, c := range countExprs {
		var n uint64
		if err := w.conn.QueryRow(ctx, "SELECT uniqExact("+c.id+") FROM "+c.table).Scan(&n); err != nil {
			return nil, fmt.Errorf("warehouse: count %s: %w", c.table, err)
		}
		out = append(out, TableCount{Table: c.table, Events: n})
	}
	return out, nil
}

// VolumeQuery selects mention volume from the per-minute rollup.
type VolumeQuery struct {
	// Kind selects every object of one kind ("candidate", "hashtag"); Objects selects
	// objects by key. At least one must be set; both narrow together.
	Kind    leakwatch.ObjectKind
	Objects []string
	From    time.Time
	To      time.Time
	Step    time.Duration // a whole number of minutes
}

// VolumePoint is one object's volume in one interval starting at At.
type VolumePoint struct {
	Object   string
	At       time.Time
	Posts    uint64 // distinct posts mentioning the object
	Accounts uint64 // distinct accounts among them
}

// Volume is the number of distinct posts and accounts per object per interval, ordered by
// object then time. Intervals without mentions are absent.
func (w *Warehouse) Volume(ctx context.Context, q VolumeQuery) ([]VolumePoint, error) {
	step, err := stepSeconds(q.Step)
	if err != nil {
		return nil, err
	}
	if q.Kind == "" && len(q.Objects) == 0 {
		return nil, fmt.Errorf("warehouse: volume: want a kind or objects")
	}
	where := "minute >= toDateTime(?) AND minute < toDateTime(?)"
	args := []any{step, step, unix(q.From), unix(q.To)}
	if q.Kind != "" {
		where += " AND kind = ?"
		args = append(args, string(q.Kind))
	}
	if len(q.Objects) > 0 {
		where += " AND object IN (?" + strings.Repeat(", ?", len(q.Objects)-1) + ")"
		for _, o := range q.Objects {
			args = append(args, o)
		}
	}
	rows, err := w.conn.Query(ctx, `SELECT object, toDateTime(intDiv(toUInt32(minute), ?) * ?) AS t,
		uniqExactMerge(posts), uniqExactMerge(accounts)
		FROM mentions_per_minute WHERE `+where+`
		GROUP BY object, t ORDER BY object, t`, args...)
	if err != nil {
		return nil, fmt.Errorf("warehouse: volume: %w", err)
	}
	return collect(rows, "volume", func(r driver.Rows) (VolumePoint, error) {
		var p VolumePoint
		err := r.Scan(&p.Object, &p.At, &p.Posts, &p.Accounts)
		p.At = p.At.UTC()
		return p, err
	})
}

// CandidateVolume is Volume for every candidate object.
func (w *Warehouse) CandidateVolume(ctx context.Context, from, to time.Time, step time.Duration) ([]VolumePoint, error) {
	return w.Volume(ctx, VolumeQuery{Kind: leakwatch.KindCandidate, From: from, To: to, Step: step})
}

// ObjectCount is one object's total over a range.
type ObjectCount struct {
	Object   string
	Posts    uint64
	Accounts uint64
}

// TopObjects is the n objects of a kind shared in the most distinct posts in [from, to).
func (w *Warehouse) TopObjects(ctx context.Context, kind leakwatch.ObjectKind, from, to time.Time, n int) ([]ObjectCount, error) {
	rows, err := w.conn.Query(ctx, `SELECT object, uniqExactMerge(posts) AS p, uniqExactMerge(accounts)
		FROM mentions_per_minute
		WHERE kind = ? AND minute >= toDateTime(?) AND minute < toDateTime(?)
		GROUP BY object ORDER BY p DESC, object LIMIT ?`, string(kind), unix(from), unix(to), max(n, 0))
	if err != nil {
		return nil, fmt.Errorf("warehouse: top objects: %w", err)
	}
	return collect(rows, "top objects", func(r driver.Rows) (ObjectCount, error) {
		var c ObjectCount
		return c, r.Scan(&c.Object, &c.Posts, &c.Accounts)
	})
}

// PlatformPoint is one platform's post volume in one interval.
type PlatformPoint struct {
	Platform string
	At       time.Time
	Posts    uint64
	Accounts uint64
}

// PostVolume is the number of distinct posts and authors per platform per interval of
// creation time.
func (w *Warehouse) PostVolume(ctx context.Context, from, to time.Time, step time.Duration) ([]PlatformPoint, error) {
	s, err := stepSeconds(step)
	if err != nil {
		return nil, err
	}
	rows, err := w.conn.Query(ctx, `SELECT platform, toDateTime(intDiv(toUInt32(created_at), ?) * ?) AS t,
		uniqExact(uri), uniqExact(author_id)
		FROM posts WHERE created_at >= toDateTime(?) AND created_at < toDateTime(?)
		GROUP BY platform, t ORDER BY platform, t`, s, s, unix(from), unix(to))
	if err != nil {
		return nil, fmt.Errorf("warehouse: post volume: %w", err)
	}
	return collect(rows, "post volume", func(r driver.Rows) (PlatformPoint, error) {
		var p PlatformPoint
		err := r.Scan(&p.Platform, &p.At, &p.Posts, &p.Accounts)
		p.At = p.At.UTC()
		return p, err
	})
}

// NotSuperseded is the condition that keeps out the groups, leaks or alerts (table) a later
// record replaced: a group that merged into another, a leak incident that moved to an earlier
// member, the alert raised for either before. Every reader of those tables, dashboards
// included, applies it.
func NotSuperseded(table string) string {
	return "id NOT IN (SELECT arrayJoin(supersedes) FROM " + table + ")"
}

// Latest is a subquery holding the highest version of every record of table (edges, groups,
// alerts, calendar_events ...), for SQL that filters or sums after deduplication. FINAL alone
// does not do where a record's partition time can move between versions (an edge's first_at,
// an alert's starts_at, a re-imported event's start_at): FINAL merges within a partition, so
// both versions would show.
func Latest(table string) string { return latestOf(table, "*") }

// latestOf is Latest reading only cols (with version) of the table: ClickHouse reads the
// columns a query names, no more.
func latestOf(table, cols string) string {
	key := "id"
	if table == "calendar_events" {
		key = "campaign, id"
	}
	if cols != "*" {
		cols += ", version"
	}
	return "(SELECT " + cols + " FROM " + table + " FINAL ORDER BY " + key + ", version DESC LIMIT 1 BY " + key + ")"
}

// latest selects the highest version of every id of a table, filtered by where, which
// applies after deduplication so a superseded row never shows through.
func (w *Warehouse) latest(ctx context.Context, table, cols, where, order string, args ...any) (driver.Rows, error) {
	return w.conn.Query(ctx, `SELECT `+cols+` FROM `+latestOf(table, cols)+` WHERE `+where+` ORDER BY `+order, args...)
}

const timingSelect = "has_timing, in_silence, silence, hours_to_silence, next_vote, hours_to_vote, timing_score"

type timingRow struct {
	has, in              uint8
	silence, next        string
	toSilence, toVote, s float64
}

func (t *timingRow) dest() []any {
	return []any{&t.has, &t.in, &t.silence, &t.toSilence, &t.next, &t.toVote, &t.s}
}

func (t *timingRow) timing() leakwatch.Timing {
	return leakwatch.Timing{InSilence: t.in == 1, Silence: t.silence, HoursToSilence: t.toSilence, NextVote: t.next, HoursToVote: t.toVote, Score: t.s}
}

func (t *timingRow) ptr() *leakwatch.Timing {
	if t.has == 0 {
		return nil
	}
	v := t.timing()
	return &v
}

type calendarRow struct {
	events, kinds []string
	offsets       []int64
}

func (c *calendarRow) refs() []leakwatch.CalendarRef {
	if len(c.events) == 0 {
		return nil
	}
	out := make([]leakwatch.CalendarRef, len(c.events))
	for i := range c.events {
		out[i] = leakwatch.CalendarRef{Event: c.events[i], Kind: c.kinds[i], OffsetS: c.offsets[i]}
	}
	return out
}

// Bursts are the bursts with onset in [from, to), by onset.
func (w *Warehouse) Bursts(ctx context.Context, from, to time.Time) ([]leakwatch.Burst, error) {
	rows, err := w.latest(ctx, "bursts", "id, object, onset_at, peak_at, end_at, count, baseline, score, accounts, evidence, calendar_events, calendar_kinds, calendar_offsets_s, candidates, learning, slow, "+timingSelect,
		"onset_at >= toDateTime(?) AND onset_at < toDateTime(?)", "onset_at, id", unix(from), unix(to))
	if err != nil {
		return nil, fmt.Errorf("warehouse: bursts: %w", err)
	}
	return collect(rows, "bursts", func(r driver.Rows) (leakwatch.Burst, error) {
		var (
			b        leakwatch.Burst
			id       string
			cnt, acc int64
			learning uint8
			slow     uint8
			cal      calendarRow
			tim      timingRow
		)
		dest := append([]any{&id, &b.Object, &b.Onset, &b.Peak, &b.End, &cnt, &b.Baseline, &b.Score, &acc, &b.Evidence, &cal.events, &cal.kinds, &cal.offsets, &b.Candidates, &learning, &slow}, tim.dest()...)
		if err := r.Scan(dest...); err != nil {
			return b, err
		}
		b.Onset, b.Peak, b.End = fromDB(b.Onset), fromDB(b.Peak), fromDB(b.End)
		b.Count, b.Accounts = int(cnt), int(acc)
		b.Evidence, b.Candidates, b.Learning, b.Slow = nilIfEmpty(b.Evidence), nilIfEmpty(b.Candidates), learning == 1, slow == 1
		b.Calendar, b.Timing = cal.refs(), tim.ptr()
		return b, nil
	})
}

// Edges are the co-share edges active in [from, to) (first before to, last at or after
// from), by first time.
func (w *Warehouse) Edges(ctx context.Context, from, to time.Time) ([]leakwatch.Edge, error) {
	rows, err := w.latest(ctx, "edges", "id, object_kind, a, b, weight, first_at, last_at, score, a_name, b_name",
		"first_at < toDateTime(?) AND last_at >= toDateTime(?)", "first_at, id", unix(to), unix(from))
	if err != nil {
		return nil, fmt.Errorf("warehouse: edges: %w", err)
	}
	return collect(rows, "edges", func(r driver.Rows) (leakwatch.Edge, error) {
		var (
			e    leakwatch.Edge
			id   string
			kind string
			wt   int64
		)
		if err := r.Scan(&id, &kind, &e.A, &e.B, &wt, &e.First, &e.Last, &e.Score, &e.AHandle, &e.BHandle); err != nil {
			return e, err
		}
		e.ObjectKind, e.Weight = leakwatch.ObjectKind(kind), int(wt)
		e.First, e.Last = fromDB(e.First), fromDB(e.Last)
		return e, nil
	})
}

// Groups are the coordinated groups active in [from, to), by first time.
func (w *Warehouse) Groups(ctx context.Context, from, to time.Time) ([]leakwatch.Group, error) {
	rows, err := w.latest(ctx, "groups", "id, accounts, object_kinds, first_at, last_at, objects, first_movers, edges, evidence, evidence_first, evidence_last, score, calendar_events, calendar_kinds, calendar_offsets_s, candidates, formed_at, first_mover_names, account_names, "+timingSelect,
		"first_at < toDateTime(?) AND last_at >= toDateTime(?) AND "+NotSuperseded("groups"), "first_at, id", unix(to), unix(from))
	if err != nil {
		return nil, fmt.Errorf("warehouse: groups: %w", err)
	}
	return collect(rows, "groups", func(r driver.Rows) (leakwatch.Group, error) {
		var (
			g                leakwatch.Group
			id               string
			kinds            []string
			edges            int64
			cal              calendarRow
			tim              timingRow
			movers, accounts []string
		)
		dest := append([]any{&id, &g.Accounts, &kinds, &g.First, &g.Last, &g.Objects, &g.FirstMovers, &edges, &g.Evidence, &g.EvidenceFirst, &g.EvidenceLast, &g.Score, &cal.events, &cal.kinds, &cal.offsets, &g.Candidates, &g.Formed, &movers, &accounts}, tim.dest()...)
		if err := r.Scan(dest...); err != nil {
			return g, err
		}
		g.ID = id[len("group|"):]
		for _, k := range kinds {
			g.ObjectKinds = append(g.ObjectKinds, leakwatch.ObjectKind(k))
		}
		g.First, g.Last = fromDB(g.First), fromDB(g.Last)
		g.EvidenceFirst, g.EvidenceLast, g.Formed = fromDB(g.EvidenceFirst), fromDB(g.EvidenceLast), fromDB(g.Formed)
		g.Objects, g.FirstMovers, g.Evidence, g.Candidates = nilIfEmpty(g.Objects), nilIfEmpty(g.FirstMovers), nilIfEmpty(g.Evidence), nilIfEmpty(g.Candidates)
		g.Edges = int(edges)
		g.Calendar, g.Timing = cal.refs(), tim.ptr()
		g.FirstMoverHandles, g.AccountHandles = handlesOf(movers, g.FirstMovers), handlesOf(accounts, g.Accounts)
		return g, nil
	})
}

// Leaks are the leak detections with onset in [from, to), by onset.
func (w *Warehouse) Leaks(ctx context.Context, from, to time.Time) ([]leakwatch.Leak, error) {
	rows, err := w.latest(ctx, "leaks", "id, object, onset_at, start_at, evidence, score, calendar_events, calendar_kinds, calendar_offsets_s, in_silence, silence, hours_to_silence, next_vote, hours_to_vote, timing_score, candidates",
		"onset_at >= toDateTime(?) AND onset_at < toDateTime(?) AND "+NotSuperseded("leaks"), "onset_at, id", unix(from), unix(to))
	if err != nil {
		return nil, fmt.Errorf("warehouse: leaks: %w", err)
	}
	return collect(rows, "leaks", func(r driver.Rows) (leakwatch.Leak, error) {
		var (
			l   leakwatch.Leak
			id  string
			cal calendarRow
			tim timingRow
		)
		if err := r.Scan(&id, &l.Object, &l.Onset, &l.Start, &l.Evidence, &l.Score, &cal.events, &cal.kinds, &cal.offsets,
			&tim.in, &tim.silence, &tim.toSilence, &tim.next, &tim.toVote, &tim.s, &l.Candidates); err != nil {
			return l, err
		}
		l.Onset, l.Start = fromDB(l.Onset), fromDB(l.Start)
		l.Candidates = nilIfEmpty(l.Candidates)
		l.Calendar, l.Timing = cal.refs(), tim.timing()
		return l, nil
	})
}

// SiteChanges are the site changes observed in [from, to), by time then target.
func (w *Warehouse) SiteChanges(ctx context.Context, from, to time.Time) ([]leakwatch.SiteChange, error) {
	rows, err := w.conn.Query(ctx, `SELECT target, url, observed_at, changed, status, redirects, raw_hash, text_hash, prev_text_hash,
		title, diff, link_domains, script_domains, tls_sha256, tls_not_after, dns, defacement, reasons, error, id
		FROM site_changes FINAL
		WHERE observed_at >= toDateTime(?) AND observed_at < toDateTime(?)
		ORDER BY observed_at, target, id`, unix(from), unix(to))
	if err != nil {
		return nil, fmt.Errorf("warehouse: site changes: %w", err)
	}
	return collect(rows, "site changes", func(r driver.Rows) (leakwatch.SiteChange, error) {
		var (
			c      leakwatch.SiteChange
			status int32
			deface uint8
			id     string
		)
		if err := r.Scan(&c.Target, &c.URL, &c.ObservedAt, &c.Changed, &status, &c.Redirects, &c.RawHash, &c.TextHash, &c.PrevTextHash,
			&c.Title, &c.Diff, &c.LinkDomains, &c.ScriptDomains, &c.TLSSHA256, &c.TLSNotAfter, &c.DNS, &deface, &c.Reasons, &c.Error, &id); err != nil {
			return c, err
		}
		// The id keeps the observation's sub-second part, which the DateTime column drops.
		if t, err := time.Parse(time.RFC3339Nano, id[len(c.Target)+1:]); err == nil {
			c.ObservedAt = t
		} else {
			c.ObservedAt = fromDB(c.ObservedAt)
		}
		c.Status, c.Defacement = int(status), deface == 1
		c.TLSNotAfter = fromDB(c.TLSNotAfter)
		c.Changed, c.Redirects, c.LinkDomains, c.ScriptDomains = nilIfEmpty(c.Changed), nilIfEmpty(c.Redirects), nilIfEmpty(c.LinkDomains), nilIfEmpty(c.ScriptDomains)
		c.DNS, c.Reasons = nilIfEmpty(c.DNS), nilIfEmpty(c.Reasons)
		return c, nil
	})
}

// Alerts are the alerts starting in [from, to), latest version of each, by start; alerts
// another one superseded are left out.
func (w *Warehouse) Alerts(ctx context.Context, from, to time.Time) ([]leakwatch.Alert, error) {
	rows, err := w.latest(ctx, "alerts", "id, rule, severity, kind, object, candidate, summary, evidence, link, starts_at, raised_at, label_keys, label_values, supersedes, detection",
		"starts_at >= toDateTime(?) AND starts_at < toDateTime(?) AND "+NotSuperseded("alerts"), "starts_at, id", unix(from), unix(to))
	if err != nil {
		return nil, fmt.Errorf("warehouse: alerts: %w", err)
	}
	return collect(rows, "alerts", func(r driver.Rows) (leakwatch.Alert, error) {
		var (
			a          leakwatch.Alert
			kind       string
			keys, vals []string
		)
		if err := r.Scan(&a.ID, &a.Rule, &a.Severity, &kind, &a.Object, &a.Candidate, &a.Summary, &a.Evidence, &a.Link, &a.StartsAt, &a.RaisedAt, &keys, &vals, &a.Supersedes, &a.Detection); err != nil {
			return a, err
		}
		a.Kind = leakwatch.SignalKind(kind)
		a.StartsAt, a.RaisedAt = fromDB(a.StartsAt), fromDB(a.RaisedAt)
		a.Evidence, a.Supersedes = nilIfEmpty(a.Evidence), nilIfEmpty(a.Supersedes)
		if len(keys) > 0 {
			a.Labels = make(map[string]string, len(keys))
			for i, k := range keys {
				a.Labels[k] = vals[i]
			}
		}
		return a, nil
	})
}

// Calendar is a stored campaign calendar, events by start; it has no events when the
// campaign is unknown.
func (w *Warehouse) Calendar(ctx context.Context, campaign string) (leakwatch.Calendar, error) {
	cal := leakwatch.Calendar{Name: campaign}
	rows, err := w.conn.Query(ctx, `SELECT timezone, id, kind, title, start_at, end_at FROM (
			SELECT timezone, id, kind, title, start_at, end_at FROM calendar_events FINAL
			WHERE campaign = ? ORDER BY id, version DESC LIMIT 1 BY id
		) ORDER BY start_at, id`, campaign)
	if err != nil {
		return cal, fmt.Errorf("warehouse: calendar %q: %w", campaign, err)
	}
	evs, err := collect(rows, "calendar", func(r driver.Rows) (leakwatch.Event, error) {
		var e leakwatch.Event
		if err := r.Scan(&cal.Timezone, &e.ID, &e.Kind, &e.Title, &e.Start, &e.End); err != nil {
			return e, err
		}
		e.Start, e.End = fromDB(e.Start), fromDB(e.End)
		return e, nil
	})
	cal.Events = evs
	return cal, err
}

// Campaigns are the names of the calendars stored, sorted.
func (w *Warehouse) Campaigns(ctx context.Context) ([]string, error) {
	rows, err := w.conn.Query(ctx, "SELECT DISTINCT campaign FROM calendar_events ORDER BY campaign")
	if err != nil {
		return nil, fmt.Errorf("warehouse: campaigns: %w", err)
	}
	return collect(rows, "campaigns", func(r driver.Rows) (string, error) {
		var c string
		return c, r.Scan(&c)
	})
}

// Result is a query's answer as plain values, for callers that run their own SQL
// (dashboard panels, ad-hoc report sections).
type Result struct {
	Columns []string
	Types   []string
	Rows    [][]any
}

// Query runs one SELECT in the warehouse's database and returns every row. Arguments
// bind positionally to '?'.
func (w *Warehouse) Query(ctx context.Context, query string, args ...any) (Result, error) {
	rows, err := w.conn.Query(ctx, query, args...)
	if err != nil {
		return Result{}, fmt.Errorf("warehouse: query: %w", err)
	}
	defer rows.Close()
	res := Result{Columns: rows.Columns()}
	cts := rows.ColumnTypes()
	for _, ct := range cts {
		res.Types = append(res.Types, ct.DatabaseTypeName())
	}
	for rows.Next() {
		dest := make([]any, len(cts))
		for i, ct := range cts {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return res, fmt.Errorf("warehouse: query: %w", err)
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			row[i] = reflect.ValueOf(d).Elem().Interface()
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("warehouse: query: %w", err)
	}
	return res, nil
}

func collect[T any](rows driver.Rows, what string, scan func(driver.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return out, fmt.Errorf("warehouse: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("warehouse: %s: %w", what, err)
	}
	return out, nil
}

// handlesOf reads back the handles of accounts from names, the way they were shown (a
// handle, or the account where none was known); nil when names is not of accounts.
func handlesOf(names, accounts []string) []string {
	if len(names) == 0 || len(names) != len(accounts) {
		return nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		if n != accounts[i] { // a name that is the account is no handle
			out[i] = n
		}
	}
	return out
}
