package rules

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/entities"
)

// KindSiteChange is the rule kind for site changes (EvaluateChange); the others are signal kinds.
const KindSiteChange leakwatch.SignalKind = "site_change"

// Severities, lowest first.
var Severities = []string{"info", "warning", "critical"}

var kinds = []leakwatch.SignalKind{leakwatch.SignalBurst, leakwatch.SignalEdge, leakwatch.SignalGroup, leakwatch.SignalLeak, KindSiteChange}

// Config is the alerting policy: rules, and how to tell which candidate a signal is about.
type Config struct {
	Rules []Rule `yaml:"rules"`
	// Candidates label alerts whose object is not a candidate:ID key: a signal is about the
	// first candidate one of whose Match strings (case- and accent-folded) occurs in its
	// object, its group's objects, its evidence, or a changed site's target or URL.
	Candidates []Candidate `yaml:"candidates"`
	// Link, when set, is the alert's link for analysts (Alertmanager's generatorURL), with
	// {object}, {candidate}, {kind}, {from_ms} and {to_ms} replaced (query-escaped; the
	// times are the signal's start and raise time in Unix milliseconds, as Grafana's from/to
	// take, widened evenly to at least an hour).
	Link string `yaml:"link"`
	// EveryRule raises every matching rule's alert for a signal. By default only the most
	// severe one fires (the first in rule order among equals), so one leak is one page.
	EveryRule bool `yaml:"every_rule"`
	// Labels are added to every alert ({election: fr-2017-r2}), for routing in Alertmanager
	// and in webhook consumers; a rule's own Labels win over them.
	Labels map[string]string `yaml:"labels"`

	// matchers are Candidates' match strings folded, made once by WithCandidates: a
	// campaign's few dozen strings were folded again for every signal labelled.
	matchers []matcher
}

// candidateMatchers are the folded match strings of c.Candidates.
func (c Config) candidateMatchers() []matcher {
	if c.matchers != nil {
		return c.matchers
	}
	return compileMatchers(c.Candidates)
}

// CandidatesFrom turns the extraction's candidates into alert labelling candidates: their
// names, aliases, handles and hashtags are the match strings.
func CandidatesFrom(cs []entities.Candidate) []Candidate {
	out := make([]Candidate, 0, len(cs))
	for _, c := range cs {
		var match []string
		for _, list := range [][]string{c.Names, c.Aliases, c.Handles, c.Hashtags} {
			for _, m := range list {
				if m != "" && !slices.Contains(match, m) {
					match = append(match, m)
				}
			}
		}
		if c.ID != "" && len(match) > 0 {
			out = append(out, Candidate{ID: c.ID, Match: match})
		}
	}
	return out
}

// WithCandidates returns c labelling with cands as well: those whose id c does not list
// already are appended, so a rules section naming its own candidates keeps them first.
func (c Config) WithCandidates(cands []Candidate) Config {
	out := c
	out.Candidates = slices.Clone(c.Candidates)
	for _, x := range cands {
		if !slices.ContainsFunc(out.Candidates, func(y Candidate) bool { return y.ID == x.ID }) {
			out.Candidates = append(out.Candidates, x)
		}
	}
	out.matchers = compileMatchers(out.Candidates)
	return out
}

// Candidate names the strings that tie a signal to a candidate.
type Candidate struct {
	ID    string   `yaml:"id"`
	Match []string `yaml:"match"`
}

// Rule raises an alert for each signal of Kind that passes every threshold set (a zero
// threshold is not checked).
type Rule struct {
	Name     string               `yaml:"name"` // the alertname label
	Kind     leakwatch.SignalKind `yaml:"kind"` // burst, edge, group, leak, site_change
	Severity string               `yaml:"severity"`

	// Filters on what the signal is about.
	ObjectKinds []leakwatch.ObjectKind `yaml:"object_kinds"` // burst, leak: the object's kind; edge: its object kind
	Candidates  []string               `yaml:"candidates"`   // only signals about these candidate ids
	Evidence    []string               `yaml:"evidence"`     // burst, group, leak: some evidence starts with one of these

	MinScore    float64 `yaml:"min_score"`    // burst, edge, group, leak: the signal's score
	MinCount    int     `yaml:"min_count"`    // burst: mentions
	MinAccounts int     `yaml:"min_accounts"` // burst: distinct accounts; group: size
	MinWeight   int     `yaml:"min_weight"`   // edge: co-shared objects

	// Timing against the calendar (burst, group, leak). A signal without timing fails them.
	MinTimingScore    float64 `yaml:"min_timing_score"`
	MaxHoursToSilence float64 `yaml:"max_hours_to_silence"` // inside a silence counts as 0
	MaxHoursToVote    float64 `yaml:"max_hours_to_vote"`    // during a vote counts as 0
	InSilence         bool    `yaml:"in_silence"`

	// Learning also raises the rule on bursts whose baseline was still learning the daily
	// rhythm (Burst.Learning: the first day of the input); by default they raise nothing,
	// as a candidate's first morning looks like a burst to a baseline that saw only a night.
	Learning bool `yaml:"learning"`
	// Slow also raises the rule on bursts of the hour scale (Burst.Slow); by default they
	// raise nothing: a candidate's mentions rising over an afternoon is the news cycle, and
	// an hour burst that is a leak raises the leak rules as a leak incident.
	Slow bool `yaml:"slow"`

	// Site changes.
	Defacement bool     `yaml:"defacement"` // only changes that look like a defacement
	Changed    []string `yaml:"changed"`    // only changes listing one of these

	// Labels are added to this rule's alerts ({team: security}), over the config's.
	Labels map[string]string `yaml:"labels"`
}

// reservedLabels are the labels every alert carries from what it is about: configured
// labels may not redefine them, or routing on them would lie.
var reservedLabels = []string{"alertname", "severity", "kind", "candidate", "object"}

// labelErrors checks configured labels: Prometheus label names, not reserved, values set.
func labelErrors(labels map[string]string) []string {
	var bad []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		switch {
		case !validLabelName(k):
			bad = append(bad, fmt.Sprintf("%q is not a label name (letters, digits and '_', not starting with a digit or \"__\")", k))
		case slices.Contains(reservedLabels, k):
			bad = append(bad, fmt.Sprintf("%q is set from the signal (reserved: %s)", k, strings.Join(reservedLabels, ", ")))
		case labels[k] == "":
			bad = append(bad, fmt.Sprintf("%q: empty value (Alertmanager drops empty labels)", k))
		}
	}
	return bad
}

func validLabelName(k string) bool {
	if k == "" || strings.HasPrefix(k, "__") || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	return strings.IndexFunc(k, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')
	}) < 0
}

// DefaultConfig returns the rules documented in docs/DETECTION.md ("Alert rules").
func DefaultConfig() Config {
	return Config{Rules: []Rule{
		// A leak score of 0.5 needs a dump link, a leak hashtag, two leak words or a site
		// change: a news article saying "piratage" alone does not page anyone.
		{Name: "LeakBeforeSilence", Kind: leakwatch.SignalLeak, Severity: "critical", MinScore: 0.5, MinTimingScore: 0.8},
		{Name: "LeakCandidate", Kind: leakwatch.SignalLeak, Severity: "warning", MinScore: 0.5},
		{Name: "CandidateBurst", Kind: leakwatch.SignalBurst, Severity: "warning", ObjectKinds: []leakwatch.ObjectKind{leakwatch.KindCandidate}, MinScore: 6},
		{Name: "StreamBurst", Kind: leakwatch.SignalBurst, Severity: "info", ObjectKinds: []leakwatch.ObjectKind{leakwatch.KindAll}, MinScore: 8},
		{Name: "CoordinatedGroup", Kind: leakwatch.SignalGroup, Severity: "warning", MinAccounts: 5},
		{Name: "SiteDefacement", Kind: KindSiteChange, Severity: "critical", Defacement: true},
		{Name: "SiteUnreachable", Kind: KindSiteChange, Severity: "warning", Changed: []string{"unreachable", "dns"}},
	}}
}

// Validate reports every rule and field that cannot work.
func (c Config) Validate() error {
	var errs []error
	names := map[string]int{}
	ids := map[string]bool{}
	for i, cand := range c.Candidates {
		where := fmt.Sprintf("rules: candidates[%d] %q", i, cand.ID)
		switch {
		case cand.ID == "":
			errs = append(errs, fmt.Errorf("rules: candidates[%d]: id: missing", i))
		case ids[cand.ID]:
			errs = append(errs, fmt.Errorf("%s: id: duplicate", where))
		case len(cand.Match) == 0:
			errs = append(errs, fmt.Errorf("%s: match: empty", where))
		}
		ids[cand.ID] = true
		if slices.Contains(cand.Match, "") {
			errs = append(errs, fmt.Errorf("%s: match: empty string matches everything", where))
		}
	}
	for _, b := range labelErrors(c.Labels) {
		errs = append(errs, fmt.Errorf("rules: labels: %s", b))
	}
	if c.Link != "" {
		if u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(c.Link)); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("rules: link %q: want an absolute URL such as https://grafana.example/d/leakwatch-overview?from={from_ms}&to={to_ms}", c.Link))
		}
	}
	for i, r := range c.Rules {
		where := fmt.Sprintf("rules: rules[%d] %q", i, r.Name)
		bad := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s: "+format, append([]any{where, field}, args...)...))
		}
		if r.Name == "" {
			bad("name", "missing")
		} else if strings.IndexFunc(r.Name, func(c rune) bool {
			return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.')
		}) >= 0 {
			bad("name", "use letters, digits, '_', '-' or '.' (it becomes the alertname label)")
		} else if j, dup := names[r.Name]; dup {
			bad("name", "duplicate of rules[%d]", j)
		}
		names[r.Name] = i
		if !slices.Contains(kinds, r.Kind) {
			bad("kind", "%q unknown (want burst, edge, group, leak or site_change)", r.Kind)
		}
		if !slices.Contains(Severities, r.Severity) {
			bad("severity", "%q unknown (want info, warning or critical)", r.Severity)
		}
		if slices.Contains(r.Candidates, "") {
			bad("candidates", "empty id")
		}
		for _, b := range labelErrors(r.Labels) {
			bad("labels", "%s", b)
		}
		only := func(field string, set bool, allowed ...leakwatch.SignalKind) {
			if set && !slices.Contains(allowed, r.Kind) {
				bad(field, "does not apply to %s rules", r.Kind)
			}
		}
		sig := []leakwatch.SignalKind{leakwatch.SignalBurst, leakwatch.SignalGroup, leakwatch.SignalLeak}
		only("object_kinds", len(r.ObjectKinds) > 0, leakwatch.SignalBurst, leakwatch.SignalLeak, leakwatch.SignalEdge)
		only("evidence", len(r.Evidence) > 0, sig...)
		only("min_score", r.MinScore != 0, leakwatch.SignalBurst, leakwatch.SignalGroup, leakwatch.SignalLeak, leakwatch.SignalEdge)
		only("min_count", r.MinCount != 0, leakwatch.SignalBurst)
		only("learning", r.Learning, leakwatch.SignalBurst)
		only("slow", r.Slow, leakwatch.SignalBurst)
		only("min_accounts", r.MinAccounts != 0, leakwatch.SignalBurst, leakwatch.SignalGroup)
		only("min_weight", r.MinWeight != 0, leakwatch.SignalEdge)
		only("min_timing_score", r.MinTimingScore != 0, sig...)
		only("max_hours_to_silence", r.MaxHoursToSilence != 0, sig...)
		only("max_hours_to_vote", r.MaxHoursToVote != 0, sig...)
		only("in_silence", r.InSilence, sig...)
		// An edge names two accounts and an object kind, no object or text a candidate could
		// be found in: a candidates filter there would silence the rule for good.
		only("candidates", len(r.Candidates) > 0, leakwatch.SignalBurst, leakwatch.SignalGroup, leakwatch.SignalLeak, KindSiteChange)
		only("defacement", r.Defacement, KindSiteChange)
		only("changed", len(r.Changed) > 0, KindSiteChange)
		for _, f := range []struct {
			field string
			v     float64
		}{{"min_score", r.MinScore}, {"max_hours_to_silence", r.MaxHoursToSilence}, {"max_hours_to_vote", r.MaxHoursToVote}} {
			if f.v < 0 {
				bad(f.field, "must not be negative, got %g", f.v)
			}
		}
		if r.MinCount < 0 || r.MinAccounts < 0 || r.MinWeight < 0 {
			bad("min_count", "min_count, min_accounts and min_weight must not be negative")
		}
		if r.MinTimingScore < 0 || r.MinTimingScore > 1 {
			bad("min_timing_score", "must be in [0,1], got %g", r.MinTimingScore)
		}
	}
	return errors.Join(errs...)
}
