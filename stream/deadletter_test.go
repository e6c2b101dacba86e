package stream_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/stream"
)

func TestDeadLetterHeadersRoundTrip(t *testing.T) {
	src := stream.Record{
		Topic: "leakwatch.posts.v1", Partition: 2, Offset: 99,
		Key: []byte("https://x/1"), Value: []byte(`{"uri":`),
		Headers: []stream.Header{{Key: stream.HeaderType, Value: []byte("post")}, {Key: stream.HeaderVersion, Value: []byte("1")}},
	}
	d := stream.DeadLetterFor("extract", src, errors.New("truncated"))
	d.At = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	m := d.Message(stream.TopicDeadLetter)
	if m.Topic != stream.TopicDeadLetter || string(m.Key) != "https://x/1" || string(m.Value) != `{"uri":` {
		t.Fatalf("dead letter changed the record: %+v", m)
	}
	for k, want := range map[string]string{
		stream.HeaderDLReason: "truncated", stream.HeaderDLStage: "extract", stream.HeaderDLTopic: "leakwatch.posts.v1",
		stream.HeaderDLPartition: "2", stream.HeaderDLOffset: "99", stream.HeaderDLTime: "2026-01-02T03:04:05.000000006Z",
		stream.HeaderType: "post", stream.HeaderVersion: "1",
	} {
		if got, _ := m.Header(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	back, err := stream.ParseDeadLetter(stream.Record{Topic: m.Topic, Key: m.Key, Value: m.Value, Headers: m.Headers})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, d) {
		t.Errorf("parsed back\n %+v\nwant\n %+v", back, d)
	}
	if back.Where() != src.Where() {
		t.Errorf("dead letter from %q, want the record's place %q", back.Where(), src.Where())
	}
	if file := (stream.DeadLetter{Ref: "ira.csv.gz:1234"}); file.Where() != "ira.csv.gz:1234" {
		t.Errorf("dead letter of a file's line from %q, want its ref", file.Where())
	}

	// Dead-lettering a dead letter again keeps one set of dead-letter headers: the latest.
	again := stream.DeadLetterFor("replay", stream.Record{Topic: m.Topic, Offset: 7, Key: m.Key, Value: m.Value, Headers: m.Headers}, errors.New("still bad"))
	m2 := again.Message(stream.TopicDeadLetter)
	n := 0
	for _, h := range m2.Headers {
		if h.Key == stream.HeaderDLReason {
			n++
		}
	}
	if r, _ := m2.Header(stream.HeaderDLReason); n != 1 || r != "still bad" {
		t.Errorf("%d reason headers, last %q; want one, \"still bad\"", n, r)
	}
}

func TestParseDeadLetterWithoutReason(t *testing.T) {
	_, err := stream.ParseDeadLetter(stream.Record{Topic: "leakwatch.deadletter.v1", Partition: 1, Offset: 5})
	if err == nil || err.Error() != "dead letter leakwatch.deadletter.v1/1@5: no leakwatch-dl-reason header" {
		t.Fatalf("error %v", err)
	}
}
