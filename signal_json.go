package leakwatch

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// MarshalJSON writes the flat detections-file record: {"kind":"burst", ...burst fields}.
func (s Signal) MarshalJSON() ([]byte, error) {
	if s.Kind == SignalEdge && s.Edge != nil {
		if b, ok := s.Edge.appendJSON(make([]byte, 0, 160)); ok {
			return b, nil
		}
	}
	var body any
	switch s.Kind {
	case SignalBurst:
		body = s.Burst
	case SignalEdge:
		body = s.Edge
	case SignalGroup:
		body = s.Group
	case SignalLeak:
		body = s.Leak
	default:
		return nil, fmt.Errorf("signal kind %q: unknown", s.Kind)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return nil, fmt.Errorf("signal kind %q: no %s set", s.Kind, s.Kind)
	}
	out := make([]byte, 0, len(b)+20)
	out = append(out, `{"kind":"`...)
	out = append(out, s.Kind...)
	out = append(out, '"')
	if len(b) > 2 {
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}

// UnmarshalJSON reads a detections-file record back.
func (s *Signal) UnmarshalJSON(b []byte) error {
	var head struct {
		Kind SignalKind `json:"kind"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	*s = Signal{Kind: head.Kind}
	switch head.Kind {
	case SignalBurst:
		s.Burst = new(Burst)
		return json.Unmarshal(b, s.Burst)
	case SignalEdge:
		s.Edge = new(Edge)
		return json.Unmarshal(b, s.Edge)
	case SignalGroup:
		s.Group = new(Group)
		return json.Unmarshal(b, s.Group)
	case SignalLeak:
		s.Leak = new(Leak)
		return json.Unmarshal(b, s.Leak)
	}
	return fmt.Errorf("signal kind %q: unknown", head.Kind)
}

// appendJSON appends the edge record as MarshalJSON writes it through encoding/json, when
// every field is of the plain form nearly all are (strings of printable ASCII with nothing to
// escape, UTC times of years 0-9999, a score written without an exponent); ok is false
// otherwise, and nothing is to be used. Edges are nearly every record of a detections file,
// and encoding/json compacted each time field again after writing it: writing the file was
// a fiftieth of a batch analysis.
func (e *Edge) appendJSON(b []byte) (_ []byte, ok bool) {
	b = append(b, `{"kind":"edge"`...)
	for _, f := range [...]struct {
		key, s    string
		omitEmpty bool
	}{{`,"object_kind":`, string(e.ObjectKind), false}, {`,"a":`, e.A, false}, {`,"b":`, e.B, false},
		{`,"a_handle":`, e.AHandle, true}, {`,"b_handle":`, e.BHandle, true}} {
		if f.omitEmpty && f.s == "" {
			continue
		}
		if b, ok = appendPlainString(append(b, f.key...), f.s); !ok {
			return nil, false
		}
	}
	b = append(b, `,"weight":`...)
	b = strconv.AppendInt(b, int64(e.Weight), 10)
	for _, f := range [...]struct {
		key string
		t   time.Time
	}{{`,"first":`, e.First}, {`,"last":`, e.Last}} {
		if b, ok = appendPlainTime(append(b, f.key...), f.t); !ok {
			return nil, false
		}
	}
	if e.Score != 0 {
		// encoding/json writes 1e-6 <= |x| < 1e21 in the 'f' form; others, NaN and the
		// infinities (an error) are left to it.
		if a := math.Abs(e.Score); !(a >= 1e-6 && a < 1e21) {
			return nil, false
		}
		b = append(b, `,"score":`...)
		b = strconv.AppendFloat(b, e.Score, 'f', -1, 64)
	}
	return append(b, '}'), true
}

// appendPlainString appends s quoted when encoding/json would write it as it is: printable
// ASCII without '"', '\\' or the characters it escapes for HTML.
func appendPlainString(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

// appendPlainTime appends t as time.Time's MarshalJSON writes it, when t is in UTC and its
// year in 0-9999 (MarshalJSON refuses other years).
func appendPlainTime(b []byte, t time.Time) ([]byte, bool) {
	if t.Location() != time.UTC {
		return b, false
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}
