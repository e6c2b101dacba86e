package stream

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dead-letter headers, added to the original record's own headers (so its leakwatch-type and
// leakwatch-version travel along, and a fixed reader can replay it).
const (
	HeaderDLReason    = "leakwatch-dl-reason"
	HeaderDLStage     = "leakwatch-dl-stage"
	HeaderDLTopic     = "leakwatch-dl-topic"
	HeaderDLPartition = "leakwatch-dl-partition"
	HeaderDLOffset    = "leakwatch-dl-offset"
	HeaderDLRef       = "leakwatch-dl-ref" // origin outside Kafka: "file.csv:1234"
	HeaderDLTime      = "leakwatch-dl-time"
)

// DeadLetter is a record a stage could not decode or process, kept with the reason so nothing
// accepted is lost. Key and Value are the original bytes, unchanged.
type DeadLetter struct {
	Stage  string
	Reason string
	// Where it came from: a topic record (Topic, Partition, Offset) or, for input that never
	// reached Kafka (a collector's unparsable line), Ref.
	Topic     string
	Partition int
	Offset    int64
	Ref       string
	Key       []byte
	Value     []byte
	Headers   []Header // the original record's headers
	At        time.Time
}

// Where is where the dead letter came from, as Record.Where writes a record's place
// ("leakwatch.mentions.v1/2@1234"), or its Ref when it never reached Kafka.
func (d DeadLetter) Where() string {
	if d.Topic == "" {
		return d.Ref
	}
	return Record{Topic: d.Topic, Partition: d.Partition, Offset: d.Offset}.Where()
}

// DeadLetterFor wraps a consumed record that stage could not handle because of err.
func DeadLetterFor(stage string, r Record, err error) DeadLetter {
	return DeadLetter{
		Stage: stage, Reason: err.Error(),
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Key: r.Key, Value: r.Value, Headers: r.Headers,
		At: time.Now().UTC(),
	}
}

// Message is the dead letter as a record for topic (normally Topics.DeadLetter), keyed by the
// original key.
func (d DeadLetter) Message(topic string) Message {
	at := d.At
	if at.IsZero() {
		at = time.Now().UTC()
	}
	hs := make([]Header, 0, len(d.Headers)+7)
	for _, h := range d.Headers {
		if !strings.HasPrefix(h.Key, "leakwatch-dl-") { // a dead letter dead-lettered again keeps only the latest reason
			hs = append(hs, h)
		}
	}
	add := func(k, v string) { hs = append(hs, Header{Key: k, Value: []byte(v)}) }
	add(HeaderDLReason, d.Reason)
	add(HeaderDLStage, d.Stage)
	if d.Topic != "" {
		add(HeaderDLTopic, d.Topic)
		add(HeaderDLPartition, strconv.Itoa(d.Partition))
		add(HeaderDLOffset, strconv.FormatInt(d.Offset, 10))
	}
	if d.Ref != "" {
		add(HeaderDLRef, d.Ref)
	}
	add(HeaderDLTime, at.UTC().Format(time.RFC3339Nano))
	return Message{Topic: topic, Key: d.Key, Value: d.Value, Headers: hs}
}

// ParseDeadLetter reads a record of the dead-letter topic back.
func ParseDeadLetter(r Record) (DeadLetter, error) {
	d := DeadLetter{Key: r.Key, Value: r.Value}
	var ok bool
	if d.Reason, ok = r.Header(HeaderDLReason); !ok {
		return DeadLetter{}, fmt.Errorf("dead letter %s: no %s header", r.Where(), HeaderDLReason)
	}
	d.Stage, _ = r.Header(HeaderDLStage)
	d.Ref, _ = r.Header(HeaderDLRef)
	if d.Topic, ok = r.Header(HeaderDLTopic); ok {
		p, _ := r.Header(HeaderDLPartition)
		o, _ := r.Header(HeaderDLOffset)
		var err1, err2 error
		d.Partition, err1 = strconv.Atoi(p)
		d.Offset, err2 = strconv.ParseInt(o, 10, 64)
		if err1 != nil || err2 != nil {
			return DeadLetter{}, fmt.Errorf("dead letter %s: bad source position %q/%q", r.Where(), p, o)
		}
	}
	if t, ok := r.Header(HeaderDLTime); ok {
		at, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return DeadLetter{}, fmt.Errorf("dead letter %s: %s %q: %w", r.Where(), HeaderDLTime, t, err)
		}
		d.At = at
	}
	for _, h := range r.Headers {
		if !strings.HasPrefix(h.Key, "leakwatch-dl-") {
			d.Headers = append(d.Headers, h)
		}
	}
	return d, nil
}

// SendDeadLetters writes dead letters to topic and counts them. A stage must call it (and see
// it succeed) before its batch commits, so a record is either handled or dead-lettered.
func (w *Writer) SendDeadLetters(ctx context.Context, topic string, dls ...DeadLetter) error {
	if len(dls) == 0 {
		return nil
	}
	msgs := make([]Message, len(dls))
	for i, d := range dls {
		msgs[i] = d.Message(topic)
	}
	if err := w.Write(ctx, msgs...); err != nil {
		return fmt.Errorf("dead-letter %d records: %w", len(dls), err)
	}
	for _, d := range dls {
		src := d.Topic
		if src == "" {
			src = "(source)"
		}
		w.m.addDeadLetter(src, d.Stage)
	}
	return nil
}
