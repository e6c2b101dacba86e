package grafana_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// A variable a board offers narrows at least one of its panels, else choosing a value
// would change nothing the user sees.
func TestEveryBoardVariableNarrowsAPanel(t *testing.T) {
	for _, s := range grafana.Boards() {
		for _, v := range s.Vars {
			used := false
			for _, p := range s.Panels {
				used = used || strings.Contains(p.SQL, "${"+v+":")
			}
			if !used {
				t.Errorf("%s offers the variable %s, but no panel uses it", s.UID, v)
			}
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
// Annotations are kept as Grafana keeps them (ids, search by tag, delete by id), so pushing
// twice shows what a user would see on the board.
func TestPushSendsBoardsAndCalendar(t *testing.T) {
	var mu sync.Mutex
	var boards []string
	annotations := map[int]map[string]any{1: {"id": 1, "time": 1, "tags": []string{"deploy"}, "text": "an annotation of the user's own"}}
	nextID := 2
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
			if r.Method == http.MethodGet {
				limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
				var found []map[string]any
				for _, id := range slices.Sorted(maps.Keys(annotations)) {
					a := annotations[id]
					if tags, _ := a["tags"].([]string); slices.Contains(tags, r.URL.Query().Get("tags")) && len(found) < limit {
						found = append(found, a)
					}
				}
				json.NewEncoder(w).Encode(found)
				return
			}
			var req struct {
				Time, TimeEnd int64
				Tags          []string
				Text          string
			}
			json.Unmarshal(body, &req)
			annotations[nextID] = map[string]any{"id": nextID, "time": req.Time, "timeEnd": req.TimeEnd, "tags": req.Tags, "text": req.Text}
			fmt.Fprintf(w, `{"message":"Annotation added","id":%d}`, nextID)
			nextID++
		default:
			var id int
			if _, err := fmt.Sscanf(r.URL.Path, "/api/annotations/%d", &id); err == nil && r.Method == http.MethodDelete && annotations[id] != nil {
				delete(annotations, id)
				fmt.Fprint(w, `{"message":"Annotation deleted"}`)
				return
			}
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
	calendarAnnotations := func() []map[string]any {
		var out []map[string]any
		for _, id := range slices.Sorted(maps.Keys(annotations)) {
			if slices.Contains(annotations[id]["tags"].([]string), grafana.CalendarTag) {
				out = append(out, annotations[id])
			}
		}
		return out
	}
	if got := calendarAnnotations(); len(boards) != 4 || len(got) != 1 {
		t.Fatalf("pushed boards %v, calendar annotations %v", boards, got)
	}
	a := calendarAnnotations()[0]
	if a["time"] != cal.Events[0].Start.UnixMilli() || a["timeEnd"] != cal.Events[0].End.UnixMilli() {
		t.Fatalf("silence should be a region: %v", a)
	}

	// Pushing again, with the debate added, leaves one annotation per event, and the user's own.
	cal.Events = append(cal.Events, leakwatch.Event{ID: "debate-r2", Kind: "debate", Title: "Débat", Start: time.Date(2017, 5, 3, 21, 0, 0, 0, paris)})
	for range 2 {
		if err := grafana.Push(context.Background(), srv.URL, "tok", grafana.Boards(), cal, srv.Client()); err != nil {
			t.Fatal(err)
		}
	}
	var texts []string
	for _, a := range calendarAnnotations() {
		texts = append(texts, a["text"].(string))
	}
	if !slices.Equal(texts, []string{"Débat", "Silence"}) || annotations[1] == nil {
		t.Fatalf("after pushing three times: calendar annotations %v, the user's own kept: %v; want Débat and Silence once each, and the user's kept", texts, annotations[1] != nil)
	}
	// Boards alone (no calendar) leave the calendar annotations where they are.
	if err := grafana.Push(context.Background(), srv.URL, "tok", grafana.Boards(), leakwatch.Calendar{}, srv.Client()); err != nil || len(calendarAnnotations()) != 2 {
		t.Fatalf("push without a calendar: %v; %d calendar annotations left, want 2", err, len(calendarAnnotations()))
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
