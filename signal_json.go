package leakwatch

import (
	"encoding/json"
	"fmt"
)

// MarshalJSON writes the flat detections-file record: {"kind":"burst", ...burst fields}.
func (s Signal) MarshalJSON() ([]byte, error) {
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
