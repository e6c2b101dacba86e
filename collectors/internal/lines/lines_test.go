package lines

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	long := strings.Repeat("x", 100)
	in := "a\r\n\r\nb\n" + long + "\r\nc\r\npartial"
	r := NewReader(strings.NewReader(in), 10)
	var got []string
	for {
		line, err := r.Next()
		if errors.Is(err, ErrTooLong) {
			got = append(got, "TOO LONG")
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(line))
	}
	want := "a||b|TOO LONG|c|partial"
	if strings.Join(got, "|") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestReaderLongLineBeyondBuffer(t *testing.T) {
	big := strings.Repeat("y", 200<<10) // larger than the bufio buffer
	r := NewReader(strings.NewReader(big+"\nok\n"), 1<<20)
	line, err := r.Next()
	if err != nil || len(line) != len(big) {
		t.Fatalf("len %d err %v, want %d", len(line), err, len(big))
	}
	if line, err := r.Next(); err != nil || string(line) != "ok" {
		t.Fatalf("next = %q %v", line, err)
	}
	r = NewReader(strings.NewReader(big+"\nok\n"), 1<<10)
	if _, err := r.Next(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("err = %v, want ErrTooLong", err)
	}
	if line, err := r.Next(); err != nil || string(line) != "ok" {
		t.Fatalf("after a long line: %q %v", line, err)
	}
}
