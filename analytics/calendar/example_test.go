package calendar_test

import (
	"fmt"
	"time"

	"github.com/leakwatch/leakwatch/analytics/calendar"
)

func ExamplePlace() {
	cal, err := calendar.Parse([]byte(`
name: France presidential 2017 (run-off)
timezone: Europe/Paris
events:
  - {id: silence-r2, kind: silence, start: 2017-05-06T00:00:00, end: 2017-05-07T20:00:00}
  - {id: vote-r2, kind: vote, start: 2017-05-07T08:00:00, end: 2017-05-07T20:00:00}
`))
	if err != nil {
		panic(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	refs, timing := calendar.Place(cal, time.Date(2017, 5, 5, 20, 35, 0, 0, paris))
	for _, r := range refs {
		fmt.Printf("%s %+d s\n", r.Event, r.OffsetS)
	}
	fmt.Printf("%.2f h to %s, %.2f h to %s, score %.2f\n", timing.HoursToSilence, timing.Silence, timing.HoursToVote, timing.NextVote, timing.Score)
	// Output:
	// silence-r2 -12300 s
	// vote-r2 -127500 s
	// 3.42 h to silence-r2, 35.42 h to vote-r2, score 1.00
}
