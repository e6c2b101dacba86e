package report_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
			{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-1", Accounts: []string{"bot1", "bot2", "bot3"}, ObjectKinds: []leakwatch.ObjectKind{"neartext"}, First: leakAt.Add(-50 * time.Hour), Formed: leakAt.Add(3 * time.Minute), Last: leakAt.Add(time.Hour), FirstMovers: []string{"bot1"}}},
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
		"<td>2017-05-03 16:35 UTC</td><td>2017-05-05 18:38 UTC</td>", // its first co-share, then when it became coordinated
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
		burst("hashtag:weak", 5), burst("hashtag:macronleaks", 40), burst("url:b", 7), burst("url:c", 6), burst("domain:lemonde.fr", 60),
		group("small", 3), group("large", 12),
		{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "late", Accounts: []string{"a", "b", "c"}, Edges: 3, ObjectKinds: []leakwatch.ObjectKind{"url"},
			First: at.Add(-127 * time.Hour), Formed: at.Add(3 * time.Minute), Last: at.Add(time.Hour)}},
		{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:macronleaks", Onset: at, Evidence: []string{"domain:pastebin.com", "group:large"},
			Timing: leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 3.42, NextVote: "vote-r2", HoursToVote: 35.4, Score: 0.93}, Candidates: []string{"macron"}}},
	}
	// An article shared all afternoon, found by the hour: its score, over hour buckets, does
	// not compare with the minute bursts', and it ranks after them.
	sigs[4].Burst.Slow = true
	var buf bytes.Buffer
	if err := report.Digest(&buf, sigs, 3); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"2017-05-05 18:35 UTC  hashtag:macronleaks  about macron  timing 0.93, 3.4 h before the silence silence-r2, 35.4 h before vote-r2; evidence domain:pastebin.com, group:large; amplified by 12 coordinated accounts, first movers bot0\n",
		"12 accounts, 12 edges (reshare_of)",
		"3 accounts, 3 edges (url), coordinated 2017-05-05 18:38 UTC to 2017-05-05 19:35 UTC (first co-share 2017-04-30 11:35 UTC)",
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
	if strings.Contains(out, "hashtag:weak") || strings.Contains(out, "lemonde") {
		t.Errorf("the fourth minute burst and the slow one are beyond n=3:\n%s", out)
	}
	// Listed, the slow burst says so in the words of the report's timeline.
	buf.Reset()
	if err := report.Digest(&buf, sigs, 5); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "domain:lemonde.fr  50 posts by 9 accounts against 2.0 expected, score 60.0 (slow: counted by the hour)") {
		t.Errorf("the slow burst is not listed last, tagged slow:\n%s", out)
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
		x0, x6 := line[0][0], line[len(line)-1][0] // hour 0 and the end of hour 5's bucket
		for _, h := range []float64{2, 3, 4} {
			if y := yAt(line, x0+(x6-x0)*(h+0.5)/6); y != zero {
				t.Errorf("%s: hour %.0f had no posts but is drawn at y=%.1f, want the zero axis y=%.1f: %v", tc.name, h, y, zero, line)
			}
		}
	}
}

// Every burst and leak the report lists is marked on the chart, also one that began after
// the start of the last hourly bucket with a candidate mention (the French debate of 4 April
// 2017: the last hashtag burst at 22:17, the last mention bucket 22:00–23:00) or after the
// volume altogether; the time axis runs to the end of the last bucket, not its start.
func TestTimelineMarksEveryBurstAndLeak(t *testing.T) {
	t0 := time.Date(2017, 4, 4, 18, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return t0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	burst := func(object string, onset, end time.Time) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: object, Onset: onset, Peak: onset, End: end, Count: 20}}
	}
	sigs := []leakwatch.Signal{
		burst("all:posts", at(1, 14), at(1, 44)),
		burst("hashtag:legranddebat", at(1, 29), at(1, 59)),
		burst("hashtag:legranddebat", at(4, 17), at(4, 47)), // within the last bucket, after its start
		burst("hashtag:legranddebat", at(1, 14), at(1, 44)),
		burst("hashtag:late", at(5, 30), at(5, 41)), // after the last bucket's end
		{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:late", Onset: at(5, 30), Start: at(5, 35)}},
	}
	svg := report.Timeline(report.Input{Series: series([]string{"macron", "lepen"}, t0, 5), Signals: sigs}, 1100, 320)
	line := polyline(t, svg)
	left, right := line[0][0], line[len(line)-1][0]
	markers := regexp.MustCompile(`<path d="M([0-9.]+) [0-9.]+ l-4 -7 h8 z"[^>]*><title>burst ([^<]*)</title>`).FindAllStringSubmatch(svg, -1)
	if len(markers) != 5 {
		t.Errorf("%d burst markers for 5 bursts: %q", len(markers), markers)
	}
	for _, m := range markers {
		if x, _ := strconv.ParseFloat(m[1], 64); x < left || x > right {
			t.Errorf("burst %s marked at x %.1f, off the time axis %.1f–%.1f", m[2], x, left, right)
		}
	}
	leak := regexp.MustCompile(`<line x1="([0-9.]+)"[^>]*stroke="#d62728"[^>]*><title>leak hashtag:late`).FindStringSubmatch(svg)
	if leak == nil {
		t.Fatalf("the leak is not drawn: %s", svg)
	}
	// The axis runs from 18:00 to the late burst's end, 23:41: the leak's 23:35 is near its right end.
	want := left + (right-left)*float64(at(5, 35).Sub(t0))/float64(at(5, 41).Sub(t0))
	if x, _ := strconv.ParseFloat(leak[1], 64); math.Abs(x-want) > 1 {
		t.Errorf("leak at 23:35 drawn at x %.1f, want %.1f on an axis from 18:00 to 23:41", x, want)
	}

	// Without markers after it, the axis ends where the last bucket does: 23:00, not 22:00.
	svg = report.Timeline(report.Input{Series: series([]string{"macron"}, t0, 5)}, 1100, 320)
	line = polyline(t, svg)
	left, right = line[0][0], line[len(line)-1][0]
	last := line[len(line)-2] // the start of the last bucket's level segment
	if got, want := last[0], left+(right-left)*4/5; math.Abs(got-want) > 0.2 {
		t.Errorf("the last bucket (22:00–23:00) begins at x %.1f, want %.1f: 4/5 of an axis from 18:00 to 23:00: %v", got, want, line)
	}

	// Posts past the last mention of a candidate (the whole stream's line, not drawn beside
	// the candidates') extend the axis too: to midnight, the candidate's line at zero after 23:00.
	all := series([]string{volume.All}, t0, 6)
	svg = report.Timeline(report.Input{Series: append(series([]string{"macron"}, t0, 5), all...)}, 1100, 320)
	line = polyline(t, svg)
	left, right = line[0][0], line[len(line)-1][0]
	if got, want := yAt(line, left+(right-left)*5.5/6), zeroY(t, svg); got != want {
		t.Errorf("macron at 23:30, after its last mention, drawn at y %.1f, want zero (%.1f) on an axis to midnight: %v", got, want, line)
	}
}

// Each hourly count is drawn level across its hour: a 19:00–20:00 peak is as high at 19:55
// as at 19:05, and the line does not rise before 19:00.
func TestTimelineDrawsBucketsAsSteps(t *testing.T) {
	t0 := time.Date(2017, 4, 4, 18, 0, 0, 0, time.UTC)
	s := volume.Series{Name: "macron", BucketS: 3600, Points: []volume.Point{{T: t0, N: 2}, {T: t0.Add(time.Hour), N: 10}, {T: t0.Add(2 * time.Hour), N: 3}}}
	svg := report.Timeline(report.Input{Series: []volume.Series{s}}, 600, 200)
	line := polyline(t, svg)
	left, right := line[0][0], line[len(line)-1][0] // 18:00 and 21:00
	xAt := func(min int) float64 { return left + (right-left)*float64(min)/180 }
	for _, c := range []struct {
		name string
		a, b int // minutes after 18:00 drawn at the same height
	}{{"18:00–19:00", 5, 55}, {"the peak, 19:00–20:00", 65, 115}, {"20:00–21:00", 125, 175}} {
		if ya, yb := yAt(line, xAt(c.a)), yAt(line, xAt(c.b)); ya != yb {
			t.Errorf("%s drawn from y %.1f to %.1f, want level: %v", c.name, ya, yb, line)
		}
	}
	if before, peak := yAt(line, xAt(55)), yAt(line, xAt(65)); before <= peak {
		t.Errorf("18:55 drawn at y %.1f, as high as the 19:00–20:00 peak (y %.1f)", before, peak)
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

// The eleven candidates of the French first round, the longest names last.
var eleven = []string{"arthaud", "asselineau", "cheminade", "dupontaignan", "fillon", "hamon", "lassalle", "lepen", "macron", "melenchon", "poutou"}

// series is one hourly line per name over hours from t0, each of its own height.
func series(names []string, t0 time.Time, hours int) []volume.Series {
	var out []volume.Series
	for i, n := range names {
		s := volume.Series{Name: n, BucketS: 3600}
		for h := range hours {
			s.Points = append(s.Points, volume.Point{T: t0.Add(time.Duration(h) * time.Hour), N: 1 + (i+h)%5})
		}
		out = append(out, s)
	}
	return out
}

// Every candidate is in the legend and the legend inside the picture: with more names than a
// row holds it wraps, and the picture grows to hold its rows.
func TestTimelineLegendHoldsEveryCandidate(t *testing.T) {
	t0 := time.Date(2017, 4, 4, 18, 0, 0, 0, time.UTC)
	for _, width := range []int{1100, 600, 1600} {
		svg := report.Timeline(report.Input{Series: series(eleven, t0, 6)}, width, 320)
		w, h := viewBox(t, svg)
		for _, name := range eleven {
			e, ok := textOf(t, svg, name)
			if !ok {
				t.Errorf("width %d: %s is not in the legend", width, name)
				continue
			}
			if l, r := e.extent(); l < 0 || r > w || e.y > h {
				t.Errorf("width %d: legend entry %s drawn at x %.0f–%.0f, y %.0f: outside the picture (%.0f×%.0f)", width, name, l, r, e.y, w, h)
			}
		}
		if width == 600 && h <= 320 {
			t.Errorf("width 600: eleven names in one row? height %.0f", h)
		}
	}
}

// No two candidates' lines look alike: eleven get eleven colours, and past the palette the
// colours come again with a dash pattern, the legend drawn as the line.
func TestTimelineSeriesLookDistinct(t *testing.T) {
	t0 := time.Date(2017, 4, 4, 18, 0, 0, 0, time.UTC)
	var many []string
	for i := range 40 {
		many = append(many, fmt.Sprintf("c%02d", i))
	}
	for _, names := range [][]string{eleven, many} {
		svg := report.Timeline(report.Input{Series: series(names, t0, 6)}, 1100, 320)
		lines := elements(t, svg, "polyline")
		if len(lines) != len(names) {
			t.Fatalf("%d lines for %d series", len(lines), len(names))
		}
		seen := map[string]int{}
		colours := map[string]bool{}
		for i, l := range lines {
			look := l.attr["stroke"] + " dashed " + l.attr["stroke-dasharray"]
			if j, ok := seen[look]; ok {
				t.Errorf("%s and %s are both drawn %s", names[j], names[i], look)
			}
			seen[look] = i
			colours[l.attr["stroke"]] = true
			if l.attr["stroke"] == "#ff7f0e" || l.attr["stroke"] == "#d62728" {
				t.Errorf("%s drawn in a marker's colour %s", names[i], l.attr["stroke"])
			}
		}
		if len(names) <= 11 && len(colours) != len(names) {
			t.Errorf("%d series share %d colours", len(names), len(colours))
		}
		// The legend shows each series as its line is drawn.
		legend := map[string]bool{}
		for _, e := range elements(t, svg, "line") {
			if e.attr["stroke-width"] == "2.5" {
				legend[e.attr["stroke"]+" dashed "+e.attr["stroke-dasharray"]] = true
			}
		}
		for look := range seen {
			if !legend[look] {
				t.Errorf("no legend entry drawn %s", look)
			}
		}
	}
}

// The time axis is labelled whatever the window: hours under a day (the date where the day
// changes), days or weeks beyond, never so many labels that they overlap, none cut at the edge.
func TestTimelineTimeAxisLabels(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name      string
		from, to  time.Time
		want, not []string
		minLabels int
	}{
		{"three hours", at("2017-03-20T20:00:00Z"), at("2017-03-20T23:00:00Z"), []string{"20:00", "20:30", "21:00", "23:00", "Mar 20"}, []string{"Mar 21"}, 4},
		{"six hours", at("2017-04-04T18:00:00Z"), at("2017-04-05T00:00:00Z"), []string{"18:00", "19:00", "23:00", "Apr 04", "Apr 05"}, nil, 4},
		{"a night across midnight", at("2017-05-05T18:00:00Z"), at("2017-05-06T12:00:00Z"), []string{"00:00", "May 05", "May 06"}, nil, 4},
		{"45 days", at("2016-07-01T00:00:00Z"), at("2016-08-15T00:00:00Z"), []string{"Jul 04", "Jul 11", "Aug 08"}, []string{":00"}, 4},
		{"a year", at("2016-01-01T00:00:00Z"), at("2016-12-31T00:00:00Z"), []string{"Jan"}, []string{":00"}, 4},
	} {
		hours := int(tc.to.Sub(tc.from) / time.Hour) // hourly buckets, the last ending at to
		svg := report.Timeline(report.Input{Series: series([]string{"macron"}, tc.from, hours)}, 1100, 320)
		w, _ := viewBox(t, svg)
		axis := zeroY(t, svg)
		var labels []text
		for _, e := range texts(t, svg) {
			if e.y > axis+8 && e.y < axis+40 && e.s != "UTC" && e.attr["fill"] == "#666" {
				labels = append(labels, e)
			}
		}
		all := ""
		for _, e := range labels {
			all += e.s + "|"
		}
		if len(labels) < tc.minLabels {
			t.Errorf("%s: %d time labels (%s), want at least %d", tc.name, len(labels), all, tc.minLabels)
		}
		for _, s := range tc.want {
			if !strings.Contains(all, s) {
				t.Errorf("%s: time labels %s lack %q", tc.name, all, s)
			}
		}
		for _, s := range tc.not {
			if strings.Contains(all, s) {
				t.Errorf("%s: time labels %s have %q", tc.name, all, s)
			}
		}
		for i, e := range labels {
			l, r := e.extent()
			if l < 0 || r > w {
				t.Errorf("%s: label %q at %.0f–%.0f is cut by the edge (%.0f)", tc.name, e.s, l, r, w)
			}
			for _, o := range labels[:i] {
				if ol, or := o.extent(); o.y == e.y && l < or && ol < r {
					t.Errorf("%s: labels %q and %q overlap", tc.name, o.s, e.s)
				}
			}
		}
		if !strings.Contains(svg, ">UTC</text>") {
			t.Errorf("%s: the time axis does not say UTC", tc.name)
		}
	}
}

// The value axis has round ticks and says what it counts per what bucket.
func TestTimelineValueAxis(t *testing.T) {
	t0 := time.Date(2017, 4, 4, 18, 0, 0, 0, time.UTC)
	pts := func(ns ...int) []volume.Point {
		var out []volume.Point
		for i, n := range ns {
			out = append(out, volume.Point{T: t0.Add(time.Duration(i) * 15 * time.Minute), N: n})
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		series []volume.Series
		ticks  string
		title  string
	}{
		{"candidates per hour", []volume.Series{{Name: "all", BucketS: 3600, Points: pts(40, 128)}, {Name: "macron", BucketS: 3600, Points: pts(2, 18, 10)}}, "0|5|10|15|20", "mentions per hour"},
		{"the whole stream per 15 minutes", []volume.Series{{Name: "all", BucketS: 900, Points: pts(41, 128, 98, 111)}}, "0|20|40|60|80|100|120|140", "posts per 15 min"},
		{"one post", []volume.Series{{Name: "macron", BucketS: 86400, Points: pts(1, 0)}}, "0|1", "mentions per day"},
		{"bucket from the points", []volume.Series{{Name: "macron", Points: pts(3, 9)}}, "0|2|4|6|8|10", "mentions per 15 min"},
	} {
		svg := report.Timeline(report.Input{Series: tc.series}, 1100, 320)
		var ticks []string
		for _, e := range texts(t, svg) {
			if e.attr["text-anchor"] == "end" && e.x < 58 {
				ticks = append(ticks, e.s)
			}
		}
		if got := strings.Join(ticks, "|"); got != tc.ticks {
			t.Errorf("%s: value ticks %s, want %s", tc.name, got, tc.ticks)
		}
		if _, ok := textOf(t, svg, tc.title); !ok {
			t.Errorf("%s: no axis title %q", tc.name, tc.title)
		}
	}
}

// Calendar labels stay inside the picture: an event near the right edge is labelled left of
// its line, and events close together are labelled in rows rather than over each other.
func TestTimelineEventLabelsInside(t *testing.T) {
	t0 := time.Date(2017, 4, 4, 18, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		hours  int
		events []leakwatch.Event
	}{
		{"debate at the right edge", 3, []leakwatch.Event{{ID: "debate-bfm-11", Kind: "debate", Start: t0.Add(2*time.Hour + 50*time.Minute), End: t0.Add(6 * time.Hour)}}},
		{"silence and vote a day apart", 24 * 46, []leakwatch.Event{
			{ID: "silence-r1", Kind: "silence", Start: t0.Add(18 * 24 * time.Hour), End: t0.Add(19*24*time.Hour + 20*time.Hour)},
			{ID: "vote-r1", Kind: "vote", Start: t0.Add(19*24*time.Hour + 8*time.Hour), End: t0.Add(19*24*time.Hour + 20*time.Hour)},
			{ID: "silence-r2", Kind: "silence", Start: t0.Add(44 * 24 * time.Hour), End: t0.Add(45*24*time.Hour + 20*time.Hour)},
			{ID: "vote-r2", Kind: "vote", Start: t0.Add(45*24*time.Hour + 8*time.Hour), End: t0.Add(45*24*time.Hour + 20*time.Hour)},
		}},
		// The IRA summary times bursts against a convention's acceptance speech: the picture
		// must name it, and the conventions, where they are.
		{"conventions and a speech", 24 * 20, []leakwatch.Event{
			{ID: "rnc", Kind: "convention", Start: t0.Add(2 * 24 * time.Hour), End: t0.Add(6 * 24 * time.Hour)},
			{ID: "rnc-acceptance", Kind: "speech", Start: t0.Add(5*24*time.Hour + 2*time.Hour), End: t0.Add(5*24*time.Hour + 3*time.Hour)},
			{ID: "dnc", Kind: "convention", Start: t0.Add(9 * 24 * time.Hour), End: t0.Add(13 * 24 * time.Hour)},
		}},
	} {
		cal := leakwatch.Calendar{Name: "France", Events: tc.events}
		for _, width := range []int{1100, 1600} {
			svg := report.Timeline(report.Input{Calendar: cal, Series: series([]string{"macron"}, t0, tc.hours+1)}, width, 320)
			w, _ := viewBox(t, svg)
			var placed []text
			for _, ev := range tc.events {
				e, ok := textOf(t, svg, ev.ID)
				if !ok {
					t.Errorf("%s: %s is not labelled", tc.name, ev.ID)
					continue
				}
				l, r := e.extent()
				if l < 0 || r > w {
					t.Errorf("%s, width %d: label %s at %.0f–%.0f is cut by the edge (%.0f)", tc.name, width, ev.ID, l, r, w)
				}
				for _, o := range placed {
					if ol, or := o.extent(); o.y == e.y && l < or && ol < r {
						t.Errorf("%s, width %d: labels %s and %s overlap", tc.name, width, o.s, e.s)
					}
				}
				placed = append(placed, e)
			}
		}
	}
}

// Bursts of the baseline's learning day are marked on the page, as analyze marks them, and
// the page says what the mark means; the timeline draws their onsets hollow.
func TestRenderMarksLearningBursts(t *testing.T) {
	at := time.Date(2017, 4, 4, 19, 14, 0, 0, time.UTC)
	in := report.Input{Series: series([]string{"macron"}, at.Truncate(time.Hour), 4), Signals: []leakwatch.Signal{
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "all:posts", Onset: at, Count: 71, Baseline: 30, Score: 6.3, Learning: true}},
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:later", Onset: at.Add(time.Hour), Count: 20, Baseline: 5, Score: 4.8}},
	}}
	var buf bytes.Buffer
	if err := report.Render(&buf, in); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	rows := regexp.MustCompile(`(?s)<tr><td><code>(all:posts|hashtag:later)</code>(.*?)</tr>`).FindAllStringSubmatch(html, -1)
	if len(rows) != 2 {
		t.Fatalf("want two burst rows, got %d:\n%s", len(rows), html)
	}
	for _, r := range rows {
		if marked := strings.Contains(r[2], "baseline learning"); marked != (r[1] == "all:posts") {
			t.Errorf("burst %s marked baseline learning: %v", r[1], marked)
		}
	}
	for _, want := range []string{
		"1 of the 2 bursts are marked <i>baseline learning</i>", "had not yet seen a whole day", "alert rules skip them", // what the mark means
		"hollow: baseline learning", // in the chart's key
		"burst all:posts: 71 posts from 2017-04-04T19:14:00Z (baseline learning)", // the onset on the timeline
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// The page says which way a calendar offset counts.
func TestRenderExplainsOffsets(t *testing.T) {
	var buf bytes.Buffer
	if err := report.Render(&buf, report.Input{}); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`negative offset such as <code>[a-z0-9-]+ −3h25m</code> is 3 h 25 min before`).MatchString(buf.String()) {
		t.Errorf("page does not say a negative offset is before the event:\n%s", buf.String())
	}
}

// element is one SVG element: its name, attributes and text.
type element struct {
	name string
	attr map[string]string
	s    string
}

// elements are svg's elements named name, in order.
func elements(t *testing.T, svg, name string) []element {
	t.Helper()
	var out []element
	d := xml.NewDecoder(strings.NewReader(svg))
	var open []*element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("svg: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &element{name: tok.Name.Local, attr: map[string]string{}}
			for _, a := range tok.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			open = append(open, e)
		case xml.CharData:
			if len(open) > 0 {
				open[len(open)-1].s += string(tok)
			}
		case xml.EndElement:
			e := open[len(open)-1]
			open = open[:len(open)-1]
			if e.name == name {
				out = append(out, *e)
			}
		}
	}
}

// text is a text element of the picture with its place.
type text struct {
	element
	x, y float64
}

// extent is how far left and right t is drawn: 7 px a character, wide enough for the widest
// usual sans-serif at 11 px.
func (t text) extent() (float64, float64) {
	w := 7 * float64(utf8.RuneCountInString(t.s))
	switch t.attr["text-anchor"] {
	case "end":
		return t.x - w, t.x
	case "middle":
		return t.x - w/2, t.x + w/2
	}
	return t.x, t.x + w
}

// texts are svg's text elements.
func texts(t *testing.T, svg string) []text {
	t.Helper()
	var out []text
	for _, e := range elements(t, svg, "text") {
		x, _ := strconv.ParseFloat(e.attr["x"], 64)
		y, _ := strconv.ParseFloat(e.attr["y"], 64)
		out = append(out, text{e, x, y})
	}
	return out
}

// textOf is the text element of svg that reads s.
func textOf(t *testing.T, svg, s string) (text, bool) {
	t.Helper()
	for _, e := range texts(t, svg) {
		if e.s == s {
			return e, true
		}
	}
	return text{}, false
}

// viewBox is the width and height of the picture.
func viewBox(t *testing.T, svg string) (float64, float64) {
	t.Helper()
	var w, h float64
	m := regexp.MustCompile(`viewBox="0 0 ([0-9.]+) ([0-9.]+)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no viewBox: %s", svg)
	}
	w, _ = strconv.ParseFloat(m[1], 64)
	h, _ = strconv.ParseFloat(m[2], 64)
	return w, h
}

// Accounts known by ids are shown by their handles where the group knows them, by id where
// it does not, in the digest and in the report's groups table.
func TestFirstMoversShownByHandle(t *testing.T) {
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	g := &leakwatch.Group{ID: "g-1", Accounts: []string{"541321667014617081", "777000000000000002", "853883402931493550"}, Edges: 3,
		ObjectKinds: []leakwatch.ObjectKind{"url"}, First: at, Last: at,
		FirstMovers: []string{"853883402931493550", "777000000000000002"}, FirstMoverHandles: []string{"leak_relay", ""}}
	var buf bytes.Buffer
	if err := report.Digest(&buf, []leakwatch.Signal{{Kind: leakwatch.SignalGroup, Group: g}}, 3); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "first movers leak_relay, 777000000000000002;") {
		t.Errorf("digest does not name the first movers by handle:\n%s", out)
	}
	buf.Reset()
	if err := report.Render(&buf, report.Input{Title: "r", Signals: []leakwatch.Signal{{Kind: leakwatch.SignalGroup, Group: g}}}); err != nil {
		t.Fatal(err)
	}
	if html := buf.String(); !strings.Contains(html, "<td>leak_relay, 777000000000000002</td>") {
		t.Errorf("report's groups table does not name the first movers by handle")
	}
}

// A leak timed against no silence or vote (analyzed without a calendar) reads "—", not "no"
// and a timing score of 0.00, which would claim it landed where the candidate could answer.
func TestRenderUntimedLeak(t *testing.T) {
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	var page strings.Builder
	err := report.Render(&page, report.Input{Signals: []leakwatch.Signal{{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "domain:pastebin.com", Onset: at, Start: at}}}})
	if err != nil {
		t.Fatal(err)
	}
	row := page.String()[strings.Index(page.String(), "<code>domain:pastebin.com</code>"):]
	row = row[:strings.Index(row, "</tr>")]
	if strings.Contains(row, "0.00") || strings.Contains(row, "<td>no</td>") || !strings.Contains(row, "no silence or vote to time it against") {
		t.Errorf("untimed leak row: %s", row)
	}
}

// A post dated years off (a 1995 typed for 2017) stretched the chart over the empty years
// between, and the campaign was drawn as a sliver at one end. The chart keeps the posts that
// lie together, and the page says which were left off.
func TestTimelineLeavesOutStrayDates(t *testing.T) {
	t0 := time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC)
	campaign := volume.Series{Name: volume.All, BucketS: 3600}
	for h := range 72 {
		campaign.Points = append(campaign.Points, volume.Point{T: t0.Add(time.Duration(h) * time.Hour), N: 100})
	}
	stray := campaign
	stray.Points = slices.Concat([]volume.Point{{T: time.Date(1995, 3, 1, 9, 0, 0, 0, time.UTC), N: 1}}, campaign.Points,
		[]volume.Point{{T: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), N: 2}})
	burst := func(at time.Time) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:x", Onset: at, End: at.Add(time.Hour), Count: 9, Score: 5}}
	}
	sigs := []leakwatch.Signal{burst(t0.Add(30 * time.Hour)), burst(time.Date(1995, 3, 1, 9, 0, 0, 0, time.UTC))}
	width := func(s volume.Series) float64 {
		line := polyline(t, report.Timeline(report.Input{Series: []volume.Series{s}, Signals: sigs}, 1100, 320))
		return line[len(line)-1][0] - line[0][0]
	}
	if w, clean := width(stray), width(campaign); math.Abs(w-clean) > 1 {
		t.Errorf("with stray dates the campaign is drawn %.0f px wide, without them %.0f px", w, clean)
	}
	svg := report.Timeline(report.Input{Series: []volume.Series{stray}, Signals: sigs}, 1100, 320)
	for _, year := range []string{"1995", "2099"} {
		if strings.Contains(svg, year) {
			t.Errorf("the time axis runs to %s", year)
		}
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, report.Input{Series: []volume.Series{stray}, Signals: sigs}); err != nil {
		t.Fatal(err)
	}
	if want := "leaves out 1 post dated 1995-03-01 and 2 posts dated 2099-01-01, more than 30 days from all the other posts"; !strings.Contains(buf.String(), want) {
		t.Errorf("page lacks %q", want)
	}
	buf.Reset()
	if err := report.Render(&buf, report.Input{Series: []volume.Series{campaign}, Signals: sigs}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "leaves out") {
		t.Error("a warning about stray dates on a page without them")
	}
}

// Handles and hashtags are the watched accounts' to choose. One ESC in a handle made
// network.svg and timeline.svg unreadable as XML, and control characters in the digest
// printed to the analyst's terminal forged lines and sent escape sequences.
func TestAttackerStringsStayInert(t *testing.T) {
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	evil := "alex\x1b[31mRED\x1b[0m\nFORGED-LINE level=ERROR"
	tag := "hashtag:macronleaks\x1b[2J\x00"
	accounts := []string{"a", "b", "c"}
	sigs := []leakwatch.Signal{
		{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: tag, Onset: at, End: at.Add(time.Hour), Count: 50, Accounts: 9, Baseline: 2, Score: 9}},
		{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g1", Accounts: accounts, Edges: 3, ObjectKinds: []leakwatch.ObjectKind{"hashtag"}, Objects: []string{tag},
			First: at, Last: at.Add(time.Hour), FirstMovers: accounts[:1], FirstMoverHandles: []string{evil}}},
		{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{A: "a", B: "b", ObjectKind: "hashtag", Weight: 3, First: at, Last: at}},
		{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{A: "a", B: "c", ObjectKind: "hashtag", Weight: 3, First: at, Last: at}},
		{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{A: "b", B: "c", ObjectKind: "hashtag", Weight: 3, First: at, Last: at}},
	}
	in := report.Input{Signals: sigs, Series: []volume.Series{{Name: volume.All, BucketS: 3600, Points: []volume.Point{{T: at, N: 5}, {T: at.Add(time.Hour), N: 9}}}}}
	for name, svg := range map[string]string{
		"network.svg":  report.NetworkSVG(report.BuildNetwork(sigs), 800),
		"timeline.svg": report.Timeline(in, 800, 300),
	} {
		if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
			t.Errorf("%s is not well-formed XML: %v", name, err)
		}
	}
	var digest bytes.Buffer
	if err := report.Digest(&digest, sigs, 5); err != nil {
		t.Fatal(err)
	}
	out := digest.String()
	if strings.ContainsAny(out, "\x1b\x00") || strings.Contains(out, "\nFORGED-LINE") {
		t.Errorf("the digest passes control characters on:\n%q", out)
	}
	if !strings.Contains(out, "alex\uFFFD[31mRED") {
		t.Errorf("the digest lost the handle:\n%s", out)
	}
}
