package warehouse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" for valid
	}{
		{"default", func(*Config) {}, ""},
		{"no addr", func(c *Config) { c.Addr = "" }, "addr: empty"},
		{"addr without port", func(c *Config) { c.Addr = "localhost" }, `addr "localhost"`},
		{"port out of range", func(c *Config) { c.Addr = "127.0.0.1:70000" }, "port in 1..65535"},
		{"database needing quotes", func(c *Config) { c.Database = "leak-watch; DROP" }, `database "leak-watch; DROP"`},
		{"database starting with a digit", func(c *Config) { c.Database = "1db" }, `database "1db"`},
		// The sink would create its tables among ClickHouse's own, and doctor advised migrating them.
		{"system database", func(c *Config) { c.Database = "system" }, `database "system": ClickHouse's own`},
		{"default database", func(c *Config) { c.Database = "default" }, `database "default": ClickHouse's own`},
		{"information schema", func(c *Config) { c.Database = "INFORMATION_SCHEMA" }, `database "INFORMATION_SCHEMA": ClickHouse's own`},
		{"no username", func(c *Config) { c.Username = "" }, "username: empty"},
		{"two passwords", func(c *Config) { c.Password, c.PasswordFile = "x", "/run/secrets/ch" }, "password and password_file: both set"},
		{"no dial timeout", func(c *Config) { c.DialTimeout = 0 }, "dial_timeout 0s"},
		{"no batch", func(c *Config) { c.BatchSize = 0 }, "batch_size 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestConfigPasswordFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(p, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.PasswordFile = p
	if got, err := c.password(); err != nil || got != "s3cret" {
		t.Fatalf("password from file: %q, %v; want s3cret without the newline", got, err)
	}
	c.PasswordFile = filepath.Join(t.TempDir(), "missing")
	if _, err := c.password(); err == nil || !strings.Contains(err.Error(), "password_file") {
		t.Fatalf("missing password file: %v, want an error naming password_file", err)
	}
	c.PasswordFile, c.DialTimeout = "", time.Second
	if got, _ := c.password(); got != "" {
		t.Fatalf("no password configured: got %q", got)
	}
}
