package stream_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/stream"
)

var at = time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)

func samplePost() leakwatch.Post {
	return leakwatch.Post{
		Platform: leakwatch.PlatformTwitter, ID: "860566934512992256",
		URI:       "https://twitter.com/i/web/status/860566934512992256",
		CreatedAt: at, ObservedAt: at.Add(2 * time.Second),
		Author:   leakwatch.Account{ID: "42", Handle: "jackposobiec", Followers: 12000},
		Text:     "Massive doc dump #MacronLeaks https://archive.org/details/EMLEAKS",
		Hashtags: []string{"MacronLeaks"},
		URLs:     []leakwatch.Link{{Raw: "https://archive.org/details/EMLEAKS", Domain: "archive.org"}},
		Raw:      json.RawMessage(`{"id_str":"860566934512992256"}`),
	}
}

// record turns an encoded message into what a consumer would read.
func record(m stream.Message) stream.Record {
	return stream.Record{Topic: m.Topic, Partition: 3, Offset: 1234, Key: m.Key, Value: m.Value, Headers: m.Headers}
}

func TestCodecRoundTrip(t *testing.T) {
	post := samplePost()
	change := leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: at, Changed: []string{"content"}, Status: 200}
	mention := leakwatch.Mention{Object: "hashtag:macronleaks", Account: "42", Post: post.URI, Platform: "twitter", At: at}
	signal := leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:macronleaks", Onset: at, Peak: at, End: at, Count: 40}}
	alert := leakwatch.Alert{ID: "burst-macronleaks", Rule: "burst", Severity: "critical", Kind: leakwatch.SignalBurst, Summary: "burst", StartsAt: at, RaisedAt: at}

	tests := []struct {
		name    string
		encode  func() (stream.Message, error)
		wantKey string
		schema  stream.Schema
		decode  func(stream.Record) (any, error)
		want    any
	}{
		{"post", func() (stream.Message, error) { return stream.EncodePost("p", post) }, post.URI, stream.SchemaPost,
			func(r stream.Record) (any, error) { return stream.Decode[leakwatch.Post](r) }, post},
		{"sitechange", func() (stream.Message, error) { return stream.EncodeSiteChange("s", change) }, "en-marche", stream.SchemaSiteChange,
			func(r stream.Record) (any, error) { return stream.Decode[leakwatch.SiteChange](r) }, change},
		{"mention", func() (stream.Message, error) { return stream.EncodeMention("m", mention) }, "hashtag:macronleaks", stream.SchemaMention,
			func(r stream.Record) (any, error) { return stream.Decode[leakwatch.Mention](r) }, mention},
		{"signal", func() (stream.Message, error) { return stream.EncodeSignal("g", signal) }, signal.Key(), stream.SchemaSignal,
			func(r stream.Record) (any, error) { return stream.Decode[leakwatch.Signal](r) }, signal},
		{"alert", func() (stream.Message, error) { return stream.EncodeAlert("a", alert) }, "burst-macronleaks", stream.SchemaAlert,
			func(r stream.Record) (any, error) { return stream.Decode[leakwatch.Alert](r) }, alert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.encode()
			if err != nil {
				t.Fatal(err)
			}
			if string(m.Key) != tt.wantKey {
				t.Errorf("key %q, want %q", m.Key, tt.wantKey)
			}
			if typ, _ := m.Header(stream.HeaderType); typ != tt.schema.Type {
				t.Errorf("%s header %q, want %q", stream.HeaderType, typ, tt.schema.Type)
			}
			if v, _ := m.Header(stream.HeaderVersion); v != strconv.Itoa(tt.schema.Version) {
				t.Errorf("%s header %q, want %d", stream.HeaderVersion, v, tt.schema.Version)
			}
			got, err := tt.decode(record(m))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("round trip changed the value:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := stream.EncodePost("leakwatch.posts.v1", samplePost())
	if err != nil {
		t.Fatal(err)
	}
	withHeaders := func(hs ...stream.Header) stream.Record {
		r := record(good)
		r.Headers = hs
		return r
	}
	h := func(k, v string) stream.Header { return stream.Header{Key: k, Value: []byte(v)} }
	badJSON := record(good)
	badJSON.Value = []byte(`{"uri": "x", "created_at": 17`)
	wrongShape := record(good)
	wrongShape.Value = []byte(`{"uri": ["not", "a", "string"]}`)

	tests := []struct {
		name string
		rec  stream.Record
		want string // part of the error
	}{
		{"newer version", withHeaders(h(stream.HeaderType, "post"), h(stream.HeaderVersion, "2")), "post version 2, this build reads only version 1"},
		{"version zero", withHeaders(h(stream.HeaderType, "post"), h(stream.HeaderVersion, "0")), `leakwatch-version "0" is not a version number`},
		{"version not a number", withHeaders(h(stream.HeaderType, "post"), h(stream.HeaderVersion, "v1")), `leakwatch-version "v1" is not a version number`},
		{"wrong type", withHeaders(h(stream.HeaderType, "mention"), h(stream.HeaderVersion, "1")), `type "mention", want "post"`},
		{"no type header", withHeaders(h(stream.HeaderVersion, "1")), `no leakwatch-type header`},
		{"no version header", withHeaders(h(stream.HeaderType, "post")), `no leakwatch-version header`},
		{"truncated JSON", badJSON, "post/v1 value is not valid JSON: unexpected end of JSON input"},
		{"wrong JSON shape", wrongShape, "post/v1 value is not valid JSON: json: cannot unmarshal array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stream.Decode[leakwatch.Post](tt.rec)
			if err == nil {
				t.Fatal("decoded; want an error")
			}
			if !stream.IsDecodeError(err) {
				t.Errorf("error %T is not a DecodeError", err)
			}
			// Every error names the record it is about.
			if !strings.HasPrefix(err.Error(), "decode leakwatch.posts.v1/3@1234: ") {
				t.Errorf("error %q does not name the record", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	tests := []struct {
		name string
		enc  func() (stream.Message, error)
		want string
	}{
		{"post without URI", func() (stream.Message, error) { return stream.EncodePost("p", leakwatch.Post{ID: "1"}) }, "encode post/v1 for p: empty key"},
		{"no topic", func() (stream.Message, error) { return stream.EncodePost("", samplePost()) }, "encode post/v1: no topic"},
		{"unknown type", func() (stream.Message, error) { return stream.Encode("p", "k", struct{}{}) }, "no stream schema for struct {}"},
		{"signal without body", func() (stream.Message, error) {
			return stream.Encode("g", "k", leakwatch.Signal{Kind: leakwatch.SignalEdge})
		}, "encode signal/v1 key \"k\" for g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.enc()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func BenchmarkEncodePost(b *testing.B) {
	p := samplePost()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stream.EncodePost(stream.TopicPosts, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
}

func BenchmarkDecodePost(b *testing.B) {
	m, err := stream.EncodePost(stream.TopicPosts, samplePost())
	if err != nil {
		b.Fatal(err)
	}
	r := record(m)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stream.Decode[leakwatch.Post](r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
}

func TestEncodeAsDecodeAs(t *testing.T) {
	type tick struct {
		N int `json:"n"`
	}
	s := stream.Schema{Type: "tick", Version: 2}
	m, err := stream.EncodeAs("t", "k", s, tick{N: 7})
	if err != nil {
		t.Fatal(err)
	}
	got, err := stream.DecodeAs[tick](record(m), s)
	if err != nil || got.N != 7 {
		t.Fatalf("DecodeAs = %+v, %v", got, err)
	}
	if _, err := stream.DecodeAs[tick](record(m), stream.Schema{Type: "tick", Version: 1}); err == nil || !strings.Contains(err.Error(), "tick version 2, this build reads only version 1") {
		t.Errorf("version mismatch: %v", err)
	}
	if _, err := stream.EncodeAs("t", "k", stream.Schema{Type: "tick"}, tick{}); err == nil {
		t.Error("schema without version accepted")
	}
}

// A record of the right type and version that lacks what every record has is refused by
// every reader alike: an alert without an id reached webhooks and the live page while the
// sink refused it, and a burst on "nocolon" passed correlate.
func TestDecodeRefusesIncompleteRecords(t *testing.T) {
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	am, err := stream.EncodeAlert("alerts", leakwatch.Alert{ID: "a1", Rule: "x", Severity: "critical", StartsAt: at})
	if err != nil {
		t.Fatal(err)
	}
	am.Value = bytes.Replace(am.Value, []byte(`"id":"a1"`), []byte(`"id":""`), 1) // as a foreign producer wrote it
	if _, err := stream.Decode[leakwatch.Alert](record(am)); err == nil || !strings.Contains(err.Error(), `alert "" without id`) {
		t.Errorf("alert without id: %v", err)
	}
	sm, err := stream.EncodeSignal("signals", leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "nocolon", Onset: at}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Decode[leakwatch.Signal](record(sm)); err == nil || !strings.Contains(err.Error(), "burst record without object (KIND:VALUE)") {
		t.Errorf("burst on nocolon: %v", err)
	}
	good, err := stream.EncodeAlert("alerts", leakwatch.Alert{ID: "a1", Rule: "LeakBeforeSilence", Severity: "critical", StartsAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Decode[leakwatch.Alert](record(good)); err != nil {
		t.Errorf("a whole alert refused: %v", err)
	}
}
