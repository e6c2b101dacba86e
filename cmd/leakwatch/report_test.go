package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/internal/testenv"
)

// TestReportFromScenarioInBrowser is what a researcher does after an election: generate (here)
// or collect a campaign, analyze it, write the report, open it. Chromium renders the page; the
// test reads what it drew and keeps a screenshot in LEAKWATCH_SCREENSHOTS when set.
func TestReportFromScenarioInBrowser(t *testing.T) {
	chromium := testenv.Chromium(t)
	dir := t.TempDir()
	scen, ana, rep := filepath.Join(dir, "scenario"), filepath.Join(dir, "analysis"), filepath.Join(dir, "report")
	for _, args := range [][]string{
		{"scenario", "generate", "--seed", "5", "--accounts", "600", "--out", scen},
		{"analyze", filepath.Join(scen, "posts.jsonl"), "--format", "twitter-v1", "--calendar", filepath.Join(scen, "calendar.yaml"), "--out", ana},
		{"report", "--detections", filepath.Join(ana, "detections.jsonl"), "--calendar", filepath.Join(scen, "calendar.yaml"), "--title", "Run-off 2017", "--out", rep},
	} {
		var out, errs strings.Builder
		if code := run(context.Background(), args, &out, &errs); code != 0 {
			t.Fatalf("leakwatch %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errs.String())
		}
	}
	page := "file://" + filepath.Join(rep, "index.html")
	dom, err := testenv.Headless(t, chromium, page, "--dump-dom")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<h1>Run-off 2017</h1>",
		"<polyline",                 // the volume line was drawn
		">silence-r2<",              // the silence period is on the timeline
		">debate-r2<",               // and the debate
		"Leak timing", "silence-r2", // the leak is timed against the calendar
		"Coordinated groups",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered report lacks %q", want)
		}
	}
	if strings.Contains(dom, "No leak detected.") {
		t.Error("the scenario's leak dump is not in the report")
	}
	shot := filepath.Join(dir, "report.png")
	if d := os.Getenv("LEAKWATCH_SCREENSHOTS"); d != "" {
		shot = filepath.Join(d, "report.png")
	}
	if _, err := testenv.Headless(t, chromium, page, "--screenshot="+shot); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 20_000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
	if svg, err := os.ReadFile(filepath.Join(rep, "timeline.svg")); err != nil || !strings.Contains(string(svg), "<polyline") {
		t.Fatalf("timeline.svg: %v", err)
	}
}
