package mastodon

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/httpstream"
)

func TestNextEvent(t *testing.T) {
	body := ":)\n\nevent: update\ndata: {\"a\":\ndata: 1}\n\n:thump\nid: 7\ndata:no-space\n\nevent: delete\r\ndata: 42\r\n\r\nevent: update\ndata: {\"cut"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	c, err := httpstream.Open(context.Background(), srv.Client(), req, 5*time.Second, 1<<20, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []string
	for {
		ev, err := nextEvent(context.Background(), c)
		if errors.Is(err, errCut) {
			got = append(got, "cut "+ev.Name+" "+string(ev.Data))
			continue
		}
		if errors.Is(err, collectors.ErrNotConnected) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Name+" "+string(ev.Data))
	}
	want := "update {\"a\":\n1}|message no-space|delete 42|cut update {\"cut"
	if strings.Join(got, "|") != want {
		t.Errorf("events %q\nwant   %q", strings.Join(got, "|"), want)
	}
}
