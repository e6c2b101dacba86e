package twitter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/collectors"
)

// longTweetLine is a recorded tweet on one line, padded to about 5 kB as a long post with
// every expansion would be.
func longTweetLine(t *testing.T, file string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, read(t, file)); err != nil {
		t.Fatal(err)
	}
	line := bytes.TrimSuffix(b.Bytes(), []byte("}"))
	return append(line, []byte(`,"padding":"`+strings.Repeat("x", 5000-b.Len())+`"}`)...)
}

// A stream line over max_line_bytes was dead-lettered with an empty value: nothing said which
// tweet was skipped. Its start is kept as the raw value now.
func TestStreamLineTooLongKeepsItsStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		id   string
		open func(t *testing.T, base string) collectors.Source
	}{
		{"v2", "v2/tweet.json", "1653398580986417152", func(t *testing.T, base string) collectors.Source {
			cfg := v2Config(t, base)
			cfg.MaxLineBytes = 1024
			s, err := NewV2Stream(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"v1.1", "v1/reply_extended_mode.json", "860564113002123264", func(t *testing.T, base string) collectors.Source {
			cfg := v1Config(t, base)
			cfg.MaxLineBytes = 1024
			s, err := NewV1Stream(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := longTweetLine(t, tc.file)
			stream := func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				w.Write(append(line, "\r\n"...))
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}
			api := &fakeAPI{t: t, token: "AAAA-test-token", conns: []func(http.ResponseWriter, *http.Request){stream}}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/1.1/statuses/filter.json" {
					stream(w, r)
					return
				}
				api.ServeHTTP(w, r)
			}))
			defer srv.Close()
			src := tc.open(t, srv.URL)
			ctx := context.Background()
			if err := src.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			defer src.Close(ctx)
			r, err := src.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r.Bad == nil {
				t.Fatalf("record %+v, want a bad record", r)
			}
			if want := fmt.Sprintf("line too long: %d bytes, limit 1024", len(line)+2); r.Bad.Err.Error() != want {
				t.Errorf("reason %q, want %q", r.Bad.Err, want)
			}
			if len(r.Bad.Raw) != 1024 || !bytes.HasPrefix(line, r.Bad.Raw) || !bytes.Contains(r.Bad.Raw, []byte(tc.id)) {
				t.Errorf("raw is %d bytes %.80q, want the line's first 1024, naming tweet %s", len(r.Bad.Raw), r.Bad.Raw, tc.id)
			}
		})
	}
}
