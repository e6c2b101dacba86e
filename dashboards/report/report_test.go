package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/volume"
	"github.com/leakwatch/leakwatch/dashboards/report"
)

func TestRenderShowsCalendarLeaksAndGroups(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	silence := time.Date(2017, 5, 6, 0, 0, 0, 0, paris)
	leakAt := time.Date(2017, 5, 5, 20, 35, 0, 0, paris)
	cal := leakwatch.Calendar{Name: "France presidential 2017", Events: []leakwatch.Event{
		{ID: "silence-r2", Kind: "silence", Title: "Campaign silence", Start: silence, End: silence.Add(44 * time.Hour)},
		{ID: "debate-r2", Kind: "debate", Title: "Run-off debate", Start: silence.Add(-51 * time.Hour), End: silence.Add(-48 * time.Hour)},
	}}
	var pts []volume.Point
	for i := range 96 {
		pts = append(pts, volume.Point{T: silence.Add(-72*time.Hour + time.Duration(i)*time.Hour), N: 10 + i%7})
	}
	in := report.Input{
		Title: "Retrospective", Source: "posts.jsonl", Calendar: cal, Generated: leakAt,
		Series: []volume.Series{{Name: "all", Points: pts}, {Name: "macron", Points: pts}},
		Signals: []leakwatch.Signal{
			{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:macronleaks", Onset: leakAt, Evidence: []string{"domain:pastebin.com"},
				Timing: leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 3.42, NextVote: "vote-r2", HoursToVote: 35.4, Score: 0.93}}},
			{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-1", Accounts: []string{"bot1", "bot2", "bot3"}, ObjectKinds: []leakwatch.ObjectKind{"neartext"}, First: leakAt, Last: leakAt.Add(time.Hour), FirstMovers: []string{"bot1"}}},
			{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:macronleaks", Onset: leakAt, Peak: leakAt, End: leakAt.Add(time.Hour), Count: 500, Baseline: 3, Score: 40}},
			{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: "neartext", A: "bot1", B: "bot2", Weight: 3}},
		},
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, in); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		"<svg", "silence-r2", "debate-r2", // calendar drawn in
		"hashtag:macronleaks", "3.4 h silence-r2", "35.4 h vote-r2", "0.93", "domain:pastebin.com", // leak timing
		"g-1", "bot1", // group with evidence
		">macron<", // candidate line in the legend
		"<b>1</b> co-share edges",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Count(html, "<polyline") != 1 {
		t.Errorf("want one volume line (the candidate; 'all' is left out when candidates exist), got %d", strings.Count(html, "<polyline"))
	}
}

func TestTimelineEmpty(t *testing.T) {
	svg := report.Timeline(nil, leakwatch.Calendar{}, nil, nil, 600, 200)
	if !strings.Contains(svg, "no posts in range") {
		t.Fatalf("empty timeline: %s", svg)
	}
}
