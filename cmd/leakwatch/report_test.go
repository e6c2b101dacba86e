package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
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

// writeCalendar writes a campaign calendar of one convention, id, on 25 July 2016.
func writeCalendar(t *testing.T, path, name, id string) {
	t.Helper()
	yaml := "name: " + name + "\ntimezone: UTC\nevents:\n  - id: " + id + "\n    kind: convention\n    title: Convention\n    start: 2016-07-25T00:00:00\n    end: 2016-07-29T00:00:00\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
}

// reportDetections writes a burst and a leak timed against the "dnc" event to dir/detections.jsonl.
func reportDetections(t *testing.T, dir string) string {
	t.Helper()
	at := time.Date(2016, 7, 24, 16, 47, 0, 0, time.UTC)
	ref := []leakwatch.CalendarRef{{Event: "dnc", Kind: "convention", OffsetS: -26000}}
	path := filepath.Join(dir, "detections.jsonl")
	if err := writeDetections(path, []leakwatch.Signal{
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:dncleak", Onset: at, Peak: at, End: at.Add(time.Hour), Count: 90, Calendar: ref}},
		{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:dncleak", Onset: at, Start: at, Evidence: []string{"term:#dncleak"}, Calendar: ref}},
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// Detections timed against one campaign's calendar are not reported under another's name.
func TestReportRefusesAnotherCampaignsCalendar(t *testing.T) {
	dir := t.TempDir()
	det := reportDetections(t, dir)
	us, fr := filepath.Join(dir, "us.yaml"), filepath.Join(dir, "fr.yaml")
	writeCalendar(t, us, "United States presidential 2016", "dnc")
	writeCalendar(t, fr, "France presidential 2017", "silence-r2")
	code, _, stderr := runCmd(t, "report", "--detections", det, "--calendar", fr, "--out", filepath.Join(dir, "fr"))
	if code != 2 || !strings.Contains(stderr, "dnc") || !strings.Contains(stderr, "France presidential 2017") {
		t.Errorf("report on another campaign's calendar: exit %d, %q; want 2 naming the event and the calendar", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "fr", "index.html")); err == nil {
		t.Error("a page was written under the wrong calendar")
	}
	if code, stdout, stderr := runCmd(t, "report", "--detections", det, "--calendar", us, "--out", filepath.Join(dir, "us")); code != 0 {
		t.Errorf("report on its own calendar: exit %d\n%s%s", code, stdout, stderr)
	}
}

// A detections file copied without its volume.json: the report warns, the chart says the
// volume is missing rather than that nobody posted, and the markers stay on the timeline.
func TestReportWithoutVolumeFile(t *testing.T) {
	dir := t.TempDir()
	det := reportDetections(t, dir)
	out := filepath.Join(dir, "report")
	code, stdout, stderr := runCmd(t, "report", "--detections", det, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if want := filepath.Join(dir, "volume.json") + " not found"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	svg, err := os.ReadFile(filepath.Join(out, "timeline.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"no volume data (volume.json not found)", "<title>burst hashtag:dncleak", "<title>leak hashtag:dncleak"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("timeline.svg lacks %q:\n%s", want, svg)
		}
	}
	if strings.Contains(string(svg), "no posts in range") {
		t.Errorf("timeline.svg says no posts:\n%s", svg)
	}
}

// Hours without posts are drawn at zero: posts at 00:00 and 04:00 only, analyzed and reported
// as a user would, give a line on the zero axis between them, not a line from one to the other.
func TestReportDrawsQuietHoursAsZero(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "posts.csv")
	csv := "author,time,text\n"
	for i := range 5 {
		csv += fmt.Sprintf("a%d,2016-07-01 00:%02d:00,hello\na%d,2016-07-01 04:%02d:00,again\n", i, i, i, i)
	}
	if err := os.WriteFile(in, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	ana, rep := filepath.Join(dir, "analysis"), filepath.Join(dir, "report")
	for _, args := range [][]string{
		{"analyze", in, "--columns", "author=author,time=time,text=text", "--progress", "0", "--out", ana},
		{"report", "--detections", filepath.Join(ana, "detections.jsonl"), "--out", rep},
	} {
		if code, stdout, stderr := runCmd(t, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	svg, err := os.ReadFile(filepath.Join(rep, "timeline.svg"))
	if err != nil {
		t.Fatal(err)
	}
	tick := regexp.MustCompile(`y1="([0-9.]+)"[^>]*/><text [^>]*>0</text>`).FindSubmatch(svg)
	line := regexp.MustCompile(`<polyline points="([^"]*)"`).FindSubmatch(svg)
	if tick == nil || line == nil {
		t.Fatalf("timeline.svg has no zero tick or no volume line:\n%s", svg)
	}
	// Hours 1 to 3 lie between the first and the last vertex: each must be on the zero axis.
	var zeros int
	for _, v := range strings.Fields(string(line[1])) {
		if strings.HasSuffix(v, ","+string(tick[1])) {
			zeros++
		}
	}
	if zeros < 2 {
		t.Errorf("volume line %s has %d vertices on the zero axis (y=%s), want the empty hours 01:00 and 03:00 there", line[1], zeros, tick[1])
	}
}

// The network a researcher loads into Gephi or networkx holds what the detections hold: every
// account of an edge or group, one link per pair with the pair's co-shares of every kind, and
// each grouped account marked with its group. The page links the file and draws the groups.
func TestReportWritesTheNetwork(t *testing.T) {
	dir := t.TempDir()
	scen, ana, rep := filepath.Join(dir, "scenario"), filepath.Join(dir, "analysis"), filepath.Join(dir, "report")
	for _, args := range [][]string{
		{"scenario", "generate", "--seed", "5", "--accounts", "600", "--out", scen},
		{"analyze", filepath.Join(scen, "posts.jsonl"), "--format", "twitter-v1", "--calendar", filepath.Join(scen, "calendar.yaml"), "--progress", "0", "--out", ana},
		{"report", "--detections", filepath.Join(ana, "detections.jsonl"), "--calendar", filepath.Join(scen, "calendar.yaml"), "--out", rep},
	} {
		if code, stdout, stderr := runCmd(t, args...); code != 0 {
			t.Fatalf("leakwatch %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	sigs, err := readDetections(filepath.Join(ana, "detections.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	accounts, pairs, weight := map[string]bool{}, map[[2]string]bool{}, 0
	var groups []*leakwatch.Group
	for _, s := range sigs {
		switch s.Kind {
		case leakwatch.SignalEdge:
			a, b := min(s.Edge.A, s.Edge.B), max(s.Edge.A, s.Edge.B)
			accounts[a], accounts[b], pairs[[2]string{a, b}] = true, true, true
			weight += s.Edge.Weight
		case leakwatch.SignalGroup:
			groups = append(groups, s.Group)
			for _, a := range s.Group.Accounts {
				accounts[a] = true
			}
		}
	}
	if len(groups) == 0 {
		t.Fatal("the scenario gave no group: nothing to check")
	}
	b, err := os.ReadFile(filepath.Join(rep, "network.graphml"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Nodes []struct {
			ID   string `xml:"id,attr"`
			Data []struct {
				Key   string `xml:"key,attr"`
				Value string `xml:",chardata"`
			} `xml:"data"`
		} `xml:"graph>node"`
		Edges []struct {
			Source string `xml:"source,attr"`
			Target string `xml:"target,attr"`
			Data   []struct {
				Key   string `xml:"key,attr"`
				Value string `xml:",chardata"`
			} `xml:"data"`
		} `xml:"graph>edge"`
	}
	if err := xml.Unmarshal(b, &g); err != nil {
		t.Fatalf("network.graphml is not XML: %v", err)
	}
	group := map[string]string{}
	for _, n := range g.Nodes {
		if !accounts[n.ID] {
			t.Errorf("node %s is in no edge or group of the detections", n.ID)
		}
		for _, d := range n.Data {
			if d.Key == "group" {
				group[n.ID] = d.Value
			}
		}
	}
	if len(g.Nodes) != len(accounts) {
		t.Errorf("%d nodes, want the %d accounts of the edges and groups", len(g.Nodes), len(accounts))
	}
	if len(g.Edges) != len(pairs) {
		t.Errorf("%d links, want one for each of the %d account pairs", len(g.Edges), len(pairs))
	}
	sum := 0
	for _, e := range g.Edges {
		if !pairs[[2]string{e.Source, e.Target}] {
			t.Errorf("link %s-%s is no pair of the detections (or not lesser id first)", e.Source, e.Target)
		}
		for _, d := range e.Data {
			if d.Key == "weight" {
				n, _ := strconv.Atoi(d.Value)
				sum += n
			}
		}
	}
	if sum != weight {
		t.Errorf("the links weigh %d co-shares together, the edges %d", sum, weight)
	}
	for _, gr := range groups {
		for _, a := range gr.Accounts {
			if group[a] == "" {
				t.Errorf("account %s of group %s has no group in the network", a, gr.ID)
			}
		}
	}
	page, err := os.ReadFile(filepath.Join(rep, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`aria-label="coordination network"`, `<a href="network.graphml">`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join(rep, "network.svg")); err != nil {
		t.Error(err)
	}
}

// A report times the detections against the calendar it draws: analyzed without a calendar,
// the scenario's leak is shown hours before the silence with timing score 1.00, as analyze
// with the calendar would have it; analyzed with the same calendar, nothing is re-timed,
// which holds only if the report places every burst, group and leak where the pipeline does.
func TestReportRetimesAgainstItsCalendar(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "scenario")
	cal := filepath.Join(scen, "calendar.yaml")
	steps := [][]string{
		{"scenario", "generate", "--seed", "5", "--accounts", "600", "--out", scen},
		{"analyze", filepath.Join(scen, "posts.jsonl"), "--changes", filepath.Join(scen, "sitechanges.jsonl"), "--config", filepath.Join(scen, "config.yaml"), "--progress", "0", "--out", filepath.Join(dir, "bare")},
		{"analyze", filepath.Join(scen, "posts.jsonl"), "--changes", filepath.Join(scen, "sitechanges.jsonl"), "--config", filepath.Join(scen, "config.yaml"), "--calendar", cal, "--progress", "0", "--out", filepath.Join(dir, "timed")},
	}
	for _, args := range steps {
		if code, stdout, stderr := runCmd(t, args...); code != 0 {
			t.Fatalf("leakwatch %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	leakTable := regexp.MustCompile(`(?s)<h2>Leak timing</h2>.*?</table>`)
	pages := map[string]string{}
	for _, run := range []string{"bare", "timed"} {
		code, stdout, stderr := runCmd(t, "report", "--detections", filepath.Join(dir, run, "detections.jsonl"), "--calendar", cal, "--out", filepath.Join(dir, "report-"+run))
		if code != 0 {
			t.Fatalf("report of %s: exit %d\n%s%s", run, code, stdout, stderr)
		}
		retimed := strings.Contains(stderr, "re-timed against")
		if retimed != (run == "bare") {
			t.Errorf("report of the %s analysis: stderr %q; want a re-timing note only for the analysis without a calendar", run, stderr)
		}
		page, err := os.ReadFile(filepath.Join(dir, "report-"+run, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		table := leakTable.FindString(string(page))
		if !strings.Contains(table, "<td>macron</td>") {
			t.Fatalf("report of %s: no leak about macron: %s", run, table)
		}
		pages[run] = table
	}
	if pages["bare"] != pages["timed"] {
		t.Errorf("the leak tables differ:\nwithout a calendar at analysis: %s\nwith it: %s", pages["bare"], pages["timed"])
	}
	for _, want := range []string{" h silence-r2</td>", ">1.00<", "silence-r2 −3h"} {
		if !strings.Contains(pages["bare"], want) {
			t.Errorf("the leak table lacks %q: %s", want, pages["bare"])
		}
	}
}

// A record without the fields every detection has is refused naming its line, not shown as a
// row of blanks.
func TestReportRefusesIncompleteRecords(t *testing.T) {
	dir := t.TempDir()
	det := reportDetections(t, dir)
	b, err := os.ReadFile(det)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ line, want string }{
		{`{"kind":"leak"}`, "leak record without object (KIND:VALUE), onset"},
		{`{"kind":"burst","object":"hashtag:x"}`, "burst record without onset"},
		{`{"kind":"group","id":"g-1"}`, "group record without accounts"},
		{`{"kind":"edge","a":"1","b":"2"}`, "edge record without object_kind"},
	} {
		bad := filepath.Join(dir, "bad.jsonl")
		if err := os.WriteFile(bad, append(slices.Clone(b), c.line+"\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCmd(t, "report", "--detections", bad, "--out", filepath.Join(dir, "out"))
		if code == 0 || !strings.Contains(stderr, "bad.jsonl:3: "+c.want) {
			t.Errorf("%s: exit %d, %q; want a failure naming line 3 and %q", c.line, code, stderr, c.want)
		}
	}
}
