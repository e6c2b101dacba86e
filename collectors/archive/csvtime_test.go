package archive

import (
	"testing"
	"time"
)

// TestTimeLayoutsExclusive: no time cell parses under two of the layouts, so trying the last
// one that worked first (parseTime) never changes a result.
func TestTimeLayoutsExclusive(t *testing.T) {
	times := []time.Time{
		time.Date(2016, 7, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2017, 5, 5, 18, 35, 12, 123456789, time.FixedZone("", 2*3600)),
		time.Date(2017, 12, 31, 23, 59, 59, 0, time.FixedZone("", -5*3600)),
	}
	for i, li := range timeLayouts {
		for _, at := range times {
			s := at.Format(li)
			for j, lj := range timeLayouts {
				if _, err := time.Parse(lj, s); j != i && err == nil {
					t.Errorf("%q (layout %q) also parses as %q", s, li, lj)
				}
			}
			for first := range timeLayouts {
				f := first
				got, err := parseTime(s, &f)
				want, werr := ParseTime(s)
				if err != nil || werr != nil || !got.Equal(want) || f != i {
					t.Errorf("%q starting at layout %d: %v %v, want %v %v, layout %d then %d", s, first, got, err, want, werr, i, f)
				}
			}
		}
	}
}
