package report_test

import (
	"bytes"
	"fmt"
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
