// Package health keeps what stops a process's roles from doing their work right now: a
// warehouse that does not answer, a broker a consumer cannot reach, a receiver refusing
// alerts. A role that waits such a failure out (as the sink waits out a ClickHouse outage)
// stays alive and keeps its place, so /healthz rightly answers ok; /readyz and the
// leakwatch_component_failing gauge say that it is stuck, and on what.
//
// It imports no other leakwatch package.
package health

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Board holds the failing components of one process. The zero value is not usable; a nil
// *Board ignores every call, so a component built without metrics needs no checks.
type Board struct {
	now  func() time.Time
	desc *prometheus.Desc
	mu   sync.Mutex
	// failing is by component name ("sink posts", "fetch detect"); a name is there only
	// between a Fail and the OK that follows it.
	failing map[string]failure
}

type failure struct {
	since time.Time // the first failure of this run of them
	last  time.Time
	n     int
	err   string
}

// Problem is one failing component, as /readyz shows it.
type Problem struct {
	Component string
	Since     time.Time
	Last      time.Time
	Failures  int
	Err       string
}

func newBoard() *Board {
	return &Board{
		now:     time.Now,
		failing: map[string]failure{},
		desc: prometheus.NewDesc("leakwatch_component_failing",
			"1 while a component of this process fails and waits to try again (a warehouse, broker or receiver that does not answer), by component; absent when none fails.",
			[]string{"component"}, nil),
	}
}

// On returns reg's board, registering one the first time: every component of a process
// that reports on reg shares one board, as they share one registry, and none has to be
// handed it. A nil reg gives a nil board.
func On(reg prometheus.Registerer) *Board {
	if reg == nil {
		return nil
	}
	b := newBoard()
	if err := reg.Register(b); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*Board); ok {
				return existing
			}
		}
		panic(err)
	}
	return b
}

// Fail records that component failed with err and will try again.
func (b *Board) Fail(component string, err error) {
	if b == nil {
		return
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	f, ok := b.failing[component]
	if !ok {
		f.since = now
	}
	f.last, f.n = now, f.n+1
	if err != nil {
		f.err = err.Error()
	}
	b.failing[component] = f
}

// OK records that component did its work again. It is called on every success, so it costs
// a lock and a map lookup.
func (b *Board) OK(component string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	delete(b.failing, component)
	b.mu.Unlock()
}

// Problems returns the failing components by name.
func (b *Board) Problems() []Problem {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	out := make([]Problem, 0, len(b.failing))
	for c, f := range b.failing {
		out = append(out, Problem{Component: c, Since: f.since, Last: f.last, Failures: f.n, Err: f.err})
	}
	b.mu.Unlock()
	slices.SortFunc(out, func(x, y Problem) int { return strings.Compare(x.Component, y.Component) })
	return out
}

// Describe and Collect make the board the leakwatch_component_failing gauge.
func (b *Board) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }

func (b *Board) Collect(ch chan<- prometheus.Metric) {
	for _, p := range b.Problems() {
		ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, 1, p.Component)
	}
}

// ServeHTTP answers /readyz: 200 "ok" when nothing fails, else 503 with one line a failing
// component, so a load balancer, a probe or an operator's curl sees which part waits on what.
func (b *Board) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	ps := b.Problems()
	if len(ps) == 0 {
		fmt.Fprintln(w, "ok")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	now := time.Now()
	if b != nil {
		now = b.now()
	}
	for _, p := range ps {
		fmt.Fprintf(w, "%s: failing for %s (since %s, %d failures): %s\n",
			p.Component, now.Sub(p.Since).Round(time.Second), p.Since.UTC().Format(time.RFC3339), p.Failures, p.Err)
	}
}
