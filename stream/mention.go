package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Mentions are the bulk of the traffic (about ten per post) and are read by every stage
// between extract and the warehouse, so they are written in a compact binary layout
// (mention/v3) instead of JSON: decoding JSON was the largest CPU cost of the processor
// (docs/PERFORMANCE.md). Version 1 (JSON) and version 2 (v3 without the handle) records are
// still read.
//
// Layout of a mention/v3 value, all integers varints (encoding/binary):
//
//	object, account, post, platform   each a length (uvarint) and UTF-8 bytes
//	at                                seconds since 1970 (varint), nanoseconds (uvarint)
//	evidence                          count (uvarint), then each as a length and bytes
//	handle                            a length and bytes (v3 only)
const mentionContentType = "application/x-leakwatch-mention"

// appendMention appends m's mention/v3 value to b.
func appendMention(b []byte, m leakwatch.Mention) []byte {
	for _, s := range [...]string{m.Object, m.Account, m.Post, m.Platform} {
		b = appendString(b, s)
	}
	b = binary.AppendVarint(b, m.At.Unix())
	b = binary.AppendUvarint(b, uint64(m.At.Nanosecond()))
	b = binary.AppendUvarint(b, uint64(len(m.Evidence)))
	for _, e := range m.Evidence {
		b = appendString(b, e)
	}
	return appendString(b, m.Handle)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// errTruncated is the reason for a value that ends inside a field.
var errTruncated = errors.New("value ends inside a field")

// mentionReader walks a mention/v2 value. Strings are cut from one copy of the value, so a
// decoded mention costs one allocation (plus its evidence slice), not one per field.
type mentionReader struct {
	s   string
	off int
	err error
}

func (r *mentionReader) uvarint(field string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := uvarint(r.s[r.off:])
	if n == 0 {
		r.err = fmt.Errorf("%s at byte %d: %w", field, r.off, errTruncated)
		return 0
	}
	if n < 0 {
		r.err = fmt.Errorf("%s at byte %d: malformed number (overflow or padding)", field, r.off)
		return 0
	}
	r.off += n
	return v
}

// varint undoes binary.AppendVarint's zig-zag encoding.
func (r *mentionReader) varint(field string) int64 {
	u := r.uvarint(field)
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// uvarint is binary.Uvarint on a string (no copy to a byte slice), refusing padded
// (non-minimal) encodings too, so one mention has exactly one encoding.
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if (i == binary.MaxVarintLen64-1 && c > 1) || (i > 0 && c == 0) {
				return 0, -(i + 1) // overflow, or padded
			}
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

func (r *mentionReader) str(field string) string {
	start := r.off
	n := r.uvarint(field)
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.s)-r.off) {
		r.err = fmt.Errorf("%s at byte %d: length %d: %w", field, start, n, errTruncated)
		return ""
	}
	s := r.s[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

// decodeMention reads a mention value of version 2 or 3.
func decodeMention(value []byte, version int) (leakwatch.Mention, error) {
	r := mentionReader{s: string(value)}
	m := leakwatch.Mention{Object: r.str("object"), Account: r.str("account"), Post: r.str("post"), Platform: r.str("platform")}
	sec, nsec := r.varint("at"), r.uvarint("at nanoseconds")
	if r.err == nil && nsec >= uint64(time.Second) {
		r.err = fmt.Errorf("at nanoseconds %d: want less than one second", nsec)
	}
	m.At = time.Unix(sec, int64(nsec)).UTC()
	n := r.uvarint("evidence count")
	if r.err == nil && n > uint64(len(r.s)-r.off) {
		// each item takes at least its length byte
		r.err = fmt.Errorf("evidence count %d at byte %d: %w", n, r.off, errTruncated)
	}
	if r.err == nil && n > 0 {
		m.Evidence = make([]string, n)
		for i := range m.Evidence {
			m.Evidence[i] = r.str("evidence")
		}
	}
	if version >= 3 {
		m.Handle = r.str("handle")
	}
	if r.err == nil && r.off != len(r.s) {
		r.err = fmt.Errorf("%d bytes after the last field", len(r.s)-r.off)
	}
	if r.err != nil {
		return leakwatch.Mention{}, r.err
	}
	return m, nil
}
