package warehouse

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config says where the warehouse lives and how to write to it.
type Config struct {
	// Addr is the native-protocol address, host:port.
	Addr     string `yaml:"addr"`
	Database string `yaml:"database"`
	Username string `yaml:"username"`
	// Password, or PasswordFile naming a file that holds it (trailing newline ignored);
	// at most one of the two.
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	// DialTimeout bounds connecting; queries are bounded by their context.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// BatchSize is the most rows sent in one INSERT; larger inputs are split.
	BatchSize int `yaml:"batch_size"`
	// BatchWait is the longest the sink waits to gather a batch of BatchSize records from
	// Kafka: ClickHouse stores each INSERT as a part it must merge later, so a few large
	// inserts cost far less than many small ones; this is how stale the warehouse may be.
	BatchWait time.Duration `yaml:"batch_wait"`
	// SkipMigrations opens the warehouse without applying schema migrations, for read-only
	// users (reports, doctor). Writers leave it false.
	SkipMigrations bool `yaml:"skip_migrations"`
}

// DefaultConfig matches the ClickHouse that deploy/local starts.
func DefaultConfig() Config {
	return Config{
		Addr:        "127.0.0.1:19000",
		Database:    "leakwatch",
		Username:    "default",
		DialTimeout: 5 * time.Second,
		BatchSize:   10000,
		BatchWait:   time.Second,
	}
}

// identRE is what the warehouse accepts as a database name: it is spliced into DDL, so
// nothing that needs quoting.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Validate reports every field that is unusable, naming the field and the problem.
// reservedDatabase reports ClickHouse's system databases and the one every user lands in.
func reservedDatabase(name string) bool {
	switch strings.ToLower(name) {
	case "system", "default", "information_schema":
		return true
	}
	return false
}

func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr: empty, want host:port"))
	} else if host, port, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %v, want host:port", c.Addr, err))
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" {
		errs = append(errs, fmt.Errorf("addr %q: want host:port with a port in 1..65535", c.Addr))
	}
	if !identRE.MatchString(c.Database) {
		errs = append(errs, fmt.Errorf("database %q: want letters, digits and underscores, not starting with a digit", c.Database))
	} else if reservedDatabase(c.Database) {
		errs = append(errs, fmt.Errorf("database %q: ClickHouse's own (or every user's default), where the sink would create its tables among others'; name one for leakwatch, such as leakwatch", c.Database))
	}
	if c.Username == "" {
		errs = append(errs, errors.New("username: empty (ClickHouse's own is \"default\")"))
	}
	if c.Password != "" && c.PasswordFile != "" {
		errs = append(errs, errors.New("password and password_file: both set, use one"))
	}
	if c.DialTimeout <= 0 {
		errs = append(errs, fmt.Errorf("dial_timeout %v: must be positive", c.DialTimeout))
	}
	if c.BatchSize < 1 || c.BatchSize > 1_000_000 {
		errs = append(errs, fmt.Errorf("batch_size %d: want 1..1000000", c.BatchSize))
	}
	if c.BatchWait <= 0 || c.BatchWait > time.Minute {
		errs = append(errs, fmt.Errorf("batch_wait %v: want more than 0 and at most 1m", c.BatchWait))
	}
	return errors.Join(errs...)
}

// password returns the configured password, reading PasswordFile when set.
func (c Config) password() (string, error) {
	if c.PasswordFile == "" {
		return c.Password, nil
	}
	b, err := os.ReadFile(c.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("password_file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
