package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/eval"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestScenarioAnalyzeEval runs the commands a researcher would: generate a scenario,
// analyze its posts and site changes, and score the detections against the truth.
func TestScenarioAnalyzeEval(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "sc")
	code, out, errs := runCmd(t, "scenario", "generate", "--seed", "7", "--out", sc, "--accounts", "400")
	if code != 0 {
		t.Fatalf("scenario generate: exit %d\n%s%s", code, out, errs)
	}
	for _, f := range []string{"posts.jsonl", "sitechanges.jsonl", "truth.json", "calendar.yaml", "config.yaml"} {
		if st, err := os.Stat(filepath.Join(sc, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	// Same seed, same files.
	again := filepath.Join(dir, "again")
	runCmd(t, "scenario", "generate", "--seed", "7", "--out", again, "--accounts", "400")
	a, _ := os.ReadFile(filepath.Join(sc, "posts.jsonl"))
	b, _ := os.ReadFile(filepath.Join(again, "posts.jsonl"))
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with one seed wrote different posts")
	}

	// analyze takes one file: posts and site changes together (the archive reader tells
	// them apart per line).
	changes, _ := os.ReadFile(filepath.Join(sc, "sitechanges.jsonl"))
	both := filepath.Join(dir, "all.jsonl")
	if err := os.WriteFile(both, append(a, changes...), 0o644); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "res")
	code, out, errs = runCmd(t, "analyze", both, "--out", res, "--calendar", filepath.Join(sc, "calendar.yaml"), "--config", filepath.Join(sc, "config.yaml"), "--progress", "0")
	if code != 0 {
		t.Fatalf("analyze: exit %d\n%s%s", code, out, errs)
	}
	// The scenario's config names its candidates: the dump is about the candidate it targets.
	if _, incidents, _ := strings.Cut(out, "leak incidents"); !strings.Contains(incidents, "about macron") {
		t.Errorf("with the scenario's config.yaml, no leak incident is about macron:\n%s", out)
	}

	truth, det := filepath.Join(sc, "truth.json"), filepath.Join(res, "detections.jsonl")
	code, out, errs = runCmd(t, "eval", "--truth", truth, "--detections", det)
	if code != 0 {
		t.Fatalf("eval: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"precision", "recall", "leak-dump", "retweet-ring", "defacement"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(t, "eval", "--truth", truth, "--detections", det, "--json")
	var rep eval.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Operations) != 3 || rep.Accounts.True == 0 {
		t.Fatalf("eval --json: exit %d, report %+v", code, rep)
	}
	// A target not met turns the report into a failure (exit 1) naming it: here the detections
	// without their groups, so no coordinated account is found.
	b, err := os.ReadFile(det)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.HasPrefix(l, `{"kind":"group"`) {
			kept = append(kept, l)
		}
	}
	noGroups := filepath.Join(t.TempDir(), "detections.jsonl")
	if err := os.WriteFile(noGroups, []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCmd(t, "eval", "--truth", truth, "--detections", noGroups, "--min-recall", "0.5")
	if code != 1 || !strings.Contains(errs, "recall") {
		t.Errorf("eval --min-recall 0.5 without groups: exit %d, stderr %q; want exit 1 naming recall", code, errs)
	}
}

func TestEvalUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"kind\":\"burst\",\"object\":\"hashtag:x\",\"onset\":\"2017-05-05T18:35:00Z\"}\nnot json\n"), 0o644)
	truth := filepath.Join(dir, "truth.json")
	os.WriteFile(truth, []byte(`{"operations":[{"id":"op","kind":"leak_dump","accounts":["a"],"onset":"2017-05-05T18:35:00Z"}]}`), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no flags", []string{"eval"}, 2, "--truth and --detections are required"},
		{"bad detections", []string{"eval", "--truth", truth, "--detections", bad}, 1, "detections line 2"},
		{"missing truth", []string{"eval", "--truth", filepath.Join(dir, "nope.json"), "--detections", bad}, 1, "nope.json"},
		{"negative delay", []string{"eval", "--truth", truth, "--detections", bad, "--max-onset-delay", "-5m"}, 2, "--max-onset-delay -5m0s: want a duration of 0 or more"},
		{"precision over 1", []string{"eval", "--truth", truth, "--detections", bad, "--min-precision", "1.5"}, 2, "--min-precision 1.5: want a share from 0 to 1"},
		{"negative recall", []string{"eval", "--truth", truth, "--detections", bad, "--min-recall", "-1"}, 2, "--min-recall -1: want a share from 0 to 1"},
		{"scenario without generate", []string{"scenario"}, 2, "scenario generate"},
		{"scenario without out", []string{"scenario", "generate"}, 2, "--out DIR is required"},
		{"scenario bad days", []string{"scenario", "generate", "--out", dir, "--days", "0"}, 2, "days:"},
	}
	for _, tc := range tests {
		code, _, errs := runCmd(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d stderr %q; want exit %d containing %q", tc.name, code, errs, tc.code, tc.want)
		}
	}
}

// evalFiles writes a truth (one retweet ring, onset 14:16:10) and detections to dir.
func evalFiles(t *testing.T, dir string, sigs ...leakwatch.Signal) (truth, det string) {
	t.Helper()
	onset := time.Date(2017, 4, 30, 14, 16, 10, 0, time.UTC)
	tr := eval.Truth{Scenario: "fr-2017-runoff", Start: time.Date(2017, 4, 29, 22, 0, 0, 0, time.UTC), End: time.Date(2017, 5, 6, 22, 0, 0, 0, time.UTC),
		OrganicAccounts: []string{"o1", "o2"},
		Operations:      []eval.Operation{{ID: "retweet-ring", Kind: eval.OpRetweetRing, Accounts: []string{"r1", "r2"}, Onset: onset, End: onset.Add(24 * time.Hour), Objects: []string{"reshare_of:t1"}}}}
	truth, det = filepath.Join(dir, "truth.json"), filepath.Join(dir, "detections.jsonl")
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	var lines []byte
	for _, s := range sigs {
		l, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(append(lines, l...), '\n')
	}
	if err := os.WriteFile(truth, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(det, lines, 0o644); err != nil {
		t.Fatal(err)
	}
	return truth, det
}

func evalBurst(at time.Time) leakwatch.Signal {
	return leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{Object: "reshare_of:t1", Onset: at, Peak: at, End: at}}
}

func evalGroup(at time.Time, accounts ...string) leakwatch.Signal {
	return leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g1", Accounts: accounts, First: at, Last: at}}
}

// --max-onset-delay fails a burst that starts later than the limit, not one that starts
// early: onsets are rounded down to the minute.
func TestEvalMaxOnsetDelay(t *testing.T) {
	minute := time.Date(2017, 4, 30, 14, 16, 0, 0, time.UTC) // 10 s before the onset
	tests := []struct {
		name  string
		burst time.Time
		code  int
		want  string
	}{
		{"burst in the onset's minute", minute, 0, ""},
		{"burst a minute late", minute.Add(time.Minute), 1, "retweet-ring: burst onset +50s after the true onset, limit 5s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			truth, det := evalFiles(t, t.TempDir(), evalGroup(minute, "r1", "r2"), evalBurst(tc.burst))
			code, _, errs := runCmd(t, "eval", "--truth", truth, "--detections", det, "--max-onset-delay", "5s")
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d stderr %q; want exit %d containing %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

// Detections of other posts are refused, naming both files and why, rather than scored as
// a detector that found none of the truth.
func TestEvalOtherData(t *testing.T) {
	in := time.Date(2017, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		sigs []leakwatch.Signal
		code int
		want string
	}{
		{"same data", []leakwatch.Signal{evalGroup(in, "r1", "r2", "x1"), evalBurst(in)}, 0, ""},
		{"another campaign", []leakwatch.Signal{evalGroup(in.AddDate(-1, 0, 0), "r1", "r2"), evalBurst(in.AddDate(-1, 1, 0))}, 1,
			"detections span 2016-05-01 12:00..2016-06-01 12:00 UTC, the truth's window 2017-04-29 22:00..2017-05-06 22:00 UTC: not the same data"},
		{"another seed", []leakwatch.Signal{evalGroup(in, "x1", "x2"), evalBurst(in)}, 1,
			"none of the 2 accounts in detected edges and groups is among the truth's 4 (organic and coordinated): not the same data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			truth, det := evalFiles(t, t.TempDir(), tc.sigs...)
			code, _, errs := runCmd(t, "eval", "--truth", truth, "--detections", det)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d stderr %q; want exit %d containing %q", code, errs, tc.code, tc.want)
			}
			if tc.code != 0 && !strings.Contains(errs, det+" does not match "+truth) {
				t.Errorf("stderr %q does not name both files", errs)
			}
		})
	}
}
