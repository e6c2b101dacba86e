// Package wallclock places a wall clock reading written without an offset (a calendar's
// "2017-05-05T20:00", a CSV's "2017-05-05 20:35:00") in a time zone, the same way for every
// reader of such times. It imports nothing of leakwatch.
package wallclock

import "time"

// In is the instant a wall clock reading shows in loc; wall is the reading parsed as if in
// UTC (time.Parse of a layout without an offset). Around a DST change Go's time.Date leaves the choice open
// (and makes different ones in different zones), so it is made here: a reading the change
// repeats is its first occurrence, one the change skips moves forward by the gap (02:30 on
// a spring-forward night is 03:30 in the new offset).
func In(wall time.Time, loc *time.Location) time.Time {
	if loc == time.UTC {
		return wall
	}
	// The offsets in force a day either side cover any change near the reading.
	_, before := wall.Add(-24 * time.Hour).In(loc).Zone()
	_, after := wall.Add(24 * time.Hour).In(loc).Zone()
	var first time.Time
	for _, off := range []int{before, after} {
		t := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if _, o := t.Zone(); o == off && (first.IsZero() || t.Before(first)) {
			first = t // shows the reading: repeated readings have two, take the earlier
		}
	}
	if first.IsZero() { // skipped: the offset before the change, which lands after it
		first = wall.Add(-time.Duration(before) * time.Second).In(loc)
	}
	return first
}
