package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leakwatch/leakwatch/internal/health"
)

// newRegistry returns the registry every component of a process registers its metrics on.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// metricsFlag is the --metrics flag of the commands that run roles: one host runs several
// leakwatch processes (a stage each), and the config's one address can serve only one.
func metricsFlag(fs *flag.FlagSet) *string {
	return fs.String("metrics", "", "where this process serves /metrics and /healthz, replacing the config's metrics (each process on one host needs its own; off: none)")
}

// setMetrics applies a --metrics value: empty keeps the config's address, "off" serves none.
func (c *Config) setMetrics(v string) {
	switch v {
	case "":
	case "off":
		c.Metrics = ""
	default:
		c.Metrics = v
	}
}

// serveMetrics serves reg's /metrics and /healthz on ln (listenMetrics) until ctx ends.
func serveMetrics(ctx context.Context, ln net.Listener, reg *prometheus.Registry, log *slog.Logger) error {
	return serveListener(ctx, ln, metricsHandler(reg), log, nil)
}

// listenMetrics opens the metrics address, nil when addr is empty (metrics off). A role opens
// it before it touches Kafka: a start that fails on it must not first join its consumer
// group, take partitions from the running member and hand them back (it re-read what that
// member had handled). An address in use is most often another leakwatch process of the
// same config on this host: the error says how to give this one its own.
func listenMetrics(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen %s: %w (metrics: another process, perhaps another leakwatch role of the same config, listens there; give this one --metrics 127.0.0.1:PORT, or --metrics off)", addr, err)
	}
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w (metrics)", addr, err)
	}
	return ln, nil
}

// serveHTTP serves h on addr until ctx ends, then shuts down gracefully.
// ready receives the bound address (useful with port 0) once listening.
func serveHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	return serveListener(ctx, ln, h, log, ready)
}

// serveListener is serveHTTP on a listener already open: a command that must know its
// address is free before it does anything else opens it first.
func serveListener(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, ready func(net.Addr)) error {
	addr := ln.Addr().String()
	if ready != nil {
		ready(ln.Addr())
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Server-sent event streams never end by themselves: give them a moment, then cut them.
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("http shutdown", "addr", addr, "err", err)
	}
	srv.Close()
	return nil
}

// metricsHandler serves /metrics, /healthz and /readyz for a role. /healthz answers ok while
// the process runs: restarting it would not cure an outage it waits out, and would lose its
// place. /readyz answers 503, naming the component and its error, while one waits.
func metricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("GET /readyz", health.On(reg))
	return mux
}
