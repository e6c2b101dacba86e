package wallclock

import (
	"testing"
	"time"
	_ "time/tzdata"
)

// Readings in Paris across both changes of 2017, and UTC left as it is.
func TestIn(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		reading string
		loc     *time.Location
		want    string
	}{
		{"2017-05-05T20:35:00", paris, "2017-05-05T18:35:00Z"},
		{"2017-01-15T20:35:00", paris, "2017-01-15T19:35:00Z"},
		{"2017-03-26T02:30:00", paris, "2017-03-26T01:30:00Z"}, // skipped: 03:30 CEST
		{"2017-10-29T02:30:00", paris, "2017-10-29T00:30:00Z"}, // repeated: the first, CEST
		{"2017-10-29T03:30:00", paris, "2017-10-29T02:30:00Z"},
		{"2017-05-05T20:35:00", time.UTC, "2017-05-05T20:35:00Z"},
	} {
		wall, err := time.Parse("2006-01-02T15:04:05", tc.reading)
		if err != nil {
			t.Fatal(err)
		}
		if got := In(wall, tc.loc).UTC().Format(time.RFC3339); got != tc.want {
			t.Errorf("In(%s, %s) = %s, want %s", tc.reading, tc.loc, got, tc.want)
		}
	}
}
