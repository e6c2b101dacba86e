package scenario

import (
	_ "embed"
	"sync"
	"time"
	_ "time/tzdata" // the scenario is set in Paris time on any machine

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/calendar"
)

// CalendarYAML is the French 2017 presidential calendar the scenario is set in, shipped with
// the generator so a demo needs no data directory.
//
//go:embed calendar_fr2017.yaml
var CalendarYAML []byte

var paris = mustLoc("Europe/Paris")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

var parsed = sync.OnceValue(func() leakwatch.Calendar {
	c, err := calendar.Parse(CalendarYAML)
	if err != nil {
		panic("scenario: embedded calendar: " + err.Error())
	}
	return c
})

// Calendar is CalendarYAML parsed.
func Calendar() leakwatch.Calendar {
	c := parsed()
	c.Events = append([]leakwatch.Event(nil), c.Events...)
	return c
}

func event(id string) (leakwatch.Event, bool) {
	for _, e := range parsed().Events {
		if e.ID == id {
			return e, true
		}
	}
	return leakwatch.Event{}, false
}

func silenceR2Start() time.Time {
	e, ok := event("silence-r2")
	if !ok {
		panic("scenario: embedded calendar has no silence-r2")
	}
	return e.Start
}
