package warehouse

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// eventTables are the tables retention applies to, all partitioned by month of their event
// time. calendar_events (reference data a report still needs for older events) and
// schema_migrations are not among them.
var eventTables = []string{"posts", "mentions", "mentions_per_minute", "bursts", "edges", "groups", "leaks", "site_changes", "alerts"}

// span is what retention must know of a table's records to drop none still needed.
type span struct {
	at  string // the partition's time column
	end string // the record's last time: its month stays while this is at or after the cut
	// linked: a record's versions can lie in different months (its time moved: edges,
	// groups, alerts) or name records they supersede (groups, leaks, alerts).
	linked, supersedes bool
}

var spans = map[string]span{
	"posts":               {at: "created_at", end: "created_at"},
	"mentions":            {at: "at", end: "at"},
	"mentions_per_minute": {at: "minute", end: "minute"},
	"bursts":              {at: "onset_at", end: "end_at"},
	"edges":               {at: "first_at", end: "last_at", linked: true},
	"groups":              {at: "first_at", end: "last_at", linked: true, supersedes: true},
	"leaks":               {at: "onset_at", end: "onset_at", linked: true, supersedes: true},
	"site_changes":        {at: "observed_at", end: "observed_at"},
	"alerts":              {at: "starts_at", end: "starts_at", linked: true, supersedes: true},
}

// EventTables are the tables DropBefore accepts.
func EventTables() []string { return slices.Clone(eventTables) }

// AllTables selects every table of EventTables for DropBefore.
const AllTables = "all"

// DroppedPartition is one month of one table that retention removed.
type DroppedPartition struct {
	Table     string
	Partition string // YYYYMM
	Rows      uint64 // rows it held (before deduplication)
}

// DropBefore drops every monthly partition of table (or of every event table, for
// AllTables) that ends at or before cut, so no row at or after cut is lost: the month
// holding cut is kept whole. An older month is kept too while it holds a record that lasts
// until the cut or later (an edge, group or burst that began before it), or a version of a
// record, or a record superseding one, that a kept month also holds: dropping it would
// bring back a stale version or a superseded record. It returns what it dropped.
//
// mentions and mentions_per_minute are separate tables here so the compact rollup can be
// kept longer than the raw mentions.
func (w *Warehouse) DropBefore(ctx context.Context, table string, cut time.Time) ([]DroppedPartition, error) {
	tables := []string{table}
	if table == AllTables {
		tables = eventTables
	} else if !slices.Contains(eventTables, table) {
		return nil, fmt.Errorf("warehouse: retention: table %q: want one of %v or %q", table, eventTables, AllTables)
	}
	cut = cut.UTC()
	keep := cut.Year()*100 + int(cut.Month())
	var dropped []DroppedPartition
	for _, t := range tables {
		kept, err := w.monthsToKeep(ctx, t, cut, keep)
		if err != nil {
			return dropped, err
		}
		rows, err := w.conn.Query(ctx, `SELECT partition, sum(rows) FROM system.parts
			WHERE database = ? AND table = ? AND active GROUP BY partition ORDER BY partition`, w.cfg.Database, t)
		if err != nil {
			return dropped, fmt.Errorf("warehouse: retention: list partitions of %s: %w", t, err)
		}
		var old []DroppedPartition
		for rows.Next() {
			var p DroppedPartition
			if err := rows.Scan(&p.Partition, &p.Rows); err != nil {
				rows.Close()
				return dropped, fmt.Errorf("warehouse: retention: list partitions of %s: %w", t, err)
			}
			month, err := strconv.Atoi(p.Partition)
			if err != nil {
				rows.Close()
				return dropped, fmt.Errorf("warehouse: retention: %s partition %q: not a YYYYMM month", t, p.Partition)
			}
			if month < keep && !kept[month] {
				p.Table = t
				old = append(old, p)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return dropped, fmt.Errorf("warehouse: retention: list partitions of %s: %w", t, err)
		}
		for _, p := range old {
			// The partition id is digits only (checked above), so it is safe to splice.
			if err := w.conn.Exec(ctx, "ALTER TABLE "+t+" DROP PARTITION "+p.Partition); err != nil {
				return dropped, fmt.Errorf("warehouse: retention: drop %s partition %s: %w", t, p.Partition, err)
			}
			w.log.Info("partition dropped", "table", t, "partition", p.Partition, "rows", p.Rows)
			dropped = append(dropped, p)
		}
	}
	return dropped, nil
}

// monthsToKeep are the months before keep (YYYYMM) that table must keep for cut: those
// holding a record lasting until cut or later, and every month sharing a record id (a
// version, or a supersedes entry naming it) with a kept one, transitively.
func (w *Warehouse) monthsToKeep(ctx context.Context, table string, cut time.Time, keep int) (map[int]bool, error) {
	sp := spans[table]
	month := "toUInt32(toYYYYMM(" + sp.at + "))"
	kept := map[int]bool{}
	// Where a record's last time is its month's own, a month before keep ends before cut.
	if sp.end != sp.at {
		rows, err := w.conn.Query(ctx, "SELECT DISTINCT "+month+" FROM "+table+" WHERE "+sp.end+" >= toDateTime(?)", unix(cut))
		if err != nil {
			return nil, fmt.Errorf("warehouse: retention: months of %s lasting past the cut: %w", table, err)
		}
		ms, err := collect(rows, "retention", func(r driver.Rows) (uint32, error) {
			var m uint32
			return m, r.Scan(&m)
		})
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			kept[int(m)] = true
		}
	}
	if !sp.linked {
		return kept, nil
	}
	ids := "SELECT " + month + " AS m, id FROM " + table
	if sp.supersedes {
		ids += " UNION ALL SELECT " + month + " AS m, arrayJoin(supersedes) AS id FROM " + table
	}
	rows, err := w.conn.Query(ctx, "SELECT groupUniqArray(m) AS ms FROM ("+ids+") GROUP BY id HAVING length(ms) > 1")
	if err != nil {
		return nil, fmt.Errorf("warehouse: retention: records of %s across months: %w", table, err)
	}
	links, err := collect(rows, "retention", func(r driver.Rows) ([]uint32, error) {
		var ms []uint32
		return ms, r.Scan(&ms)
	})
	if err != nil {
		return nil, err
	}
	isKept := func(m uint32) bool { return int(m) >= keep || kept[int(m)] }
	for changed := true; changed; {
		changed = false
		for _, l := range links {
			if !slices.ContainsFunc(l, isKept) {
				continue
			}
			for _, m := range l {
				if !isKept(m) {
					kept[int(m)], changed = true, true
				}
			}
		}
	}
	return kept, nil
}
