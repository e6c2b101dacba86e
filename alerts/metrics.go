package alerts

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/internal/health"
)

// Outcomes of leakwatch_alerts_sent_total, counted per alert.
const (
	OutcomeDelivered  = "delivered"  // the receiver accepted it
	OutcomeSuppressed = "suppressed" // a repeat within the dedup interval; not sent
	OutcomeRejected   = "rejected"   // refused as invalid (4xx); not retried
	OutcomeFailed     = "failed"     // still failing when retries ran out, or stopped by shutdown
)

// Metrics are the delivery counters, labelled by receiver name.
type Metrics struct {
	sent    *prometheus.CounterVec
	retries *prometheus.CounterVec
	evicted *prometheus.CounterVec
	seconds *prometheus.HistogramVec
	// health hears of a receiver failing and delivering again, for /readyz.
	health *health.Board
}

// NewMetrics creates the delivery metrics and registers them on reg (nil: not registered,
// e.g. in tests that read them directly). It panics if they are registered twice on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_alerts_sent_total",
			Help: "Alerts handed to a receiver, by outcome (delivered, suppressed, rejected, failed).",
		}, []string{"receiver", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_alerts_retries_total",
			Help: "Delivery attempts repeated after a retryable failure.",
		}, []string{"receiver"}),
		evicted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_alerts_dedup_evicted_total",
			Help: "Dedup entries forgotten before their interval ended because the table was full.",
		}, []string{"receiver"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "leakwatch_alerts_delivery_seconds",
			Help:    "Time to deliver a batch of alerts to a receiver, retries included.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 30, 120},
		}, []string{"receiver"}),
	}
	if reg != nil {
		reg.MustRegister(m.sent, m.retries, m.evicted, m.seconds)
		m.health = health.On(reg)
	}
	return m
}
