package twitter

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch"
)

// checkPost is what every decoded tweet must satisfy, whatever the input.
func checkPost(t *testing.T, p leakwatch.Post) {
	t.Helper()
	if p.ID == "" || p.URI != URI(p.ID) || p.Platform != leakwatch.PlatformTwitter {
		t.Fatalf("id/uri/platform = %q %q %q", p.ID, p.URI, p.Platform)
	}
	if p.Author.ID == "" || p.CreatedAt.IsZero() {
		t.Fatalf("author %q created %v", p.Author.ID, p.CreatedAt)
	}
	if !utf8.ValidString(p.Text) || !json.Valid(p.Raw) {
		t.Fatalf("text or raw invalid")
	}
	if _, err := json.Marshal(p); err != nil {
		t.Fatalf("post does not encode: %v", err)
	}
}

// The seed corpus is testdata/fuzz/FuzzDecodeV1 (recorded tweets and damaged copies).
func FuzzDecodeV1(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := DecodeV1(raw)
		if err != nil {
			return
		}
		checkPost(t, p)
	})
}

func FuzzDecodeV2(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		if p, err := DecodeV2(raw); err == nil {
			checkPost(t, p)
		}
		posts, _, err := DecodeV2Page(raw)
		if err != nil {
			return
		}
		for _, p := range posts {
			checkPost(t, p)
		}
	})
}
