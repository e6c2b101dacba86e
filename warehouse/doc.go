// Package warehouse keeps leakwatch's history in ClickHouse: versioned schema migrations,
// an idempotent batch sink for posts, mentions, signals, site changes, alerts and calendars,
// partition retention, and the queries dashboards and retrospective reports run.
//
// It speaks ClickHouse's native protocol through clickhouse-go/v2 and inserts only through
// PrepareBatch with explicit column lists. Its SQL stays inside what ClickHouse 18.16 (the
// Debian server) and current releases both accept: no TTL, Map, DateTime64, LowCardinality,
// window functions, JSON functions, WITH FILL or async inserts.
//
// Every table is a ReplacingMergeTree keyed on an event id, and every query deduplicates
// (FINAL, uniqExact over the id, or LIMIT 1 BY id), so a record delivered twice by Kafka
// never counts twice.
//
// It imports the root package and analytics/volume (for the shape of the report's volume
// lines, a pure type); it must not import stream, alerts, any collector or an analytics
// detector.
package warehouse
