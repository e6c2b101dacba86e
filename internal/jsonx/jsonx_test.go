package jsonx_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/internal/jsonx"
)

type record struct {
	ID    string          `json:"id"`
	At    time.Time       `json:"at"`
	Tags  []string        `json:"tags"`
	Raw   json.RawMessage `json:"raw"`
	Count int             `json:"count"`
}

func TestUnmarshalMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		`{"id":"a","at":"2017-05-05T18:35:12Z","tags":["x","y"],"raw":{"k":[1,2]},"count":3}`,
		`{"ID":"case","Count":1,"unknown":{"deep":[true,null]}}`,
		`{"id":"\u00e9l\u00e9ction \ud83d\uddf3","tags":null}`,
	}
	for _, in := range inputs {
		var got, want record
		if err := jsonx.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Errorf("%s:\n got %s\nwant %s", in, gb, wb)
		}
	}
}

func TestUnmarshalErrorsNameTheProblem(t *testing.T) {
	for in, want := range map[string]string{
		`{"id":"a","count":`:     "unexpected end of JSON input",
		`{"id":"a","count":"x"}`: "cannot unmarshal string into Go struct field record.count of type int",
		`[1,2]`:                  "cannot unmarshal array into Go value of type jsonx_test.record",
	} {
		var r record
		err := jsonx.Unmarshal([]byte(in), &r)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to say %q", in, err, want)
		}
	}
}

func TestUnmarshalLeavesNothingHalfDecoded(t *testing.T) {
	r := record{ID: "before"}
	if err := jsonx.Unmarshal([]byte(`{"tags":["a"],"count":"x"}`), &r); err == nil {
		t.Fatal("want an error")
	}
	if r.ID != "" {
		t.Errorf("ID = %q after a failed decode: the value was not reset before the second decoder ran", r.ID)
	}
}
