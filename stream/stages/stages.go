// Package stages runs the processor's stages (analytics/pipeline's Extract, Detect and
// Correlate) over Kafka: each is a consumer group reading its input topics through
// stream.Group and writing its outputs through stream.Writer before its offsets commit.
//
//   - extract: posts -> mentions (keyed by object). Stateless; scale out freely.
//   - detect: mentions -> bursts (signals topic) and co-share observations (coshares topic,
//     keyed by account pair). One pipeline.Detect per mentions partition.
//   - correlate: co-shares, bursts and site changes -> edges, groups, leaks (signals topic) and
//     alerts (alerts topic). Run one member: groups span all accounts.
//
// Windowed state lives in memory and is rebuilt from Kafka, with outputs suppressed (they
// were written before the offsets were committed), then goes on live: correlate re-reads every
// input partition up to the committed offsets before its first live record; detect re-reads
// a partition when it first gets one of its records (and, with FlushIdle, every committed
// partition at start, so held windows are flushed without new input). Outputs are at least
// once; signals supersede by key and alerts dedupe by id downstream.
//
// Event-time order: extract tags each mention with the posts partition it came from and, after
// each batch, broadcasts to every mentions partition a watermark per posts partition (the
// newest post time it handled there). Detect merges the sources of each mentions partition and
// releases a mention only when every source's watermark has reached it, so a replay at full
// speed is counted in the same order as the batch analysis. A posts partition extract has
// read to its end and that stays empty for SourceIdle (wall time, at extract, which reads in
// real time) is declared as far as the newest partition, so it does not hold the others back.
//
// It may import stream, analytics and the root package; nothing but cmd imports it.
package stages

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/stream"
)

// Stage names, also the consumer group suffixes.
const (
	Extract   = "extract"
	Detect    = "detect"
	Correlate = "correlate"
)

// Names lists the stages in flow order.
var Names = []string{Extract, Detect, Correlate}

// SchemaCoShare is the schema of co-share observations (pipeline.CoShare) on the coshares topic.
var SchemaCoShare = stream.Schema{Type: "coshare", Version: 1}

// SchemaWatermark is the schema of the event-time watermarks extract broadcasts on the
// mentions topic (one per posts partition and batch, to every mentions partition).
var SchemaWatermark = stream.Schema{Type: "watermark", Version: 1}

// HeaderSourcePartition is the posts partition a mention was extracted from.
const HeaderSourcePartition = "leakwatch-source-partition"

// Config is what every stage needs.
type Config struct {
	Stream   stream.Config
	Pipeline pipeline.Config
	// SourceIdle is how long extract must find a posts partition read to its end before it
	// declares that partition's watermark as far as the newest one.
	SourceIdle time.Duration
	// FlushIdle, when above 0, ends the input of a detect partition once it holds nothing and
	// received nothing for this long: open windows are flushed as at the end of a batch analysis, so a
	// finite replay yields every detection. Off (0) for live monitoring, where a quiet spell
	// is not the end of the campaign.
	FlushIdle time.Duration
	// Registerer, when set, gets the stages' own metrics: leakwatch_coshare_pairs_skipped_total.
	Registerer prometheus.Registerer
}

// DefaultConfig uses the stream and pipeline defaults and a 2 s source idle time.
func DefaultConfig() Config {
	return Config{Stream: stream.DefaultConfig(), Pipeline: pipeline.DefaultConfig(), SourceIdle: 2 * time.Second}
}

// Validate names the section and field at fault.
func (c Config) Validate() error {
	var errs []error
	if err := c.Stream.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Pipeline.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("analysis: %w", err))
	}
	if c.SourceIdle <= 0 {
		errs = append(errs, fmt.Errorf("source_idle: %s: want more than 0", c.SourceIdle))
	}
	if c.FlushIdle < 0 || (c.FlushIdle > 0 && c.FlushIdle < c.SourceIdle) {
		errs = append(errs, fmt.Errorf("flush_idle: %s: want 0 (never) or at least source_idle (%s)", c.FlushIdle, c.SourceIdle))
	}
	return errors.Join(errs...)
}
