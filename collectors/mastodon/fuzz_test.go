package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/collectors/internal/lines"
)

type byteLines struct{ r *lines.Reader }

func (b byteLines) Next(context.Context) ([]byte, error) { return b.r.Next() }

// FuzzEvents reads bytes as a server-sent event stream and decodes every status event, as
// Stream.Read does. Seeds: testdata/fuzz/FuzzEvents (recorded streams, damaged copies).
func FuzzEvents(f *testing.F) {
	f.Fuzz(func(t *testing.T, stream []byte) {
		r := byteLines{lines.NewReader(bytes.NewReader(stream), 1<<16)}
		for i := 0; i < 10_000; i++ {
			ev, err := nextEvent(context.Background(), r)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil && !errors.Is(err, lines.ErrTooLong) && !errors.Is(err, errCut) {
				t.Fatalf("unexpected error %v", err)
			}
			if ev.Name != "update" && ev.Name != "status.update" {
				if errors.Is(err, errCut) {
					return
				}
				continue
			}
			p, err := DecodeStatus(ev.Data, "example.social")
			if err != nil {
				continue
			}
			if p.URI == "" || p.ID == "" || p.Author.ID == "" || !utf8.ValidString(p.Text) || !json.Valid(p.Raw) {
				t.Fatalf("decoded post breaks its invariants: %+v", p)
			}
		}
		t.Fatal("no end of input after 10000 events")
	})
}
