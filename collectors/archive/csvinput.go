package archive

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/leakwatch/leakwatch/collectors"
)

// csvInput passes a CSV file to encoding/csv and keeps the bytes the csv.Reader took since
// the last record it finished. At a broken quote the csv.Reader has taken the lines after it
// (a quote left open runs on to the next quote, or to the end of the file) and buffered more;
// with these bytes, a new csv.Reader reads them again.
//
// A record may take at most maxLineBytes, as a JSON line may: past that, Read refuses to
// give more (errRecordTooLong), so a quote left open near the start of a large file, which
// encoding/csv would run on to the end of it, costs a bounded buffer, not the file's size
// twice over.
type csvInput struct {
	src io.Reader
	// buf[start:given] is what the csv.Reader took since its last record ended (with what it
	// buffered ahead); buf[given:] is still to give, ahead of src.
	buf          []byte
	start, given int
	origin       int64 // the csv.Reader's InputOffset at buf[0]
	lines        int   // the newlines in the file before buf[0]
}

// errRecordTooLong is what csvInput returns once a record has taken maxLineBytes.
var errRecordTooLong = fmt.Errorf("csv: a record over the %d-byte limit", maxLineBytes)

func (in *csvInput) Read(p []byte) (int, error) {
	if in.given < len(in.buf) {
		n := copy(p, in.buf[in.given:])
		in.given += n
		return n, nil
	}
	if in.start > 0 {
		// Finished records are not read again: most reads move only a partial row.
		in.lines += bytes.Count(in.buf[:in.start], []byte{'\n'})
		rest := in.buf[in.start:]
		if cap(in.buf) > 1<<22 && len(rest) < 1<<20 {
			// Grown by a quote left open over megabytes, which are read again by now.
			in.buf = append(make([]byte, 0, 1<<18), rest...)
		} else {
			in.buf = in.buf[:copy(in.buf, rest)]
		}
		in.origin += int64(in.start)
		in.start, in.given = 0, len(in.buf)
	}
	if len(in.buf)-in.start > maxLineBytes {
		return 0, errRecordTooLong
	}
	n, err := in.src.Read(p)
	in.buf = append(in.buf, p[:n]...)
	in.given = len(in.buf)
	return n, err
}

// recordEnd notes that the csv.Reader finished a record at its input offset off.
func (in *csvInput) recordEnd(off int64) { in.start = int(off - in.origin) }

// restart makes buf[from:] the start of a new csv.Reader's input.
func (in *csvInput) restart(from int) {
	in.start, in.given = from, from
	in.origin = -int64(from)
}

// newCSVReader starts a csv.Reader at the input's current place; cline is the file's line
// number of the line before it.
func (r *Reader) newCSVReader(cline int) {
	r.cbuf.Reset(r.cin) // what the last one buffered is in cin, to be given again
	cr := csv.NewReader(r.cbuf)
	cr.Comma = r.opts.Comma
	cr.FieldsPerRecord = -1 // checked per row, so a short row is a bad record, not the end
	cr.ReuseRecord = true
	r.cr, r.cline = cr, cline
}

// brokenCSV is the bad record of a record encoding/csv could not parse. It costs the
// record's first line only: the lines the csv.Reader took after it are read again by a new
// one, so a quote left open does not swallow the good rows that follow, nor, left open to
// the end, the rest of the file.
func (r *Reader) brokenCSV(perr *csv.ParseError) collectors.Record {
	in := r.cin
	end := int(r.cr.InputOffset() - in.origin) // the record's lines end here in buf
	// Its first line, after any blank lines encoding/csv skipped.
	ls := in.start
	le := lineEnd(in.buf, ls, end)
	for le < end && isBlankLine(in.buf[ls:le]) {
		ls, le = le, lineEnd(in.buf, le, end)
	}
	first := r.cline + perr.StartLine
	raw := bytes.TrimSuffix(bytes.TrimSuffix(in.buf[ls:le], []byte("\n")), []byte("\r"))
	err := fmt.Errorf("csv: %w (at byte %d of the line)", perr.Err, perr.Column)
	if le < end {
		err = fmt.Errorf("csv: %w (the record runs on to line %d, byte %d; the lines after this one are read again)", perr.Err, r.cline+perr.Line, perr.Column)
	}
	rec := r.bad(first, raw, err)
	if le == end {
		// Nothing taken beyond the line: the csv.Reader goes on with the next one.
		in.recordEnd(r.cr.InputOffset())
		return rec
	}
	in.restart(le)
	r.newCSVReader(first)
	return rec
}

// overlongCSV is the bad record of a record that took more than maxLineBytes. A record of
// many lines (a quote left open) costs its first line, as brokenCSV's do, and the lines
// after it are read again; one line that long (a dump pasted into a cell) costs itself, its
// first maxKeptBytes kept and the rest only counted.
func (r *Reader) overlongCSV() (collectors.Record, error) {
	in := r.cin
	ls, end := in.start, len(in.buf)
	le := lineEnd(in.buf, ls, end)
	for le < end && isBlankLine(in.buf[ls:le]) {
		ls, le = le, lineEnd(in.buf, le, end)
	}
	line := in.lines + bytes.Count(in.buf[:ls], []byte{'\n'}) + 1
	var rec collectors.Record
	if le < end {
		raw := bytes.TrimSuffix(bytes.TrimSuffix(in.buf[ls:le], []byte("\n")), []byte("\r"))
		rec = r.bad(line, raw[:min(len(raw), maxKeptBytes)], fmt.Errorf("%w, from this line on (a quote left open?); the lines after this one are read again", errRecordTooLong))
		in.restart(le)
	} else {
		kept, n, err := in.skipLine(ls)
		if err != nil {
			return collectors.Record{}, r.readFailed(fmt.Sprintf("%s:%d", r.path, line), err)
		}
		in.lines = line
		rec = r.tooLong(line, kept, n)
	}
	r.newCSVReader(line)
	return rec, nil
}

// skipLine drops the line that starts at buf[ls] and has no newline in buf, reading src to
// its end. It returns the line's first maxKeptBytes and its length, and leaves in buf only
// what was read after the line, to give next.
func (in *csvInput) skipLine(ls int) (kept []byte, n int, err error) {
	kept = bytes.Clone(in.buf[ls:min(len(in.buf), ls+maxKeptBytes)])
	n = len(in.buf) - ls
	buf := in.buf[:cap(in.buf)]
	for {
		m, rerr := in.src.Read(buf)
		if i := bytes.IndexByte(buf[:m], '\n'); i >= 0 {
			n += i + 1
			in.buf = buf[:copy(buf, buf[i+1:m])]
			break
		}
		n += m
		if errors.Is(rerr, io.EOF) {
			in.buf = buf[:0]
			break
		}
		if rerr != nil {
			return nil, 0, rerr
		}
	}
	in.restart(0)
	return kept, n, nil
}

// lineEnd is the end of the line starting at i in b[:end], past its newline.
func lineEnd(b []byte, i, end int) int {
	if n := bytes.IndexByte(b[i:end], '\n'); n >= 0 {
		return i + n + 1
	}
	return end
}

// isBlankLine reports whether encoding/csv skips line as empty.
func isBlankLine(line []byte) bool {
	switch string(line) {
	case "", "\n", "\r\n", "\r":
		return true
	}
	return false
}
