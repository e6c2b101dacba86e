package grafana_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/dashboards/grafana"
)

func TestBoardsHaveThePluginTargetShape(t *testing.T) {
	for _, s := range grafana.Boards() {
		raw, err := grafana.JSON(s)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			UID    string `json:"uid"`
			Panels []struct {
				Title      string            `json:"title"`
				Type       string            `json:"type"`
				Datasource map[string]string `json:"datasource"`
				Targets    []map[string]any  `json:"targets"`
			} `json:"panels"`
			Templating struct {
				List []struct{ Name string } `json:"list"`
			} `json:"templating"`
			Annotations struct {
				List []map[string]any `json:"list"`
			} `json:"annotations"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.UID != s.UID || len(doc.Panels) != len(s.Panels) {
			t.Fatalf("%s: uid %q, %d panels", s.UID, doc.UID, len(doc.Panels))
		}
		for _, p := range doc.Panels {
			if p.Datasource["type"] != grafana.DatasourceType || len(p.Targets) != 1 {
				t.Errorf("%s/%s: datasource %v, %d targets", s.UID, p.Title, p.Datasource, len(p.Targets))
				continue
			}
			tg := p.Targets[0]
			if tg["editorType"] != "sql" || tg["rawSql"] == "" || (tg["queryType"] != "table" && tg["queryType"] != "timeSeries") {
				t.Errorf("%s/%s: target %v", s.UID, p.Title, tg)
			}
			if p.Type == "custom" || p.Type == "singlestat" {
				t.Errorf("%s/%s: panel type %q", s.UID, p.Title, p.Type)
			}
		}
		if s.Calendar && len(doc.Annotations.List) != 2 {
			t.Errorf("%s: %d annotations, want the calendar from ClickHouse and the pushed one", s.UID, len(doc.Annotations.List))
		}
		if len(doc.Templating.List) != len(s.Vars) {
			t.Errorf("%s: %d variables, want %d", s.UID, len(doc.Templating.List), len(s.Vars))
		}
	}
}

func TestExportWritesBoardsAndProvisioning(t *testing.T) {
	dir := t.TempDir()
	files, err := grafana.Export(dir, grafana.Boards(), grafana.ClickHouse{Host: "clickhouse", Port: 9000, Database: "leakwatch", Username: "default"}, "/var/lib/grafana/dashboards/leakwatch")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(grafana.Boards())+2 {
		t.Fatalf("wrote %v", files)
	}
	ds, _ := os.ReadFile(filepath.Join(dir, "provisioning", "datasources", "leakwatch.yaml"))
	for _, want := range []string{"type: grafana-clickhouse-datasource", "uid: " + grafana.DatasourceUID, "protocol: native", "defaultDatabase: leakwatch"} {
		if !strings.Contains(string(ds), want) {
			t.Errorf("datasource provisioning lacks %q:\n%s", want, ds)
		}
	}
	prov, _ := os.ReadFile(filepath.Join(dir, "provisioning", "dashboards", "leakwatch.yaml"))
	if !strings.Contains(string(prov), "path: /var/lib/grafana/dashboards/leakwatch") {
		t.Errorf("dashboard provider:\n%s", prov)
	}
	var board map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "dashboards", "leakwatch-leak-timing.json"))
	if err := json.Unmarshal(b, &board); err != nil || board["title"] != "leakwatch — Leak timing" {
		t.Fatalf("exported board: %v %v", err, board["title"])
	}
}

// A recorded Grafana HTTP API: the push goes through the SDK client exactly as against a server.
func TestPushSendsBoardsAndCalendar(t *testing.T) {
	var mu sync.Mutex
	var boards []string
	var annotations []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"message":"unauthorized"}`, 401)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/api/dashboards/db":
			var req struct {
				Dashboard struct{ UID string } `json:"dashboard"`
				Overwrite bool                 `json:"overwrite"`
			}
			if err := json.Unmarshal(body, &req); err != nil || !req.Overwrite {
				http.Error(w, `{"message":"bad board"}`, 400)
				return
			}
			boards = append(boards, req.Dashboard.UID)
			fmt.Fprintf(w, `{"status":"success","uid":%q}`, req.Dashboard.UID)
		case "/api/annotations":
			var a map[string]any
			json.Unmarshal(body, &a)
			annotations = append(annotations, a)
			fmt.Fprint(w, `{"message":"Annotation added","id":1}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	paris, _ := time.LoadLocation("Europe/Paris")
	cal := leakwatch.Calendar{Name: "fr", Events: []leakwatch.Event{
		{ID: "silence-r2", Kind: "silence", Title: "Silence", Start: time.Date(2017, 5, 6, 0, 0, 0, 0, paris), End: time.Date(2017, 5, 7, 20, 0, 0, 0, paris)},
	}}
	if err := grafana.Push(context.Background(), srv.URL, "tok", grafana.Boards(), cal, srv.Client()); err != nil {
		t.Fatal(err)
	}
	if len(boards) != 4 || len(annotations) != 1 {
		t.Fatalf("pushed boards %v, annotations %v", boards, annotations)
	}
	a := annotations[0]
	if a["time"].(float64) != float64(cal.Events[0].Start.UnixMilli()) || a["timeEnd"].(float64) != float64(cal.Events[0].End.UnixMilli()) {
		t.Fatalf("silence should be a region: %v", a)
	}
	if err := grafana.Push(context.Background(), srv.URL, "wrong", grafana.Boards(), cal, srv.Client()); err == nil || !strings.Contains(err.Error(), "leakwatch-overview") {
		t.Fatalf("push with a bad token: %v", err)
	}
}

func TestExpandMacros(t *testing.T) {
	r := grafana.Range{From: time.Unix(100, 0), To: time.Unix(200, 0), Interval: time.Minute, Vars: map[string][]string{"platform": {"twitter", "o'brien"}}}
	got, err := grafana.Expand("SELECT toDateTime(intDiv(toUInt32(t), $__interval_s) * $__interval_s) WHERE $__timeFilter(t) AND p IN (${platform:singlequote}) AND c IN (${candidate:singlequote}) AND x < $__toTime", r, map[string][]string{"candidate": {"macron"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT toDateTime(intDiv(toUInt32(t), 60) * 60) WHERE (t >= toDateTime(100) AND t <= toDateTime(200)) AND p IN ('twitter','o\\'brien') AND c IN ('macron') AND x < toDateTime(200)"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := grafana.Expand("SELECT $__timeGroup(t, 1m)", r, nil); err == nil {
		t.Fatal("an unknown macro must not pass unexpanded")
	}
}

var _ = slog.Default
