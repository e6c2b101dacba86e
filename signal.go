package leakwatch

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// SignalKind names a detection record; it is the "kind" field of detections.jsonl.
type SignalKind string

// Signal kinds.
const (
	SignalBurst SignalKind = "burst"
	SignalEdge  SignalKind = "edge"
	SignalGroup SignalKind = "group"
	SignalLeak  SignalKind = "leak"
)

// Signal is one detection. Exactly one of the pointers is set, matching Kind.
// Its JSON form is the flat record of the detections file (see MarshalJSON).
type Signal struct {
	Kind  SignalKind
	Burst *Burst
	Edge  *Edge
	Group *Group
	Leak  *Leak
}

// Complete reports what a detections-file record lacks that every record leakwatch writes
// has: a burst's object and onset, an edge's kind and accounts, a group's id and accounts, a
// leak's object and onset. Readers of such files refuse the record rather than show a row
// of blanks.
func (s Signal) Complete() error {
	var missing []string
	need := func(ok bool, field string) {
		if !ok {
			missing = append(missing, field)
		}
	}
	switch {
	case s.Kind == SignalBurst && s.Burst != nil:
		need(strings.Contains(s.Burst.Object, ":"), "object (KIND:VALUE)")
		need(!s.Burst.Onset.IsZero(), "onset")
	case s.Kind == SignalEdge && s.Edge != nil:
		need(s.Edge.ObjectKind != "", "object_kind")
		need(s.Edge.A != "", "a")
		need(s.Edge.B != "", "b")
	case s.Kind == SignalGroup && s.Group != nil:
		need(s.Group.ID != "", "id")
		need(len(s.Group.Accounts) > 0, "accounts")
	case s.Kind == SignalLeak && s.Leak != nil:
		need(strings.Contains(s.Leak.Object, ":"), "object (KIND:VALUE)")
		need(!s.Leak.Onset.IsZero(), "onset")
	default:
		return fmt.Errorf("a %q record without its fields", s.Kind)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s record without %s", s.Kind, strings.Join(missing, ", "))
	}
	return nil
}

// Key identifies the thing a signal describes, so a later signal with the same key
// supersedes an earlier one (a burst that grew, an edge whose weight rose).
func (s Signal) Key() string {
	switch s.Kind {
	case SignalBurst:
		return "burst|" + s.Burst.Object + "|" + s.Burst.Onset.UTC().Format(time.RFC3339)
	case SignalEdge:
		return "edge|" + string(s.Edge.ObjectKind) + "|" + s.Edge.A + "|" + s.Edge.B
	case SignalGroup:
		return GroupKey(s.Group.ID)
	case SignalLeak:
		return "leak|" + s.Leak.Object + "|" + s.Leak.Onset.UTC().Format(time.RFC3339)
	}
	return ""
}

// GroupKey is the Key of the group signal with id: what a superseded group id names among
// keys (Group.Supersedes lists ids).
func GroupKey(id string) string { return "group|" + id }

// CalendarRef places a time against one calendar event: OffsetS is seconds from the event's
// start (negative: before it).
type CalendarRef struct {
	Event   string `json:"event"`
	Kind    string `json:"kind,omitempty"`
	OffsetS int64  `json:"offset_s"`
}

// Burst is a period in which an object was shared far above its baseline.
type Burst struct {
	Object   string        `json:"object"`
	Onset    time.Time     `json:"onset"`
	Peak     time.Time     `json:"peak"`
	End      time.Time     `json:"end"`
	Count    int           `json:"count"`
	Baseline float64       `json:"baseline"` // expected count over the same span
	Score    float64       `json:"score"`
	Accounts int           `json:"accounts,omitempty"` // distinct sharers
	Evidence []string      `json:"evidence,omitempty"` // leak evidence seen in its posts
	Calendar []CalendarRef `json:"calendar,omitempty"`
	Timing   *Timing       `json:"timing,omitempty"`
	// Learning says the burst began within the first day of the input (burst.learning) on
	// an object already active then: its baseline had not seen the object's daily rhythm
	// whole, so a routine daily rise can look like a burst. The alert rules skip it unless
	// a rule asks for such bursts.
	Learning bool `json:"learning,omitempty"`
	// Candidates are the campaign candidates the burst is about, by id: a candidate:ID
	// object's own, else those its object and evidence name, as Leak.Candidates.
	Candidates []string `json:"candidates,omitempty"`
	// Slow marks a burst of the hour scale (analysis.slow_burst): a rise too slow for minute
	// buckets, such as a campaign pushed a few posts an hour, reported where no minute burst
	// of the object overlaps it. Its onset, peak and end are to the hour, and the alert
	// rules skip it unless a rule says otherwise.
	Slow bool `json:"slow,omitempty"`
}

// CompareBursts ranks bursts for display, strongest first: minute bursts before slow ones,
// then by score. Scores of the two scales do not compare: an hour bucket holds sixty minutes'
// counts, so an article shared all afternoon outscores the amplification of a dump.
func CompareBursts(a, b Burst) int {
	if a.Slow != b.Slow {
		if a.Slow {
			return 1
		}
		return -1
	}
	return cmp.Compare(b.Score, a.Score)
}

// Edge is the co-share relation of DESIGN.md: A and B (A < B) co-shared Weight distinct
// objects of ObjectKind within the window.
type Edge struct {
	ObjectKind ObjectKind `json:"object_kind"`
	A          string     `json:"a"`
	B          string     `json:"b"`
	// AHandle and BHandle are the accounts' handles, when they are known by ids (as a
	// group's FirstMoverHandles).
	AHandle string    `json:"a_handle,omitempty"`
	BHandle string    `json:"b_handle,omitempty"`
	Weight  int       `json:"weight"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	// Score weighs the edge against how popular its objects were (higher: less likely by chance).
	Score float64 `json:"score,omitempty"`
}

// Group is a connected component of coordinated edges, with its evidence.
type Group struct {
	ID       string   `json:"id"`
	Accounts []string `json:"accounts"`
	// AccountHandles are the accounts' handles, in Accounts' order ("" for one whose handle
	// is not known), when the accounts are known by ids; absent when no handle is known.
	AccountHandles []string     `json:"account_handles,omitempty"`
	ObjectKinds    []ObjectKind `json:"object_kinds"`
	First          time.Time    `json:"first"`
	Last           time.Time    `json:"last"`
	// Formed is when the group became coordinated: the earliest time one of its edges had
	// co-shared M distinct objects (the later share of the M-th). First is its earliest
	// co-share, which may be a chance one days before (docs/DETECTION.md, "Groups"); the
	// group's calendar position and timing, and its alerts, are taken at Formed.
	Formed      time.Time `json:"formed,omitzero"`
	Objects     []string  `json:"objects,omitempty"`      // the most shared objects
	FirstMovers []string  `json:"first_movers,omitempty"` // accounts that shared first
	// FirstMoverHandles are the first movers' handles, in FirstMovers' order ("" for one
	// whose handle is not known), when the accounts are known by ids (Mention.Handle): an id
	// says nothing to an analyst. Absent when no handle is known.
	FirstMoverHandles []string `json:"first_mover_handles,omitempty"`
	Edges             int      `json:"edges,omitempty"`
	// Evidence is the leak evidence of the posts its members co-shared: values both posts of
	// a co-share carried, on at least two of its edges, most edges first.
	Evidence []string `json:"evidence,omitempty"`
	// EvidenceFirst and EvidenceLast are the earliest and latest co-shares that carried a
	// listed value naming a dump (NamesDump): when the group passed the dump round, which
	// can start days after its First and end long before its Last.
	EvidenceFirst time.Time     `json:"evidence_first,omitzero"`
	EvidenceLast  time.Time     `json:"evidence_last,omitzero"`
	Score         float64       `json:"score,omitempty"`
	Calendar      []CalendarRef `json:"calendar,omitempty"`
	Timing        *Timing       `json:"timing,omitempty"`
	// Supersedes lists ids this group was published under before it grew into or merged
	// with an older group: a live consumer drops those records, so each group appears once.
	Supersedes []string `json:"supersedes,omitempty"`
	// Candidates are the campaign candidates, by id, that the objects the group co-shared
	// name (those on at least two of its edges, most edges first), then those its evidence
	// names: which candidate a network pushed, or pushed against. The list only grows.
	Candidates []string `json:"candidates,omitempty"`
}

// CoordinatedAt is when the group became coordinated: Formed, or First for a record written
// before groups carried Formed.
func (g *Group) CoordinatedAt() time.Time {
	if g.Formed.IsZero() {
		return g.First
	}
	return g.Formed
}

// Leak is a leak incident: the related bursts and groups whose content points to a dump, or
// that follow a site change (docs/DETECTION.md, "Leaks").
type Leak struct {
	Object   string        `json:"object"`
	Onset    time.Time     `json:"onset"`
	Evidence []string      `json:"evidence"`
	Calendar []CalendarRef `json:"calendar,omitempty"`
	Timing   Timing        `json:"timing"`
	Score    float64       `json:"score,omitempty"`
	// Start is when the leak incident began: the earliest onset of its bursts and groups
	// that lead with dump evidence. Object and Onset, the record's key, are its first
	// candidate's and never change as the incident grows (so each update supersedes the
	// last), yet bursts are reported when they end, so an earlier one may come later.
	// Calendar and Timing place Start.
	Start time.Time `json:"start,omitzero"`
	// Supersedes lists the keys (Signal.Key) this incident was published under before: an
	// earlier burst or group joined it, or two incidents turned out to be one. Consumers
	// drop those records; the detections file carries none.
	Supersedes []string `json:"supersedes,omitempty"`
	// Candidates are the campaign candidates the incident is about, by id: those whose
	// candidate:ID objects it merged, then those whose names, handles or hashtags its object
	// and evidence name ("term:#macronleaks" names macron), in that order. Its alerts' candidate
	// label is the first. Empty when it names none, or no candidates are configured.
	Candidates []string `json:"candidates,omitempty"`
}

// Timing says where a time falls against the campaign calendar.
type Timing struct {
	InSilence      bool    `json:"in_silence"`
	Silence        string  `json:"silence,omitempty"` // the silence event it falls in, or the next one
	HoursToSilence float64 `json:"hours_to_silence,omitempty"`
	NextVote       string  `json:"next_vote,omitempty"`
	HoursToVote    float64 `json:"hours_to_vote,omitempty"`
	// Score in [0,1]: 1 when it landed where the candidate could not answer (in or just
	// before a silence period, or hours before a vote).
	Score float64 `json:"score"`
}

// FirstMoverNames is how to show the first movers: each one's handle where it is known,
// else its account.
func (g Group) FirstMoverNames() []string { return names(g.FirstMovers, g.FirstMoverHandles) }

// AccountNames is how to show the accounts, as FirstMoverNames.
func (g Group) AccountNames() []string { return names(g.Accounts, g.AccountHandles) }

// names is each account's handle where it is known, else the account.
func names(accounts, handles []string) []string {
	if len(handles) != len(accounts) {
		return accounts
	}
	out := make([]string, len(accounts))
	for i, a := range accounts {
		out[i] = cmp.Or(handles[i], a)
	}
	return out
}
