package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
)

// parseBytes reads a size: a number of bytes, or one with a unit (KiB, MiB, GiB, KB, MB,
// GB; case-insensitive).
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		n      int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"b", 1}}
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.n
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q: want a size such as 512MiB or 2GiB", s)
	}
	return int64(f * float64(mult)), nil
}

// collectNearLimit makes the garbage collector run only as the heap nears limit, instead of
// each time it doubles: a batch analysis allocates far more than it keeps, and collecting
// every doubling of a small live heap cost a fifth of its CPU. The limit is soft: live data
// beyond it is collected harder (the runtime caps that at half the CPU), never lost. GOGC or
// GOMEMLIMIT in the environment win, and limit 0 leaves the runtime's defaults. The returned
// func restores the previous settings.
func collectNearLimit(limit int64) (restore func(), active bool) {
	if limit <= 0 || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}, false
	}
	pct := debug.SetGCPercent(-1)
	lim := debug.SetMemoryLimit(limit)
	return func() {
		debug.SetMemoryLimit(lim)
		debug.SetGCPercent(pct)
	}, true
}

// gcSeconds is the CPU time the garbage collector used so far.
func gcSeconds() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return s[0].Value.Float64()
}
