package stream

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/jsonx"
)

// Headers naming a record's schema. Every record leakwatch writes carries both.
const (
	HeaderType        = "leakwatch-type"
	HeaderVersion     = "leakwatch-version"
	HeaderContentType = "content-type"
)

// Schema names the layout of a record's value: a type and its version.
// The version changes only when a reader of the old version would misread the new value
// (a field renamed, its meaning or unit changed); added fields keep the version, and readers
// ignore fields they do not know.
type Schema struct {
	Type    string
	Version int
}

func (s Schema) String() string { return s.Type + "/v" + strconv.Itoa(s.Version) }

// The schemas of the values on leakwatch topics.
var (
	SchemaPost       = Schema{"post", 1}
	SchemaSiteChange = Schema{"sitechange", 1}
	SchemaMention    = Schema{"mention", 3} // binary (mention.go); versions 1 (JSON) and 2 are still read
	SchemaSignal     = Schema{"signal", 1}
	SchemaAlert      = Schema{"alert", 1}
)

// SchemaOf returns the schema a value is written with.
func SchemaOf(v any) (Schema, error) {
	switch v.(type) {
	case leakwatch.Post, *leakwatch.Post:
		return SchemaPost, nil
	case leakwatch.SiteChange, *leakwatch.SiteChange:
		return SchemaSiteChange, nil
	case leakwatch.Mention, *leakwatch.Mention:
		return SchemaMention, nil
	case leakwatch.Signal, *leakwatch.Signal:
		return SchemaSignal, nil
	case leakwatch.Alert, *leakwatch.Alert:
		return SchemaAlert, nil
	}
	return Schema{}, fmt.Errorf("no stream schema for %T", v)
}

// Encode makes the message for v on topic with key: the value (JSON, except mentions) plus
// schema headers.
func Encode(topic, key string, v any) (Message, error) {
	s, err := SchemaOf(v)
	if err != nil {
		return Message{}, err
	}
	switch m := v.(type) {
	case leakwatch.Mention:
		return encodeMention(topic, key, m)
	case *leakwatch.Mention:
		return encodeMention(topic, key, *m)
	}
	return EncodeAs(topic, key, s, v)
}

func encodeMention(topic, key string, m leakwatch.Mention) (Message, error) {
	if err := checkTopicKey(topic, key, SchemaMention); err != nil {
		return Message{}, err
	}
	return Message{
		Topic: topic, Key: []byte(key), Value: appendMention(make([]byte, 0, 160), m),
		Headers: schemaHeaders(SchemaMention, mentionContentType),
	}, nil
}

func checkTopicKey(topic, key string, s Schema) error {
	if topic == "" {
		return fmt.Errorf("encode %s: no topic", s)
	}
	if key == "" {
		return fmt.Errorf("encode %s for %s: empty key", s, topic)
	}
	return nil
}

func schemaHeaders(s Schema, contentType string) []Header {
	return []Header{
		{Key: HeaderType, Value: []byte(s.Type)},
		{Key: HeaderVersion, Value: []byte(strconv.Itoa(s.Version))},
		{Key: HeaderContentType, Value: []byte(contentType)},
	}
}

// EncodeAs is Encode for a value whose type the root package does not define (a stage's
// internal record), under a schema its package declares.
func EncodeAs(topic, key string, s Schema, v any) (Message, error) {
	if s.Type == "" || s.Version < 1 {
		return Message{}, fmt.Errorf("encode for %s: schema %q version %d is not valid", topic, s.Type, s.Version)
	}
	if err := checkTopicKey(topic, key, s); err != nil {
		return Message{}, err
	}
	b, err := jsonx.Marshal(v)
	if err != nil {
		return Message{}, fmt.Errorf("encode %s key %q for %s: %w", s, key, topic, err)
	}
	return Message{
		Topic:   topic,
		Key:     []byte(key),
		Value:   b,
		Headers: schemaHeaders(s, "application/json"),
	}, nil
}

// EncodePost keys a post by its URI, so the same post seen twice lands in one partition.
func EncodePost(topic string, p leakwatch.Post) (Message, error) { return Encode(topic, p.URI, p) }

// EncodeSiteChange keys a site change by its target id.
func EncodeSiteChange(topic string, c leakwatch.SiteChange) (Message, error) {
	return Encode(topic, c.Target, c)
}

// EncodeMention keys a mention by its object, so every share of one object meets in one partition.
func EncodeMention(topic string, m leakwatch.Mention) (Message, error) {
	return Encode(topic, m.Object, m)
}

// EncodeSignal keys a signal by Signal.Key, so a signal and the ones superseding it stay in order.
func EncodeSignal(topic string, s leakwatch.Signal) (Message, error) {
	return Encode(topic, s.Key(), s)
}

// EncodeAlert keys an alert by its id, so repeats of one alert stay in order and dedupe.
func EncodeAlert(topic string, a leakwatch.Alert) (Message, error) { return Encode(topic, a.ID, a) }

// DecodeError says which record could not be decoded and why.
type DecodeError struct {
	Topic     string
	Partition int
	Offset    int64
	Reason    string
	Err       error // the JSON error, when that was the reason
}

func (e *DecodeError) Error() string {
	where := Record{Topic: e.Topic, Partition: e.Partition, Offset: e.Offset}.Where()
	if e.Err != nil {
		return "decode " + where + ": " + e.Reason + ": " + e.Err.Error()
	}
	return "decode " + where + ": " + e.Reason
}

func (e *DecodeError) Unwrap() error { return e.Err }

// IsDecodeError reports whether err (or one it wraps) is a DecodeError.
func IsDecodeError(err error) bool {
	var de *DecodeError
	return errors.As(err, &de)
}

// Decode reads a record written with T's schema. It fails with a *DecodeError when the
// headers name another type, a version this build cannot read, or the value is not valid JSON
// for T.
func Decode[T any](r Record) (T, error) {
	var v T
	want, err := SchemaOf(v)
	if err != nil {
		return v, err
	}
	return DecodeAs[T](r, want)
}

// DecodeAs is Decode under a schema the caller names (the counterpart of EncodeAs).
func DecodeAs[T any](r Record, want Schema) (T, error) {
	var v T
	fail := func(reason string, err error) (T, error) {
		var zero T
		return zero, &DecodeError{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Reason: reason, Err: err}
	}
	typ, ok := r.Header(HeaderType)
	if !ok {
		return fail(fmt.Sprintf("no %s header (want %q)", HeaderType, want.Type), nil)
	}
	if typ != want.Type {
		return fail(fmt.Sprintf("type %q, want %q", typ, want.Type), nil)
	}
	ver, ok := r.Header(HeaderVersion)
	if !ok {
		return fail(fmt.Sprintf("no %s header", HeaderVersion), nil)
	}
	n, err := strconv.Atoi(ver)
	if err != nil || n < 1 {
		return fail(fmt.Sprintf("%s %q is not a version number", HeaderVersion, ver), nil)
	}
	if mp, ok := any(&v).(*leakwatch.Mention); ok && want == SchemaMention {
		switch n {
		case 1: // JSON, as below
		case 2, 3:
			m, err := decodeMention(r.Value, n)
			if err != nil {
				return fail(fmt.Sprintf("%s value is not valid", want), err)
			}
			*mp = m
			return v, nil
		default:
			return fail(fmt.Sprintf("%s version %d, this build reads versions 1 to 3", want.Type, n), nil)
		}
	} else if n != want.Version {
		return fail(fmt.Sprintf("%s version %d, this build reads only version %d", want.Type, n, want.Version), nil)
	}
	if err := jsonx.Unmarshal(r.Value, &v); err != nil {
		return fail(fmt.Sprintf("%s value is not valid JSON", Schema{want.Type, n}), err)
	}
	// A record of the right type and version can still lack what every record has (an alert
	// without an id was delivered to webhooks and listed on the live page while the sink
	// refused it): every reader refuses it alike, here.
	if c, ok := any(&v).(interface{ Complete() error }); ok {
		if err := c.Complete(); err != nil {
			return fail(fmt.Sprintf("%s value is incomplete", Schema{want.Type, n}), err)
		}
	}
	return v, nil
}
