// Package jsonx decodes JSON with segmentio/encoding's speed and encoding/json's behaviour
// and error messages. Decoding dominates reading archives and topics (docs/PERFORMANCE.md),
// so every hot decoder goes through here.
package jsonx

import (
	"encoding/json"
	"reflect"

	fast "github.com/segmentio/encoding/json"
)

// Unmarshal decodes data into v, which must be a non-nil pointer, as json.Unmarshal does.
// On the rare input the fast decoder refuses, the standard one decodes it afresh and has the
// last word: it names the problem more plainly ("unexpected end of JSON input"), and if it
// accepts what the fast one refused, its result stands.
func Unmarshal(data []byte, v any) error {
	if err := fast.Unmarshal(data, v); err == nil {
		return nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv.Elem().SetZero() // no half-decoded fields left from the fast attempt
	}
	return json.Unmarshal(data, v)
}

// Marshal encodes v as json.Marshal does.
func Marshal(v any) ([]byte, error) { return fast.Marshal(v) }
