// Package testenv finds the real services that deploy/local starts, for tests.
//
// With LEAKWATCH_SERVICES=required (set by `make test` and CI) a missing service fails the
// test; otherwise the test is skipped, so `go test ./...` on a laptop without services stays
// useful.
package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Default addresses, matching deploy/local.
const (
	DefaultKafka        = "127.0.0.1:19092"
	DefaultClickHouse   = "127.0.0.1:19000"
	DefaultAlertmanager = "http://127.0.0.1:9093"
)

// Kafka returns the bootstrap broker address of the local Kafka.
func Kafka(t testing.TB) string {
	return need(t, "LEAKWATCH_KAFKA", DefaultKafka, "Kafka")
}

// ClickHouse returns the native-protocol address of the local ClickHouse.
func ClickHouse(t testing.TB) string {
	return need(t, "LEAKWATCH_CLICKHOUSE", DefaultClickHouse, "ClickHouse")
}

// Alertmanager returns the base URL of the local Alertmanager.
func Alertmanager(t testing.TB) string {
	u := env("LEAKWATCH_ALERTMANAGER", DefaultAlertmanager)
	hostport := u
	if len(u) > 7 && u[:7] == "http://" {
		hostport = u[7:]
	}
	need(t, "", hostport, "Alertmanager")
	return u
}

// Required reports whether tests must fail rather than skip when a service is missing.
func Required() bool { return os.Getenv("LEAKWATCH_SERVICES") == "required" }

// Root is the module root (the directory holding go.mod).
func Root(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// SharedData returns the path of rel under the shared directory beside the project
// (../shared, or LEAKWATCH_SHARED), e.g. "data/coortweet/russian_coord_tweets.csv.gz" or
// "calendars/fr-2017-presidential.yaml". Missing data fails under Required, else skips.
func SharedData(t testing.TB, rel string) string {
	shared := os.Getenv("LEAKWATCH_SHARED")
	if shared == "" {
		shared = filepath.Join(Root(t), "..", "shared")
	}
	p := filepath.Join(shared, rel)
	if _, err := os.Stat(p); err != nil {
		miss(t, "shared data %s: %v", p, err)
	}
	return p
}

func need(t testing.TB, envName, def, what string) string {
	t.Helper()
	addr := def
	if envName != "" {
		addr = env(envName, def)
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		miss(t, "%s at %s is not reachable (start it with deploy/local/up.sh): %v", what, addr, err)
		return addr
	}
	c.Close()
	return addr
}

func miss(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Chromium returns the path of a headless-capable Chromium (deploy/local/chromium.sh
// installs Debian's), or skips/fails like a missing service.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{os.Getenv("LEAKWATCH_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	miss(t, "no chromium on PATH (install it with deploy/local/chromium.sh)")
	return ""
}

// Headless runs Chromium headless on a page with the flags this machine needs (no sandbox
// as root, no background network) and returns what it printed. args add e.g.
// --dump-dom or --screenshot=FILE; a fresh profile directory is used each time.
func Headless(t testing.TB, chromium, url string, args ...string) (string, error) {
	t.Helper()
	prof := t.TempDir()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
		"--user-data-dir=" + prof, "--window-size=1366,1000",
		// Stop loading after 5 s: the live page keeps an event stream open, so it never
		// finishes loading and a virtual time budget would never run out.
		"--timeout=5000"}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, append(append(base, args...), url)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("chromium %v: %w\n%s", args, err, errb.String())
	}
	return out.String(), nil
}
