package archive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/leakwatch/leakwatch/collectors"
)

// Decoding is most of the cost of reading JSON lines (a Twitter v1.1 tweet is about 2 KB of
// JSON): with Options.Workers > 1 one goroutine reads lines and the workers decode batches of
// them, while NextRecord hands the records out in file order, exactly as it would alone.

// lineBatch is a run of lines and, once decoded, their records in line order (one a line, or
// one a tweet of a Twitter v2 page).
type lineBatch struct {
	buf   []byte      // the lines' bytes, reused for a later batch once these are decoded
	lines [][]byte    // in buf (or in the arrays buf outgrew, which stay valid)
	nums  []int       // line numbers
	long  map[int]int // index in lines -> length of a line over maxLineBytes (lines holds its start)
	recs  []collectors.Record
	err   error         // the I/O error that ended the file after these lines
	done  chan struct{} // closed when recs is filled
}

// batchLines is how many lines a worker decodes at a time.
const batchLines = 128

// decoders runs the read-ahead of one Reader.
type decoders struct {
	order chan *lineBatch // batches in file order, decoded or not yet
	work  chan *lineBatch
	stop  chan struct{}
	wg    sync.WaitGroup
	cur   *lineBatch
	next  int // next record of cur
	// free holds the buffers of batches handed out, for the reading goroutine to fill
	// again: decoding copies what it keeps, so a line's bytes are not needed after.
	free chan []byte
}

func (r *Reader) startDecoders(workers int) {
	d := &decoders{
		order: make(chan *lineBatch, 4*workers),
		work:  make(chan *lineBatch, 4*workers),
		stop:  make(chan struct{}),
		free:  make(chan []byte, 8*workers),
	}
	r.dec = d
	d.wg.Add(1 + workers)
	go func() {
		defer d.wg.Done()
		defer close(d.work)
		defer close(d.order)
		for {
			b := &lineBatch{done: make(chan struct{})}
			select {
			case b.buf = <-d.free:
			default:
			}
			for len(b.lines) < batchLines && b.err == nil {
				var line []byte
				var err error
				var long int
				line, b.buf, long, err = r.readLine(b.buf)
				if err != nil {
					b.err = err
					break
				}
				if long > 0 {
					if b.long == nil {
						b.long = map[int]int{}
					}
					b.long[len(b.lines)] = long
				}
				b.lines = append(b.lines, line)
				b.nums = append(b.nums, r.line)
			}
			select {
			case d.order <- b:
			case <-d.stop:
				return
			}
			select {
			case d.work <- b:
			case <-d.stop:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	for range workers {
		go func() {
			defer d.wg.Done()
			for b := range d.work {
				b.recs = make([]collectors.Record, 0, len(b.lines))
				for i, line := range b.lines {
					if long := b.long[i]; long > 0 {
						b.recs = append(b.recs, r.tooLong(b.nums[i], line, long))
						continue
					}
					b.recs = r.appendLine(b.recs, b.nums[i], line)
				}
				close(b.done)
			}
		}()
	}
}

// nextDecoded returns the next record of the read-ahead, in file order.
func (d *decoders) nextDecoded() (collectors.Record, error) {
	for {
		if d.cur != nil && d.next < len(d.cur.recs) {
			d.next++
			return d.cur.recs[d.next-1], nil
		}
		if d.cur != nil && d.cur.err != nil {
			return collectors.Record{}, d.cur.err
		}
		b, ok := <-d.order
		if !ok {
			return collectors.Record{}, io.EOF // stopped
		}
		<-b.done
		if d.cur != nil {
			select {
			case d.free <- d.cur.buf[:0]:
			default:
			}
		}
		d.cur, d.next = b, 0
	}
}

// close stops the read-ahead and waits for its goroutines, so the file can be closed.
func (d *decoders) close() {
	close(d.stop)
	for b := range d.order {
		_ = b // undecoded batches: nothing to wait for, the workers drain d.work
	}
	d.wg.Wait()
}

// maxLineBytes is the longest line read whole: a longer one is a bad record with its first
// maxKeptBytes, so one runaway line (a file without newlines, a dump pasted into a field)
// costs a bounded buffer, not its own size several times over.
const (
	maxLineBytes = 16 << 20
	maxKeptBytes = 64 << 10
)

// readLine appends the next non-blank line to buf and returns it trimmed, and buf grown, with
// r.line its number; io.EOF at the end, or the I/O error that ended the file. Lines go into
// a buffer the caller reuses: a line is needed only until it is decoded. A line longer than
// maxLineBytes is returned cut to its first maxKeptBytes, with long its length (else 0).
func (r *Reader) readLine(buf []byte) (line, grown []byte, long int, err error) {
	for {
		start := len(buf)
		n := 0 // the line's length, kept or only counted
		for {
			var frag []byte
			frag, err = r.br.ReadSlice('\n')
			n += len(frag)
			switch {
			case n <= maxLineBytes:
				buf = append(buf, frag...)
			case len(buf)-start > maxKeptBytes:
				buf = buf[:start+maxKeptBytes] // cut once; the rest of the line is only counted
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		line = buf[start:]
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return nil, buf, 0, io.EOF
			}
			return nil, buf, 0, r.readFailed(fmt.Sprintf("%s:%d", r.path, r.line+1), err)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, buf, 0, r.readFailed(fmt.Sprintf("%s:%d", r.path, r.line+1), err)
		}
		r.line++
		if n > maxLineBytes {
			return line, buf, n, nil
		}
		// A byte order mark starts the first line, and any line where exports were joined
		// with cat: the JSON after it is as good.
		line = bytes.TrimPrefix(line, utf8BOM)
		if line = bytes.TrimSpace(line); len(line) > 0 {
			return line, buf, 0, nil
		}
		buf = buf[:start] // a blank line: nothing to keep
	}
}

// tooLong is the bad record of line n, of long bytes, whose start is kept.
func (r *Reader) tooLong(n int, kept []byte, long int) collectors.Record {
	return r.bad(n, kept, fmt.Errorf("line of %d bytes, over the %d-byte limit of a record (its first %d bytes kept)", long, maxLineBytes, len(kept)))
}

// appendLine appends line n's records to recs: one, or a Twitter v2 page's tweets; it reads
// nothing of r that changes, so workers may call it at once.
func (r *Reader) appendLine(recs []collectors.Record, n int, line []byte) []collectors.Record {
	post, change, err := DecodeLine(line)
	switch {
	case err != nil && isV2Page(line): // told only once refused: no cost to the other lines
		return r.appendPage(recs, n, line)
	case err != nil:
		return append(recs, r.bad(n, line, err))
	case change != nil:
		return append(recs, collectors.Record{Change: change})
	default:
		return append(recs, collectors.Record{Post: post})
	}
}
