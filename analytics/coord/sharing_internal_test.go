package coord

import (
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

// TestKindOf: every share kind finds its own windows, and names that differ from one in any
// byte, or are longer or shorter, find none.
func TestKindOf(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Kinds = map[leakwatch.ObjectKind]KindConfig{leakwatch.KindURL: {Window: 5 * time.Second}}
	s := NewSharing(cfg)
	for _, k := range leakwatch.ShareKinds {
		kw := s.kindOf(string(k))
		if kw == nil || kw.kind != k || kw.window != int64(cfg.WindowFor(k)) {
			t.Fatalf("kindOf(%q) = %+v", k, kw)
		}
		name := string(k)
		for i := range len(name) {
			b := []byte(name)
			b[i] ^= 1
			if kw := s.kindOf(string(b)); kw != nil {
				t.Errorf("kindOf(%q) = %s", b, kw.kind)
			}
		}
		for _, other := range []string{name[:len(name)-1], name + "s", name + "\x00"} {
			if kw := s.kindOf(other); kw != nil {
				t.Errorf("kindOf(%q) = %s", other, kw.kind)
			}
		}
	}
}

// TestAddRefTellsKinds: a mention's kind decides whether it is co-shared and under which
// kind, for every share kind (bands take a path of their own) and for names one byte off,
// one byte longer or shorter, and without the colon.
func TestAddRefTellsKinds(t *testing.T) {
	at := time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)
	observe := func(object string) []Observation {
		s := NewSharing(DefaultConfig())
		s.Add(leakwatch.Mention{Object: object, Account: "a", Post: "p1", At: at})
		s.Add(leakwatch.Mention{Object: object, Account: "b", Post: "p2", At: at.Add(10 * time.Second)})
		var got []Observation
		s.Flush(func(o Observation) { got = append(got, o) })
		return got
	}
	for _, k := range leakwatch.ShareKinds {
		if got := observe(string(k) + ":1-ab"); len(got) != 1 || got[0].Kind != k {
			t.Errorf("%s: observations %+v, want one of kind %s", k, got, k)
		}
		name := string(k)
		others := []string{name[:len(name)-1] + ":x", name + "s:x", name}
		for i := range len(name) {
			b := []byte(name)
			b[i] ^= 1
			others = append(others, string(b)+":x")
		}
		for _, o := range others {
			if got := observe(o); len(got) != 0 {
				t.Errorf("%q: observations %+v, want none (not a share kind)", o, got)
			}
		}
	}
}
