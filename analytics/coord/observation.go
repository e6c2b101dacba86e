package coord

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Observation says accounts A and B (A < B) co-shared Object, of kind Kind: A at AAt in post
// APost, B at BAt in post BPost, |AAt-BAt| <= W. Sharers is how many distinct accounts shared
// the object from the popularity window before the later share to W after it; it feeds the
// popularity weighting. The posts let the pair's evidence count two posts once however many
// objects they have in common (a retweet repeats the original's link, domain and hashtags).
//
// It is what the per-object detect stage hands to the cross-object correlate stage: on the
// signals topic it is keyed by Key() (the account pair and kind), so all observations of one
// edge meet in one partition.
type Observation struct {
	Kind   leakwatch.ObjectKind `json:"object_kind"`
	Object string               `json:"object"`
	A      string               `json:"a"`
	B      string               `json:"b"`
	AAt    time.Time            `json:"a_at"`
	BAt    time.Time            `json:"b_at"`
	APost  string               `json:"a_post,omitempty"`
	BPost  string               `json:"b_post,omitempty"`
	// AHandle and BHandle are the accounts' handles in those posts (Mention.Handle), for
	// naming a group's first movers; empty when the accounts are known by their handles.
	AHandle string `json:"a_handle,omitempty"`
	BHandle string `json:"b_handle,omitempty"`
	Sharers int    `json:"sharers"`
	// Evidence is the leak evidence both posts carried (Mention.Evidence), so a group
	// learns what its co-shares pointed to; never set for near-duplicate bands, whose
	// text's other objects carry it.
	Evidence []string `json:"evidence,omitempty"`
}

// ObservationKind is the "kind" field of an Observation's JSON form, so it can share the
// signals topic with detections without being mistaken for one.
const ObservationKind = "coshare"

// Key is the edge the observation counts towards: "coshare|KIND|A|B".
func (o Observation) Key() string {
	return ObservationKind + "|" + string(o.Kind) + "|" + o.A + "|" + o.B
}

// At is when the co-share became observable: the later of the two shares.
func (o Observation) At() time.Time {
	if o.AAt.After(o.BAt) {
		return o.AAt
	}
	return o.BAt
}

type observationJSON struct {
	Kind string `json:"kind"`
	observationBody
}

type observationBody Observation

// MarshalJSON writes {"kind":"coshare","object_kind":...}.
func (o Observation) MarshalJSON() ([]byte, error) {
	return json.Marshal(observationJSON{Kind: ObservationKind, observationBody: observationBody(o)})
}

// UnmarshalJSON reads the form MarshalJSON writes and checks it is a whole observation.
func (o *Observation) UnmarshalJSON(b []byte) error {
	var v observationJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Kind != ObservationKind {
		return fmt.Errorf("co-share observation: kind %q, want %q", v.Kind, ObservationKind)
	}
	*o = Observation(v.observationBody)
	if err := o.Validate(); err != nil {
		return err
	}
	return nil
}

// Validate checks the fields a correlate stage relies on.
func (o Observation) Validate() error {
	switch {
	case !shareKind(o.Kind):
		return fmt.Errorf("co-share observation: object_kind %q is not a co-share kind", o.Kind)
	case o.Object == "":
		return fmt.Errorf("co-share observation: empty object")
	case o.A == "" || o.B == "" || o.A >= o.B:
		return fmt.Errorf("co-share observation: accounts %q, %q: want a < b", o.A, o.B)
	case o.AAt.IsZero() || o.BAt.IsZero():
		return fmt.Errorf("co-share observation: missing share time")
	case o.Sharers < 2:
		return fmt.Errorf("co-share observation: sharers %d, want >= 2", o.Sharers)
	}
	return nil
}
