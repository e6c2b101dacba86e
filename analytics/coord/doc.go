// Package coord finds coordinated sharing: the co-share edges of DESIGN.md (two accounts
// shared the same object of one kind within W; weight = distinct objects; coordinated when
// weight >= M), their popularity-weighted scores, and the coordinated groups they form.
//
// It is split the way the stream is: Sharing is the per-object half (it needs every share of
// an object, as one partition of the mentions topic has) and emits Observations; Edges is
// the cross-object half that aggregates them into edges and groups. Both are event-time
// driven and deterministic whatever the arrival order within the allowed lateness.
// docs/DETECTION.md ("Co-share edges and coordinated groups") gives the method and defaults.
//
// The package is pure: no I/O; it must not import stream, warehouse, collectors or any Kafka
// or ClickHouse client, nor other analytics packages.
package coord
