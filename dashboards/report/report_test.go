package report_test

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
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
	svg := report.Timeline(report.Input{}, 600, 200)
	if !strings.Contains(svg, "no posts in range") {
		t.Fatalf("empty timeline: %s", svg)
	}
}

// The digest is what an analyst reads first after `analyze`: the leak with its timing, then
// the largest group, then bursts strongest first, each with its nearest calendar event.
func TestDigestRanksFindings(t *testing.T) {
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	burst := func(obj string, score float64) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: obj, Onset: at, Count: 50, Accounts: 9, Baseline: 2, Score: score,
			Calendar: []leakwatch.CalendarRef{{Event: "debate-r2", OffsetS: 48 * 3600}, {Event: "silence-r2", OffsetS: -(3*3600 + 25*60)}}}}
	}
	group := func(id string, n int) leakwatch.Signal {
		accounts := make([]string, n)
		for i := range accounts {
			accounts[i] = fmt.Sprint("bot", i)
		}
		return leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: id, Accounts: accounts, Edges: n, ObjectKinds: []leakwatch.ObjectKind{"reshare_of"}, First: at, Last: at, FirstMovers: accounts[:1]}}
	}
	sigs := []leakwatch.Signal{
		burst("hashtag:weak", 5), burst("hashtag:macronleaks", 40), burst("url:b", 7), burst("url:c", 6),
		group("small", 3), group("large", 12),
		{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:macronleaks", Onset: at, Evidence: []string{"domain:pastebin.com", "group:large"},
			Timing: leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 3.42, NextVote: "vote-r2", HoursToVote: 35.4, Score: 0.93}, Candidates: []string{"macron"}}},
	}
	var buf bytes.Buffer
	if err := report.Digest(&buf, sigs, 3); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"2017-05-05 18:35 UTC  hashtag:macronleaks  about macron  timing 0.93, 3.4 h before the silence silence-r2, 35.4 h before vote-r2; evidence domain:pastebin.com, group:large; amplified by 12 coordinated accounts, first movers bot0\n",
		"12 accounts, 12 edges (reshare_of)",
		"silence-r2 −3h25m", // the nearest event of a burst, not the first listed
	} {
		if !strings.Contains(out, want) {
			t.Errorf("digest lacks %q:\n%s", want, out)
		}
	}
	order := []string{"leak incidents", "largest coordinated groups", "12 accounts", "3 accounts", "strongest bursts", "hashtag:macronleaks  50 posts", "url:b", "url:c"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < last {
			t.Errorf("%q out of order (at %d, after %d):\n%s", s, i, last, out)
		}
		last = i
	}
	if strings.Contains(out, "hashtag:weak") {
		t.Errorf("the fourth burst is beyond n=3:\n%s", out)
	}
}

// A candidate silent for hours had no posts then: the line drops to zero across the gap
// instead of sloping from one point to the next. The bucket is the series' own, else the one
// its adjacent points show (volume.json written before series kept it).
func TestTimelineDrawsEmptyBucketsAsZero(t *testing.T) {
	t0 := time.Date(2016, 7, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int, n int) volume.Point { return volume.Point{T: t0.Add(time.Duration(h) * time.Hour), N: n} }
	for _, tc := range []struct {
		name   string
		series volume.Series
	}{
		{"bucket kept", volume.Series{Name: "sanders", BucketS: 3600, Points: []volume.Point{at(0, 10), at(1, 10), at(5, 10)}}},
		{"bucket from adjacent points", volume.Series{Name: "sanders", Points: []volume.Point{at(0, 10), at(1, 10), at(5, 10)}}},
		{"bucket kept, no adjacent points", volume.Series{Name: "sanders", BucketS: 3600, Points: []volume.Point{at(0, 10), at(5, 10)}}},
	} {
		svg := report.Timeline(report.Input{Series: []volume.Series{tc.series}}, 600, 200)
		line, zero := polyline(t, svg), zeroY(t, svg)
		x0, x5 := line[0][0], line[len(line)-1][0] // hours 0 and 5
		for _, h := range []float64{2, 3, 4} {
			if y := yAt(line, x0+(x5-x0)*h/5); y != zero {
				t.Errorf("%s: hour %.0f had no posts but is drawn at y=%.1f, want the zero axis y=%.1f: %v", tc.name, h, y, zero, line)
			}
		}
	}
}

// A warning the command raised heads the page.
func TestRenderShowsWarnings(t *testing.T) {
	var buf bytes.Buffer
	if err := report.Render(&buf, report.Input{Warnings: []string{"timed against another campaign"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Warning: timed against another campaign") {
		t.Errorf("page lacks the warning:\n%s", buf.String())
	}
}

// A report without its volume file says so on the chart, not "no posts", and still places
// the bursts and leaks on the calendar.
func TestTimelineWithoutVolumeKeepsMarkers(t *testing.T) {
	at := time.Date(2016, 7, 22, 15, 0, 0, 0, time.UTC)
	cal := leakwatch.Calendar{Name: "US 2016", Events: []leakwatch.Event{{ID: "dnc", Kind: "convention", Title: "DNC", Start: at.Add(60 * time.Hour), End: at.Add(150 * time.Hour)}}}
	svg := report.Timeline(report.Input{Calendar: cal, NoVolume: "volume.json not found", Signals: []leakwatch.Signal{
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:dncleak", Onset: at, Count: 40}},
		{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:dncleak", Onset: at.Add(90 * time.Hour)}},
	}}, 600, 200)
	for _, want := range []string{"no volume data (volume.json not found)", "<title>burst hashtag:dncleak", "<title>leak hashtag:dncleak", "<title>DNC</title>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("timeline lacks %q: %s", want, svg)
		}
	}
	if strings.Contains(svg, "no posts in range") {
		t.Errorf("a missing volume file drawn as a campaign without posts: %s", svg)
	}
}

// Detections timed against one campaign's calendar name events another calendar lacks.
func TestForeignEvents(t *testing.T) {
	at := time.Date(2016, 7, 22, 15, 0, 0, 0, time.UTC)
	sigs := []leakwatch.Signal{
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:a", Onset: at, Calendar: []leakwatch.CalendarRef{{Event: "rnc", OffsetS: 3600}}}},
		{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:a", Onset: at, Calendar: []leakwatch.CalendarRef{{Event: "dnc", OffsetS: -3600}}, Timing: leakwatch.Timing{NextVote: "vote"}}},
	}
	us := leakwatch.Calendar{Name: "US", Events: []leakwatch.Event{{ID: "rnc"}, {ID: "dnc"}, {ID: "vote"}}}
	fr := leakwatch.Calendar{Name: "France", Events: []leakwatch.Event{{ID: "silence-r2"}, {ID: "vote"}}}
	if got := report.ForeignEvents(sigs, us); len(got) != 0 {
		t.Errorf("against their own calendar: %v, want none", got)
	}
	if got := fmt.Sprint(report.ForeignEvents(sigs, fr)); got != "[dnc rnc]" {
		t.Errorf("against another campaign's: %s, want [dnc rnc]", got)
	}
}

// polyline is the vertices of the first volume line of svg.
func polyline(t *testing.T, svg string) [][2]float64 {
	t.Helper()
	m := regexp.MustCompile(`<polyline points="([^"]*)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no volume line: %s", svg)
	}
	var pts [][2]float64
	for _, p := range strings.Fields(m[1]) {
		var x, y float64
		if _, err := fmt.Sscanf(p, "%f,%f", &x, &y); err != nil {
			t.Fatalf("vertex %q: %v", p, err)
		}
		pts = append(pts, [2]float64{x, y})
	}
	return pts
}

// zeroY is where the chart's value axis is 0.
func zeroY(t *testing.T, svg string) float64 {
	t.Helper()
	m := regexp.MustCompile(`y1="([0-9.]+)"[^>]*/><text [^>]*>0</text>`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no 0 tick: %s", svg)
	}
	y, _ := strconv.ParseFloat(m[1], 64)
	return y
}

// yAt is the height of line at x, as drawn: between vertices, on the straight segment.
func yAt(line [][2]float64, x float64) float64 {
	for i := 1; i < len(line); i++ {
		a, b := line[i-1], line[i]
		if x >= a[0] && x <= b[0] && b[0] > a[0] {
			return math.Round((a[1]+(b[1]-a[1])*(x-a[0])/(b[0]-a[0]))*10) / 10
		}
	}
	return math.NaN()
}
