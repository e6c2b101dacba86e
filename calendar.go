package leakwatch

import (
	"sort"
	"time"
)

// Calendar event kinds with a meaning for timing; others ("debate", "convention") are context.
const (
	EventSilence = "silence"
	EventVote    = "vote"
	EventDebate  = "debate"
)

// Calendar is a campaign's schedule. Times are absolute (the file's local times resolved
// in its Timezone when loaded).
type Calendar struct {
	Name     string  `json:"name"`
	Timezone string  `json:"timezone"`
	Events   []Event `json:"events"`
}

// Event is one entry of the calendar.
type Event struct {
	ID    string    `json:"id"`
	Kind  string    `json:"kind"`
	Title string    `json:"title"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Sorted returns the events by start time, then id.
func (c Calendar) Sorted() []Event {
	ev := append([]Event(nil), c.Events...)
	sort.Slice(ev, func(i, j int) bool {
		if !ev[i].Start.Equal(ev[j].Start) {
			return ev[i].Start.Before(ev[j].Start)
		}
		return ev[i].ID < ev[j].ID
	})
	return ev
}
