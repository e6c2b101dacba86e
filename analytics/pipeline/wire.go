package pipeline

import (
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/burst"
	"github.com/leakwatch/leakwatch/analytics/calendar"
	"github.com/leakwatch/leakwatch/analytics/leak"
	"github.com/leakwatch/leakwatch/analytics/rules"
)

// The detectors as the stages use them: small interfaces, so stage tests can exercise the
// composition and the concrete packages stay swappable. The burst detector is the exception:
// it takes every mention by pointer, and through an interface that pointer would escape,
// putting each mention on the heap.
type (
	leakDetector interface {
		Burst(b leakwatch.Burst) *leakwatch.Leak
		Group(g leakwatch.Group) *leakwatch.Leak
		Change(sc leakwatch.SiteChange) []*leakwatch.Leak
		Published(keys ...string)
	}
	placer          func(t time.Time) ([]leakwatch.CalendarRef, leakwatch.Timing)
	evaluator       func(sig leakwatch.Signal) []leakwatch.Alert
	changeEvaluator func(sc leakwatch.SiteChange) []leakwatch.Alert
)

func newBurst(c Config) *burst.Scales { return burst.NewScales(c.Burst, c.slow()) }

func newEvidencer(c Config) *leak.Matcher { return leak.NewMatcher(c.Leak) }

func newLeak(c Config) leakDetector {
	var cal leakwatch.Calendar
	if c.Calendar != nil {
		cal = *c.Calendar
	}
	return leak.New(c.Leak, cal)
}

func newPlacer(c Config) placer {
	if c.Calendar == nil {
		return func(time.Time) ([]leakwatch.CalendarRef, leakwatch.Timing) { return nil, leakwatch.Timing{} }
	}
	cal := *c.Calendar
	return func(t time.Time) ([]leakwatch.CalendarRef, leakwatch.Timing) { return calendar.Place(cal, t) }
}

// rulesConfig is the alert rules with the extraction's candidates: a campaign names its
// candidates once, for matching posts and for labelling alerts and incidents.
func rulesConfig(c Config) rules.Config {
	return c.Rules.WithCandidates(rules.CandidatesFrom(c.Entities.Candidates))
}

func newEvaluator(c Config) evaluator {
	cfg := rulesConfig(c)
	// Bursts, groups and leaks reach the rules with the candidates they are about named
	// (Detect.placed, Correlate): the alerts' label is the first of them.
	return func(sig leakwatch.Signal) []leakwatch.Alert {
		return rules.EvaluateAbout(cfg, sig, recordCandidates(sig))
	}
}

// recordCandidates are the candidates sig's record names (none for an edge).
func recordCandidates(sig leakwatch.Signal) []string {
	switch {
	case sig.Kind == leakwatch.SignalBurst && sig.Burst != nil:
		return sig.Burst.Candidates
	case sig.Kind == leakwatch.SignalGroup && sig.Group != nil:
		return sig.Group.Candidates
	case sig.Kind == leakwatch.SignalLeak && sig.Leak != nil:
		return sig.Leak.Candidates
	}
	return nil
}

func newAbout(c Config) func(leakwatch.Signal) []string {
	cfg := rulesConfig(c)
	return func(sig leakwatch.Signal) []string { return rules.CandidatesOf(cfg, sig) }
}

func newNamed(c Config) func(texts ...string) []string {
	cfg := rulesConfig(c)
	return func(texts ...string) []string { return rules.NamedIn(cfg, texts...) }
}

func newChangeEvaluator(c Config) changeEvaluator {
	cfg := rulesConfig(c)
	return func(sc leakwatch.SiteChange) []leakwatch.Alert { return rules.EvaluateChange(cfg, sc) }
}
