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
