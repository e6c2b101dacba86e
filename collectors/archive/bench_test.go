package archive_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

func BenchmarkReadCSV(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("account_id,post_id,url_id,hashtag_id,domain_id,phash_id,timestamp\n")
	const rows = 20000
	for i := range rows {
		fmt.Fprintf(&buf, "tw_%d,%d,%d,,%d,,%d\n", i%3000, i, i%700, i%90, 1629589000+i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := archive.NewReader(bytes.NewReader(data), "de.csv", archive.Options{Preset: "coortweet-de"})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != rows {
			b.Fatalf("%d posts", n)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "posts/s")
}

// BenchmarkReadIRACSV reads the IRA tweets as analyze does (preset ira, no Raw), from memory
// so that gunzipping is left out: the CSV path of real posts, long texts with accents and emoji.
func BenchmarkReadIRACSV(b *testing.B) {
	f, err := os.Open(testenv.SharedData(b, "data/ira-2016-07/ira_tweets_2016-07-01_2016-08-15.csv.gz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r, err := archive.NewReader(bytes.NewReader(data), "ira.csv", archive.Options{Preset: "ira", NoRaw: true})
		if err != nil {
			b.Fatal(err)
		}
		for {
			rec, err := r.NextRecord()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil || rec.Post == nil {
				b.Fatal(err, rec.Bad)
			}
			archive.Recycle(rec.Post)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "posts/s")
}

func BenchmarkReadV1JSONL(b *testing.B) {
	src, err := os.ReadFile("testdata/tweets_v1.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(strings.Repeat(string(src), 2000))
	rows := 3 * 2000
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, _ := archive.NewReader(bytes.NewReader(data), "x.jsonl", archive.Options{})
		for {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "posts/s")
}

// BenchmarkDecodeLine decodes single lines as the JSONL reader's workers do: leakwatch's own
// lines (the IRA tweets as analyze's benchmark writes them) and Twitter v1.1 tweets.
func BenchmarkDecodeLine(b *testing.B) {
	f, err := os.Open(testenv.SharedData(b, "data/ira-2016-07/ira_tweets_2016-07-01_2016-08-15.csv.gz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r, err := archive.NewReader(f, "ira.csv.gz", archive.Options{Preset: "ira"})
	if err != nil {
		b.Fatal(err)
	}
	var own [][]byte
	for len(own) < 20000 {
		p, err := r.Next()
		if err != nil {
			b.Fatal(err)
		}
		line, err := json.Marshal(leakwatch.Post{Platform: p.Platform, ID: p.ID, URI: p.URI, CreatedAt: p.CreatedAt, ObservedAt: p.ObservedAt,
			Author: leakwatch.Account{ID: p.Author.ID, Handle: p.Author.Handle}, Text: p.Text, Lang: "en"})
		if err != nil {
			b.Fatal(err)
		}
		own = append(own, line)
	}
	src, err := os.ReadFile("testdata/tweets_v1.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	v1 := bytes.Split(bytes.TrimSpace(src), []byte("\n"))
	for name, lines := range map[string][][]byte{"leakwatch": own, "twitter-v1.1": v1} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for _, l := range lines {
					if _, _, err := archive.DecodeLine(l); err != nil {
						b.Fatal(err)
					}
				}
				n += len(lines)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
