package main

import (
	"reflect"
	"testing"

	"github.com/leakwatch/leakwatch"
)

func TestParseRates(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []float64
		wantErr bool
	}{
		{"max", []float64{0}, false},
		{"max,10000", []float64{0, 10000}, false},
		{" 500 , max", []float64{500, 0}, false},
		{"0", nil, true},
		{"fast", nil, true},
		{"10k", nil, true},
	} {
		got, err := parseRates(tc.in)
		if (err != nil) != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseRates(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestPercentiles(t *testing.T) {
	v := make([]float64, 0, 100)
	for i := 100; i >= 1; i-- {
		v = append(v, float64(i))
	}
	got := percentiles(v)
	want := map[string]float64{"p50": 50, "p99": 99, "max": 100}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("percentiles(1..100) = %v, want %v", got, want)
	}
	if got := percentiles(nil); got != nil {
		t.Errorf("percentiles(nil) = %v, want nil", got)
	}
}

// The memory check relies on every account of the synthetic stream posting, in time order.
func TestSyntheticSourceUsesEveryAccount(t *testing.T) {
	s := &syntheticSource{nAccounts: 1000, posts: 2500}
	accounts := map[string]bool{}
	var last leakwatch.Post
	n := 0
	s.each(func(p *leakwatch.Post, c *leakwatch.SiteChange) bool {
		if p.CreatedAt.Before(last.CreatedAt) {
			t.Fatalf("post %s at %s comes before the previous one at %s", p.URI, p.CreatedAt, last.CreatedAt)
		}
		if len(p.Hashtags) != 1 || len(p.URLs) != 1 {
			t.Fatalf("post %s: want one hashtag and one URL, got %v %v", p.URI, p.Hashtags, p.URLs)
		}
		accounts[p.Author.ID] = true
		last = *p
		n++
		return true
	})
	if n != 2500 || len(accounts) != 1000 {
		t.Errorf("got %d posts from %d accounts, want 2500 from 1000", n, len(accounts))
	}
}
