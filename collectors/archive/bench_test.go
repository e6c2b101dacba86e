package archive_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/collectors/archive"
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
