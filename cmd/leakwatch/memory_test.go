package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1GiB": 1 << 30, "512MiB": 512 << 20, "1.5 GiB": 3 << 29, "2gb": 2e9, "0": 0, "4096": 4096, "64KiB": 64 << 10} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1GiB", "1TiB"} {
		if _, err := parseBytes(in); err == nil || !strings.Contains(err.Error(), "want a size") {
			t.Errorf("parseBytes(%q): error %v, want one saying what a size looks like", in, err)
		}
	}
}

// TestCollectNearLimit: the limit turns the percentage trigger off and is undone by restore;
// a GOGC the user set wins.
func TestCollectNearLimit(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	restore, active := collectNearLimit(1 << 30)
	if !active {
		t.Fatal("limit not applied")
	}
	if pct := debug.SetGCPercent(-1); pct != -1 {
		t.Errorf("GC percent %d under the limit, want -1 (collect only near the limit)", pct)
	}
	if lim := debug.SetMemoryLimit(-1); lim != 1<<30 {
		t.Errorf("memory limit %d, want %d", lim, 1<<30)
	}
	restore()
	if pct := debug.SetGCPercent(100); pct != 100 {
		t.Errorf("GC percent %d after restore, want 100", pct)
	}

	t.Setenv("GOGC", "200")
	if _, active := collectNearLimit(1 << 30); active {
		t.Error("limit applied although GOGC is set in the environment")
	}
}
