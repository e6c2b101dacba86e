// Package calendar loads a campaign calendar and places a time against it: offsets to the
// nearest events and where the time falls against the campaign silence and the vote.
//
// It is pure: it parses bytes it is given and does no I/O of its own, and must not import
// stream, warehouse, collectors or any Kafka or ClickHouse client.
package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // calendars name their zone; a slim deploy image may have no zoneinfo

	"gopkg.in/yaml.v3"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/wallclock"
)

// Kinds lists the event kinds a calendar may use. Silence and vote drive the timing score;
// the others are context for analysts.
var Kinds = []string{"announcement", "campaign", "convention", leakwatch.EventDebate, "deadline", "rally", leakwatch.EventSilence, "speech", leakwatch.EventVote}

// Local time layouts accepted for start and end, tried in order. A value with an offset
// (RFC 3339) is taken as written.
var layouts = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}

type file struct {
	Name     string      `yaml:"name"`
	Timezone string      `yaml:"timezone"`
	Events   []fileEvent `yaml:"events"`
}

type fileEvent struct {
	ID    string `yaml:"id"`
	Kind  string `yaml:"kind"`
	Title string `yaml:"title"`
	Start string `yaml:"start"`
	End   string `yaml:"end"`
	line  int
}

// UnmarshalYAML keeps the event's line for error messages and rejects unknown fields (the
// decoder's KnownFields does not reach through a custom unmarshaler).
func (e *fileEvent) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "id", "kind", "title", "start", "end":
			default:
				return fmt.Errorf("line %d: event field %q unknown (want id, kind, title, start, end)", k.Line, k.Value)
			}
		}
	}
	type plain fileEvent
	if err := n.Decode((*plain)(e)); err != nil {
		return err
	}
	e.line = n.Line
	return nil
}

// Parse reads a calendar in the YAML form of shared/calendars: local times without an offset
// are resolved in the file's timezone. Errors name the event, its line and the field. An
// event without an end is a moment (end = start).
func Parse(data []byte) (leakwatch.Calendar, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); errors.Is(err, io.EOF) { // nothing but blanks and comments
		return leakwatch.Calendar{}, errors.New("calendar: empty file: want name, timezone and events")
	} else if err != nil {
		return leakwatch.Calendar{}, fmt.Errorf("calendar: %w", err)
	}
	if f.Name == "" {
		return leakwatch.Calendar{}, errors.New("calendar: name: missing")
	}
	if f.Timezone == "" {
		return leakwatch.Calendar{}, fmt.Errorf("calendar %q: timezone: missing (an IANA zone such as Europe/Paris)", f.Name)
	}
	if f.Timezone == "Local" {
		// The machine's zone: the same file would place events differently on another machine.
		return leakwatch.Calendar{}, fmt.Errorf("calendar %q: timezone \"Local\": name the campaign's zone (an IANA zone such as Europe/Paris), not the machine's", f.Name)
	}
	loc, err := time.LoadLocation(f.Timezone)
	if err != nil {
		return leakwatch.Calendar{}, fmt.Errorf("calendar %q: timezone %q: %v", f.Name, f.Timezone, err)
	}
	if len(f.Events) == 0 {
		return leakwatch.Calendar{}, fmt.Errorf("calendar %q: events: none", f.Name)
	}
	cal := leakwatch.Calendar{Name: f.Name, Timezone: f.Timezone, Events: make([]leakwatch.Event, 0, len(f.Events))}
	seen := make(map[string]int)
	var errs []error
	for i, fe := range f.Events {
		where := fmt.Sprintf("calendar %q: event %d (line %d)", f.Name, i+1, fe.line)
		if fe.ID != "" {
			where = fmt.Sprintf("calendar %q: event %q (line %d)", f.Name, fe.ID, fe.line)
		}
		bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(where+": "+format, args...)) }
		if fe.ID == "" {
			bad("id: missing")
		} else if line, dup := seen[fe.ID]; dup {
			bad("id: duplicate of the event on line %d", line)
		} else {
			seen[fe.ID] = fe.line
		}
		if !slices.Contains(Kinds, fe.Kind) {
			bad("kind %q: unknown (want one of %s)", fe.Kind, strings.Join(Kinds, ", "))
		}
		start, err := parseTime(fe.Start, loc)
		if err != nil {
			bad("start: %v", err)
			continue
		}
		end := start
		if fe.End == "" && dateOnly(fe.Start) {
			// "vote: 2017-05-07" is the whole day, not its first instant.
			end = start.AddDate(0, 0, 1)
		}
		if fe.End != "" {
			if end, err = parseTime(fe.End, loc); err != nil {
				bad("end: %v", err)
				continue
			}
			if dateOnly(fe.End) {
				end = end.AddDate(0, 0, 1) // through that day
				if !end.After(start) {
					// The day before the start: through it ends where the event begins.
					bad("end %s is before start %s", fe.End, fe.Start)
					continue
				}
			}
		}
		if end.Before(start) {
			bad("end %s is before start %s", fe.End, fe.Start)
			continue
		}
		cal.Events = append(cal.Events, leakwatch.Event{ID: fe.ID, Kind: fe.Kind, Title: fe.Title, Start: start, End: end})
	}
	if err := errors.Join(errs...); err != nil {
		return leakwatch.Calendar{}, err
	}
	cal.Events = cal.Sorted()
	return cal, nil
}

// dateOnly says whether s is a date without a time of day.
func dateOnly(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func parseTime(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range layouts {
		if wall, err := time.Parse(l, s); err == nil { // the wall clock, read as if UTC
			return wallclock.In(wall, loc), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want a local time such as 2017-05-05T20:35:00 (or RFC 3339 with an offset)", s)
}
