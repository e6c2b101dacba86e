package pipeline

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/coord"
)

// A near-duplicate edge needs more band objects than one pair of texts shares, so the
// neartext weight follows near_text.bands as a config file sets them; coord.kinds.neartext,
// when given, is taken as given. The weight was fixed at the default bands' 10 before the
// file was read, and a config of 6 bands needed 10 of them: its near-duplicate edges fell
// from 67 to 24 on a scenario.
func TestNearTextWeightFollowsBands(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       coord.KindConfig
	}{
		{"default", ``, coord.KindConfig{MinWeight: 10, Evidence: 1.0 / 9}},
		{"bands set", "entities: {near_text: {bands: 6, rows: 5}}", coord.KindConfig{MinWeight: 7, Evidence: 1.0 / 6}},
		{"other kinds set", "entities: {near_text: {bands: 6, rows: 5}}\ncoord: {kinds: {url: {min_weight: 3}}}", coord.KindConfig{MinWeight: 7, Evidence: 1.0 / 6}},
		{"weight set", "entities: {near_text: {bands: 6, rows: 5}}\ncoord: {kinds: {neartext: {min_weight: 4}}}", coord.KindConfig{MinWeight: 4}},
	} {
		cfg := DefaultConfig()
		if err := yaml.Unmarshal([]byte(c.yaml), &cfg); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := cfg.coord().Kinds[leakwatch.KindNearText]; got != c.want {
			t.Errorf("%s: neartext %+v, want %+v", c.name, got, c.want)
		}
	}
	if cfg := DefaultConfig(); cfg.coord().Kinds[leakwatch.KindURL] != (coord.KindConfig{}) {
		t.Error("a kind nobody set is configured")
	}
}
