package twitter

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/collectortest"
)

// A server that accepted the connection and never answered held the source forever, with
// no log line: the rules call and the stream's headers are bounded by stall_timeout.
func TestV2StreamServerThatNeverAnswers(t *testing.T) {
	t.Run("rules", func(t *testing.T) {
		cfg := v2Config(t, "http://"+collectortest.SilentServer(t).Addr)
		cfg.StallTimeout = 200 * time.Millisecond
		src, err := NewV2Stream(cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		l := collectortest.ReconnectWarning(t, src, fastRun(), "rules: sync (stall_timeout): no complete answer within 200ms")
		if !strings.Contains(l, "phase=connect") {
			t.Errorf("warning %q: want phase=connect", l)
		}
	})
	t.Run("stream", func(t *testing.T) {
		api := &fakeAPI{t: t, token: "AAAA-test-token"}
		api.conns = []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // no headers, ever
		}}
		srv := httptest.NewServer(api)
		defer srv.Close()
		cfg := v2Config(t, srv.URL)
		cfg.StallTimeout = 200 * time.Millisecond
		src, err := NewV2Stream(cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		l := collectortest.ReconnectWarning(t, src, fastRun(), "no response within 200ms (stall_timeout)")
		if !strings.Contains(l, "/2/tweets/search/stream?") {
			t.Errorf("warning %q does not name the stream", l)
		}
	})
}

func TestV1StreamServerThatNeverAnswers(t *testing.T) {
	cfg := v1Config(t, "http://"+collectortest.SilentServer(t).Addr)
	cfg.StallTimeout = 200 * time.Millisecond
	src, err := NewV1Stream(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	collectortest.ReconnectWarning(t, src, fastRun(), "no response within 200ms (stall_timeout)")
}

// cutAfter serves body, then drops the connection without ending the chunked response, as a
// reset or a crashed proxy does.
func cutAfter(body []byte) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}
}

// A tweet cut mid-line by a dropped connection was lost without a dead letter: it is a Bad
// record with the part that arrived, naming the line and the cut, and the source reconnects.
func TestV2StreamTweetCutByDrop(t *testing.T) {
	full := bytes.SplitAfter(read(t, "v2/stream_first.txt"), []byte("\n"))[0]
	half := full[:len(full)/2]
	api := &fakeAPI{t: t, token: "AAAA-test-token"}
	api.conns = []func(http.ResponseWriter, *http.Request){
		cutAfter(append(append([]byte(nil), full...), half...)),
		func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.Write(full)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		},
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	src, err := NewV2Stream(v2Config(t, srv.URL), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []collectors.Record
	err = collectors.Run(ctx, src, func(_ context.Context, r collectors.Record) error {
		got = append(got, r)
		if len(got) == 3 {
			cancel()
		}
		return nil
	}, collectors.RunOptions{Config: fastRun()})
	if err != nil || len(got) != 3 {
		t.Fatalf("Run: %v after %d records", err, len(got))
	}
	bad := got[1].Bad
	if got[0].Post == nil || bad == nil || got[2].Post == nil {
		t.Fatalf("records %+v, want a post, a bad record, then a post after reconnecting", got)
	}
	if !bytes.Equal(bad.Raw, half) || !strings.HasSuffix(bad.Ref, " line 2") || !strings.Contains(bad.Err.Error(), fmt.Sprintf("line cut after %d bytes by the connection ending", len(half))) {
		t.Errorf("bad record ref %q err %v raw %q, want line 2 cut after %d bytes with its bytes", bad.Ref, bad.Err, bad.Raw, len(half))
	}
}
