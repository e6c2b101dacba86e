package calendar

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

func load(t *testing.T, name string) leakwatch.Calendar {
	t.Helper()
	data, err := os.ReadFile(testenv.SharedData(t, "calendars/"+name))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func TestParseFrance2017(t *testing.T) {
	cal := load(t, "fr-2017-presidential.yaml")
	if cal.Name != "France presidential 2017" || cal.Timezone != "Europe/Paris" || len(cal.Events) != 9 {
		t.Fatalf("calendar = %q %q with %d events", cal.Name, cal.Timezone, len(cal.Events))
	}
	byID := map[string]leakwatch.Event{}
	for _, e := range cal.Events {
		byID[e.ID] = e
	}
	cases := []struct {
		id         string
		start, end string // UTC
	}{
		{"silence-r2", "2017-05-05T22:00:00Z", "2017-05-07T18:00:00Z"}, // summer time, UTC+2
		{"vote-r2", "2017-05-07T06:00:00Z", "2017-05-07T18:00:00Z"},
		{"debate-tf1-5", "2017-03-20T20:00:00Z", "2017-03-20T23:30:00Z"}, // still winter time, UTC+1
	}
	for _, c := range cases {
		e := byID[c.id]
		if got := e.Start.UTC().Format(time.RFC3339); got != c.start {
			t.Errorf("%s start = %s, want %s", c.id, got, c.start)
		}
		if got := e.End.UTC().Format(time.RFC3339); got != c.end {
			t.Errorf("%s end = %s, want %s", c.id, got, c.end)
		}
	}
	for i := 1; i < len(cal.Events); i++ {
		if cal.Events[i].Start.Before(cal.Events[i-1].Start) {
			t.Errorf("events not sorted by start at %s", cal.Events[i].ID)
		}
	}
}

func TestParseUS2016(t *testing.T) {
	cal := load(t, "us-2016-presidential.yaml")
	if cal.Timezone != "America/New_York" || len(cal.Events) != 8 {
		t.Fatalf("calendar %q with %d events", cal.Timezone, len(cal.Events))
	}
	last := cal.Events[len(cal.Events)-1]
	// Election day opens at 06:00 EST (UTC-5): summer time ended on 6 November.
	if last.ID != "vote" || last.Start.UTC().Format(time.RFC3339) != "2016-11-08T11:00:00Z" || last.End.UTC().Format(time.RFC3339) != "2016-11-09T06:00:00Z" {
		t.Errorf("last event = %+v", last)
	}
	if first := cal.Events[0]; first.ID != "rnc" || first.Start.UTC().Format(time.RFC3339) != "2016-07-18T04:00:00Z" {
		t.Errorf("first event = %+v", first)
	}
}

func TestParseErrors(t *testing.T) {
	head := "name: Test\ntimezone: Europe/Paris\nevents:\n"
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"end before start", head + "  - {id: a, kind: debate, start: 2017-05-03T21:00:00, end: 2017-05-03T20:00:00}\n", []string{`event "a"`, "line 4", "before start"}},
		{"unknown kind", head + "  - {id: a, kind: picnic, start: 2017-05-03T21:00:00}\n", []string{`event "a"`, `kind "picnic": unknown`}},
		{"duplicate id", head + "  - {id: a, kind: vote, start: 2017-05-03T08:00:00}\n  - {id: a, kind: vote, start: 2017-05-04T08:00:00}\n", []string{`event "a" (line 5)`, "duplicate of the event on line 4"}},
		{"missing id", head + "  - {kind: vote, start: 2017-05-03T08:00:00}\n", []string{"event 1 (line 4)", "id: missing"}},
		{"bad start", head + "  - {id: a, kind: vote, start: 5 May}\n", []string{`event "a"`, `start: "5 May"`}},
		{"missing start", head + "  - {id: a, kind: vote}\n", []string{`event "a"`, "start: missing"}},
		{"bad end", head + "  - {id: a, kind: vote, start: 2017-05-03T08:00:00, end: soon}\n", []string{`event "a"`, `end: "soon"`}},
		{"end date before start date", head + "  - {id: a, kind: silence, start: 2017-05-07, end: 2017-05-06}\n", []string{`event "a"`, "end 2017-05-06 is before start 2017-05-07"}},
		{"unknown zone", "name: Test\ntimezone: Mars/Olympus\nevents: []\n", []string{`timezone "Mars/Olympus"`}},
		{"the machine's zone", "name: Test\ntimezone: Local\nevents:\n  - {id: a, kind: vote, start: 2017-05-03T08:00:00}\n", []string{`timezone "Local"`, "campaign's zone"}},
		{"no zone", "name: Test\nevents: []\n", []string{"timezone: missing"}},
		{"no name", "timezone: UTC\n", []string{"name: missing"}},
		{"no events", "name: Test\ntimezone: UTC\n", []string{"events: none"}},
		{"typo field", head + "  - {id: a, kind: vote, strat: 2017-05-03T08:00:00}\n", []string{"strat"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// An empty calendar file says what it lacks, not the decoder's "EOF".
func TestCalendarEmptyFile(t *testing.T) {
	for _, data := range []string{"", "\n\n", "# France 2017\n"} {
		_, err := Parse([]byte(data))
		if want := "calendar: empty file: want name, timezone and events"; err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %q", data, err, want)
		}
	}
}

func TestParseForms(t *testing.T) {
	cal, err := Parse([]byte(`name: Forms
timezone: Europe/Paris
events:
  - {id: moment, kind: speech, start: "2017-05-05 20:35"}
  - {id: day, kind: deadline, start: 2017-05-05}
  - {id: days, kind: campaign, start: 2017-04-24, end: 2017-05-05}
  - {id: offset, kind: rally, start: "2017-05-05T20:35:00-04:00", end: "2017-05-05T23:00:00-04:00"}
  - {id: repeated, kind: speech, start: "2017-10-29T02:30"}
  - {id: skipped, kind: speech, start: "2017-03-26 02:30"}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range cal.Events {
		got[e.ID] = e.Start.UTC().Format(time.RFC3339) + " " + e.End.UTC().Format(time.RFC3339)
	}
	want := map[string]string{
		"moment": "2017-05-05T18:35:00Z 2017-05-05T18:35:00Z",
		"day":    "2017-05-04T22:00:00Z 2017-05-05T22:00:00Z", // a date alone is the whole day
		"days":   "2017-04-23T22:00:00Z 2017-05-05T22:00:00Z", // an end date: through that day
		"offset": "2017-05-06T00:35:00Z 2017-05-06T03:00:00Z",
		// The night clocks go back, 02:30 comes twice: its first occurrence (summer time);
		// the night they go forward it never comes: it moves forward, to 03:30 summer time.
		"repeated": "2017-10-29T00:30:00Z 2017-10-29T00:30:00Z",
		"skipped":  "2017-03-26T01:30:00Z 2017-03-26T01:30:00Z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("times = %v, want %v", got, want)
	}
}

func TestPlaceMacronLeaks(t *testing.T) {
	cal := load(t, "fr-2017-presidential.yaml")
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// The dump was posted on Friday 5 May 2017 at 20:35 Paris time.
	refs, tm := Place(cal, time.Date(2017, 5, 5, 20, 35, 0, 0, paris))
	wantRefs := []leakwatch.CalendarRef{
		{Event: "debate-r2", Kind: "debate", OffsetS: 47*3600 + 35*60},
		{Event: "silence-r2", Kind: "silence", OffsetS: -12300},
		{Event: "vote-r2", Kind: "vote", OffsetS: -(35*3600 + 25*60)},
	}
	if !reflect.DeepEqual(refs, wantRefs) {
		t.Errorf("refs = %+v\nwant %+v", refs, wantRefs)
	}
	wantTiming := leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 3.4167, NextVote: "vote-r2", HoursToVote: 35.4167, Score: 1}
	if tm != wantTiming {
		t.Errorf("timing = %+v\nwant %+v", tm, wantTiming)
	}
}

func TestPlaceTiming(t *testing.T) {
	fr := load(t, "fr-2017-presidential.yaml")
	us := load(t, "us-2016-presidential.yaml")
	utc := func(s string) time.Time {
		tt, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	cases := []struct {
		name   string
		cal    leakwatch.Calendar
		at     time.Time
		want   leakwatch.Timing
		lo, hi float64 // score bounds
	}{
		{"inside the run-off silence", fr, utc("2017-05-06T10:00:00Z"),
			leakwatch.Timing{InSilence: true, Silence: "silence-r2", NextVote: "vote-r2", HoursToVote: 20}, 1, 1},
		{"during the vote", fr, utc("2017-05-07T12:00:00Z"),
			leakwatch.Timing{InSilence: true, Silence: "silence-r2", NextVote: "vote-r2"}, 1, 1},
		{"a day and a half before the silence", fr, utc("2017-05-04T10:00:00Z"),
			leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 36, NextVote: "vote-r2", HoursToVote: 68}, 0.4, 0.45}, // 0.5^(30/24)
		{"after the election", fr, utc("2017-05-08T10:00:00Z"), leakwatch.Timing{}, 0, 0},
		// Podesta e-mails, Friday 7 October 2016 16:32 EDT: a month before the vote.
		{"Podesta release", us, utc("2016-10-07T20:32:00Z"),
			leakwatch.Timing{NextVote: "vote", HoursToVote: 758.4667}, 0, 0.001},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, tm := Place(c.cal, c.at)
			score := tm.Score
			tm.Score = 0
			if tm != c.want {
				t.Errorf("timing = %+v\nwant %+v", tm, c.want)
			}
			if score < c.lo || score > c.hi {
				t.Errorf("score = %g, want in [%g, %g]", score, c.lo, c.hi)
			}
		})
	}
	// The score never rises as a time moves away from the next silence.
	prev := 2.0
	for h := 0; h < 24*10; h++ {
		s := Score(fr.Events, utc("2017-05-05T22:00:00Z").Add(-time.Duration(h)*time.Hour))
		if s > prev || s < 0 || s > 1 {
			t.Fatalf("score %g at %dh before the silence after %g", s, h, prev)
		}
		prev = s
	}
}

func TestPlaceRefsWindow(t *testing.T) {
	us := load(t, "us-2016-presidential.yaml")
	refs, _ := Place(us, time.Date(2016, 10, 7, 20, 32, 0, 0, time.UTC))
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.Event)
	}
	// debate-1 (11 days before) and debate-3 (12 days after) are outside the 7-day window.
	if want := []string{"debate-vp", "debate-2"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("refs = %v, want %v", ids, want)
	}
	if refs, tm := Place(leakwatch.Calendar{}, time.Now()); refs != nil || tm != (leakwatch.Timing{}) {
		t.Errorf("empty calendar: %v %+v", refs, tm)
	}
}

// Go's time package resolves a reading a DST change skips or repeats differently in different
// zones; a calendar must not: the first occurrence, and forward over a gap, everywhere.
func TestDSTReadingsAnyZone(t *testing.T) {
	for _, c := range []struct{ zone, reading, want string }{
		{"America/New_York", "2016-11-06T01:30:00", "2016-11-06T05:30:00Z"}, // EDT, the first 01:30
		{"America/New_York", "2016-03-13T02:30:00", "2016-03-13T07:30:00Z"}, // 03:30 EDT
		{"Europe/Paris", "2017-10-29T02:30:00", "2017-10-29T00:30:00Z"},
		{"Europe/Paris", "2017-03-26T02:30:00", "2017-03-26T01:30:00Z"},
		{"Australia/Lord_Howe", "2017-04-02T01:45:00", "2017-04-01T14:45:00Z"}, // a half-hour change, repeated
		{"Europe/Paris", "2017-05-05T20:35:00", "2017-05-05T18:35:00Z"},
	} {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseTime(c.reading, loc)
		if err != nil || got.UTC().Format(time.RFC3339) != c.want {
			t.Errorf("%s in %s: %v %v, want %s", c.reading, c.zone, got.UTC(), err, c.want)
		}
	}
}

// A vote given as a date is under way all that day; a moment is under way at its instant.
func TestDateOnlyVoteIsTheWholeDay(t *testing.T) {
	cal, err := Parse([]byte(`name: Day
timezone: Europe/Paris
events:
  - {id: silence, kind: silence, start: "2017-05-07 09:00"}
  - {id: vote, kind: vote, start: 2017-05-07}
`))
	if err != nil {
		t.Fatal(err)
	}
	noon := time.Date(2017, 5, 7, 10, 0, 0, 0, time.UTC)
	if _, tm := Place(cal, noon); tm.NextVote != "vote" || tm.HoursToVote != 0 || tm.Score != 1 {
		t.Errorf("noon of the vote day: %+v, want the vote under way and timing score 1", tm)
	}
	at := time.Date(2017, 5, 7, 7, 0, 0, 0, time.UTC) // the silence moment's instant
	if _, tm := Place(cal, at); !tm.InSilence || tm.Score != 1 {
		t.Errorf("at a moment's instant: %+v, want it under way", tm)
	}
}

// An end date on the start's day runs through that day, also after a start at a time of day.
func TestEndDateOnTheStartsDay(t *testing.T) {
	cal, err := Parse([]byte("name: Test\ntimezone: UTC\nevents:\n  - {id: a, kind: silence, start: 2017-05-06T00:00:00, end: 2017-05-06}\n  - {id: b, kind: vote, start: 2017-05-07T08:00:00, end: 2017-05-07}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cal.Events {
		if want := time.Date(e.Start.Year(), e.Start.Month(), e.Start.Day()+1, 0, 0, 0, 0, time.UTC); !e.End.Equal(want) {
			t.Errorf("event %s ends %v, want %v", e.ID, e.End, want)
		}
	}
}
