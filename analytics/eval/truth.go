package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
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
	// Silence is the calendar's silence event the leak was timed against.
	Silence        string  `json:"silence,omitempty"`
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
