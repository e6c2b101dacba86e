package warehouse

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// migration is one schema step. Its statements must be safe to run again (IF NOT EXISTS),
// because two writers may start at once and a step may fail half way: the version is
// recorded only after every statement succeeded, and the step is then never run again.
type migration struct {
	version int
	name    string
	stmts   []string
	// columns are added after stmts, each only where missing: 18.16 has no
	// ADD COLUMN IF NOT EXISTS, so Migrate checks system.columns itself.
	columns []column
}

// column is one column a migration adds to an existing table.
type column struct {
	table, name, typ string
}

// Time columns are DateTime('UTC') (seconds): DateTime64 is not portable to 18.16.
// Every event table: ReplacingMergeTree(version), PARTITION BY toYYYYMM(<event time>) so
// retention drops whole months, ORDER BY ending in the event id so a redelivered row
// replaces its twin when parts merge.
var migrations = []migration{
	{version: 1, name: "initial tables and the per-minute mention rollup", stmts: []string{
		`CREATE TABLE IF NOT EXISTS {db}.posts (
			uri String,
			platform String,
			id String,
			created_at DateTime('UTC'),
			observed_at DateTime('UTC'),
			author_id String,
			author_handle String,
			author_name String,
			author_created_at DateTime('UTC'),
			author_followers Int64,
			author_following Int64,
			author_posts Int64,
			reshare_of String,
			quote_of String,
			reply_to String,
			text String,
			lang String,
			hashtags Array(String),
			handles Array(String),
			urls Array(String),
			url_domains Array(String),
			media_hashes Array(String),
			objects Array(String),
			raw String,
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(created_at)
		ORDER BY (toStartOfHour(created_at), uri)`,

		`CREATE TABLE IF NOT EXISTS {db}.mentions (
			object String,
			kind String,
			account String,
			post String,
			platform String,
			at DateTime('UTC'),
			evidence Array(String),
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(at)
		ORDER BY (kind, object, at, post)`,

		// The rollup sees every inserted block, redeliveries included; distinct-count states
		// (not counters) keep a mention delivered twice from counting twice.
		`CREATE TABLE IF NOT EXISTS {db}.mentions_per_minute (
			kind String,
			object String,
			minute DateTime('UTC'),
			posts AggregateFunction(uniqExact, String),
			accounts AggregateFunction(uniqExact, String)
		) ENGINE = AggregatingMergeTree()
		PARTITION BY toYYYYMM(minute)
		ORDER BY (kind, object, minute)`,

		`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.mentions_per_minute_mv TO {db}.mentions_per_minute AS
		SELECT kind, object, toStartOfMinute(at) AS minute,
			uniqExactState(post) AS posts, uniqExactState(account) AS accounts
		FROM {db}.mentions
		GROUP BY kind, object, minute`,

		`CREATE TABLE IF NOT EXISTS {db}.bursts (
			id String,
			object String,
			kind String,
			onset_at DateTime('UTC'),
			peak_at DateTime('UTC'),
			end_at DateTime('UTC'),
			count Int64,
			baseline Float64,
			score Float64,
			accounts Int64,
			evidence Array(String),
			calendar_events Array(String),
			calendar_kinds Array(String),
			calendar_offsets_s Array(Int64),
			has_timing UInt8,
			in_silence UInt8,
			silence String,
			hours_to_silence Float64,
			next_vote String,
			hours_to_vote Float64,
			timing_score Float64,
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(onset_at)
		ORDER BY (onset_at, id)`,

		`CREATE TABLE IF NOT EXISTS {db}.edges (
			id String,
			object_kind String,
			a String,
			b String,
			weight Int64,
			first_at DateTime('UTC'),
			last_at DateTime('UTC'),
			score Float64,
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(first_at)
		ORDER BY (object_kind, a, b, id)`,

		`CREATE TABLE IF NOT EXISTS {db}.groups (
			id String,
			accounts Array(String),
			size Int64,
			object_kinds Array(String),
			first_at DateTime('UTC'),
			last_at DateTime('UTC'),
			objects Array(String),
			first_movers Array(String),
			edges Int64,
			evidence Array(String),
			score Float64,
			calendar_events Array(String),
			calendar_kinds Array(String),
			calendar_offsets_s Array(Int64),
			has_timing UInt8,
			in_silence UInt8,
			silence String,
			hours_to_silence Float64,
			next_vote String,
			hours_to_vote Float64,
			timing_score Float64,
			supersedes Array(String),
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(first_at)
		ORDER BY id`,

		`CREATE TABLE IF NOT EXISTS {db}.leaks (
			id String,
			object String,
			kind String,
			onset_at DateTime('UTC'),
			start_at DateTime('UTC'),
			evidence Array(String),
			score Float64,
			calendar_events Array(String),
			calendar_kinds Array(String),
			calendar_offsets_s Array(Int64),
			in_silence UInt8,
			silence String,
			hours_to_silence Float64,
			next_vote String,
			hours_to_vote Float64,
			timing_score Float64,
			supersedes Array(String),
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(onset_at)
		ORDER BY (onset_at, id)`,

		`CREATE TABLE IF NOT EXISTS {db}.site_changes (
			id String,
			target String,
			url String,
			observed_at DateTime('UTC'),
			changed Array(String),
			status Int32,
			redirects Array(String),
			raw_hash String,
			text_hash String,
			prev_text_hash String,
			title String,
			diff String,
			link_domains Array(String),
			script_domains Array(String),
			tls_sha256 String,
			tls_not_after DateTime('UTC'),
			dns Array(String),
			defacement UInt8,
			reasons Array(String),
			error String,
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(observed_at)
		ORDER BY (target, observed_at, id)`,

		`CREATE TABLE IF NOT EXISTS {db}.alerts (
			id String,
			rule String,
			severity String,
			kind String,
			object String,
			candidate String,
			summary String,
			evidence Array(String),
			link String,
			starts_at DateTime('UTC'),
			raised_at DateTime('UTC'),
			label_keys Array(String),
			label_values Array(String),
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(starts_at)
		ORDER BY id`,

		`CREATE TABLE IF NOT EXISTS {db}.calendar_events (
			campaign String,
			timezone String,
			id String,
			kind String,
			title String,
			start_at DateTime('UTC'),
			end_at DateTime('UTC'),
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(start_at)
		ORDER BY (campaign, id)`,
	}},
	// An alert that replaces others (a leak incident that moved to an earlier key, groups
	// that merged) names them, so readers leave the replaced alerts out.
	{version: 2, name: "alerts.supersedes", columns: []column{{"alerts", "supersedes", "Array(String)"}}},
	// When a group passed a dump round (Group.EvidenceFirst, EvidenceLast); the epoch for
	// groups that did not.
	{version: 3, name: "groups.evidence_first and evidence_last", columns: []column{
		{"groups", "evidence_first", "DateTime('UTC')"}, {"groups", "evidence_last", "DateTime('UTC')"}}},
	// The candidates a leak incident names (Leak.Candidates), so a panel can ask whom.
	{version: 4, name: "leaks.candidates", columns: []column{{"leaks", "candidates", "Array(String)"}}},
	// The candidates bursts and groups name (Burst.Candidates, Group.Candidates), the record
	// an alert was raised on (Alert.Detection: the id of its burst, group or leak row), and
	// whether a burst's baseline was still learning the daily rhythm (Burst.Learning).
	{version: 5, name: "bursts.candidates, groups.candidates, alerts.detection and bursts.learning", columns: []column{
		{"bursts", "candidates", "Array(String)"}, {"groups", "candidates", "Array(String)"}, {"alerts", "detection", "String"},
		{"bursts", "learning", "UInt8"}}},
	// When a group became coordinated (Group.Formed): its first co-share may be a chance one
	// days before; the epoch for rows written before groups carried it.
	{version: 6, name: "groups.formed_at", columns: []column{{"groups", "formed_at", "DateTime('UTC')"}}},
	// Whether a burst is of the hour scale (Burst.Slow), so a panel can keep the two apart.
	{version: 7, name: "bursts.slow", columns: []column{{"bursts", "slow", "UInt8"}}},
	// How to show accounts known by ids: a group's first movers and accounts by their handles
	// where known (Group.FirstMoverNames, AccountNames), in first_movers' and accounts'
	// order, empty when no handle is known and in rows written before; an edge's accounts'
	// handles (Edge.AHandle, BHandle), empty where unknown.
	{version: 8, name: "groups.first_mover_names, groups.account_names, edges.a_name and edges.b_name", columns: []column{
		{"groups", "first_mover_names", "Array(String)"}, {"groups", "account_names", "Array(String)"},
		{"edges", "a_name", "String"}, {"edges", "b_name", "String"}}},
}

// LatestSchemaVersion is the version a fully migrated warehouse reports.
func LatestSchemaVersion() int { return migrations[len(migrations)-1].version }

const migrationsTable = `CREATE TABLE IF NOT EXISTS {db}.schema_migrations (
	version UInt32,
	name String,
	applied_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version`

// Migrate applies every migration newer than the recorded schema version, in order.
// A warehouse already at the latest version is left untouched.
func (w *Warehouse) Migrate(ctx context.Context) error {
	if err := w.conn.Exec(ctx, w.ddl(migrationsTable)); err != nil {
		return fmt.Errorf("warehouse: create schema_migrations: %w", err)
	}
	current, err := w.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if current > LatestSchemaVersion() {
		return fmt.Errorf("warehouse: database %s is at schema version %d, newer than this binary knows (%d)", w.cfg.Database, current, LatestSchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		start := time.Now()
		for i, stmt := range m.stmts {
			if err := w.conn.Exec(ctx, w.ddl(stmt)); err != nil {
				return fmt.Errorf("warehouse: migration %d (%s), statement %d: %w", m.version, m.name, i+1, err)
			}
		}
		for _, c := range m.columns {
			if err := w.addColumn(ctx, c); err != nil {
				return fmt.Errorf("warehouse: migration %d (%s): %w", m.version, m.name, err)
			}
		}
		b, err := w.conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, applied_at)")
		if err != nil {
			return fmt.Errorf("warehouse: record migration %d: %w", m.version, err)
		}
		if err := b.Append(uint32(m.version), m.name, time.Now().UTC()); err != nil {
			b.Abort()
			return fmt.Errorf("warehouse: record migration %d: %w", m.version, err)
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("warehouse: record migration %d: %w", m.version, err)
		}
		w.log.Info("schema migration applied", "database", w.cfg.Database, "version", m.version, "name", m.name, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// addColumn adds c unless the table has it. Two writers migrating at once may both find it
// missing: the one whose ALTER fails then finds it present and carries on.
func (w *Warehouse) addColumn(ctx context.Context, c column) error {
	has := func() (bool, error) {
		var n uint64
		err := w.conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?", w.cfg.Database, c.table, c.name).Scan(&n)
		return n > 0, err
	}
	ok, err := has()
	if err != nil || ok {
		return err
	}
	alterErr := w.conn.Exec(ctx, w.ddl("ALTER TABLE {db}."+c.table+" ADD COLUMN "+c.name+" "+c.typ))
	if alterErr == nil {
		return nil
	}
	if ok, err := has(); err == nil && ok {
		return nil
	}
	return fmt.Errorf("add column %s.%s: %w", c.table, c.name, alterErr)
}

// SchemaVersion is the highest migration recorded in the database, 0 when none is.
func (w *Warehouse) SchemaVersion(ctx context.Context) (int, error) {
	var exists uint64
	if err := w.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'schema_migrations'", w.cfg.Database).Scan(&exists); err != nil {
		return 0, fmt.Errorf("warehouse: schema version: %w", err)
	}
	if exists == 0 {
		return 0, nil
	}
	var v uint32
	if err := w.conn.QueryRow(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("warehouse: schema version: %w", err)
	}
	return int(v), nil
}

// ddl puts the configured database into a statement: DDL names it explicitly so the
// materialized view reads the right table whatever the session's current database.
func (w *Warehouse) ddl(stmt string) string {
	return strings.ReplaceAll(stmt, "{db}", w.cfg.Database)
}
