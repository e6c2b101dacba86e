// Package lines reads a streaming HTTP body line by line with a bound on line length, so a
// misbehaving server cannot make a collector buffer without end. It must not import
// leakwatch or collectors.
package lines

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrTooLong is wrapped by Next for a line longer than the limit; the line is skipped and
// the reader stays usable. The error is a *TooLongError holding the start of the line.
var ErrTooLong = errors.New("line too long")

// MaxPrefix bounds the start of an over-long line kept for its dead letter: enough to name
// the post (ids come early in the platforms' JSON), small enough to send anywhere.
const MaxPrefix = 64 << 10

// TooLongError is a line over the limit. Prefix is its first min(limit, MaxPrefix) bytes,
// so the dead letter names what was skipped instead of holding nothing.
type TooLongError struct {
	Size, Limit int // bytes of the line, terminator included
	Prefix      []byte
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("%v: %d bytes, limit %d", ErrTooLong, e.Size, e.Limit)
}

func (e *TooLongError) Is(target error) bool { return target == ErrTooLong }

// ErrCut is wrapped by Next for a line the input ended inside with an error (a reset, a
// chunked body cut short): the part that arrived comes back with it, so the caller can
// report the line instead of losing it.
var ErrCut = errors.New("line cut")

// CutError is a line cut by a read error after Size bytes.
type CutError struct {
	Size int
	Err  error
}

func (e *CutError) Error() string {
	return fmt.Sprintf("%v after %d bytes by the connection ending: %v", ErrCut, e.Size, e.Err)
}

func (e *CutError) Is(target error) bool { return target == ErrCut }
func (e *CutError) Unwrap() error        { return e.Err }

// Prefix returns the kept start of an over-long line, or nil when err is not one.
func Prefix(err error) []byte {
	var tl *TooLongError
	if errors.As(err, &tl) {
		return tl.Prefix
	}
	return nil
}

// Reader returns lines without their "\n" or "\r\n".
type Reader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

// NewReader reads r, refusing lines longer than max bytes.
func NewReader(r io.Reader, max int) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Next returns the next line. The slice is valid until the next call. At the end of input
// a last unterminated line is returned before io.EOF; a stream cut inside a line therefore
// yields that partial line, which the decoder then reports as truncated. A read error other
// than io.EOF inside a line returns the part read with a *CutError. A line over the limit is
// read to its end but only its prefix is kept, and comes back in a *TooLongError.
func (l *Reader) Next() ([]byte, error) {
	l.buf = l.buf[:0]
	keep := min(l.max, MaxPrefix)
	var prefix []byte
	skipped := -1 // bytes of an over-long line, counted instead of kept
	for {
		chunk, err := l.r.ReadSlice('\n')
		if skipped < 0 && len(l.buf)+len(chunk) > l.max+2 { // +2: the terminator
			skipped = len(l.buf)
			prefix = append(make([]byte, 0, keep), l.buf[:min(len(l.buf), keep)]...)
			l.buf = l.buf[:0]
		}
		if skipped >= 0 {
			skipped += len(chunk)
			prefix = append(prefix, chunk[:min(len(chunk), keep-len(prefix))]...)
		} else {
			l.buf = append(l.buf, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if skipped >= 0 {
			if err != nil && err != io.EOF {
				return nil, err
			}
			return nil, &TooLongError{Size: skipped, Limit: l.max, Prefix: bytes.TrimRight(prefix, "\r\n")}
		}
		if err == io.EOF && len(l.buf) > 0 {
			err = nil
		}
		if err != nil && len(l.buf) > 0 {
			return bytes.TrimRight(l.buf, "\r\n"), &CutError{Size: len(l.buf), Err: err}
		}
		if err != nil {
			return nil, err
		}
		return bytes.TrimRight(l.buf, "\r\n"), nil
	}
}
