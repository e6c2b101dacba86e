package archive

import (
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

// lineBatch is a run of lines and, once decoded, their records.
type lineBatch struct {
	lines [][]byte
	nums  []int // line numbers
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
}

func (r *Reader) startDecoders(workers int) {
	d := &decoders{
		order: make(chan *lineBatch, 4*workers),
		work:  make(chan *lineBatch, 4*workers),
		stop:  make(chan struct{}),
	}
	r.dec = d
	d.wg.Add(1 + workers)
	go func() {
		defer d.wg.Done()
		defer close(d.work)
		defer close(d.order)
		for {
			b := &lineBatch{done: make(chan struct{})}
			for len(b.lines) < batchLines && b.err == nil {
				line, err := r.readLine()
				if err != nil {
					b.err = err
					break
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
				b.recs = make([]collectors.Record, len(b.lines))
				for i, line := range b.lines {
					b.recs[i] = r.decodeLine(b.nums[i], line)
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

// readLine returns the next non-blank line, trimmed, with r.line its number; io.EOF at the
// end, or the I/O error that ended the file.
func (r *Reader) readLine() ([]byte, error) {
	for {
		line, err := r.br.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%s:%d: %w", r.path, r.line+1, err)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s:%d: %w", r.path, r.line+1, err)
		}
		r.line++
		if r.line == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			return line, nil
		}
	}
}

// decodeLine turns line n into a record; it reads nothing of r that changes, so workers may
// call it at once.
func (r *Reader) decodeLine(n int, line []byte) collectors.Record {
	post, change, err := DecodeLine(line)
	switch {
	case err != nil:
		return r.bad(n, line, err)
	case change != nil:
		return collectors.Record{Change: change}
	default:
		return collectors.Record{Post: post}
	}
}
