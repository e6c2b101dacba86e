package warehouse

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// eventTables are the tables retention applies to, all partitioned by month of their event
// time. calendar_events (reference data a report still needs for older events) and
// schema_migrations are not among them.
var eventTables = []string{"posts", "mentions", "mentions_per_minute", "bursts", "edges", "groups", "leaks", "site_changes", "alerts"}

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
// holding cut is kept whole. It returns what it dropped.
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
			if month < keep {
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
