package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// writeIRAJSONL writes the IRA tweets as leakwatch posts, one JSON object a line.
func writeIRAJSONL(tb testing.TB, path string) int {
	tb.Helper()
	f, err := os.Open(testenv.SharedData(tb, "data/ira-2016-07/ira_tweets_2016-07-01_2016-08-15.csv.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	r := csv.NewReader(zr)
	r.FieldsPerRecord = -1
	head, _ := r.Read()
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Close()
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	n := 0
	for line := 2; ; line++ {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		at, err := time.Parse(time.DateTime, row[col["publish_date"]])
		if err != nil {
			tb.Fatal(err)
		}
		id := fmt.Sprintf("ira-%d", line)
		p := leakwatch.Post{Platform: leakwatch.PlatformTwitter, ID: id, URI: "twitter:" + id, CreatedAt: at, ObservedAt: at,
			Author: leakwatch.Account{ID: row[col["author"]], Handle: row[col["author"]]}, Text: row[col["content"]], Lang: "en"}
		if err := enc.Encode(p); err != nil {
			tb.Fatal(err)
		}
		n++
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestAnalyzeJSONL runs the command as a user would and checks the detections file is the
// contract of DESIGN.md: one record a line, kinds in order, every record readable back.
func TestAnalyzeJSONL(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "ira.jsonl")
	writeIRAJSONL(t, in)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCmd(t, "analyze", in, "--format", "jsonl", "--out", out, "--progress", "0",
		"--calendar", testenv.SharedData(t, "calendars/us-2016-presidential.yaml"))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"posts 87606", "bad 0", "bursts", "edges", "groups", "posts/s", "garbage collection",
		// The findings an analyst looks at first: the leak incidents, the retweet rings and the
		// leak values they passed round, the bursts placed on the calendar. The IRA's #DNCLeaks
		// push came as a drumbeat, a few posts an hour from 20:21 UTC on 22 July, in no minute
		// burst and one account pair at a time: the hour scale finds it, from that hour
		// (docs/DETECTION.md, "Slow bursts"), and #DNCLeak the next morning is the same push.
		"leaks         1", "2016-07-22 20:00 UTC  hashtag:dncleaks  timing 0.00, 109 days before vote; evidence term:#dncleak, term:#dncleaks", "of them slow (counted by the hour", "largest coordinated groups", "leak evidence term:leaked", "strongest bursts", "rnc-acceptance"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "detections.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[leakwatch.SignalKind]int{}
	last := -1
	order := map[leakwatch.SignalKind]int{"burst": 0, "edge": 1, "group": 2, "leak": 3}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var s leakwatch.Signal
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		if order[s.Kind] < last {
			t.Fatalf("line %d: %s after a later kind", i+1, s.Kind)
		}
		last = order[s.Kind]
		kinds[s.Kind]++
		if s.Kind == leakwatch.SignalEdge && !(s.Edge.A < s.Edge.B) {
			t.Errorf("line %d: edge accounts not ordered: %s", i+1, line)
		}
	}
	if kinds["burst"] == 0 || kinds["edge"] == 0 || kinds["group"] == 0 {
		t.Errorf("detections by kind %v: want bursts, edges and groups on the IRA tweets", kinds)
	}

	// The alerts a live run would have sent, in the alerts topic's form, as many as the
	// summary counts, the coordinated groups' among them.
	ab, err := os.ReadFile(filepath.Join(out, "alerts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]int{}
	lines := strings.Split(strings.TrimSpace(string(ab)), "\n")
	for i, line := range lines {
		var a leakwatch.Alert
		if err := json.Unmarshal([]byte(line), &a); err != nil || a.ID == "" || a.Rule == "" {
			t.Fatalf("alerts.jsonl line %d: %v: %s", i+1, err, line)
		}
		rules[a.Rule]++
	}
	if !strings.Contains(stdout, fmt.Sprintf("alerts        %d (", len(lines))) || rules["CoordinatedGroup"] == 0 {
		t.Errorf("alerts.jsonl holds %d alerts by rule %v; want the summary's count and CoordinatedGroup among them", len(lines), rules)
	}

	// The same archive through a sort buffer of 10 000 posts: sorted runs on disk, merged
	// back, the same detections byte for byte, and no run left behind.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(dir, "out2")
	code, stdout, stderr = runCmd(t, "analyze", in, "--format", "jsonl", "--out", out2, "--progress", "1ns",
		"--sort-buffer", "10000", "--tmp-dir", tmp,
		"--calendar", testenv.SharedData(t, "calendars/us-2016-presidential.yaml"))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "sorted runs   8") || !strings.Contains(stderr, "sorted run 8 written (10000 posts)") {
		t.Errorf("want 8 sorted runs in the summary and the progress lines:\n%s%s", stdout, stderr)
	}
	b2, err := os.ReadFile(filepath.Join(out2, "detections.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("detections through sorted runs differ from sorting in memory (%d and %d bytes)", len(b2), len(b))
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("%d entries left in --tmp-dir after the run: %v", len(left), left)
	}
}

func TestAnalyzeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"analyze", "--out", t.TempDir()},
		{"analyze", "x.jsonl"},
		{"analyze", "x.csv", "--format", "xml", "--out", t.TempDir()},
		{"analyze", "x.csv", "--columns", "author", "--out", t.TempDir()},
		{"analyze", "x.csv", "--comma", ";;", "--out", t.TempDir()},
	} {
		if code, _, stderr := runCmd(t, args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d (%q), want 2 with a message", args, code, stderr)
		}
	}
}

// A posts file or a CSV given as --changes is refused saying what --changes takes.
func TestAnalyzeChangesFileOfTheWrongKind(t *testing.T) {
	dir := t.TempDir()
	posts := filepath.Join(dir, "posts.jsonl")
	csvFile := filepath.Join(dir, "changes.csv")
	os.WriteFile(posts, []byte(`{"platform":"x","author":{"id":"a"},"id":"1","uri":"x:1","created_at":"2017-05-05T18:35:00Z","text":"hi"}`+"\n"), 0o644)
	os.WriteFile(csvFile, []byte("target,observed_at\nen-marche,2017-05-05T17:48:00Z\n"), 0o644)
	for _, c := range []struct{ changes, want string }{
		{posts, "holds posts (the first: x:1): it takes site changes only"},
		{csvFile, "a CSV file, but site changes are JSON lines"},
	} {
		code, _, stderr := runCmd(t, "analyze", posts, "--changes", c.changes, "--progress", "0", "--out", filepath.Join(dir, "out"))
		if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, c.changes) {
			t.Errorf("--changes %s: exit %d, %q; want 2 naming the file and %q", filepath.Base(c.changes), code, stderr, c.want)
		}
	}
}

// TestAnalyzeComma: a semicolon-separated export is read with --comma, and a .tsv without it.
func TestAnalyzeComma(t *testing.T) {
	dir := t.TempDir()
	rows := [][]string{{"author", "time", "text"}, {"a1", "2017-05-05 18:00:00", "hello, world"}, {"a2", "2017-05-05 18:00:05", "hello again"}}
	for _, tc := range []struct {
		file  string
		sep   string
		flags []string
	}{
		{"semicolon.csv", ";", []string{"--comma", ";"}},
		{"export.tsv", "\t", nil},
	} {
		var b strings.Builder
		for _, r := range rows {
			b.WriteString(strings.Join(r, tc.sep) + "\n")
		}
		in := filepath.Join(dir, tc.file)
		if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"analyze", in, "--columns", "author=author,time=time,text=text", "--out", filepath.Join(dir, "out-"+tc.file), "--progress", "0"}, tc.flags...)
		code, stdout, stderr := runCmd(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", tc.file, code, stdout, stderr)
		}
		if !strings.Contains(stdout, "posts 2") || !strings.Contains(stdout, "bad 0") {
			t.Errorf("%s: want 2 posts and none bad:\n%s", tc.file, stdout)
		}
	}
}

// BenchmarkAnalyzeJSONL is the whole command on the IRA tweets as leakwatch JSONL: read,
// decode, extract, detect, correlate, write, with every detector on; with one worker (the
// CPU a post costs) and with one per CPU (the wall time a user waits); and once more with
// the 2016 candidates (examples/us-2016.yaml): candidate objects, their bursts and the
// alert rules that name them.
func BenchmarkAnalyzeJSONL(b *testing.B) {
	dir := b.TempDir()
	in := filepath.Join(dir, "ira.jsonl")
	n := writeIRAJSONL(b, in)
	cal := testenv.SharedData(b, "calendars/us-2016-presidential.yaml")
	e := &env{stdout: io.Discard, stderr: io.Discard, log: nil}
	e.log = newDiscardLogger()
	for _, c := range []struct {
		name    string
		workers int
		args    []string
	}{
		{fmt.Sprintf("workers=%d", 1), 1, nil},
		{fmt.Sprintf("workers=%d", runtime.GOMAXPROCS(0)), runtime.GOMAXPROCS(0), nil},
		{"workers=1/candidates", 1, []string{"--config", filepath.Join("..", "..", "examples", "us-2016.yaml")}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			posts := 0
			var peak uint64
			cpu0 := cpuSeconds()
			args := append([]string{in, "--out", filepath.Join(dir, "out"), "--progress", "0", "--calendar", cal, "--workers", strconv.Itoa(c.workers)}, c.args...)
			for b.Loop() {
				if err := runAnalyze(context.Background(), e, args); err != nil {
					b.Fatal(err)
				}
				posts += n
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			b.ReportMetric(float64(posts)/b.Elapsed().Seconds(), "posts/s")
			b.ReportMetric(float64(posts)/(cpuSeconds()-cpu0), "posts/cpu-s")
			b.ReportMetric(float64(peak)/(1<<20), "heap-MiB")
		})
	}
}

func newDiscardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// A server's config names its calendar file by a path on that server: analyze run elsewhere
// with its own --calendar must not need it, and without one says which config named it.
func TestAnalyzeCalendarFlagReplacesConfigs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "posts.csv")
	if err := os.WriteFile(in, []byte("author,time,text\na1,2017-05-05 18:00:00,hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "leakwatch.yaml")
	if err := os.WriteFile(conf, []byte("calendar: /nonexistent/leakwatch/calendar.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"analyze", in, "--columns", "author=author,time=time,text=text", "--config", conf, "--progress", "0"}
	cal := testenv.SharedData(t, "calendars/fr-2017-presidential.yaml")
	if code, stdout, stderr := runCmd(t, append(args, "--calendar", cal, "--out", filepath.Join(dir, "a"))...); code != 0 {
		t.Fatalf("with --calendar: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr := runCmd(t, append(args, "--out", filepath.Join(dir, "b"))...)
	if code == 0 || !strings.Contains(stderr, "config "+conf+": calendar") {
		t.Errorf("without --calendar: exit %d, %q; want an error naming the config", code, stderr)
	}
}

// Every bad record is saved with its place, reason and content, not only the ten the summary
// shows; a later clean run leaves no stale file behind.
func TestAnalyzeSavesEveryBadRecord(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "posts.jsonl")
	var lines []string
	for i := range 15 {
		switch {
		case i%5 == 0:
			lines = append(lines, fmt.Sprintf(`{"platform":"twitter","id":"p%d","author":{"id":"a%d"},"created_at":"2017-05-05T18:%02d:00Z","text":"ok"}`, i, i, i))
		case i%2 == 0:
			lines = append(lines, fmt.Sprintf(`{"platform":"twitter","id":"p%d","author":{"id":"a%d"},"created_at":"not a time"}`, i, i))
		case i == 1:
			lines = append(lines, "{\"id\":\"p1\",\"text\":\"caf\xe9\",") // Latin-1, cut short
		default:
			lines = append(lines, fmt.Sprintf(`{"id":"p%d",`, i))
		}
	}
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCmd(t, "analyze", in, "--format", "jsonl", "--out", out, "--progress", "0")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	badFile := filepath.Join(out, "bad.jsonl")
	if !strings.Contains(stdout, "bad 12") || !strings.Contains(stdout, badFile) {
		t.Errorf("summary does not count 12 bad records and name %s:\n%s", badFile, stdout)
	}
	b, err := os.ReadFile(badFile)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(got) != 12 {
		t.Fatalf("bad.jsonl holds %d records, want all 12:\n%s", len(got), b)
	}
	for _, line := range got {
		var l struct {
			Record, Reason, Raw string
			RawBase64           []byte `json:"raw_base64"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l.RawBase64 != nil {
			l.Raw = string(l.RawBase64) // not UTF-8: kept byte for byte
		}
		n, err := strconv.Atoi(strings.TrimPrefix(l.Record, filepath.Base(in)+":"))
		if err != nil || n < 1 || n > len(lines) || l.Reason == "" || l.Raw != lines[n-1] {
			t.Errorf("bad record %s: want %s:LINE, a reason and that line's content", line, filepath.Base(in))
		}
	}

	clean := filepath.Join(dir, "clean.jsonl")
	if err := os.WriteFile(clean, []byte(lines[0]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runCmd(t, "analyze", clean, "--format", "jsonl", "--out", out, "--progress", "0"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(badFile); !os.IsNotExist(err) {
		t.Errorf("%s still there after a run without bad records (%v)", badFile, err)
	}
}

// A column map that fits no row reads nothing: the command must fail, not report an empty
// archive with exit 0.
func TestAnalyzeFailsWhenEveryRecordIsBad(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "posts.csv")
	if err := os.WriteFile(in, []byte("author,time,text\na1,2017-05-05 18:00:00,hello\na2,2017-05-05 18:01:00,again\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCmd(t, "analyze", in, "--columns", "author=author,time=text", "--out", out, "--progress", "0")
	if code != 1 || !strings.Contains(stderr, "bad:      2  time (column text)") || !strings.Contains(stderr, "all 2 records") {
		t.Errorf("exit %d\n%s%s; want exit 1 with the bad records' reasons, naming them", code, stdout, stderr)
	}
	checkNoResults(t, out, stdout, "every record bad")
}

// A flag given is used or refused, never dropped: 0 is not "unset", a volume bucket is whole
// seconds, CSV flags do not pass silently on JSON lines, a preset on JSON lines says that it
// reads CSV, and a preset that does not fit a CSV says why and nothing about JSON.
func TestAnalyzeRefusesFlagsItWouldIgnore(t *testing.T) {
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "posts.jsonl")
	line := `{"platform":"twitter","id":"1","uri":"twitter:1","created_at":"2017-05-05T18:00:00Z","observed_at":"2017-05-05T18:00:00Z","author":{"id":"a1"},"text":"hello"}` + "\n"
	if err := os.WriteFile(jsonl, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	csvFile := filepath.Join(dir, "posts.csv")
	if err := os.WriteFile(csvFile, []byte("author,time,text\na1,2017-05-05 18:00:00,hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cols := []string{"--columns", "author=author,time=time,text=text"}
	for _, tc := range []struct {
		args []string
		want string
		not  string // must not be said
	}{
		{append([]string{csvFile, "--window", "0"}, cols...), "--window 0s: want > 0", ""},
		{append([]string{csvFile, "--min-weight", "0"}, cols...), "--min-weight 0: want >= 1", ""},
		{append([]string{csvFile, "--sort-buffer", "0"}, cols...), "--sort-buffer 0: want >= 1", ""},
		// 0 means something for these (no cap, no bound, sort all, one per CPU); a negative
		// value does not, and is not taken for the config's.
		{append([]string{csvFile, "--workers", "-5"}, cols...), "--workers -5: want >= 0", ""},
		{append([]string{csvFile, "--reorder", "-5m"}, cols...), "--reorder -5m0s: want >= 0", ""},
		{append([]string{csvFile, "--max-sharers", "-3"}, cols...), "--max-sharers -3: want >= 0", ""},
		{append([]string{csvFile, "--max-candidate-edges", "-3"}, cols...), "--max-candidate-edges -3: want >= 0", ""},
		{append([]string{csvFile, "--volume-bucket", "0"}, cols...), "--volume-bucket 0s: want whole seconds, at least 1s", ""},
		{append([]string{csvFile, "--volume-bucket", "-1h"}, cols...), "--volume-bucket -1h0m0s", ""},
		{append([]string{csvFile, "--volume-bucket", "1ns"}, cols...), "--volume-bucket 1ns", ""},
		{append([]string{csvFile, "--volume-bucket", "1500ms"}, cols...), "--volume-bucket 1.5s", ""},
		{[]string{jsonl, "--preset", "ira", "--format", "jsonl"}, "--preset: CSV only, and --format jsonl reads JSON lines", ""},
		{append([]string{jsonl, "--format", "twitter-v1"}, cols...), "--columns: CSV only", ""},
		{[]string{jsonl, "--objects", "url=link"}, "--objects: CSV only, and " + jsonl + " reads as JSON lines", ""},
		{[]string{jsonl, "--encoding", "windows-1252"}, "--encoding: CSV only, and " + jsonl + " reads as JSON lines", ""},
		{[]string{jsonl, "--time-zone", "Europe/Paris", "--format", "jsonl"}, "--time-zone: CSV only, and --format jsonl reads JSON lines", ""},
		{[]string{jsonl, "--preset", "ira"}, "--preset ira reads the file as CSV (JSON lines need no --preset): " + jsonl + ":", ""},
		{[]string{csvFile, "--preset", "rtweet"}, "--preset rtweet: " + csvFile + ": columns: id=status_id: no such column in header (author,time,text)", "JSON"},
		{append([]string{csvFile, "--encoding", "klingon"}, cols...), `encoding: unknown "klingon" (want utf-8, windows-1252, iso-8859-1)`, ""},
		{append([]string{csvFile, "--time-zone", "Europe/Pari"}, cols...), `time zone: unknown "Europe/Pari"`, ""},
	} {
		args := append([]string{"analyze", "--progress", "0", "--out", filepath.Join(dir, "out")}, tc.args...)
		if code, _, stderr := runCmd(t, args...); code != 2 || !strings.Contains(stderr, tc.want) || (tc.not != "" && strings.Contains(stderr, tc.not)) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// Given values that are fine are used: a bucket of whole seconds, the smallest window, the
	// zeros that mean no cap, no bound, sort all and one worker per CPU.
	args := append([]string{"analyze", csvFile, "--progress", "0", "--out", filepath.Join(dir, "ok"), "--volume-bucket", "1s", "--window", "1s", "--min-weight", "1",
		"--workers", "0", "--reorder", "0", "--max-sharers", "0", "--max-candidate-edges", "0"}, cols...)
	if code, stdout, stderr := runCmd(t, args...); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "ok", "volume.json")); err != nil || !strings.Contains(string(b), `"bucket_s":1,`) {
		t.Errorf("volume.json with --volume-bucket 1s: %v %s", err, b)
	}
}

// An --out that cannot be made a directory (a file of that name is in the way) fails before
// the archive is read, not after the whole analysis: no progress line, and the error names
// the flag.
func TestAnalyzeUnusableOutFailsBeforeReading(t *testing.T) {
	dir := t.TempDir()
	var rows strings.Builder
	rows.WriteString("author,time,text\n")
	for i := range 2000 { // a few batches of the reader, each followed by a progress line
		fmt.Fprintf(&rows, "a%d,2017-05-05 18:%02d:%02d,hello %d\n", i%50, i/60%60, i%60, i)
	}
	csvFile := filepath.Join(dir, "posts.csv")
	if err := os.WriteFile(csvFile, []byte(rows.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "afile")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, "analyze", csvFile, "--columns", "author=author,time=time,text=text", "--progress", "1ns", "--out", filepath.Join(blocker, "out"))
	if code == 0 || !strings.Contains(stderr, "--out "+filepath.Join(blocker, "out")+": cannot create the output directory") || !strings.Contains(stderr, "not a directory") {
		t.Errorf("exit %d, %q; want a failure naming --out and why", code, stderr)
	}
	if strings.Contains(stderr, "records read") || stdout != "" {
		t.Errorf("the archive was read before --out was found unusable:\n%s%s", stdout, stderr)
	}
}

// TestAnalyzeFailedRunLeavesNoEarlierResults: a run into a directory that holds an earlier
// run's files removes them first, so a run that fails (an empty file, a CSV header alone: an
// export gone wrong, which is an error rather than a quiet campaign) leaves nothing of the
// earlier run to be taken for its own.
func TestAnalyzeFailedRunLeavesNoEarlierResults(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	good := filepath.Join(dir, "good.csv")
	if err := os.WriteFile(good, []byte("author,time,text\na,2017-05-05 18:00:00,hello\nb,2017-05-05 18:00:30,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--columns", "author=author,time=time,text=text", "--progress", "0", "--out", out}
	outputs := []string{"detections.jsonl", "alerts.jsonl", "volume.json", "bad.jsonl", "refused.jsonl"}
	for _, c := range []struct{ content, want string }{
		{"", "empty file"},
		{"author,time,text\n", "no post in "},
	} {
		if code, stdout, stderr := runCmd(t, append([]string{"analyze", good}, args...)...); code != 0 {
			t.Fatalf("good run: exit %d\n%s%s", code, stdout, stderr)
		}
		for _, name := range outputs { // marked as the earlier run's
			if err := os.WriteFile(filepath.Join(out, name), []byte("earlier run\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		failed := filepath.Join(dir, "failed.csv")
		if err := os.WriteFile(failed, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCmd(t, append([]string{"analyze", failed}, args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, %q; want a failure saying %q", c.content, code, stderr, c.want)
		}
		for _, name := range outputs {
			if b, err := os.ReadFile(filepath.Join(out, name)); err == nil && strings.Contains(string(b), "earlier run") {
				t.Errorf("%q: the earlier run's %s is still in --out after a failed run", c.content, name)
			}
		}
		checkNoResults(t, out, stdout, c.content)
	}
}

// checkNoResults fails t if a failed run printed a summary or wrote results to out: an
// empty file's run wrote an empty detections.jsonl, alerts.jsonl and volume.json and printed
// "analyzed", then exited 1, leaving what looked like a quiet campaign's results.
func checkNoResults(t *testing.T, out, stdout, what string) {
	t.Helper()
	if stdout != "" {
		t.Errorf("%s: a failed run printed a summary:\n%s", what, stdout)
	}
	for _, name := range []string{"detections.jsonl", "alerts.jsonl", "volume.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err == nil {
			t.Errorf("%s: a failed run wrote %s", what, name)
		}
	}
}

// An archive with no post says why: every record bad (their reasons counted, bad.jsonl
// kept), or site changes alone, which it names, not "no record".
func TestAnalyzeWithoutPostsSaysWhy(t *testing.T) {
	dir := t.TempDir()
	changes := `{"target":"fn","url":"https://www.frontnational.com/","observed_at":"2017-04-30T06:55:04Z","changed":["content"],"status":200,"text_hash":"a","prev_text_hash":"b"}` + "\n" +
		`{"target":"fn","url":"https://www.frontnational.com/","observed_at":"2017-04-30T07:55:04Z","changed":["content"],"status":200,"text_hash":"c","prev_text_hash":"a"}` + "\n"
	for _, c := range []struct{ name, content, want string }{
		{"changes.jsonl", changes, "holds 2 site changes and no post"},
		{"bad.jsonl", "{\"uri\": 1}\n[]\n", "all 2 records of "},
	} {
		in, out := filepath.Join(dir, c.name), filepath.Join(dir, "out-"+c.name)
		if err := os.WriteFile(in, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCmd(t, "analyze", in, "--progress", "0", "--out", out)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, %q; want 1 saying %q", c.name, code, stderr, c.want)
		}
		checkNoResults(t, out, stdout, c.name)
		if c.name == "bad.jsonl" {
			if _, err := os.Stat(filepath.Join(out, "bad.jsonl")); err != nil || !strings.Contains(stderr, "bad:      2") && !strings.Contains(stderr, "bad:      1") {
				t.Errorf("the bad records' reasons are not kept (%v) or not counted:\n%s", err, stderr)
			}
		}
	}
}

// TestAnalyzeSaysWhatTheCalendarAndWarmUpCover: the summary gives the posts' span and when
// bursts could begin (the warm-up) and stopped being marked learning, so a debate in the
// first hour is not read as one without a burst; another campaign's calendar is warned
// about, this campaign's is not.
func TestAnalyzeSaysWhatTheCalendarAndWarmUpCover(t *testing.T) {
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "debate.csv")
	rows := "author,time,text\n"
	for i := range 120 {
		rows += fmt.Sprintf("a%d,2017-04-04 18:%02d:%02d,Macron et Le Pen au débat\n", i%40, 7+i/4, (i%4)*15)
	}
	if err := os.WriteFile(csvFile, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"analyze", csvFile, "--columns", "author=author,time=time,text=text", "--progress", "0", "--out", filepath.Join(dir, "out")}
	code, out, errs := runCmd(t, append(args, "--calendar", testenv.SharedData(t, "calendars/fr-2017-presidential.yaml"))...)
	if code != 0 {
		t.Fatalf("analyze: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"posts from    2017-04-04 18:07 UTC to 2017-04-04 18:36 UTC",
		"possible from 2017-04-04 19:07 UTC, after burst.warmup 1h; marked learning until 2017-04-05 18:07 UTC",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(errs, "warning") {
		t.Errorf("this campaign's calendar warned about: %s", errs)
	}
	code, out, errs = runCmd(t, append(args, "--calendar", testenv.SharedData(t, "calendars/us-2016-presidential.yaml"))...)
	if code != 0 || !strings.Contains(errs, `warning: the calendar "United States presidential 2016" has events from 2016-`) || !strings.Contains(errs, "posts run from 2017-04-04 to 2017-04-04: is it this campaign's calendar?") {
		t.Errorf("another campaign's calendar: exit %d, stderr %q; want a warning naming both spans", code, errs)
	}
}

// CSV exports of the French 2017 debates as researchers receive them: a broken quote costs
// its own line and no other row, a Windows-1252 file read as UTF-8 gives bad records saying
// which --encoding to give (and reads whole with it), and local times follow --time-zone.
func TestAnalyzeFrenchCSVs(t *testing.T) {
	dir := t.TempDir()
	cols := "author=nom,handle=nom,time=time,text=tweet,retweet=is_retweet"
	analyze := func(t *testing.T, in string, flags ...string) (stdout string, out string) {
		t.Helper()
		out = filepath.Join(dir, "out-"+t.Name()[strings.LastIndex(t.Name(), "/")+1:])
		args := append([]string{"analyze", in, "--columns", cols, "--out", out, "--progress", "0"}, flags...)
		code, stdout, stderr := runCmd(t, args...)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		return stdout, out
	}
	badLines := func(t *testing.T, out string) []badLine {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, "bad.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var got []badLine
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var l badLine
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatal(err)
			}
			got = append(got, l)
		}
		return got
	}
	write := func(t *testing.T, name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("broken quote", func(t *testing.T) {
		lines := []string{
			"nom,time,tweet,is_retweet,rt_nom",
			`@a,2017-04-04T20:00:00Z,"oops no closing quote,FALSE,NA`,
			`@b,2017-04-04T20:01:00Z,"Macron parle, enfin",FALSE,NA`,
			`@c,2017-04-04T20:02:00Z,"Le Pen répond, vite",FALSE,NA`,
			`@d,2017-04-04T20:03:00Z,Fillon se tait,FALSE,NA`,
		}
		stdout, out := analyze(t, write(t, "quote.csv", strings.Join(lines, "\n")+"\n"))
		if !strings.Contains(stdout, "records       4 (posts 3, site changes 0, bad 1)") {
			t.Errorf("want @b, @c and @d read and the broken line bad:\n%s", stdout)
		}
		got := badLines(t, out)
		if len(got) != 1 || got[0].Record != "quote.csv:2" || got[0].Raw != lines[1] ||
			!strings.HasPrefix(got[0].Reason, `csv: extraneous or missing " in quoted-field (the record runs on to line 3`) {
			t.Errorf("bad records %+v; want quote.csv:2 with its line and the reason", got)
		}
	})

	rows := []string{
		"nom,time,tweet,is_retweet,rt_nom",
		"@JLMelenchon,2017-04-04 22:40:00,Mélenchon : « Je ne suis pas d’accord »,FALSE,NA",
		"@EmmanuelMacron,2017-04-04 22:41:00,Le débat continue,FALSE,NA",
		"@MLP_officiel,2017-04-04 22:42:00,Immigration : 5 000 € par an ?,FALSE,NA",
		"@benoithamon,2017-04-04 22:43:00,Merci a tous #LeGrandDebat,FALSE,NA",
	}
	cp, err := charmap.Windows1252.NewEncoder().String(strings.Join(rows, "\r\n") + "\r\n")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("windows-1252 read as UTF-8", func(t *testing.T) {
		stdout, out := analyze(t, write(t, "cp1252.csv", cp))
		if !strings.Contains(stdout, "records       4 (posts 1, site changes 0, bad 3)") || !strings.Contains(stdout, "bad:      3  text (column tweet): not UTF-8: byte N in \"…\" (a Windows-1252 or Latin-1 file?") {
			t.Errorf("want the rows with accents bad for their text, the other a post:\n%s", stdout)
		}
		if !strings.Contains(stdout, "--encoding windows-1252") {
			t.Errorf("the summary does not say which --encoding to give:\n%s", stdout)
		}
		cpRows := strings.Split(cp, "\r\n")
		got := badLines(t, out)
		if len(got) != 3 {
			t.Errorf("%d bad records, want 3", len(got))
		}
		for i, l := range got {
			if want := fmt.Sprintf("cp1252.csv:%d", i+2); l.Record != want || string(l.RawBase64) != cpRows[i+1] ||
				!strings.HasPrefix(l.Reason, "text (column tweet): not UTF-8: byte 0x") {
				t.Errorf("bad record %+v; want %s with the row's bytes and the column", l, want)
			}
		}
	})
	t.Run("windows-1252", func(t *testing.T) {
		stdout, _ := analyze(t, write(t, "cp1252-ok.csv", cp), "--encoding", "windows-1252")
		if !strings.Contains(stdout, "records       4 (posts 4, site changes 0, bad 0)") {
			t.Errorf("want the 4 rows read:\n%s", stdout)
		}
	})

	// Paris is two hours ahead of UTC in April: 22:40 there is 20:40Z.
	naive := write(t, "paris.csv", strings.Join(rows, "\n")+"\n")
	for _, tc := range []struct {
		flags []string
		hour  string
	}{
		{nil, `"t":"2017-04-04T22:00:00Z","n":4`},
		{[]string{"--time-zone", "Europe/Paris"}, `"t":"2017-04-04T20:00:00Z","n":4`},
	} {
		t.Run("time zone "+strings.Join(tc.flags, " "), func(t *testing.T) {
			_, out := analyze(t, naive, tc.flags...)
			b, err := os.ReadFile(filepath.Join(out, "volume.json"))
			if err != nil || !strings.Contains(string(b), tc.hour) {
				t.Errorf("volume.json %s (%v); want the posts in the bucket %s", b, err, tc.hour)
			}
		})
	}
}

// A post dated past 2262 overflowed the analysis's clock and made every other post late; one
// dated 1970 moved the warm-up to 1970. Both are bad records naming the line and the reason,
// and the detections are those of the file without them.
func TestAnalyzeRefusesPostTimesOutOfRange(t *testing.T) {
	dir := t.TempDir()
	sc := smallScenario(t, dir, 7)
	posts, err := os.ReadFile(filepath.Join(sc, "posts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(posts), "\n")
	odd := []string{
		`{"platform":"twitter","id":"future","author":{"id":"x1"},"created_at":"2263-01-01T00:00:00Z","text":"#macronleaks"}` + "\n",
		`{"platform":"twitter","id":"epoch","author":{"id":"x2"},"created_at":"1970-01-01T00:00:00Z","text":"#macronleaks"}` + "\n",
	}
	mixed := strings.Join(lines[:100], "") + strings.Join(odd, "") + strings.Join(lines[100:], "")
	good, bad := filepath.Join(dir, "good.jsonl"), filepath.Join(dir, "mixed.jsonl")
	os.WriteFile(good, posts, 0o644)
	os.WriteFile(bad, []byte(mixed), 0o644)
	detections := func(in, out string) (string, []byte) {
		code, stdout, stderr := runCmd(t, "analyze", in, "--out", out, "--calendar", filepath.Join(sc, "calendar.yaml"),
			"--config", filepath.Join(sc, "config.yaml"), "--progress", "0")
		if code != 0 {
			t.Fatalf("analyze %s: exit %d\n%s%s", in, code, stdout, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "detections.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		return stdout, b
	}
	_, want := detections(good, filepath.Join(dir, "out-good"))
	stdout, got := detections(bad, filepath.Join(dir, "out-mixed"))
	if !bytes.Equal(got, want) || len(want) == 0 {
		t.Errorf("detections with the two odd posts differ from those without (%d and %d bytes):\n%s", len(got), len(want), stdout)
	}
	if !strings.Contains(stdout, "bad 2") || !strings.Contains(stdout, "refused 0") {
		t.Errorf("summary: want bad 2 and refused 0:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out-mixed", "bad.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"record":"mixed.jsonl:101","reason":"post future: created_at \"2263-01-01T00:00:00Z\": outside 1990..2099, not a post time"`,
		`"record":"mixed.jsonl:102","reason":"post epoch: created_at \"1970-01-01T00:00:00Z\": outside 1990..2099, not a post time"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("bad.jsonl lacks %s:\n%s", want, b)
		}
	}
}

// A format the file's first byte contradicts fails at once, saying which format the file looks
// like, instead of writing every CSV line to bad.jsonl or failing on a bare quote.
func TestAnalyzeRefusesAFormatTheFileContradicts(t *testing.T) {
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "posts.csv")
	jsonFile := filepath.Join(dir, "posts.jsonl")
	os.WriteFile(csvFile, []byte("author,time,text\na1,2017-05-05 18:00:00,hello\n"), 0o644)
	os.WriteFile(jsonFile, []byte("\n"+`{"platform":"twitter","id":"1","author":{"id":"a"},"created_at":"2017-05-05T18:00:00Z","text":"hi"}`+"\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{csvFile, "--format", "jsonl"}, `posts.csv: read as JSON lines, but the file starts with 'a', not a JSON object's '{': a CSV file? give --format csv`},
		{[]string{csvFile, "--format", "twitter-v2"}, `posts.csv: read as JSON lines, but the file starts with 'a'`},
		{[]string{jsonFile, "--format", "csv", "--columns", "author=author,time=time"}, `posts.jsonl: read as CSV, but the file starts with '{': it looks like JSON lines; give --format jsonl`},
	} {
		out := filepath.Join(dir, "out")
		code, stdout, stderr := runCmd(t, append([]string{"analyze", "--out", out, "--progress", "0"}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d\n%s%s; want exit 2 and %q", tc.args, code, stdout, stderr, tc.want)
		}
		if _, err := os.Stat(filepath.Join(out, "bad.jsonl")); !os.IsNotExist(err) {
			t.Errorf("%v: bad.jsonl written (%v)", tc.args, err)
		}
	}
}

// twarc2's default output, one Twitter v2 page a line, is analyzed directly: every tweet of
// every page is a post (it was one bad record a page).
func TestAnalyzeTwarc2Pages(t *testing.T) {
	in := filepath.Join("..", "..", "collectors", "archive", "testdata", "twarc2.jsonl")
	for _, format := range []string{"", "twitter-v2"} {
		out := filepath.Join(t.TempDir(), "out")
		code, stdout, stderr := runCmd(t, "analyze", in, "--format", format, "--out", out, "--progress", "0")
		if code != 0 || !strings.Contains(stdout, "records       6 (posts 5, site changes 0, bad 1)") {
			t.Errorf("--format %q: exit %d\n%s%s; want the 5 good tweets of 2 pages read and the broken one bad", format, code, stdout, stderr)
		}
	}
}

// Site-change times are taken in UTC as posts' are: the same changes written with a +02:00
// offset (Paris in May) and in UTC give the same alerts byte for byte, the defacement's
// starts_at in UTC among them.
func TestAnalyzeSiteChangesInUTC(t *testing.T) {
	dir := t.TempDir()
	sc := smallScenario(t, dir, 3)
	utc, err := os.ReadFile(filepath.Join(sc, "sitechanges.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	paris := time.FixedZone("CEST", 2*3600)
	stamp := regexp.MustCompile(`"(observed_at|tls_not_after)":"([^"]+)"`)
	offset := stamp.ReplaceAllStringFunc(string(utc), func(s string) string {
		m := stamp.FindStringSubmatch(s)
		at, err := time.Parse(time.RFC3339Nano, m[2])
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return fmt.Sprintf("%q:%q", m[1], at.In(paris).Format(time.RFC3339Nano))
	})
	if !strings.Contains(offset, `"observed_at":"2017-`) || !strings.Contains(offset, "+02:00") {
		t.Fatalf("changes not rewritten with an offset:\n%s", offset)
	}
	offsetFile := filepath.Join(dir, "sitechanges+0200.jsonl")
	if err := os.WriteFile(offsetFile, []byte(offset), 0o644); err != nil {
		t.Fatal(err)
	}
	alerts := map[string][]byte{}
	for name, changes := range map[string]string{"utc": filepath.Join(sc, "sitechanges.jsonl"), "+02:00": offsetFile} {
		out := filepath.Join(dir, "out-"+name)
		code, stdout, stderr := runCmd(t, "analyze", filepath.Join(sc, "posts.jsonl"), "--changes", changes, "--progress", "0",
			"--calendar", filepath.Join(sc, "calendar.yaml"), "--config", filepath.Join(sc, "config.yaml"), "--out", out)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", name, code, stdout, stderr)
		}
		if alerts[name], err = os.ReadFile(filepath.Join(out, "alerts.jsonl")); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Contains(alerts["utc"], []byte(`"SiteDefacement"`)) {
		t.Fatalf("no site alert to compare:\n%s", alerts["utc"])
	}
	if !bytes.Equal(alerts["utc"], alerts["+02:00"]) {
		t.Errorf("alerts differ with the changes written at +02:00:\nUTC:\n%s\n+02:00:\n%s", alerts["utc"], alerts["+02:00"])
	}
}

// An archive cut into files is analyzed as one: the scenario's posts dealt at random into
// three files (each a random third of every hour, named out of order), one post in two of
// them, give the detections and alerts of the whole file byte for byte.
func TestAnalyzeFilesAreOneArchive(t *testing.T) {
	dir := t.TempDir()
	sc := smallScenario(t, dir, 5)
	whole, err := os.ReadFile(filepath.Join(sc, "posts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(whole), "\n"), "\n")
	parts := make([]strings.Builder, 3)
	rng := rand.New(rand.NewPCG(5, 5))
	for _, l := range lines {
		parts[rng.IntN(len(parts))].WriteString(l)
	}
	parts[2].WriteString(lines[len(lines)/2]) // collected twice, detected once
	var files []string
	for i := range parts {
		files = append(files, filepath.Join(dir, fmt.Sprintf("part%d.jsonl", i)))
		if err := os.WriteFile(files[i], []byte(strings.TrimSuffix(parts[i].String(), "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	analyze := func(name string, in ...string) (stdout string, detections, alerts []byte) {
		t.Helper()
		out := filepath.Join(dir, "out-"+name)
		args := append([]string{"analyze"}, in...)
		args = append(args, "--progress", "0", "--calendar", filepath.Join(sc, "calendar.yaml"), "--config", filepath.Join(sc, "config.yaml"), "--out", out)
		code, stdout, stderr := runCmd(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", name, code, stdout, stderr)
		}
		var err error
		if detections, err = os.ReadFile(filepath.Join(out, "detections.jsonl")); err != nil {
			t.Fatal(err)
		}
		if alerts, err = os.ReadFile(filepath.Join(out, "alerts.jsonl")); err != nil {
			t.Fatal(err)
		}
		return stdout, detections, alerts
	}
	_, wantDet, wantAlerts := analyze("whole", filepath.Join(sc, "posts.jsonl"))
	stdout, gotDet, gotAlerts := analyze("parts", files[2], files[0], files[1])
	if !strings.Contains(stdout, "analyzed 3 files: ") || !strings.Contains(stdout, fmt.Sprintf("records       %d (posts %d,", len(lines)+1, len(lines)+1)) ||
		!strings.Contains(stdout, "copies        1 post") {
		t.Errorf("summary does not count the three files' %d records and the copy:\n%s", len(lines)+1, stdout)
	}
	if bytes.Count(wantDet, []byte("\n")) < 100 || !bytes.Contains(wantDet, []byte(`"kind":"group"`)) {
		t.Fatalf("too little to compare in the whole file's detections (%d lines)", bytes.Count(wantDet, []byte("\n")))
	}
	if !bytes.Equal(gotDet, wantDet) {
		t.Errorf("detections of the three files differ from the whole file's (%d and %d bytes)", len(gotDet), len(wantDet))
	}
	if !bytes.Equal(gotAlerts, wantAlerts) {
		t.Errorf("alerts of the three files differ from the whole file's:\n%s\nwant:\n%s", gotAlerts, wantAlerts)
	}
}

// smallScenario generates a campaign of 400 accounts with seed into DIR/sc and returns that.
func smallScenario(t *testing.T, dir string, seed int) string {
	t.Helper()
	sc := filepath.Join(dir, "sc")
	if code, out, errs := runCmd(t, "scenario", "generate", "--seed", strconv.Itoa(seed), "--out", sc, "--accounts", "400"); code != 0 {
		t.Fatalf("scenario generate: exit %d\n%s%s", code, out, errs)
	}
	return sc
}

// The summary counts bad records by their rule, not by what differs from record to record:
// posts of one bad date are one reason, a post without an author and one without a time
// offset two, in the same order on every run.
func TestBadReasonsCountedByRule(t *testing.T) {
	same := [][]string{
		{`post 1: created_at "1970-01-01T00:00:00Z": outside 1990..2099, not a post time`, `post 859890520367824897: created_at "2999-01-01T00:00:00Z": outside 1990..2099, not a post time`},
		{`line of 70000000 bytes, over the 67108864-byte limit of a record (its first 4096 bytes kept)`, `line of 68000001 bytes, over the 67108864-byte limit of a record (its first 4096 bytes kept)`},
		{`csv: extraneous or missing " in quoted-field (the record runs on to line 3)`, `csv: extraneous or missing " in quoted-field (the record runs on to line 977)`},
		{`text (column tweet): not UTF-8: byte 0xE9 in "M\xe9lenchon : \xab Je ne suis "... (a Windows-1252 file?)`, `text (column tweet): not UTF-8: byte 0x80 in "Immigration : 5 000 \x80 par an ?" (a Windows-1252 file?)`},
	}
	for _, pair := range same {
		if a, b := reasonKey(pair[0]), reasonKey(pair[1]); a != b {
			t.Errorf("counted apart: %q and %q", a, b)
		}
	}
	for _, keep := range []string{"outside 1990..2099", "a Twitter v1.1 tweet", "such as +02:00", "utf8 text"} {
		if got := reasonKey("x: " + keep); !strings.Contains(got, keep) {
			t.Errorf("reasonKey(%q) = %q: the rule's numbers are gone", keep, got)
		}
	}
	if a, b := reasonKey("leakwatch post: author.id is empty"), reasonKey(`leakwatch post: time "2017-04-30T10:00:00" has no UTC offset`); a == b {
		t.Errorf("two rules counted as one: %q", a)
	}

	dir := t.TempDir()
	var lines []string
	for i := range 12 {
		lines = append(lines, fmt.Sprintf(`{"platform":"x","author":{"id":"a"},"id":"%d","created_at":"1970-01-01T00:00:00Z","text":"hi"}`, i))
	}
	lines = append(lines, `{"platform":"x","author":{"id":"a"},"id":"ok","created_at":"2017-05-05T18:35:00Z","text":"hi"}`, `{"platform":"x","author":{"id":""},"id":"b","created_at":"2017-05-05T18:35:00Z","text":"hi"}`, "[1]", "[2]")
	in := filepath.Join(dir, "posts.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var summaries []string
	for range 3 {
		code, stdout, stderr := runCmd(t, "analyze", in, "--progress", "0", "--out", filepath.Join(dir, "out"))
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		var bad []string
		for _, l := range strings.Split(stdout, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "bad:") {
				bad = append(bad, strings.Join(strings.Fields(l), " "))
			}
		}
		summaries = append(summaries, strings.Join(bad, "\n"))
	}
	want := "bad: 12 created_at \"…\": outside 1990..2099, not a post time\nbad: 2 not a JSON object\nbad: 1 leakwatch post: author.id is empty"
	for _, got := range summaries {
		if got != want {
			t.Errorf("bad lines:\n%s\nwant:\n%s", got, want)
		}
	}
}

// A post dated decades off the rest is analyzed, and the analysis warns of it: the burst
// warm-up and every timeline would otherwise quietly start there.
func TestAnalyzeWarnsOfStrayDates(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("author,time,text\n")
	for i := range 200 {
		fmt.Fprintf(&b, "a%d,2017-05-0%d %02d:%02d:00,post %d\n", i%40, 1+i%5, i%24, i%60, i)
	}
	b.WriteString("z1,1995-03-01 10:00:00,a typo\n")
	in := filepath.Join(dir, "posts.csv")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, "analyze", in, "--columns", "author=author,time=time,text=text", "--progress", "0", "--out", filepath.Join(dir, "out"))
	if code != 0 || !strings.Contains(stdout, "posts 201") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if want := "1 post from 1995-03-01 lies 22 years before the rest (from 2017-05-01): a wrong date?"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	if strings.Contains(stderr, "after the rest") {
		t.Errorf("a late stray reported: %q", stderr)
	}
}

// A signal stops analyze, also while it detects, with exit 130 and nothing written: it ran on
// to the end (minutes on a large archive) and exited 0, and when it did stop, 0 told a script
// an analysis had been written.
func TestAnalyzeStoppedBySignal(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "posts.csv"), filepath.Join(dir, "out")
	if err := os.WriteFile(in, []byte("author,time,text\na,2017-05-05 18:00:00,hello\nb,2017-05-05 18:00:30,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr strings.Builder
	code := run(ctx, []string{"analyze", in, "--columns", "author=author,time=time,text=text", "--progress", "0", "--out", out}, &stdout, &stderr)
	if code != 130 || !strings.Contains(stderr.String(), "interrupted: stopped before the end; no result written") {
		t.Errorf("exit %d, %q; want 130 saying it was interrupted", code, stderr.String())
	}
	checkNoResults(t, out, stdout.String(), "stopped")
}
