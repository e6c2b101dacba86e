package collectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEAKWATCH_TEST_TOKEN", " from-env ")
	tests := []struct {
		file, env, want, err string
	}{
		{file: file, env: "LEAKWATCH_TEST_TOKEN", want: "from-file"},
		{env: "LEAKWATCH_TEST_TOKEN", want: "from-env"},
		{env: "LEAKWATCH_TEST_UNSET", err: "bearer_token: neither bearer_token_file nor $LEAKWATCH_TEST_UNSET is set"},
		{file: empty, err: "bearer_token_file: " + empty + " is empty"},
		{file: filepath.Join(dir, "missing"), err: "bearer_token_file: open"},
		{err: "bearer_token: set bearer_token_file or bearer_token_env"},
	}
	for _, tc := range tests {
		got, err := Secret("bearer_token", tc.file, tc.env)
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("Secret(%q, %q) err = %v, want %q", tc.file, tc.env, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Secret(%q, %q) = %q, %v; want %q", tc.file, tc.env, got, err, tc.want)
		}
	}
}
