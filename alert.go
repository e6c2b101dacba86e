package leakwatch

import (
	"fmt"
	"strings"
	"time"
)

// Alert is what a rule raised from a signal, for Alertmanager, webhooks and the alerts topic.
// ID is stable for the same rule and subject, so repeats dedupe.
type Alert struct {
	ID        string     `json:"id"`
	Rule      string     `json:"rule"`
	Severity  string     `json:"severity"` // "info", "warning", "critical"
	Kind      SignalKind `json:"kind"`
	Object    string     `json:"object,omitempty"`
	Candidate string     `json:"candidate,omitempty"`
	// Detection is the key of the record the alert was raised on (Signal.Key):
	// "burst|OBJECT|ONSET", "group|ID" or "leak|OBJECT|ONSET", which names its line in
	// detections.jsonl and its row in the warehouse; a site change's is
	// "site|TARGET|TEXT_HASH|CHANGED".
	Detection string            `json:"detection,omitempty"`
	Summary   string            `json:"summary"`
	Evidence  []string          `json:"evidence,omitempty"`
	Link      string            `json:"link,omitempty"`
	StartsAt  time.Time         `json:"starts_at"`
	RaisedAt  time.Time         `json:"raised_at"`
	Labels    map[string]string `json:"labels,omitempty"`
	// Supersedes lists the ids of alerts this one replaces: a leak incident that moved to an
	// earlier burst, or absorbed another incident, is one alert from then on. The replaced
	// alerts are not sent again and expire; consumers of the alerts topic drop them.
	Supersedes []string `json:"supersedes,omitempty"`
}

// Complete reports what an alert record lacks that every alert leakwatch raises has: an id
// (receivers deduplicate and resolve by it), a rule and a severity (Alertmanager routes by
// them). Readers of the alerts topic refuse such a record, to the dead-letter topic.
func (a *Alert) Complete() error {
	var missing []string
	for _, f := range []struct{ name, v string }{{"id", a.ID}, {"rule", a.Rule}, {"severity", a.Severity}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("alert %q without %s", a.ID, strings.Join(missing, ", "))
	}
	return nil
}
