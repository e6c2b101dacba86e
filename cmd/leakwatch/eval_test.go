package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	for _, f := range []string{"posts.jsonl", "sitechanges.jsonl", "truth.json", "calendar.yaml"} {
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
	code, out, errs = runCmd(t, "analyze", both, "--out", res, "--calendar", filepath.Join(sc, "calendar.yaml"), "--progress", "0")
	if code != 0 {
		t.Fatalf("analyze: exit %d\n%s%s", code, out, errs)
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
	// A threshold nobody can meet turns the report into a failure (exit 1), not a usage error.
	code, _, errs = runCmd(t, "eval", "--truth", truth, "--detections", det, "--min-recall", "1.5")
	if code != 1 || !strings.Contains(errs, "recall") {
		t.Errorf("eval --min-recall 1.5: exit %d, stderr %q; want exit 1 naming recall", code, errs)
	}
}

func TestEvalUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"kind\":\"burst\",\"object\":\"x\"}\nnot json\n"), 0o644)
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
