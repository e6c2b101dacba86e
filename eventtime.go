package leakwatch

import (
	"fmt"
	"time"
)

// MinEventTime and MaxEventTime bound the event times leakwatch takes. A time outside them
// is a placeholder (0001-01-01, the Unix epoch) or a typo, never a post: one in 1970 would
// move the burst warm-up to 1970, and one past 2262 overflows the nanoseconds the analysis
// orders events by, after which every other post comes too late to count.
var (
	MinEventTime = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxEventTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) // excluded
)

// EventTimeOK reports whether t is within MinEventTime..MaxEventTime.
func EventTimeOK(t time.Time) bool { return !t.Before(MinEventTime) && t.Before(MaxEventTime) }

// EventTimeError is the reason a time outside MinEventTime..MaxEventTime is refused, with
// the time as spelt where it was read.
func EventTimeError(spelt string) error {
	return fmt.Errorf("%s: outside %d..%d, not a post time", spelt, MinEventTime.Year(), MaxEventTime.Year()-1)
}
