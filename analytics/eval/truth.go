package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Operation kinds a scenario injects.
const (
	OpLeakDump    = "leak_dump"
	OpRetweetRing = "retweet_ring"
	OpDefacement  = "defacement"
)

// Truth is what a scenario really contains: truth.json beside its posts.
type Truth struct {
	Scenario string    `json:"scenario"`
	Seed     uint64    `json:"seed"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Calendar string    `json:"calendar,omitempty"`
	Posts    int       `json:"posts"`
	// OrganicAccounts are the accounts acting on their own; they should be in no group.
	OrganicAccounts []string    `json:"organic_accounts"`
	Operations      []Operation `json:"operations"`
}

// Operation is one injected coordinated action.
type Operation struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Description string `json:"description,omitempty"`
	// Accounts are every account run by the operation (seeders included); a detector should
	// put them in coordinated groups.
	Accounts []string `json:"accounts,omitempty"`
	// Seeders are the accounts that posted first.
	Seeders []string `json:"seeders,omitempty"`
	// Onset is the operation's first action; End its last.
	Onset time.Time `json:"onset"`
	End   time.Time `json:"end"`
	// Objects are the object keys the operation pushed, as extraction writes them
	// ("hashtag:macronleaks", "url:...", "domain:pastebin.com", "reshare_of:..."). A burst on
	// any of them times the operation.
	Objects []string `json:"objects,omitempty"`
	// Target is the website of a defacement.
	Target string `json:"target,omitempty"`
	// Leak is the leak detection expected, when the operation is (part of) a leak.
	Leak *ExpectedLeak `json:"leak,omitempty"`
}

// ExpectedLeak is the leak a detector should report.
type ExpectedLeak struct {
	Onset time.Time `json:"onset"`
	// Objects: a leak detection on any of them (or naming one in its evidence) counts.
	Objects []string `json:"objects"`
	// Evidence: a leak detection whose evidence contains any of these strings counts too
	// (a defacement is found through its site target).
	Evidence []string `json:"evidence,omitempty"`
	// Silence is the calendar's silence event the leak was timed against: the one it fell
	// in (InSilence, HoursToSilence 0) or the next one. Empty after the last silence. The
	// fields mean what a detection's timing means (docs/DETECTION.md, "Timing").
	Silence        string  `json:"silence,omitempty"`
	InSilence      bool    `json:"in_silence,omitempty"`
	HoursToSilence float64 `json:"hours_to_silence,omitempty"`
}

// CoordinatedAccounts is the union of every operation's accounts.
func (t Truth) CoordinatedAccounts() map[string]bool {
	out := map[string]bool{}
	for _, op := range t.Operations {
		for _, a := range op.Accounts {
			out[a] = true
		}
	}
	return out
}

// Validate checks that the truth can be scored; errors name the operation and field.
func (t Truth) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, op := range t.Operations {
		name := fmt.Sprintf("operations[%d] (%s)", i, op.ID)
		switch {
		case op.ID == "":
			errs = append(errs, fmt.Errorf("operations[%d]: id is empty", i))
		case seen[op.ID]:
			errs = append(errs, fmt.Errorf("%s: id used twice", name))
		}
		seen[op.ID] = true
		if op.Onset.IsZero() {
			errs = append(errs, fmt.Errorf("%s: onset is missing", name))
		}
		if len(op.Accounts) == 0 && op.Target == "" {
			errs = append(errs, fmt.Errorf("%s: neither accounts nor a target", name))
		}
	}
	return errors.Join(errs...)
}

// ParseTruth reads truth.json.
func ParseTruth(b []byte) (Truth, error) {
	var t Truth
	if err := json.Unmarshal(b, &t); err != nil {
		return Truth{}, fmt.Errorf("truth: %w", err)
	}
	return t, t.Validate()
}

// ErrOtherData marks detections that cannot come from the posts a truth describes.
var ErrOtherData = errors.New("not the same data")

// SameData says why sigs cannot be detections of the posts t describes, wrapping
// ErrOtherData; nil when they can. Scored against the wrong truth they would only read as a
// poor detector. They cannot when records carry times and none falls in the truth's window
// (burst onsets, edge and group firsts, leak starts), or when they name accounts (in edges
// and groups) and the truth, listing its accounts, knows none of them: another seed over the
// same window draws other account ids. A check with nothing to compare passes, so detections
// that found nothing are scored as such.
func (t Truth) SameData(sigs []leakwatch.Signal) error {
	var first, last time.Time
	var inside bool
	named := map[string]bool{}
	for _, s := range sigs {
		var at time.Time
		var accounts []string
		switch {
		case s.Kind == leakwatch.SignalBurst && s.Burst != nil:
			at = s.Burst.Onset
		case s.Kind == leakwatch.SignalEdge && s.Edge != nil:
			at, accounts = s.Edge.First, []string{s.Edge.A, s.Edge.B}
		case s.Kind == leakwatch.SignalGroup && s.Group != nil:
			at, accounts = s.Group.First, s.Group.Accounts
		case s.Kind == leakwatch.SignalLeak && s.Leak != nil:
			at = began(s.Leak)
		}
		for _, a := range accounts {
			named[a] = true
		}
		if at.IsZero() {
			continue
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if last.IsZero() || at.After(last) {
			last = at
		}
		if !at.Before(t.Start) && !at.After(t.End) {
			inside = true
		}
	}
	if !t.Start.IsZero() && !t.End.IsZero() && !first.IsZero() && !inside {
		return fmt.Errorf("detections span %s, the truth's window %s: %w", span(first, last), span(t.Start, t.End), ErrOtherData)
	}
	known := t.CoordinatedAccounts()
	for _, a := range t.OrganicAccounts {
		known[a] = true
	}
	if len(named) == 0 || len(known) == 0 {
		return nil
	}
	for a := range named {
		if known[a] {
			return nil
		}
	}
	return fmt.Errorf("none of the %d accounts in detected edges and groups is among the truth's %d (organic and coordinated): %w", len(named), len(known), ErrOtherData)
}

func span(from, to time.Time) string {
	const layout = "2006-01-02 15:04"
	return from.UTC().Format(layout) + ".." + to.UTC().Format(layout) + " UTC"
}
