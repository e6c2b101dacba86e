// Package pipeline composes the detectors into the three stages of the processor and into the
// batch analysis, so that both run exactly the same code.
//
// Stages (one value per consumer, none safe for concurrent use):
//
//   - Extract (post -> mentions): stateless. The caller writes each mention to the mentions
//     topic keyed by Mention.Object, so every share of one object meets in one partition.
//   - Detect (mentions of the objects of one partition -> bursts and co-share observations):
//     give it mentions with Add, then call Advance(watermark) whenever the partition's
//     event-time watermark moves (for example after each fetched batch, with the newest
//     event time seen), and Flush at the end of a finite input. A mention older than
//     watermark - Lateness is refused with a *LateError carrying it: the caller sends it to
//     the dead-letter topic (nothing is dropped silently). Outputs: bursts (already placed on
//     the calendar) go to the signals topic keyed by Signal.Key(); CoShare observations go to
//     the signals topic keyed by CoShare.Key() (the account pair), so all observations of
//     one edge meet in one partition of the correlate stage. Their JSON has "kind":"coshare".
//   - Correlate (co-shares, bursts, site changes -> edges, groups, leaks, alerts): feed
//     CoShare, Burst and Change as they arrive and call Advance(watermark) with the lowest
//     watermark of the detect partitions, and Flush at the end. Its signals go to the signals
//     topic keyed by Signal.Key() (a later record with the same key supersedes an earlier
//     one; a group's Supersedes lists ids it replaces), its alerts to the alerts topic.
//     Groups are connected components across all edges, so the correlate stage runs as one
//     consumer (or one per independent campaign); it holds per-edge state, not posts.
//
// Replaying posts in event-time order through these stages, with mentions spread over any
// number of detect partitions by object, gives the same final signals (latest per key,
// superseded groups dropped) as Analyze; pipeline_test.go checks it.
//
// Analyze is the batch form: extract, sort by event time, detect, correlate, flush.
//
// The package does no I/O: it must not import kafka-go, clickhouse-go, net/http, stream,
// warehouse or collectors. Windowed state is bounded by the window plus the lateness.
package pipeline
