package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
