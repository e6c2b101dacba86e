package bluesky

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Seeds: testdata/fuzz/FuzzDecode (recorded events, damaged copies).
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Decode(raw)
		if err != nil || d.Post == nil {
			return
		}
		p := d.Post
		if !strings.HasPrefix(p.URI, "at://"+p.Author.ID+"/") || p.ID != p.URI || !utf8.ValidString(p.Text) {
			t.Fatalf("post breaks its invariants: %+v", p)
		}
		if p.CreatedAt.After(time.UnixMicro(d.TimeUS)) {
			t.Fatalf("created %v after the relay saw it at %v", p.CreatedAt, time.UnixMicro(d.TimeUS))
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatal(err)
		}
	})
}
