package leakwatch_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

func TestSignalJSONRoundTrip(t *testing.T) {
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	tests := []leakwatch.Signal{
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:macronleaks", Onset: at, Peak: at, End: at, Count: 9, Calendar: []leakwatch.CalendarRef{{Event: "silence-r2", OffsetS: -12300}}}},
		{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: leakwatch.KindURL, A: "a", B: "b", Weight: 2, First: at, Last: at}},
		{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g1", Accounts: []string{"a", "b"}, ObjectKinds: []leakwatch.ObjectKind{"url"}, First: at, Last: at}},
		{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "domain:pastebin.com", Onset: at, Evidence: []string{"x"}}},
	}
	for _, sig := range tests {
		t.Run(string(sig.Kind), func(t *testing.T) {
			b, err := json.Marshal(sig)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), `{"kind":"`+string(sig.Kind)+`",`) {
				t.Fatalf("record does not start with its kind: %s", b)
			}
			var back leakwatch.Signal
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back.Key() != sig.Key() {
				t.Fatalf("key %q after round trip, want %q", back.Key(), sig.Key())
			}
			again, _ := json.Marshal(back)
			if string(again) != string(b) {
				t.Fatalf("round trip changed the record:\n%s\n%s", b, again)
			}
		})
	}
}

func TestSignalWithoutBodyFails(t *testing.T) {
	if _, err := json.Marshal(leakwatch.Signal{Kind: leakwatch.SignalBurst}); err == nil {
		t.Fatal("want an error for a burst signal without a burst")
	}
}

// Edges, nearly every record of a detections file, are written by hand when their fields are
// plain: the record must be byte for byte what encoding/json writes, plain or not, and an
// edge it refuses (a NaN score, a year past 9999) must be refused too.
func TestEdgeRecordMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "alice", "u_1234567890", "neartext", "a<b", "x&y", "quote\"d", "back\\slash",
		"new\nline", "tab\t", "del\x7f", "é", "日本", "bad\xff", "\u2028"}
	paris := time.FixedZone("CEST", 2*3600)
	times := []time.Time{{}, time.Date(2016, 7, 26, 20, 15, 0, 0, time.UTC),
		time.Date(2016, 7, 26, 20, 15, 0, 123456789, time.UTC), time.Date(2017, 5, 5, 23, 59, 0, 0, paris),
		time.Date(2016, 7, 26, 20, 15, 0, 0, time.Local), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}
	scores := []float64{0, 1, 0.5, 4.000001, 12.345678901234, 1e-7, 1e-6, 3e20, 1e21, -2.5, math.NaN(), math.Inf(1)}
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(n int) int { return r.IntN(n) }
	for range 20_000 {
		e := leakwatch.Edge{ObjectKind: leakwatch.ObjectKind(strs[pick(4)]), A: strs[pick(len(strs))], B: strs[pick(len(strs))],
			AHandle: strs[pick(len(strs))], BHandle: strs[pick(len(strs))], Weight: pick(1000) - 10, First: times[pick(len(times))], Last: times[pick(len(times))], Score: scores[pick(len(scores))]}
		if pick(2) == 0 { // mostly plain, as real edges are
			e.A, e.B, e.First, e.Last = "alice", "bob", times[1], times[2]
			e.AHandle, e.BHandle = strs[pick(3)], strs[pick(3)] // empty, or plain
		}
		got, gotErr := leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &e}.MarshalJSON()
		body, wantErr := json.Marshal(e)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%+v: error %v, encoding/json's %v", e, gotErr, wantErr)
		}
		if wantErr != nil {
			continue
		}
		want := `{"kind":"edge",` + string(body[1:])
		if string(got) != want {
			t.Fatalf("%+v:\n got %s\nwant %s", e, got, want)
		}
	}
}
