package live_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/dashboards/live"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// TestLiveChartTellsElevenCandidatesApart renders the page in Chromium for a debate evening
// of the eleven 2017 candidates: every candidate is in the legend with a line style of its
// own (eight colours once drew two pairs alike), and the six-hour window has hour labels on
// its time axis (only midnights were marked).
func TestLiveChartTellsElevenCandidatesApart(t *testing.T) {
	chromium := testenv.Chromium(t)
	st := live.NewState(15 * time.Minute)
	names := []string{"macron", "lepen", "fillon", "melenchon", "hamon", "dupontaignan", "poutou", "arthaud", "asselineau", "cheminade", "lassalle"}
	at := time.Date(2017, 4, 4, 17, 0, 0, 0, time.UTC)
	for i := range 6 * 60 {
		when := at.Add(time.Duration(i) * time.Minute)
		for j, n := range names {
			if (i+j)%(j+2) == 0 {
				st.Mention(leakwatch.Mention{Object: "candidate:" + n, At: when})
			}
		}
		st.Mention(leakwatch.Mention{Object: leakwatch.AllPosts, At: when})
	}
	srv := httptest.NewServer(live.Handler(live.DefaultConfig(), st, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	dom, err := testenv.Headless(t, chromium, srv.URL+"/", "--dump-dom")
	if err != nil {
		t.Fatal(err)
	}
	_, legend, _ := strings.Cut(dom, `id="legend"`)
	legend, _, _ = strings.Cut(legend, "</div>")
	entry := regexp.MustCompile(`stroke="(#[0-9a-f]{6})" stroke-width="2"(?: stroke-dasharray="([0-9 ]+)")?/?>(?:</line>)?</svg>([a-z]+)</span>`)
	styles := map[string]string{}
	for _, m := range entry.FindAllStringSubmatch(legend, -1) {
		style := m[1] + "/" + m[2]
		if other, ok := styles[style]; ok {
			t.Errorf("%s and %s are drawn alike (%s)", other, m[3], style)
		}
		styles[style] = m[3]
	}
	if len(styles) != len(names) {
		t.Errorf("legend shows %d candidates, want %d:\n%.3000s", len(styles), len(names), legend)
	}
	_, chart, _ := strings.Cut(dom, `id="volume"`)
	chart, _, _ = strings.Cut(chart, "</svg>")
	hours := regexp.MustCompile(`>(1[7-9]|2[0-3]):00<`).FindAllString(chart, -1)
	if len(hours) < 4 {
		t.Errorf("time axis of a six-hour window labels %d hours, want one at least every 90 minutes: %q", len(hours), hours)
	}
}

// TestLiveGroupsNameFirstMoversByHandle: a group of accounts known by ids lists its first
// movers by their handles where it knows them, by id where it does not.
func TestLiveGroupsNameFirstMoversByHandle(t *testing.T) {
	chromium := testenv.Chromium(t)
	st := live.NewState(15 * time.Minute)
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	st.Mention(leakwatch.Mention{Object: leakwatch.AllPosts, At: at})
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-1",
		Accounts: []string{"541321667014617081", "777000000000000002", "853883402931493550"}, First: at, Last: at,
		FirstMovers: []string{"853883402931493550", "777000000000000002"}, FirstMoverHandles: []string{"leak_relay", ""}}})
	srv := httptest.NewServer(live.Handler(live.DefaultConfig(), st, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	dom, err := testenv.Headless(t, chromium, srv.URL+"/", "--dump-dom")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dom, "first movers: leak_relay, 777000000000000002") {
		_, groups, _ := strings.Cut(dom, `id="groups"`)
		t.Errorf("groups do not name the first movers by handle:\n%.1500s", groups)
	}
}
