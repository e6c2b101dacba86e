package stream_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/stream"
)

func sampleMention() leakwatch.Mention {
	return leakwatch.Mention{
		Object: "url:https://archive.org/details/emleaks", Account: "42", Handle: "emleaks_bot",
		Post: "https://twitter.com/i/web/status/860566934512992256", Platform: "twitter",
		At:       time.Date(2017, 5, 5, 18, 35, 0, 123456789, time.UTC),
		Evidence: []string{"domain:archive.org", "term:leaks"},
	}
}

// Mentions are binary (mention/v3); every field, nanoseconds, evidence and handle included,
// comes back.
func TestMentionBinaryRoundTrip(t *testing.T) {
	for _, m := range []leakwatch.Mention{
		sampleMention(),
		{Object: "hashtag:macronleaks", Account: "7", Post: "p", Platform: "mastodon", At: time.Unix(1493998500, 0).UTC()},
		{Object: "all:posts", Account: "été", Post: "", Platform: "", At: time.Date(1969, 12, 31, 23, 59, 59, 5, time.UTC)},
	} {
		msg, err := stream.EncodeMention("m", m)
		if err != nil {
			t.Fatal(err)
		}
		if ct, _ := msg.Header(stream.HeaderContentType); ct != "application/x-leakwatch-mention" {
			t.Errorf("content-type %q", ct)
		}
		got, err := stream.Decode[leakwatch.Mention](record(msg))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip changed the mention:\n got %+v\nwant %+v", got, m)
		}
	}
}

// Records of mention/v2, the layout before handles, are still read: a v3 value without its
// handle's length byte.
func TestMentionVersion2StillRead(t *testing.T) {
	m := sampleMention()
	m.Handle = ""
	msg, err := stream.EncodeMention("m", m)
	if err != nil {
		t.Fatal(err)
	}
	r := record(msg)
	r.Value = r.Value[:len(r.Value)-1]
	r.Headers = []stream.Header{{Key: stream.HeaderType, Value: []byte("mention")}, {Key: stream.HeaderVersion, Value: []byte("2")}}
	got, err := stream.Decode[leakwatch.Mention](r)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("v2 mention read as %+v, want %+v", got, m)
	}
}

// Records written before the binary layout (mention/v1, JSON) are still read.
func TestMentionVersion1StillRead(t *testing.T) {
	m := sampleMention()
	msg, err := stream.EncodeAs("m", m.Object, stream.Schema{Type: "mention", Version: 1}, m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := stream.Decode[leakwatch.Mention](record(msg))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("v1 mention read as %+v, want %+v", got, m)
	}
}

func TestMentionRejects(t *testing.T) {
	good, err := stream.EncodeMention("leakwatch.mentions.v1", sampleMention())
	if err != nil {
		t.Fatal(err)
	}
	with := func(value []byte, version string) stream.Record {
		r := record(good)
		r.Value = value
		r.Headers = []stream.Header{{Key: stream.HeaderType, Value: []byte("mention")}, {Key: stream.HeaderVersion, Value: []byte(version)}}
		return r
	}
	tests := []struct {
		name string
		rec  stream.Record
		want string
	}{
		{"truncated", with(good.Value[:len(good.Value)-3], "3"), "mention/v3 value is not valid: handle at byte"},
		{"empty", with(nil, "3"), "object at byte 0: value ends inside a field"},
		{"trailing bytes", with(append(append([]byte{}, good.Value...), 0), "3"), "1 bytes after the last field"},
		{"a v3 value under version 2", with(good.Value, "2"), "12 bytes after the last field"},
		{"string longer than the value", with([]byte{0x7f, 'a'}, "3"), "object at byte 0: length 127"},
		{"JSON under version 3", with([]byte(`{"object":"hashtag:x"}`), "3"), "mention/v3 value is not valid"},
		{"binary under version 1", with(good.Value, "1"), "mention/v1 value is not valid JSON"},
		{"unknown version", with(good.Value, "4"), "mention version 4, this build reads versions 1 to 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stream.Decode[leakwatch.Mention](tt.rec)
			if err == nil {
				t.Fatal("decoded; want an error")
			}
			if !strings.HasPrefix(err.Error(), "decode leakwatch.mentions.v1/3@1234: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to name the record and say %q", err, tt.want)
			}
		})
	}
}

// FuzzDecodeMention: any bytes under mention/v3 decode or fail with an error, never panic, and
// what decodes encodes back to the same bytes.
func FuzzDecodeMention(f *testing.F) {
	good, err := stream.EncodeMention("m", sampleMention())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good.Value)
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, value []byte) {
		r := record(good)
		r.Value = value
		m, err := stream.Decode[leakwatch.Mention](r)
		if err != nil {
			return
		}
		again, err := stream.EncodeMention("m", m)
		if err != nil {
			return // an empty object has no key; decoding it was still fine
		}
		if string(again.Value) != string(value) {
			t.Fatalf("%x decoded to %+v, which encodes to %x", value, m, again.Value)
		}
	})
}

func BenchmarkDecodeMention(b *testing.B) {
	for _, v := range []struct {
		name    string
		version int
	}{{"json-v1", 1}, {"binary-v3", 3}} {
		b.Run(v.name, func(b *testing.B) {
			m := sampleMention()
			msg, err := stream.EncodeMention("m", m)
			if v.version == 1 {
				msg, err = stream.EncodeAs("m", m.Object, stream.Schema{Type: "mention", Version: 1}, m)
			}
			if err != nil {
				b.Fatal(err)
			}
			r := record(msg)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := stream.Decode[leakwatch.Mention](r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(msg.Value)), "bytes/mention")
		})
	}
}
