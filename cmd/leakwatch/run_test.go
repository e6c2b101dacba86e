package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run reads --roles and the stages' flags before it touches anything: a typo in a role used
// to be found after the topics were created and the roles before it had started, and a role
// named twice ran twice. The broker here does not exist, so a command that got as far as
// Kafka would fail on it instead.
func TestRunChecksItsFlagsBeforeStarting(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "leakwatch.yaml")
	if err := os.WriteFile(cfg, []byte("kafka:\n  brokers: [\"127.0.0.1:1\"]\nmetrics: \"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--roles", "sink,detetc"}, `"detetc" is no role`},
		{[]string{"--roles", "extract, extract"}, "extract is named twice"},
		{[]string{"--roles", "detect", "--flush-idle", "1s"}, "flush_idle: 1s: want 0 (never) or at least source_idle (2s)"},
		{[]string{"--roles", "detect", "stray"}, "unexpected arguments"},
	} {
		code, _, stderr := runCmd(t, append([]string{"run", "--config", cfg}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("run %v: exit %d, %q; want a usage error saying %q", c.args, code, stderr, c.want)
		}
	}
}
