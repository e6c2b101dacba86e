package live_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/dashboards/live"
)

func TestStateCountsAndSupersedes(t *testing.T) {
	st := live.NewState(time.Minute)
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	for i := range 3 {
		st.Mention(leakwatch.Mention{Object: leakwatch.AllPosts, At: at.Add(time.Duration(i) * time.Second)})
		st.Mention(leakwatch.Mention{Object: "candidate:macron", At: at})
	}
	st.Mention(leakwatch.Mention{Object: "hashtag:x", At: at})
	b := &leakwatch.Burst{Object: "hashtag:x", Onset: at, Count: 5}
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: b})
	grown := *b
	grown.Count = 9
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &grown})
	a := leakwatch.Alert{ID: "a1", Summary: "s"}
	st.Alert(a)
	st.Alert(a)

	s := st.Snapshot()
	if s.Counts.Posts != 3 || s.Counts.Bursts != 1 || s.Counts.Alerts != 1 || s.Counts.Mentions != 7 {
		t.Fatalf("counts %+v", s.Counts)
	}
	if len(s.Bursts) != 1 || s.Bursts[0].Count != 9 {
		t.Fatalf("the grown burst should replace the first one: %+v", s.Bursts)
	}
	var mac *live.Series
	for i := range s.Series {
		if s.Series[i].Name == "macron" {
			mac = &s.Series[i]
		}
	}
	if mac == nil || len(mac.Points) != 1 || mac.Points[0][1] != 3 {
		t.Fatalf("candidate series %+v", s.Series)
	}
}

// An analyst reads the counters as how many distinct detections there were: a burst that
// grows, an edge whose weight rises or a group that gains accounts is published again, and
// must count once, also after it was trimmed from the lists the page shows.
func TestCountsAreDistinctDetections(t *testing.T) {
	st := live.NewState(time.Minute)
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	const n = 120 // more than the page lists
	publish := func(weight int) {
		for i := range n {
			onset := at.Add(time.Duration(i) * time.Minute)
			st.Signal(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "hashtag:x", Onset: onset, Count: 5 + weight}})
			st.Signal(leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: leakwatch.KindHashtag, A: "a", B: fmt.Sprint("b", i), Weight: weight}})
			st.Signal(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: fmt.Sprint("g", i), First: onset}})
			st.Signal(leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:x", Onset: onset, Score: float64(weight)}})
			st.Alert(leakwatch.Alert{ID: fmt.Sprint("a", i), Summary: fmt.Sprint("weight ", weight)})
		}
	}
	publish(2)
	publish(3) // every detection again, updated
	s := st.Snapshot()
	if c := s.Counts; c.Bursts != n || c.Edges != n || c.Groups != n || c.Leaks != n || c.Alerts != n {
		t.Fatalf("after publishing %d detections of each kind twice: %+v", n, c)
	}
	if len(s.Bursts) >= n || len(s.Groups) >= n || len(s.Leaks) >= n || len(s.Alerts) >= n {
		t.Fatalf("the lists should be trimmed for the page: %d bursts, %d groups, %d leaks, %d alerts", len(s.Bursts), len(s.Groups), len(s.Leaks), len(s.Alerts))
	}
	ids := map[string]bool{}
	for _, a := range s.Alerts {
		ids[a.ID] = true
	}
	if newest := s.Alerts[0]; newest.ID != fmt.Sprint("a", n-1) || newest.Summary != "weight 3" || len(ids) != len(s.Alerts) {
		t.Fatalf("an alert sent again should replace its entry in the feed: newest %+v, %d distinct of %d", newest, len(ids), len(s.Alerts))
	}

	// The first group and the first leak, long trimmed from the lists, are superseded: they
	// no longer count.
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g1", First: at, Supersedes: []string{"g0"}}})
	first := leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:x", Onset: at}}.Key()
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "hashtag:x", Onset: at.Add(time.Minute), Supersedes: []string{first}}})
	st.Alert(leakwatch.Alert{ID: "a1", Supersedes: []string{"a0"}})
	// A superseded group's record arriving late stays out, as in the detections file.
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g0", First: at}})
	if c := st.Snapshot().Counts; c.Groups != n-1 || c.Leaks != n-1 || c.Alerts != n-1 {
		t.Fatalf("after superseding a trimmed group, leak and alert: %d groups, %d leaks, %d alerts; want %d each", c.Groups, c.Leaks, c.Alerts, n-1)
	}
}

// The page lists the groups active last, most recent first: a network that began on the
// first day and is still co-sharing stays listed when many newer, shorter groups came after.
func TestLongRunningGroupStaysListed(t *testing.T) {
	st := live.NewState(time.Minute)
	at := time.Date(2017, 4, 30, 6, 0, 0, 0, time.UTC)
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "ring", First: at}})
	for i := range 80 {
		first := at.Add(time.Duration(i+1) * time.Hour)
		st.Signal(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: fmt.Sprint("g", i), First: first, Last: first.Add(time.Minute)}})
	}
	// The ring co-shares again, on dump night.
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "ring", First: at, Last: at.Add(6 * 24 * time.Hour)}})
	s := st.Snapshot()
	if len(s.Groups) == 0 || s.Groups[0].ID != "ring" || len(s.Groups) >= 81 {
		t.Fatalf("listed %d groups, first %+v; want the ring first of a trimmed list", len(s.Groups), s.Groups[0])
	}
}

// By the end of a campaign the Bursts panel must still show the dump's bursts: the strongest
// are kept, not the latest, and a leak incident's own bursts and those a listed alert was
// raised on are kept even when weaker than the chatter that followed.
func TestLiveBurstsKeptAreStrongestAndThoseOfLeaks(t *testing.T) {
	st := live.NewState(time.Minute)
	dump := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	burst := func(object string, onset time.Time, score float64, evidence ...string) {
		st.Signal(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: object, Onset: onset, Score: score, Evidence: evidence}})
	}
	burst("hashtag:macronleaks", dump, 23.4, "term:#macronleaks")
	burst("url:https://pastebin.com/Ztd6vkjG", dump.Add(time.Minute), 4.8, "domain:pastebin.com") // weak, but the dump's
	burst("hashtag:alerted", dump.Add(-48*time.Hour), 4.1)
	st.Alert(leakwatch.Alert{ID: "b", Severity: "warning", Kind: leakwatch.SignalBurst, Detection: "burst|hashtag:alerted|" + dump.Add(-48*time.Hour).Format(time.RFC3339)})
	burst("hashtag:before", dump.Add(-time.Hour), 4.0, "term:#macronleaks") // on a named object, before the incident
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "domain:en-marche.fr", Onset: dump.Add(-38 * time.Minute),
		Evidence: []string{"term:#macronleaks", "object:hashtag:macronleaks", "object:url:https://pastebin.com/Ztd6vkjG", "object:hashtag:before"}}})
	// A day and a half of later chatter, each burst stronger than the weak ones above.
	for i := range 120 {
		burst(fmt.Sprint("hashtag:later", i), dump.Add(time.Duration(i+1)*15*time.Minute), 5+float64(i)/10)
	}
	s := st.Snapshot()
	listed := map[string]bool{}
	for _, b := range s.Bursts {
		listed[b.Object] = true
	}
	for _, want := range []string{"hashtag:macronleaks", "url:https://pastebin.com/Ztd6vkjG", "hashtag:alerted", "hashtag:later119"} {
		if !listed[want] {
			t.Errorf("%s not listed among %d bursts", want, len(s.Bursts))
		}
	}
	for _, gone := range []string{"hashtag:before", "hashtag:later0"} {
		if listed[gone] {
			t.Errorf("%s listed: it is neither among the strongest nor the incident's", gone)
		}
	}
	if s.Bursts[0].Object != "hashtag:macronleaks" || len(s.Bursts) != 53 || s.Counts.Bursts != 124 {
		t.Errorf("listed %d of %d bursts, first %s; want the 50 strongest and the 3 pointed to, strongest first", len(s.Bursts), s.Counts.Bursts, s.Bursts[0].Object)
	}
}

// An incident with more bursts than the list holds does not push out a burst an alert was
// raised on: the feed's alert must lead to its burst (a CandidateBurst alert's burst was lost
// to a leak incident's sixty bursts).
func TestLiveAlertedBurstOutranksAnIncidentsBursts(t *testing.T) {
	st := live.NewState(time.Minute)
	dump := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	var evidence []string
	for i := range 60 {
		o := fmt.Sprint("url:https://pastebin.com/", i)
		evidence = append(evidence, "object:"+o)
		st.Signal(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: o, Onset: dump.Add(time.Duration(i) * time.Minute), Score: 7 + float64(i)/10, Evidence: []string{"domain:pastebin.com"}}})
	}
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "domain:pastebin.com", Onset: dump, Evidence: evidence}})
	for i := range 60 { // the strongest, by far
		st.Signal(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: fmt.Sprint("hashtag:loud", i), Onset: dump.Add(-time.Duration(i+1) * time.Hour), Score: 40}})
	}
	lepen := dump.Add(-46 * time.Hour)
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "candidate:lepen", Onset: lepen, Score: 6.4}})
	st.Alert(leakwatch.Alert{ID: "c", Severity: "warning", Kind: leakwatch.SignalBurst, Detection: "burst|candidate:lepen|" + lepen.Format(time.RFC3339)})
	listed := false
	for _, b := range st.Snapshot().Bursts {
		listed = listed || b.Object == "candidate:lepen"
	}
	if !listed {
		t.Error("the alerted burst is not listed")
	}
}

// Before the first post the volume series is an empty list, as every other list: a script
// taking its length must not meet null.
func TestLiveSnapshotListsAreNeverNull(t *testing.T) {
	b, err := json.Marshal(live.NewState(time.Minute).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"series":[]`) {
		t.Errorf("empty snapshot: %s", b)
	}
}

// Detect publishes a burst once, when it ends, and its alert and incident come after it: a
// weak burst trimmed on arrival, when fifty stronger ones are listed, is listed again once an
// alert or an incident names it.
func TestLiveBurstNamedAfterItWasTrimmedComesBack(t *testing.T) {
	st := live.NewState(time.Minute)
	dump := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	burst := func(object string, onset time.Time, score float64, evidence ...string) {
		st.Signal(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: object, Onset: onset, Score: score, Evidence: evidence}})
	}
	for i := range 60 {
		burst(fmt.Sprint("hashtag:busy", i), dump.Add(-time.Duration(i+1)*time.Hour), 20)
	}
	burst("url:https://pastebin.com/x", dump, 5, "domain:pastebin.com")
	burst("url:https://mega.nz/y", dump.Add(time.Minute), 5, "domain:mega.nz")
	listed := func(object string) bool {
		return slices.ContainsFunc(st.Snapshot().Bursts, func(b leakwatch.Burst) bool { return b.Object == object })
	}
	if listed("url:https://pastebin.com/x") || listed("url:https://mega.nz/y") {
		t.Fatal("weak bursts listed on arrival: the test proves nothing")
	}
	st.Alert(leakwatch.Alert{ID: "a", Severity: "critical", Kind: leakwatch.SignalBurst, Detection: "burst|url:https://pastebin.com/x|" + dump.Format(time.RFC3339)})
	if !listed("url:https://pastebin.com/x") {
		t.Error("the alerted burst is not listed again")
	}
	st.Signal(leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "url:https://pastebin.com/x", Onset: dump,
		Evidence: []string{"domain:pastebin.com", "object:url:https://pastebin.com/x", "object:url:https://mega.nz/y"}}})
	if !listed("url:https://mega.nz/y") {
		t.Error("the incident's burst is not listed again")
	}
}

// The alert feed is read from the top of a small panel: critical alerts first whenever they
// came, then warnings, then infos, each newest first by when what they report began.
func TestLiveAlertsCriticalFirstNewestFirst(t *testing.T) {
	st := live.NewState(time.Minute)
	at := time.Date(2017, 5, 5, 17, 57, 0, 0, time.UTC)
	st.Alert(leakwatch.Alert{ID: "leak", Severity: "critical", StartsAt: at})
	for i := range 60 { // more than the feed lists, all after the leak
		sev := []string{"warning", "info"}[i%2]
		st.Alert(leakwatch.Alert{ID: fmt.Sprint(sev, i), Severity: sev, StartsAt: at.Add(time.Duration(i+1) * time.Hour)})
	}
	st.Alert(leakwatch.Alert{ID: "defaced", Severity: "critical", StartsAt: at.Add(-9 * time.Minute)})
	// The leak's alert comes again as its incident grows: it keeps its place.
	st.Alert(leakwatch.Alert{ID: "leak", Severity: "critical", StartsAt: at, RaisedAt: at.Add(20 * time.Hour), Summary: "grown"})
	var got []string
	for _, a := range st.Snapshot().Alerts[:4] {
		got = append(got, a.ID)
	}
	if want := []string{"leak", "defaced", "warning58", "warning56"}; !slices.Equal(got, want) {
		t.Fatalf("the feed begins %v, want %v", got, want)
	}
}

// The header says where event time stands against the calendar and, once the demo's replay
// has been processed to its end, that it ended rather than "live".
func TestLiveSnapshotPlacesNowAndSaysWhenDone(t *testing.T) {
	st := live.NewState(time.Minute)
	silence := time.Date(2017, 5, 5, 22, 0, 0, 0, time.UTC)
	st.SetCalendar(leakwatch.Calendar{Events: []leakwatch.Event{
		{ID: "silence-r2", Kind: leakwatch.EventSilence, Start: silence, End: silence.Add(44 * time.Hour)},
		{ID: "vote-r2", Kind: leakwatch.EventVote, Start: silence.Add(32 * time.Hour), End: silence.Add(44 * time.Hour)},
	}})
	if s := st.Snapshot(); s.Now != nil || s.SourceDone {
		t.Fatalf("before any post: now %+v, done %v", s.Now, s.SourceDone)
	}
	st.Mention(leakwatch.Mention{Object: leakwatch.AllPosts, At: silence.Add(-204 * time.Minute)})
	if n := st.Snapshot().Now; n == nil || n.InSilence || n.Silence != "silence-r2" || n.HoursToSilence != 3.4 {
		t.Fatalf("3 h 24 min before the silence: %+v", n)
	}
	st.Mention(leakwatch.Mention{Object: leakwatch.AllPosts, At: silence.Add(time.Hour)})
	st.SourceDone()
	s := st.Snapshot()
	if n := s.Now; n == nil || !n.InSilence || n.Silence != "silence-r2" || !s.SourceDone {
		t.Fatalf("in the silence, replay done: now %+v, done %v", n, s.SourceDone)
	}
}

func TestMergedGroupReplacesItsParts(t *testing.T) {
	st := live.NewState(time.Minute)
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	for _, g := range []leakwatch.Group{
		{ID: "g1", Accounts: []string{"a", "b"}, First: at},
		{ID: "g2", Accounts: []string{"c", "d"}, First: at},
		{ID: "g3", Accounts: []string{"a", "b", "c", "d"}, First: at, Supersedes: []string{"g1", "g2"}},
	} {
		st.Signal(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &g})
	}
	s := st.Snapshot()
	if s.Counts.Groups != 1 || len(s.Groups) != 1 || s.Groups[0].ID != "g3" {
		t.Fatalf("after a merge: %d groups counted, shown %+v", s.Counts.Groups, s.Groups)
	}
}

func TestHandlerServesPageStateAndEvents(t *testing.T) {
	st := live.NewState(time.Minute)
	cfg := live.DefaultConfig()
	cfg.Push = 20 * time.Millisecond
	srv := httptest.NewServer(live.Handler(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()

	st.Mention(leakwatch.Mention{Object: leakwatch.AllPosts, At: time.Now(), Post: "</script><b>"})
	body := get(t, srv.URL+"/", 200)
	if !strings.Contains(body, "Volume per candidate") {
		t.Fatalf("page does not look like the live page:\n%.300s", body)
	}
	// The page carries the state inline, so its first paint has the numbers.
	_, inline, ok := strings.Cut(body, `<script id="initial-state" type="application/json">`)
	inline, _, _ = strings.Cut(inline, "</script>")
	var first live.Snapshot
	if !ok || json.Unmarshal([]byte(inline), &first) != nil || first.Counts.Posts != 1 {
		t.Fatalf("no usable inline state in the page: %.200q", inline)
	}
	get(t, srv.URL+"/app.js", 200)
	if get(t, srv.URL+"/healthz", 200) != "ok\n" {
		t.Fatal("healthz")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	next := func() live.Snapshot {
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var s live.Snapshot
				if err := json.Unmarshal([]byte(d), &s); err != nil {
					t.Fatal(err)
				}
				return s
			}
		}
		t.Fatalf("event stream ended: %v", sc.Err())
		return live.Snapshot{}
	}
	if s := next(); s.Counts.Posts != 1 {
		t.Fatalf("first event %+v", s.Counts)
	}
	st.Mention(leakwatch.Mention{Object: leakwatch.AllPosts, At: time.Now()})
	if s := next(); s.Counts.Posts != 2 {
		t.Fatalf("pushed event after a post: %+v", s.Counts)
	}

	var snap live.Snapshot
	if err := json.Unmarshal([]byte(get(t, srv.URL+"/api/state", 200)), &snap); err != nil || snap.Counts.Posts != 2 {
		t.Fatalf("/api/state %+v %v", snap.Counts, err)
	}
}

func TestTokenRequiredOffLoopback(t *testing.T) {
	cfg := live.DefaultConfig()
	cfg.Listen = "0.0.0.0:8080"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "token") {
		t.Fatalf("non-loopback without token: %v", err)
	}
	cfg.Token = "s3cret"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(live.Handler(cfg, live.NewState(0), slog.Default()))
	defer srv.Close()
	get(t, srv.URL+"/api/state", 401)
	get(t, srv.URL+"/api/state?token=wrong", 401)
	get(t, srv.URL+"/api/state?token=s3cret", 200)
	get(t, srv.URL+"/healthz", 200)
}

// An analyst opens /?token=TOKEN once: the page drops the token from its address and its own
// requests go on with the cookie, whatever bytes the token holds.
func TestTokenLinkOpensThePage(t *testing.T) {
	for _, token := range []string{"s3cret", `pa"ss;word\x`, "motdepassé", "ab+cd/ef=="} {
		cfg := live.DefaultConfig()
		cfg.Listen, cfg.Token = "0.0.0.0:8080", token
		srv := httptest.NewServer(live.Handler(cfg, live.NewState(0), slog.New(slog.DiscardHandler)))
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.Get(srv.URL + "/?token=" + url.QueryEscape(token))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Request.URL.RawQuery != "" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("token %q: page %d at %s (Referrer-Policy %q), want 200 at an address without the token", token, resp.StatusCode, resp.Request.URL, resp.Header.Get("Referrer-Policy"))
		}
		for _, cookie := range jar.Cookies(resp.Request.URL) {
			if strings.Contains(cookie.Value, "s3cret") || strings.Contains(cookie.Value, "motdepass") {
				t.Errorf("token %q: the cookie holds the token itself: %q", token, cookie.Value)
			}
		}
		resp, err = c.Get(srv.URL + "/api/state")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("token %q: the page's own request with the cookie: %d, want 200", token, resp.StatusCode)
		}
		srv.Close()
	}
}

func get(t *testing.T, url string, want int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, want, b)
	}
	return string(b)
}

// A post delivered twice (extract restarted and its batch was redelivered) is one post on the
// page, as it is one post to detect: the counters and the candidate's line count it once and
// say how many copies were left out; a later post of the same text is another post.
func TestLiveCountsARedeliveredPostOnce(t *testing.T) {
	st := live.NewState(time.Minute)
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	post := func(uri string, sec int) {
		for _, o := range []string{leakwatch.AllPosts, "candidate:macron", "hashtag:x"} {
			st.Mention(leakwatch.Mention{Object: o, Post: uri, At: at.Add(time.Duration(sec) * time.Second)})
		}
	}
	post("twitter:1", 0)
	post("twitter:2", 10)
	post("twitter:1", 0) // redelivered
	post("twitter:1", 0)
	post("twitter:3", 20)
	s := st.Snapshot()
	if s.Counts.Posts != 3 || s.Counts.Copies != 4 {
		t.Errorf("posts %d, copies %d; want 3 posts and 4 copies (two redeliveries of two counted mentions)", s.Counts.Posts, s.Counts.Copies)
	}
	for _, sr := range s.Series {
		if sr.Name == "macron" && (len(sr.Points) != 1 || sr.Points[0][1] != 3) {
			t.Errorf("macron's line %v, want 3 posts in the minute", sr.Points)
		}
	}
}

// Without a token the page listens on loopback only, and answers only requests addressed to
// a loopback name: a site the analyst visits could point its own name at 127.0.0.1 (DNS
// rebinding) and read the page through the browser, which sends that name as Host.
func TestPageWithoutTokenAnswersOnlyLoopbackNames(t *testing.T) {
	st := live.NewState(time.Minute)
	h := live.Handler(live.DefaultConfig(), st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for host, want := range map[string]int{
		"127.0.0.1:8087": http.StatusOK, "localhost:8087": http.StatusOK, "[::1]:8087": http.StatusOK, "LOCALHOST": http.StatusOK,
		"rebind.attacker.example:8087": http.StatusMisdirectedRequest, "evil.example": http.StatusMisdirectedRequest, "10.0.0.5:8087": http.StatusMisdirectedRequest,
	} {
		for _, path := range []string{"/api/state", "/"} {
			r := httptest.NewRequest(http.MethodGet, "http://x"+path, nil)
			r.Host = host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != want {
				t.Errorf("Host %s %s: %d, want %d", host, path, w.Code, want)
			}
		}
	}
}
