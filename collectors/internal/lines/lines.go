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
// the reader stays usable.
var ErrTooLong = errors.New("line too long")

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
// yields that partial line, which the decoder then reports as truncated.
func (l *Reader) Next() ([]byte, error) {
	l.buf = l.buf[:0]
	skipped := -1 // bytes of an over-long line, counted instead of kept
	for {
		chunk, err := l.r.ReadSlice('\n')
		if skipped < 0 && len(l.buf)+len(chunk) > l.max+2 { // +2: the terminator
			skipped = len(l.buf)
			l.buf = l.buf[:0]
		}
		if skipped >= 0 {
			skipped += len(chunk)
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
			return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLong, skipped, l.max)
		}
		if err == io.EOF && len(l.buf) > 0 {
			err = nil
		}
		if err != nil {
			return nil, err
		}
		return bytes.TrimRight(l.buf, "\r\n"), nil
	}
}
