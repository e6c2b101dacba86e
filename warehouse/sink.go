package warehouse

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
)

// RecordError says which record of a batch could not be stored and why.
type RecordError struct {
	Table string // destination table
	Index int    // position in the slice given to the Insert call; -1 from Check*
	ID    string // the record's event id, as far as it could be read
	Err   error
}

func (e *RecordError) Error() string {
	id := e.ID
	if id == "" {
		id = "no id"
	}
	if e.Index < 0 {
		return fmt.Sprintf("warehouse: %s record (%s): %v", e.Table, id, e.Err)
	}
	return fmt.Sprintf("warehouse: %s record %d (%s): %v", e.Table, e.Index, id, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// maxRecordErrors caps how many bad records one error lists; the rest are counted.
const maxRecordErrors = 10

// The DateTime range: seconds since the epoch in a UInt32.
var (
	minTime = time.Unix(0, 0).UTC()
	maxTime = time.Unix(1<<32-1, 0).UTC()
)

// reqTime validates a time every record of its kind must have.
func reqTime(field string, t time.Time) (time.Time, error) {
	if t.IsZero() {
		return time.Time{}, fmt.Errorf("%s: not set", field)
	}
	if !t.After(minTime) || t.After(maxTime) {
		return time.Time{}, fmt.Errorf("%s %s: outside the storable range 1970-01-01..2106-02-07", field, t.UTC().Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// optTime validates a time a record may lack; a missing one is stored as the epoch and
// read back as the zero time.
func optTime(field string, t time.Time) (time.Time, error) {
	if t.IsZero() {
		return minTime, nil
	}
	return reqTime(field, t)
}

// ver orders two versions of one superseding record: first by how much it holds (count,
// weight, accounts), then by its latest time. Equal versions: the later insert wins.
func ver(n int, t time.Time) uint64 {
	n = min(max(n, 0), 1<<31-1)
	s := min(max(t.Unix(), 0), 1<<32-1)
	return uint64(n)<<32 | uint64(s)
}

// grown orders two versions of a record that only grows, by two counts that never fall
// (a group's accounts, then its edges): equal versions leave the later insert, the latest
// publication, in place. A time does not order them: a late co-share that is earlier than
// one counted replaces it, and a group's or edge's last time can then go back, which left
// the older version in place (ver). The low word carries bit 31, above every Unix second
// before 2038 that ver stored there, so a version written now wins over one written before
// with the same first count.
func grown(n, m int) uint64 {
	n = min(max(n, 0), 1<<31-1)
	m = min(max(m, 0), 1<<31-1)
	return uint64(n)<<32 | 1<<31 | uint64(m)
}

func ms(t time.Time) uint64 { return uint64(max(t.UnixMilli(), 0)) }

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// strs never hands the driver a nil slice.
func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func kindsToStrings(k []leakwatch.ObjectKind) []string {
	out := make([]string, len(k))
	for i, v := range k {
		out[i] = string(v)
	}
	return out
}

// objectKind validates an object key and returns its kind.
func objectKind(field, key string) (string, error) {
	ref, err := leakwatch.ParseObjectKey(key)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return string(ref.Kind), nil
}

// table is how one record type maps to one table.
type table[T any] struct {
	name string
	cols []string
	id   func(T) string
	row  func(T) ([]any, error)
}

func (t table[T]) insertSQL() string {
	return "INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ")"
}

// rows validates every record and returns their column values, or every record error.
func (t table[T]) rows(recs []T, index func(int) int) ([][]any, error) {
	out := make([][]any, 0, len(recs))
	var errs []error
	bad := 0
	for i, r := range recs {
		vals, err := t.row(r)
		if err != nil {
			bad++
			if bad <= maxRecordErrors {
				errs = append(errs, &RecordError{Table: t.name, Index: index(i), ID: t.id(r), Err: err})
			}
			continue
		}
		out = append(out, vals)
	}
	if bad > maxRecordErrors {
		errs = append(errs, fmt.Errorf("warehouse: %s: %d more bad records", t.name, bad-maxRecordErrors))
	}
	return out, errors.Join(errs...)
}

// send writes validated rows in batches of BatchSize. When a batch fails, earlier ones are
// stored; inserting the same input again is safe because every table deduplicates.
func (w *Warehouse) send(ctx context.Context, name, insert string, rows [][]any) error {
	for start := 0; start < len(rows); start += w.cfg.BatchSize {
		end := min(start+w.cfg.BatchSize, len(rows))
		b, err := w.conn.PrepareBatch(ctx, insert)
		if err != nil {
			return fmt.Errorf("warehouse: insert into %s: %w", name, err)
		}
		for i, r := range rows[start:end] {
			if err := b.Append(r...); err != nil {
				b.Abort()
				return fmt.Errorf("warehouse: insert into %s, row %d: %w", name, start+i, err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("warehouse: insert into %s, rows %d..%d: %w", name, start, end-1, err)
		}
	}
	return nil
}

func insertAll[T any](ctx context.Context, w *Warehouse, t table[T], recs []T) error {
	if len(recs) == 0 {
		return nil
	}
	rows, err := t.rows(recs, func(i int) int { return i })
	if err != nil {
		return err
	}
	return w.send(ctx, t.name, t.insertSQL(), rows)
}

// Every Insert call validates the whole input first: if any record is malformed it returns
// the RecordErrors (use errors.As) and stores nothing, so a caller can set the bad records
// aside (dead-letter them) and retry with the rest. Check* validate one record the same way.

// InsertPosts stores posts; a post already stored (same URI and hour) is replaced, not added.
func (w *Warehouse) InsertPosts(ctx context.Context, posts []leakwatch.Post) error {
	return insertAll(ctx, w, postsTable, posts)
}

// InsertMentions stores mentions and, through the materialized view, their per-minute rollup.
func (w *Warehouse) InsertMentions(ctx context.Context, ms []leakwatch.Mention) error {
	return insertAll(ctx, w, mentionsTable, ms)
}

// InsertSiteChanges stores site changes.
func (w *Warehouse) InsertSiteChanges(ctx context.Context, cs []leakwatch.SiteChange) error {
	return insertAll(ctx, w, siteChangesTable, cs)
}

// InsertAlerts stores alerts; a repeat of an alert (same ID) supersedes it.
func (w *Warehouse) InsertAlerts(ctx context.Context, as []leakwatch.Alert) error {
	return insertAll(ctx, w, alertsTable, as)
}

// InsertCalendar stores a campaign's events; importing a calendar again replaces events with
// the same campaign and id.
func (w *Warehouse) InsertCalendar(ctx context.Context, c leakwatch.Calendar) error {
	if c.Name == "" {
		return &RecordError{Table: "calendar_events", Index: -1, Err: errors.New("calendar name: empty (it is the campaign key)")}
	}
	now := ms(time.Now())
	evs := make([]calendarEvent, len(c.Events))
	for i, e := range c.Events {
		evs[i] = calendarEvent{campaign: c.Name, timezone: c.Timezone, ev: e, version: now}
	}
	return insertAll(ctx, w, calendarTable, evs)
}

// InsertSignals stores signals, each kind in its table (bursts, edges, groups, leaks).
// A signal with the same Key as a stored one supersedes it when it holds more (a burst that
// grew, an edge whose weight rose).
func (w *Warehouse) InsertSignals(ctx context.Context, sigs []leakwatch.Signal) error {
	if len(sigs) == 0 {
		return nil
	}
	var (
		idx    = map[leakwatch.SignalKind][]int{}
		bursts []leakwatch.Signal
		edges  []leakwatch.Signal
		groups []leakwatch.Signal
		leaks  []leakwatch.Signal
		errs   []error
	)
	for i, s := range sigs {
		if err := checkSignalShape(s); err != nil {
			errs = append(errs, &RecordError{Table: "signals", Index: i, Err: err})
			continue
		}
		idx[s.Kind] = append(idx[s.Kind], i)
		switch s.Kind {
		case leakwatch.SignalBurst:
			bursts = append(bursts, s)
		case leakwatch.SignalEdge:
			edges = append(edges, s)
		case leakwatch.SignalGroup:
			groups = append(groups, s)
		case leakwatch.SignalLeak:
			leaks = append(leaks, s)
		}
	}
	type part struct {
		t    table[leakwatch.Signal]
		recs []leakwatch.Signal
		kind leakwatch.SignalKind
		rows [][]any
	}
	parts := []*part{{t: burstsTable, recs: bursts, kind: leakwatch.SignalBurst}, {t: edgesTable, recs: edges, kind: leakwatch.SignalEdge}, {t: groupsTable, recs: groups, kind: leakwatch.SignalGroup}, {t: leaksTable, recs: leaks, kind: leakwatch.SignalLeak}}
	for _, p := range parts {
		pos := idx[p.kind]
		rows, err := p.t.rows(p.recs, func(i int) int { return pos[i] })
		if err != nil {
			errs = append(errs, err)
		}
		p.rows = rows
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, p := range parts {
		if len(p.rows) == 0 {
			continue
		}
		if err := w.send(ctx, p.t.name, p.t.insertSQL(), p.rows); err != nil {
			return err
		}
	}
	return nil
}

func checkSignalShape(s leakwatch.Signal) error {
	var set bool
	switch s.Kind {
	case leakwatch.SignalBurst:
		set = s.Burst != nil
	case leakwatch.SignalEdge:
		set = s.Edge != nil
	case leakwatch.SignalGroup:
		set = s.Group != nil
	case leakwatch.SignalLeak:
		set = s.Leak != nil
	default:
		return fmt.Errorf("kind %q: unknown signal kind", s.Kind)
	}
	if !set {
		return fmt.Errorf("kind %s: no %s body set", s.Kind, s.Kind)
	}
	return nil
}

// CheckPost reports why a post cannot be stored, or nil.
func CheckPost(p leakwatch.Post) error { return check(postsTable, p) }

// CheckMention reports why a mention cannot be stored, or nil.
func CheckMention(m leakwatch.Mention) error { return check(mentionsTable, m) }

// CheckSiteChange reports why a site change cannot be stored, or nil.
func CheckSiteChange(c leakwatch.SiteChange) error { return check(siteChangesTable, c) }

// CheckAlert reports why an alert cannot be stored, or nil.
func CheckAlert(a leakwatch.Alert) error { return check(alertsTable, a) }

// CheckSignal reports why a signal cannot be stored, or nil.
func CheckSignal(s leakwatch.Signal) error {
	if err := checkSignalShape(s); err != nil {
		return &RecordError{Table: "signals", Index: -1, Err: err}
	}
	switch s.Kind {
	case leakwatch.SignalBurst:
		return check(burstsTable, s)
	case leakwatch.SignalEdge:
		return check(edgesTable, s)
	case leakwatch.SignalGroup:
		return check(groupsTable, s)
	default:
		return check(leaksTable, s)
	}
}

func check[T any](t table[T], r T) error {
	if _, err := t.row(r); err != nil {
		return &RecordError{Table: t.name, Index: -1, ID: t.id(r), Err: err}
	}
	return nil
}

// calendarEvent is one row of calendar_events: an event with its campaign.
type calendarEvent struct {
	campaign, timezone string
	ev                 leakwatch.Event
	version            uint64
}

func calendarCols(refs []leakwatch.CalendarRef) (events, kinds []string, offsets []int64) {
	events, kinds, offsets = make([]string, len(refs)), make([]string, len(refs)), make([]int64, len(refs))
	for i, r := range refs {
		events[i], kinds[i], offsets[i] = r.Event, r.Kind, r.OffsetS
	}
	return events, kinds, offsets
}

func timingCols(t *leakwatch.Timing) []any {
	if t == nil {
		return []any{uint8(0), uint8(0), "", 0.0, "", 0.0, 0.0}
	}
	return []any{uint8(1), b2u(t.InSilence), t.Silence, t.HoursToSilence, t.NextVote, t.HoursToVote, t.Score}
}

var postsTable = table[leakwatch.Post]{
	name: "posts",
	cols: []string{"uri", "platform", "id", "created_at", "observed_at", "author_id", "author_handle", "author_name",
		"author_created_at", "author_followers", "author_following", "author_posts", "reshare_of", "quote_of", "reply_to",
		"text", "lang", "hashtags", "handles", "urls", "url_domains", "media_hashes", "objects", "raw", "version"},
	id: func(p leakwatch.Post) string { return fmt.Sprintf("uri %q", p.URI) },
	row: func(p leakwatch.Post) ([]any, error) {
		if p.URI == "" {
			return nil, errors.New("uri: empty (it is the post's event id)")
		}
		if p.Platform == "" {
			return nil, errors.New("platform: empty")
		}
		created, err := reqTime("created_at", p.CreatedAt)
		if err != nil {
			return nil, err
		}
		// A source that does not say when it saw the post saw it when it was made.
		observed := created
		if !p.ObservedAt.IsZero() {
			if observed, err = reqTime("observed_at", p.ObservedAt); err != nil {
				return nil, err
			}
		}
		authorCreated, err := optTime("author.created_at", p.Author.CreatedAt)
		if err != nil {
			return nil, err
		}
		urls := make([]string, 0, len(p.URLs))
		var domains []string
		for _, l := range p.URLs {
			switch {
			case l.Normalized != "":
				urls = append(urls, l.Normalized)
			case l.Expanded != "":
				urls = append(urls, l.Expanded)
			default:
				urls = append(urls, l.Raw)
			}
			if l.Domain != "" && !contains(domains, l.Domain) {
				domains = append(domains, l.Domain)
			}
		}
		var media []string
		for _, m := range p.Media {
			if m.Hash != "" {
				media = append(media, m.Hash)
			}
		}
		objects := make([]string, len(p.Objects))
		for i, o := range p.Objects {
			objects[i] = o.Key()
		}
		return []any{p.URI, p.Platform, p.ID, created, observed, p.Author.ID, p.Author.Handle, p.Author.Name,
			authorCreated, p.Author.Followers, p.Author.Following, p.Author.Posts, p.ReshareOf, p.QuoteOf, p.ReplyTo,
			p.Text, p.Lang, strs(p.Hashtags), strs(p.Mentions), urls, strs(domains), strs(media), objects, string(p.Raw), ms(observed)}, nil
	},
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

var mentionsTable = table[leakwatch.Mention]{
	name: "mentions",
	cols: []string{"object", "kind", "account", "post", "platform", "at", "evidence", "version"},
	id:   func(m leakwatch.Mention) string { return fmt.Sprintf("object %q, post %q", m.Object, m.Post) },
	row: func(m leakwatch.Mention) ([]any, error) {
		kind, err := objectKind("object", m.Object)
		if err != nil {
			return nil, err
		}
		if m.Post == "" {
			return nil, errors.New("post: empty (object and post are the mention's event id)")
		}
		if m.Account == "" {
			return nil, errors.New("account: empty")
		}
		at, err := reqTime("at", m.At)
		if err != nil {
			return nil, err
		}
		return []any{m.Object, kind, m.Account, m.Post, m.Platform, at, strs(m.Evidence), ms(at)}, nil
	},
}

func signalID(s leakwatch.Signal) string {
	if checkSignalShape(s) != nil {
		return ""
	}
	return fmt.Sprintf("id %q", s.Key())
}

var burstsTable = table[leakwatch.Signal]{
	name: "bursts",
	cols: []string{"id", "object", "kind", "onset_at", "peak_at", "end_at", "count", "baseline", "score", "accounts", "evidence",
		"calendar_events", "calendar_kinds", "calendar_offsets_s",
		"has_timing", "in_silence", "silence", "hours_to_silence", "next_vote", "hours_to_vote", "timing_score", "candidates", "learning", "slow", "version"},
	id: signalID,
	row: func(s leakwatch.Signal) ([]any, error) {
		b := s.Burst
		kind, err := objectKind("object", b.Object)
		if err != nil {
			return nil, err
		}
		onset, err := reqTime("onset", b.Onset)
		if err != nil {
			return nil, err
		}
		peak, err := optTime("peak", b.Peak)
		if err != nil {
			return nil, err
		}
		end, err := optTime("end", b.End)
		if err != nil {
			return nil, err
		}
		ce, ck, co := calendarCols(b.Calendar)
		row := []any{s.Key(), b.Object, kind, onset, peak, end, int64(b.Count), b.Baseline, b.Score, int64(b.Accounts), strs(b.Evidence), ce, ck, co}
		row = append(row, timingCols(b.Timing)...)
		return append(row, strs(b.Candidates), b2u(b.Learning), b2u(b.Slow), ver(b.Count, end)), nil
	},
}

var edgesTable = table[leakwatch.Signal]{
	name: "edges",
	cols: []string{"id", "object_kind", "a", "b", "weight", "first_at", "last_at", "score", "a_name", "b_name", "version"},
	id:   signalID,
	row: func(s leakwatch.Signal) ([]any, error) {
		e := s.Edge
		if e.ObjectKind == "" {
			return nil, errors.New("object_kind: empty")
		}
		if e.A == "" || e.B == "" || e.A >= e.B {
			return nil, fmt.Errorf("a %q, b %q: want two accounts with a < b", e.A, e.B)
		}
		first, err := reqTime("first", e.First)
		if err != nil {
			return nil, err
		}
		last, err := reqTime("last", e.Last)
		if err != nil {
			return nil, err
		}
		if last.Before(first) {
			return nil, fmt.Errorf("last %s: before first %s", last.Format(time.RFC3339), first.Format(time.RFC3339))
		}
		return []any{s.Key(), string(e.ObjectKind), e.A, e.B, int64(e.Weight), first, last, e.Score, e.AHandle, e.BHandle, grown(e.Weight, 0)}, nil
	},
}

var groupsTable = table[leakwatch.Signal]{
	name: "groups",
	cols: []string{"id", "accounts", "size", "object_kinds", "first_at", "last_at", "objects", "first_movers", "edges", "evidence", "evidence_first", "evidence_last", "score",
		"calendar_events", "calendar_kinds", "calendar_offsets_s",
		"has_timing", "in_silence", "silence", "hours_to_silence", "next_vote", "hours_to_vote", "timing_score", "supersedes", "candidates", "formed_at", "first_mover_names", "account_names", "version"},
	id: signalID,
	row: func(s leakwatch.Signal) ([]any, error) {
		g := s.Group
		if g.ID == "" {
			return nil, errors.New("id: empty")
		}
		if len(g.Accounts) == 0 {
			return nil, errors.New("accounts: empty")
		}
		first, err := reqTime("first", g.First)
		if err != nil {
			return nil, err
		}
		last, err := reqTime("last", g.Last)
		if err != nil {
			return nil, err
		}
		evFirst, err := optTime("evidence_first", g.EvidenceFirst)
		if err != nil {
			return nil, err
		}
		evLast, err := optTime("evidence_last", g.EvidenceLast)
		if err != nil {
			return nil, err
		}
		formed, err := optTime("formed", g.Formed)
		if err != nil {
			return nil, err
		}
		ce, ck, co := calendarCols(g.Calendar)
		row := []any{s.Key(), g.Accounts, int64(len(g.Accounts)), kindsToStrings(g.ObjectKinds), first, last, strs(g.Objects), strs(g.FirstMovers),
			int64(g.Edges), strs(g.Evidence), evFirst, evLast, g.Score, ce, ck, co}
		row = append(row, timingCols(g.Timing)...)
		// Stored as the record ids they replace, so one filter serves groups and leaks.
		sup := make([]string, len(g.Supersedes))
		for i, id := range g.Supersedes {
			sup[i] = leakwatch.GroupKey(id)
		}
		var movers, accounts []string
		if g.FirstMoverHandles != nil {
			movers = g.FirstMoverNames()
		}
		if g.AccountHandles != nil {
			accounts = g.AccountNames()
		}
		return append(row, sup, strs(g.Candidates), formed, strs(movers), strs(accounts), grown(len(g.Accounts), g.Edges)), nil
	},
}

var leaksTable = table[leakwatch.Signal]{
	name: "leaks",
	cols: []string{"id", "object", "kind", "onset_at", "start_at", "evidence", "score", "calendar_events", "calendar_kinds", "calendar_offsets_s",
		"in_silence", "silence", "hours_to_silence", "next_vote", "hours_to_vote", "timing_score", "supersedes", "candidates", "version"},
	id: signalID,
	row: func(s leakwatch.Signal) ([]any, error) {
		l := s.Leak
		kind, err := objectKind("object", l.Object)
		if err != nil {
			return nil, err
		}
		onset, err := reqTime("onset", l.Onset)
		if err != nil {
			return nil, err
		}
		start := onset
		if !l.Start.IsZero() {
			start = l.Start
		}
		ce, ck, co := calendarCols(l.Calendar)
		t := l.Timing
		return []any{s.Key(), l.Object, kind, onset, start, strs(l.Evidence), l.Score, ce, ck, co,
			b2u(t.InSilence), t.Silence, t.HoursToSilence, t.NextVote, t.HoursToVote, t.Score, strs(l.Supersedes), strs(l.Candidates), ver(len(l.Evidence), onset)}, nil
	},
}

// siteChangeID is a change's event id: one target changes at most once per observation.
func siteChangeID(c leakwatch.SiteChange) string {
	return c.Target + "|" + c.ObservedAt.UTC().Format(time.RFC3339Nano)
}

var siteChangesTable = table[leakwatch.SiteChange]{
	name: "site_changes",
	cols: []string{"id", "target", "url", "observed_at", "changed", "status", "redirects", "raw_hash", "text_hash", "prev_text_hash",
		"title", "diff", "link_domains", "script_domains", "tls_sha256", "tls_not_after", "dns", "defacement", "reasons", "error", "version"},
	id: func(c leakwatch.SiteChange) string {
		return fmt.Sprintf("target %q at %s", c.Target, c.ObservedAt.UTC().Format(time.RFC3339Nano))
	},
	row: func(c leakwatch.SiteChange) ([]any, error) {
		if c.Target == "" {
			return nil, errors.New("target: empty")
		}
		observed, err := reqTime("observed_at", c.ObservedAt)
		if err != nil {
			return nil, err
		}
		notAfter, err := optTime("tls_not_after", c.TLSNotAfter)
		if err != nil {
			return nil, err
		}
		return []any{siteChangeID(c), c.Target, c.URL, observed, strs(c.Changed), int32(c.Status), strs(c.Redirects), c.RawHash, c.TextHash, c.PrevTextHash,
			c.Title, c.Diff, strs(c.LinkDomains), strs(c.ScriptDomains), c.TLSSHA256, notAfter, strs(c.DNS), b2u(c.Defacement), strs(c.Reasons), c.Error, ms(c.ObservedAt)}, nil
	},
}

var alertsTable = table[leakwatch.Alert]{
	name: "alerts",
	cols: []string{"id", "rule", "severity", "kind", "object", "candidate", "summary", "evidence", "link", "starts_at", "raised_at", "label_keys", "label_values", "supersedes", "detection", "version"},
	id:   func(a leakwatch.Alert) string { return fmt.Sprintf("id %q", a.ID) },
	row: func(a leakwatch.Alert) ([]any, error) {
		if a.ID == "" {
			return nil, errors.New("id: empty")
		}
		starts, err := reqTime("starts_at", a.StartsAt)
		if err != nil {
			return nil, err
		}
		raised, err := optTime("raised_at", a.RaisedAt)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(a.Labels))
		for k := range a.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		vals := make([]string, len(keys))
		for i, k := range keys {
			vals[i] = a.Labels[k]
		}
		// Supersedes names the alerts this one replaces (a leak incident that moved, groups
		// that merged): readers leave those out.
		return []any{a.ID, a.Rule, a.Severity, string(a.Kind), a.Object, a.Candidate, a.Summary, strs(a.Evidence), a.Link, starts, raised, keys, vals, strs(a.Supersedes), a.Detection, ms(raised)}, nil
	},
}

var calendarTable = table[calendarEvent]{
	name: "calendar_events",
	cols: []string{"campaign", "timezone", "id", "kind", "title", "start_at", "end_at", "version"},
	id:   func(c calendarEvent) string { return fmt.Sprintf("campaign %q, event %q", c.campaign, c.ev.ID) },
	row: func(c calendarEvent) ([]any, error) {
		if c.ev.ID == "" {
			return nil, errors.New("id: empty")
		}
		start, err := reqTime("start", c.ev.Start)
		if err != nil {
			return nil, err
		}
		end, err := optTime("end", c.ev.End)
		if err != nil {
			return nil, err
		}
		return []any{c.campaign, c.timezone, c.ev.ID, c.ev.Kind, c.ev.Title, start, end, c.version}, nil
	},
}
