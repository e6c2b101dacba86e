package archive_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/archive"
)

// FuzzDecodeLine: any line either decodes into a post or change that downstream can key, or
// fails with an error; it never panics.
func FuzzDecodeLine(f *testing.F) {
	for _, file := range []string{"testdata/tweets_v1.jsonl", "testdata/posts.jsonl", "testdata/bad.jsonl", "testdata/tweets_v2.jsonl"} {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		post, change, err := archive.DecodeLine(line)
		if err != nil {
			if post != nil || change != nil {
				t.Fatal("error with a record")
			}
			return
		}
		switch {
		case post != nil && change != nil, post == nil && change == nil:
			t.Fatalf("want exactly one of post and change: %v %v", post, change)
		case post != nil:
			if post.URI == "" || post.Author.ID == "" || post.CreatedAt.IsZero() {
				t.Fatalf("accepted a post without uri, author or time: %+v", post)
			}
			if !utf8.ValidString(post.Text) {
				t.Fatalf("invalid UTF-8 text %q", post.Text)
			}
		case change != nil:
			if change.Target == "" || change.ObservedAt.IsZero() {
				t.Fatalf("accepted a change without target or time: %+v", change)
			}
		}
	})
}

// FuzzCSVRow: rows under a fixed header are each a post or a bad record naming a line of
// the input, in increasing line order: a broken quote costs its own line and the lines after
// it are read again. Read a byte at a time, the input gives the same records.
func FuzzCSVRow(f *testing.F) {
	f.Add("alice,2017-05-05 18:35:00,hello #x,1,R,a b")
	f.Add(`bob,1493922000,"quoted, ""text""",,0,`)
	f.Add(`carol,2017-05-05T18:35:00Z,"unterminated,1,,`)
	f.Add(",,,,,")
	f.Add("dave,1e9,x,1,1,1")
	f.Add("erin,1493922000,\"open,1,,\nfrank,1493922060,\"two\r\nlines\",2,,\n\ngus,1494009300000,x\"y,3,,")
	opts := archive.Options{Columns: archive.Columns{Author: "author", Time: "time", Text: "text", Followers: "followers", Retweet: "rt", URLs: "urls"}}
	read := func(t *testing.T, in io.Reader) []string {
		r, err := archive.NewReader(in, "fuzz.csv", opts)
		if err != nil {
			t.Fatal(err)
		}
		var recs []string
		for {
			rec, err := r.NextRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			checkRecord(t, rec)
			if rec.Bad != nil {
				recs = append(recs, rec.Bad.Ref+" "+rec.Bad.Err.Error()+" "+string(rec.Bad.Raw))
			} else {
				recs = append(recs, rec.Post.URI)
			}
		}
		st := r.Stats()
		if st.Records != st.Posts+st.Bad || st.Records != len(recs) {
			t.Fatalf("stats do not add up: %+v", st)
		}
		return recs
	}
	f.Fuzz(func(t *testing.T, row string) {
		in := "author,time,text,followers,rt,urls\n" + row
		recs := read(t, strings.NewReader(in))
		lines, last := strings.Count(in, "\n")+1, 1
		for _, rec := range recs {
			ref, _, _ := strings.Cut(strings.TrimPrefix(rec, "fuzz.csv:"), " ")
			if n, err := strconv.Atoi(ref); err == nil && (n <= last || n > lines) {
				t.Fatalf("bad record at line %d after line %d, of %d: %s", n, last, lines, rec)
			} else if err == nil {
				last = n
			}
		}
		if slow := read(t, iotest.OneByteReader(strings.NewReader(in))); strings.Join(slow, "\n") != strings.Join(recs, "\n") {
			t.Fatalf("a byte at a time:\n%s\nwhole:\n%s", strings.Join(slow, "\n"), strings.Join(recs, "\n"))
		}
	})
}

func checkRecord(t *testing.T, rec collectors.Record) {
	t.Helper()
	switch {
	case rec.Bad != nil:
		if rec.Bad.Err == nil || !strings.HasPrefix(rec.Bad.Ref, "fuzz.csv:") {
			t.Fatalf("bad record without reason or ref: %+v", rec.Bad)
		}
	case rec.Post != nil:
		p := rec.Post
		if p.URI == "" || p.Author.ID == "" || p.CreatedAt.IsZero() || !utf8.ValidString(p.Text) {
			t.Fatalf("accepted an incomplete post: %+v", p)
		}
		if !json.Valid(p.Raw) {
			t.Fatalf("raw row is not JSON: %q", p.Raw)
		}
	default:
		t.Fatal("empty record")
	}
}
