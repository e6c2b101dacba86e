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

// An over-long line keeps its first min(limit, MaxPrefix) bytes, so its dead letter names it;
// it once came back with nothing.
func TestReaderKeepsPrefixOfLongLine(t *testing.T) {
	head := `{"id_str":"860564113002123264","text":"`
	for _, tc := range []struct {
		name      string
		line      string
		limit     int
		keep      int
		remaining string
	}{
		{"short limit", head + strings.Repeat("x", 5000) + `"}`, 1024, 1024, "ok"},
		{"beyond the read buffer", head + strings.Repeat("y", 300<<10) + `"}`, 1024, 1024, "ok"},
		{"prefix capped at MaxPrefix", head + strings.Repeat("z", 300<<10) + `"}`, 200 << 10, MaxPrefix, "ok"},
		{"cut by the end of input", head + strings.Repeat("w", 5000), 1024, 1024, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.line + "\r\n" + tc.remaining
			if tc.remaining == "" {
				in = tc.line
			}
			r := NewReader(strings.NewReader(in), tc.limit)
			_, err := r.Next()
			if !errors.Is(err, ErrTooLong) {
				t.Fatalf("err = %v, want ErrTooLong", err)
			}
			p := Prefix(err)
			if len(p) != tc.keep || !strings.HasPrefix(tc.line, string(p)) {
				t.Errorf("prefix of %d bytes %.60q, want the line's first %d", len(p), p, tc.keep)
			}
			if tc.remaining != "" {
				if line, err := r.Next(); err != nil || string(line) != tc.remaining {
					t.Errorf("after the long line: %q %v", line, err)
				}
			}
		})
	}
	if Prefix(io.EOF) != nil {
		t.Error("Prefix of another error is not nil")
	}
}

// A line the input ended inside with an error (a reset, a chunked body cut short) was
// discarded; the part that arrived comes back with ErrCut and the cause.
func TestReaderCutLine(t *testing.T) {
	r := NewReader(io.MultiReader(strings.NewReader("{\"id\":\"1\"}\r\n{\"data\":{\"id\":\"86056"), errReader{io.ErrUnexpectedEOF}), 1024)
	if line, err := r.Next(); err != nil || string(line) != `{"id":"1"}` {
		t.Fatalf("first line %q %v", line, err)
	}
	line, err := r.Next()
	if !errors.Is(err, ErrCut) || !errors.Is(err, io.ErrUnexpectedEOF) || string(line) != `{"data":{"id":"86056` {
		t.Fatalf("cut line %q err %v, want the part read with ErrCut", line, err)
	}
	if want := "line cut after 20 bytes by the connection ending: unexpected EOF"; err.Error() != want {
		t.Errorf("err %q, want %q", err, want)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
