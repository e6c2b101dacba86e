// Package grafana generates leakwatch's Grafana dashboards as code, exports them with
// Grafana provisioning files, and pushes them (and the campaign calendar, as annotations)
// to a Grafana server through the grafana-tools/sdk client.
//
// Panels query ClickHouse through the grafana-clickhouse-datasource plugin. The SDK's Target
// type predates that plugin (no queryType/editorType, a string format), so panels are SDK
// custom panels carrying the plugin's own target shape. It must not import stream.
package grafana

import (
	"encoding/json"
	"fmt"

	"github.com/grafana-tools/sdk"

	"github.com/leakwatch/leakwatch/warehouse"
)

// DatasourceType is the plugin id of the official ClickHouse data source.
const DatasourceType = "grafana-clickhouse-datasource"

// DatasourceUID is the uid the provisioning file gives the data source, so boards find it.
const DatasourceUID = "leakwatch-clickhouse"

// Query types of the ClickHouse plugin; the plugin's Format enum goes with them.
const (
	QueryTable      = "table"
	QueryTimeSeries = "timeSeries"
)

// Spec describes one board.
type Spec struct {
	UID    string
	Title  string
	Tags   []string
	Panels []PanelSpec
	// Calendar draws campaign events from the calendar_events table as annotations
	// (silence periods and conventions as regions, debates and votes as lines).
	Calendar bool
	// Vars are the dashboard variables this board offers (names from Variables).
	Vars []string
}

// PanelSpec is one panel: its visualisation, its SQL and what the SQL must return.
type PanelSpec struct {
	Title       string
	Description string
	Type        string // timeseries, table, stat, barchart
	QueryType   string // QueryTable or QueryTimeSeries
	SQL         string
	// Columns are the result columns the visualisation reads, checked against ClickHouse in tests.
	Columns []string
	W, H    int
}

// Variable is a dashboard variable filled by a ClickHouse query.
type Variable struct {
	Name, Label, SQL string
}

// Variables the boards can use; panel SQL refers to them as ${name:singlequote}.
var Variables = map[string]Variable{
	"candidate": {Name: "candidate", Label: "Candidate", SQL: "SELECT candidate FROM (SELECT DISTINCT substring(object, 11) AS candidate FROM mentions_per_minute WHERE kind = 'candidate' " +
		// Alerts name candidates too (rules.candidates may list some no post mentioned):
		// "All" must take them in, or the alerts panel would hide theirs.
		"UNION ALL SELECT DISTINCT candidate FROM alerts WHERE candidate != '') GROUP BY candidate ORDER BY candidate"},
	"platform": {Name: "platform", Label: "Platform", SQL: "SELECT DISTINCT platform FROM posts ORDER BY platform"},
}

func datasource() map[string]string {
	return map[string]string{"type": DatasourceType, "uid": DatasourceUID}
}

// Build turns a spec into an SDK board. Panels are laid out left to right, top to bottom.
func Build(s Spec) *sdk.Board {
	b := sdk.NewBoard(s.Title)
	// The SDK numbers boards from a process-wide counter, so a second Build of the same spec
	// would differ; the uid names a board, and Grafana gives its own id to one without.
	b.ID = 0
	b.UID = s.UID
	b.Tags = append([]string{"leakwatch"}, s.Tags...)
	b.Timezone = "utc"
	b.Editable = true
	b.SchemaVersion = 39
	b.Time = sdk.Time{From: "now-7d", To: "now"}
	refresh := sdk.BoolString{Flag: true, Value: "30s"}
	b.Refresh = &refresh
	b.GraphTooltip = 1 // shared crosshair: a leak lines up with the volume above it
	x, y, rowH := 0, 0, 0
	for i, p := range s.Panels {
		w, h := p.W, p.H
		if w == 0 {
			w = 12
		}
		if h == 0 {
			h = 8
		}
		if x+w > 24 {
			x, y, rowH = 0, y+rowH, 0
		}
		panel := sdk.NewCustom(p.Title)
		panel.ID = uint(i + 1)
		panel.Type = p.Type
		panel.Renderer = nil
		panel.IsNew = false
		panel.Description = &p.Description
		panel.GridPos.X, panel.GridPos.Y, panel.GridPos.W, panel.GridPos.H = ptr(x), ptr(y), ptr(w), ptr(h)
		*panel.CustomPanel = sdk.CustomPanel{
			"datasource": datasource(),
			"targets":    []target{newTarget(p)},
		}
		b.Panels = append(b.Panels, panel)
		x += w
		rowH = max(rowH, h)
	}
	for _, name := range s.Vars {
		v := Variables[name]
		b.Templating.List = append(b.Templating.List, sdk.TemplateVar{
			Name: v.Name, Label: v.Label, Type: "query", Datasource: datasource(), Query: v.SQL,
			Refresh: sdk.BoolInt{Flag: true, Value: ptr(int64(2))}, Multi: true, IncludeAll: true,
			Current: sdk.Current{Text: &sdk.StringSliceString{Value: []string{"All"}, Valid: true}, Value: []string{"$__all"}},
		})
	}
	return b
}

// target is the ClickHouse plugin's query shape.
type target struct {
	RefID      string            `json:"refId"`
	Datasource map[string]string `json:"datasource"`
	EditorType string            `json:"editorType"`
	QueryType  string            `json:"queryType"`
	Format     int               `json:"format"` // plugin Format enum: 0 time series, 1 table
	RawSQL     string            `json:"rawSql"`
}

func newTarget(p PanelSpec) target {
	t := target{RefID: "A", Datasource: datasource(), EditorType: "sql", QueryType: p.QueryType, Format: 1, RawSQL: p.SQL}
	if p.QueryType == QueryTimeSeries {
		t.Format = 0
	}
	return t
}

// CalendarAnnotationSQL feeds the calendar annotation: time/timeEnd make regions of periods.
// An event re-imported with another start is read once, at its latest start. A point in time
// stored without an end (an event made in code; calendar files set end = start) ends where it
// starts: greatest, as the stored "no end" is the epoch.
var CalendarAnnotationSQL = "SELECT toUInt64(start_at) * 1000 AS time, toUInt64(greatest(start_at, end_at)) * 1000 AS timeEnd, concat(title, ' (', id, ')') AS text, kind AS tags FROM " +
	warehouse.Latest("calendar_events") + " WHERE greatest(start_at, end_at) >= $__fromTime AND start_at <= $__toTime ORDER BY start_at"

// JSON renders a board as Grafana dashboard JSON. The calendar annotation carries the
// plugin target, which the SDK's Annotation type has no field for, so it is added here.
func JSON(s Spec) ([]byte, error) {
	raw, err := json.Marshal(Build(s))
	if err != nil {
		return nil, fmt.Errorf("board %s: %w", s.UID, err)
	}
	if !s.Calendar {
		return raw, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("board %s: %w", s.UID, err)
	}
	doc["annotations"] = map[string]any{"list": []any{
		map[string]any{
			"name": "Campaign calendar", "enable": true, "iconColor": "rgba(255, 96, 96, 0.6)",
			"datasource": datasource(),
			"target":     target{RefID: "Anno", Datasource: datasource(), EditorType: "sql", QueryType: QueryTable, Format: 1, RawSQL: CalendarAnnotationSQL},
		},
		map[string]any{
			// Calendar events pushed by `leakwatch dashboards push` are Grafana annotations tagged so.
			"name": "Calendar (pushed)", "enable": true, "iconColor": "rgba(138, 148, 160, 0.8)",
			"datasource": map[string]string{"type": "grafana", "uid": "-- Grafana --"},
			"target":     map[string]any{"type": "tags", "tags": []string{CalendarTag}, "matchAny": true, "limit": 500},
		},
	}}
	return json.MarshalIndent(doc, "", "  ")
}

func ptr[T any](v T) *T { return &v }
