package alerts

import (
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// testPolicy retries fast so tests stay short; the shape is the production one.
var testPolicy = RetryPolicy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, Multiplier: 2, MaxAttempts: 5, MaxElapsed: 5 * time.Second}

// leakAlert is a realistic alert: the MacronLeaks dump as the rules raise it.
func leakAlert(id string) leakwatch.Alert {
	return leakwatch.Alert{
		ID:        id,
		Rule:      "LeakBeforeSilence",
		Severity:  "critical",
		Kind:      leakwatch.SignalLeak,
		Object:    "hashtag:macronleaks",
		Candidate: "macron",
		Detection: "leak|hashtag:macronleaks|2017-05-05T18:35:00Z",
		Summary:   "Leak of 9 GB of campaign e-mails amplified by 312 accounts 3h25m before the campaign silence",
		Evidence:  []string{"https://archive.org/details/EMLEAKS", "domain:pastebin.com", "https://twitter.com/x/status/860582014463463425"},
		Link:      "http://127.0.0.1:8080/objects/hashtag:macronleaks",
		StartsAt:  time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC),
		RaisedAt:  time.Date(2017, 5, 5, 18, 49, 0, 0, time.UTC),
		Labels:    map[string]string{"election": "fr-2017-r2", "team": "desk-paris"},
	}
}

// counter reads one counter of a vector.
func counter(t *testing.T, v *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	var m dto.Metric
	if err := v.WithLabelValues(labels...).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
