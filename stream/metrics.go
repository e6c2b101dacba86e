package stream

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakwatch/leakwatch/internal/health"
)

// Metrics counts what the stream adapters move. A nil *Metrics counts nothing.
type Metrics struct {
	records     *prometheus.CounterVec
	written     *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	handlerErrs *prometheus.CounterVec
	retries     *prometheus.CounterVec
	lag         *prometheus.GaugeVec
	// health hears of fetches and writes failing and passing again, for /readyz.
	health *health.Board
}

// NewMetrics registers the stream metrics on reg (none when reg is nil). Registering twice on
// one registry reuses the first collectors, so every stage of one process can call it.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_stream_records_total",
			Help: "Records a stage consumed, handled and committed.",
		}, []string{"topic", "stage"}),
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_stream_written_records_total",
			Help: "Records a stage wrote and the broker acknowledged.",
		}, []string{"topic", "stage"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_stream_deadletter_total",
			Help: "Records sent to the dead-letter topic, by the topic they came from.",
		}, []string{"topic", "stage"}),
		handlerErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_stream_handler_errors_total",
			Help: "Batches whose handler failed, leaving them uncommitted for redelivery.",
		}, []string{"stage"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_stream_retries_total",
			Help: "Writes sent again and fetches started again because the broker was unreachable.",
		}, []string{"stage", "op"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "leakwatch_stream_consumer_lag",
			Help: "Records behind the partition's end after the last handled batch.",
		}, []string{"group", "topic", "partition"}),
	}
	if reg == nil {
		return m
	}
	m.records = register(reg, m.records)
	m.written = register(reg, m.written)
	m.deadLetters = register(reg, m.deadLetters)
	m.handlerErrs = register(reg, m.handlerErrs)
	m.retries = register(reg, m.retries)
	m.lag = register(reg, m.lag)
	m.health = health.On(reg)
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// retry counts a fetch or write of stage that failed on the broker and is tried again.
func (m *Metrics) retry(stage, op string, err error) {
	if m != nil {
		m.retries.WithLabelValues(stage, op).Inc()
		m.health.Fail(op+" "+stage, err)
	}
}

// passed marks a fetch or write of stage done after failures.
func (m *Metrics) passed(stage, op string) {
	if m != nil {
		m.health.OK(op + " " + stage)
	}
}

func (m *Metrics) addRecords(topic, stage string, n int) {
	if m != nil && n > 0 {
		m.records.WithLabelValues(topic, stage).Add(float64(n))
	}
}

func (m *Metrics) addWritten(topic, stage string, n int) {
	if m != nil && n > 0 {
		m.written.WithLabelValues(topic, stage).Add(float64(n))
	}
}

func (m *Metrics) addDeadLetter(topic, stage string) {
	if m != nil {
		m.deadLetters.WithLabelValues(topic, stage).Inc()
	}
}

func (m *Metrics) handlerError(stage string) {
	if m != nil {
		m.handlerErrs.WithLabelValues(stage).Inc()
	}
}

func (m *Metrics) setLag(group, topic string, partition int, lag int64) {
	if m != nil {
		m.lag.WithLabelValues(group, topic, strconv.Itoa(partition)).Set(float64(lag))
	}
}
