package archive_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/archive"
)

// mixedJSONL writes every line shape the reader knows (v1.1 and v2 tweets, leakwatch posts,
// site changes, bad lines), many times over with blank lines between, gzipped.
func mixedJSONL(t *testing.T) (path string, gz []byte) {
	t.Helper()
	var plain bytes.Buffer
	plain.Write([]byte{0xEF, 0xBB, 0xBF})
	for i := range 300 {
		for _, f := range []string{"tweets_v1.jsonl", "tweets_v2.jsonl", "posts.jsonl", "bad.jsonl"} {
			b, err := os.ReadFile(filepath.Join("testdata", f))
			if err != nil {
				t.Fatal(err)
			}
			plain.Write(b)
			if i%7 == 0 {
				plain.WriteString("\n  \n")
			}
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain.Bytes())
	zw.Close()
	path = filepath.Join(t.TempDir(), "mixed.jsonl.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// records reads path to its end and renders every record (bad ones by ref and reason) and
// the final error.
func renderRecords(t *testing.T, path string, workers int) ([]string, archive.Stats, string) {
	t.Helper()
	r, err := archive.Open(path, archive.Options{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for {
		rec, err := r.NextRecord()
		if err != nil {
			return out, r.Stats(), err.Error()
		}
		if rec.Bad != nil {
			out = append(out, fmt.Sprintf("bad %s: %v", rec.Bad.Ref, rec.Bad.Err))
			continue
		}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
}

// TestWorkersReadLikeOne: decoding JSON lines on several goroutines gives the records of one,
// in file order, with the same line numbers in bad-record refs, the same counts, and the same
// I/O error where a gzip stream is cut short.
func TestWorkersReadLikeOne(t *testing.T) {
	path, gz := mixedJSONL(t)
	cut := filepath.Join(t.TempDir(), "cut.jsonl.gz")
	if err := os.WriteFile(cut, gz[:len(gz)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, cut} {
		want, wantStats, wantEnd := renderRecords(t, p, 1)
		if wantStats.Bad == 0 || wantStats.Changes == 0 || wantStats.Posts < 1000 {
			t.Fatalf("%s: %+v: the file does not exercise every record kind", p, wantStats)
		}
		for _, w := range []int{2, 5} {
			got, gotStats, gotEnd := renderRecords(t, p, w)
			if gotStats != wantStats || gotEnd != wantEnd {
				t.Errorf("%s, %d workers: %+v ending %q; one worker %+v ending %q", filepath.Base(p), w, gotStats, gotEnd, wantStats, wantEnd)
			}
			if len(got) != len(want) {
				t.Fatalf("%s, %d workers: %d records, one worker %d", filepath.Base(p), w, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s, %d workers: record %d\n got %s\nwant %s", filepath.Base(p), w, i+1, got[i], want[i])
				}
			}
		}
	}
}

// TestWorkersStopOnClose: a reader closed half way stops its goroutines.
func TestWorkersStopOnClose(t *testing.T) {
	path, _ := mixedJSONL(t)
	before := runtime.NumGoroutine()
	for range 5 {
		r, err := archive.Open(path, archive.Options{Workers: 4})
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			if _, err := r.NextRecord(); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after closing the readers, %d before", n, before)
	}
}

// TestRecordsOwnTheirBytes: lines are read into buffers the reader reuses, so a record must
// not point into them: records kept to the end of the file read the same as records read
// one at a time, for one worker and several.
func TestRecordsOwnTheirBytes(t *testing.T) {
	path, _ := mixedJSONL(t)
	render := func(rec collectors.Record) string {
		if rec.Bad != nil {
			return fmt.Sprintf("bad %s: %v %q", rec.Bad.Ref, rec.Bad.Err, rec.Bad.Raw)
		}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var want []string
	for _, workers := range []int{1, 1, 4} {
		r, err := archive.Open(path, archive.Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		var kept []collectors.Record
		var now []string
		for {
			rec, err := r.NextRecord()
			if err != nil {
				break
			}
			kept = append(kept, rec)
			now = append(now, render(rec))
		}
		r.Close()
		if want == nil {
			want = now
			continue
		}
		if len(kept) != len(want) {
			t.Fatalf("%d workers: %d records, want %d", workers, len(kept), len(want))
		}
		for i, rec := range kept {
			if got := render(rec); got != want[i] {
				t.Fatalf("%d workers: record %d changed after later lines were read:\n got %s\nwant %s", workers, i+1, got, want[i])
			}
		}
	}
}

// TestLineOverTheLimit: a line of 17 MiB (a file without newlines, a dump pasted into one
// field) is a bad record saying its length and the limit, with its first 64 KiB, and the
// lines around it are read as usual, by one reader and by the read-ahead.
func TestLineOverTheLimit(t *testing.T) {
	good := func(id string) string {
		return `{"platform":"twitter","id":"` + id + `","uri":"twitter:` + id + `","created_at":"2017-05-05T18:00:00Z","author":{"id":"a"},"text":"ok"}` + "\n"
	}
	huge := `{"platform":"twitter","id":"big","text":"` + strings.Repeat("x", 17<<20) + `"}` + "\n"
	path := filepath.Join(t.TempDir(), "long.jsonl")
	if err := os.WriteFile(path, []byte(good("1")+huge+good("2")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		c := readAll(t, path, archive.Options{Workers: workers})
		if len(c.Posts) != 2 || len(c.Bad) != 1 {
			t.Fatalf("workers %d: %d posts, %d bad; want 2 and the long line", workers, len(c.Posts), len(c.Bad))
		}
		b := c.Bad[0]
		want := fmt.Sprintf("line of %d bytes, over the %d-byte limit", len(huge), 16<<20)
		if b.Ref != "long.jsonl:2" || !strings.Contains(b.Err.Error(), want) || len(b.Raw) != 64<<10 || !strings.HasPrefix(huge, string(b.Raw)) {
			t.Errorf("workers %d: bad record %s %q with %d raw bytes; want line 2, %q, its first 64 KiB", workers, b.Ref, b.Err, len(b.Raw), want)
		}
	}
}
