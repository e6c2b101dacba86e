package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors/scenario"
	"github.com/leakwatch/leakwatch/dashboards/live"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// syncBuffer is a writer the demo and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var reURL = regexp.MustCompile(`open (http://127\.0\.0\.1:\d+/)`)

// TestDemoInBrowser runs the demo as a newcomer would (no service installed: the broker is
// embedded) and looks at the live page in headless Chromium: the counts rise, and a burst and
// a coordinated group appear. The screenshot is kept in LEAKWATCH_SCREENSHOTS when set.
func TestDemoInBrowser(t *testing.T) {
	chromium := testenv.Chromium(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--scenario", "3"}, &out, &errs)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("demo exited %d after Ctrl-C:\n%s", code, errs.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("demo did not stop within 30 s of its context ending")
		}
	}()

	var url string
	waitFor(t, 60*time.Second, "the demo to print its URL", func() bool {
		m := reURL.FindStringSubmatch(out.String())
		if m != nil {
			url = m[1]
		}
		return url != ""
	})
	waitFor(t, 60*time.Second, "posts on the page", func() bool { return state(t, url).Counts.Posts > 0 })

	first := rendered(t, chromium, url)
	waitFor(t, 3*time.Minute, "a burst and a group", func() bool {
		c := state(t, url).Counts
		return c.Bursts > 0 && c.Groups > 0
	})
	shot := filepath.Join(t.TempDir(), "live.png")
	if dir := os.Getenv("LEAKWATCH_SCREENSHOTS"); dir != "" {
		shot = filepath.Join(dir, "live.png")
	}
	second := rendered(t, chromium, url)
	// A screenshot is a run of its own: with --dump-dom too, Chromium dumps before the script drew.
	if _, err := testenv.Headless(t, chromium, url, "--screenshot="+shot); err != nil {
		t.Fatal(err)
	}
	if second["c-posts"] <= first["c-posts"] {
		t.Errorf("posts on the page did not rise: %d then %d", first["c-posts"], second["c-posts"])
	}
	if second["c-bursts"] == 0 || second["c-groups"] == 0 {
		t.Errorf("the page shows %d bursts and %d groups, want both above 0", second["c-bursts"], second["c-groups"])
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
		t.Errorf("screenshot %s: %v (size %d)", shot, err, st.Size())
	}
	t.Logf("page counts: first %v, then %v; screenshot %s", first, second, shot)
}

var reCount = regexp.MustCompile(`id="(c-[a-z]+)">(\d+)<`)

// rendered loads the page in Chromium, lets its script run, and reads the counters it drew.
func rendered(t *testing.T, chromium, url string) map[string]int {
	t.Helper()
	dom, err := testenv.Headless(t, chromium, url, "--dump-dom")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range reCount.FindAllStringSubmatch(dom, -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	if _, ok := got["c-posts"]; !ok {
		t.Fatalf("no counters in the rendered page:\n%.2000s", dom)
	}
	return got
}

func state(t *testing.T, url string) live.Snapshot {
	t.Helper()
	resp, err := http.Get(url + "api/state")
	if err != nil {
		return live.Snapshot{}
	}
	defer resp.Body.Close()
	var s live.Snapshot
	json.NewDecoder(resp.Body).Decode(&s)
	return s
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// The demo's closing lines are what an analyst reads first: they must come after the stages'
// last flush (a dump cut mid-way has its last bursts and its leak only then) and say what was
// found, leak incidents first, as `analyze` does. The flush here comes after the quiet the
// demo once slept, as it did in the stream.
func TestDemoSummaryAfterTheLastFlush(t *testing.T) {
	st := live.NewState(time.Minute)
	dump := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	silence := time.Date(2017, 5, 5, 22, 0, 0, 0, time.UTC)
	st.SetCalendar(leakwatch.Calendar{Events: []leakwatch.Event{{ID: "silence-r2", Kind: leakwatch.EventSilence, Start: silence, End: silence.Add(44 * time.Hour)}}})
	for i := range 3 {
		st.Mention(leakwatch.Mention{Object: leakwatch.AllPosts, At: dump.Add(time.Duration(i) * time.Minute)})
	}
	burst := func(object string, score float64) {
		st.Signal(leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: object, Onset: dump, Count: 40, Score: score, Evidence: []string{"term:#macronleaks"}}})
	}
	burst("domain:pastebin.com", 8.9)

	const flushIdle, sourceIdle = 200 * time.Millisecond, 100 * time.Millisecond
	go func() {
		// Detect's flush: the dump's strongest burst, then the group and the incident it makes.
		time.Sleep(flushIdle + sourceIdle/2)
		burst("hashtag:macronleaks", 23.4)
		st.Signal(leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g1", Accounts: []string{"a", "b", "c"}, First: dump, Last: dump.Add(time.Hour)}})
		st.Signal(leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "domain:en-marche.fr", Onset: dump.Add(-38 * time.Minute), Start: dump.Add(-38 * time.Minute),
			Evidence: []string{"term:#macronleaks", "group:g1", "object:hashtag:macronleaks"}, Candidates: []string{"macron"},
			Timing: leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 4.05, Score: 1}}})
		st.Alert(leakwatch.Alert{ID: "leak", Severity: "critical", StartsAt: dump})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := settle(ctx, flushIdle+sourceIdle, 10*time.Millisecond, func(context.Context) (string, bool) {
		s := st.Snapshot()
		return fmt.Sprint(s.Version, s.Counts), true
	}); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	printDemoSummary(&out, st.Snapshot(), "http://127.0.0.1:18081/")
	got := out.String()
	t.Logf("after %v:\n%s", time.Since(start).Round(time.Millisecond), got)

	// In the order an analyst reads them: counts, the incident, its network, the bursts, the page.
	want := []string{
		"replay done: 3 posts, 2 bursts, 1 coordinated group, 1 leak, 1 alert (1 critical)\n",
		"leak incidents",
		"2017-05-05 17:57 UTC  domain:en-marche.fr  about macron  timing 1.00, 4.0 h before the silence silence-r2",
		"amplified by 3 coordinated accounts",
		"largest coordinated groups",
		"strongest bursts",
		"hashtag:macronleaks",
		"domain:pastebin.com",
		"open http://127.0.0.1:18081/",
	}
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("the summary lacks %q after what came before it:\n%s", w, got)
		}
		rest = rest[i+len(w):]
	}
}

// A scenario directory is announced as a seed is: how much will be replayed.
func TestDemoScenarioDirSaysWhatItLoaded(t *testing.T) {
	sc := scenario.DefaultConfig()
	sc.Days, sc.Accounts, sc.LeakDump, sc.RetweetRing, sc.Defacement = 1, 50, false, false, false
	g, err := scenario.Generate(sc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := g.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if _, err := demoScenario(dir, &env{stdout: &out, stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("loaded %d posts, %s from %s\n", len(g.Tweets), plural(len(g.Changes), "site change"), dir)
	if out.String() != want || len(g.Changes) == 0 {
		t.Fatalf("printed %q, want %q (with site changes)", out.String(), want)
	}
}

// What a demo is told it cannot do is refused before anything starts: a seed given without
// --scenario, a speed no clock keeps.
func TestDemoUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "7"}, `unexpected arguments ["7"]`},
		{[]string{"demo", "--speed", "NaN"}, "--speed NaN: want a speed from 0.001"},
		{[]string{"demo", "--speed", "Inf"}, "--speed +Inf: want a speed from 0.001"},
		{[]string{"demo", "--speed", "1e-300"}, "--speed 1e-300: want a speed from 0.001"},
		{[]string{"replay", "x.jsonl", "--speed", "NaNx"}, "want Nx with N from 0.001 to 1e9"},
	} {
		if code, _, stderr := runCmd(t, c.args...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// A demo whose port is taken fails before it touches its data directory, and one given a
// directory whose broker holds someone else's files leaves them.
func TestDemoLeavesOthersFilesAlone(t *testing.T) {
	data := t.TempDir()
	notes := filepath.Join(data, "broker", "notes.txt")
	if err := os.MkdirAll(filepath.Dir(notes), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notes, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	code, _, stderr := runCmd(t, "demo", "--listen", taken.Addr().String(), "--data", data)
	if code == 0 || !strings.Contains(stderr, "address already in use") {
		t.Errorf("port in use: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCmd(t, "demo", "--listen", "127.0.0.1:0", "--data", data, "--scenario", "3")
	if code != 2 || !strings.Contains(stderr, "holds files a demo did not write") {
		t.Errorf("a broker directory of someone else's: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(notes); err != nil {
		t.Errorf("the user's file is gone: %v", err)
	}
}

// Two demos on one data directory would write one broker's files at once: the second is
// refused while the first holds it, and takes it once the first is done.
func TestDemoDataDirIsOneDemos(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDataDir(dir); err == nil || !strings.Contains(err.Error(), "in use by another demo (pid ") {
		t.Errorf("second demo on %s: %v; want it refused naming the first", dir, err)
	}
	unlock()
	again, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("after the first demo ended: %v", err)
	}
	again()
}

// A page on every interface is opened here at 127.0.0.1, and one with a token says so.
func TestDemoPageURL(t *testing.T) {
	for _, c := range []struct {
		url   string
		token string
		want  string
	}{
		{"http://127.0.0.1:8080/", "", "http://127.0.0.1:8080/"},
		{"http://[::]:18199/", "s3cret", "http://127.0.0.1:18199/?token=TOKEN (the live token you set"},
		{"http://0.0.0.0:18199/", "s3cret", "http://127.0.0.1:18199/?token=TOKEN"},
	} {
		got := pageURL(c.url, live.Config{Token: c.token})
		if !strings.HasPrefix(got, c.want) || strings.Contains(got, "s3cret") {
			t.Errorf("pageURL(%s) = %q, want %q… and never the token", c.url, got, c.want)
		}
	}
}
