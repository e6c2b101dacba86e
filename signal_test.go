package leakwatch_test

import (
	"encoding/json"
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
