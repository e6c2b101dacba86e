package warehouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Warehouse is an open connection pool to one ClickHouse database. It is safe for
// concurrent use.
type Warehouse struct {
	cfg  Config
	conn driver.Conn
	log  *slog.Logger
}

// Open connects, creates the database when missing and applies pending schema migrations
// (unless cfg.SkipMigrations). log may be nil.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Warehouse, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("warehouse config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pw, err := cfg.password()
	if err != nil {
		return nil, fmt.Errorf("warehouse config: %w", err)
	}
	if !cfg.SkipMigrations {
		// The server refuses a session whose database does not exist yet, so the database is
		// created over a connection without one.
		boot, err := dial(cfg, pw, "")
		if err != nil {
			return nil, err
		}
		err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+cfg.Database)
		boot.Close()
		if err != nil {
			return nil, fmt.Errorf("warehouse: create database %s at %s: %w", cfg.Database, cfg.Addr, err)
		}
	}
	conn, err := dial(cfg, pw, cfg.Database)
	if err != nil {
		return nil, err
	}
	w := &Warehouse{cfg: cfg, conn: conn, log: log.With("component", "warehouse")}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		var ex *clickhouse.Exception
		if errors.As(err, &ex) && ex.Code == unknownDatabase {
			// A reader (doctor, report) does not create it: the sink does, at its first start.
			return nil, &NoDatabaseError{Addr: cfg.Addr, Database: cfg.Database}
		}
		return nil, fmt.Errorf("warehouse: ClickHouse at %s, database %s: %w", cfg.Addr, cfg.Database, err)
	}
	if !cfg.SkipMigrations {
		if err := w.Migrate(ctx); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return w, nil
}

// unknownDatabase is ClickHouse's error code for a database that does not exist.
const unknownDatabase = 81

// permanentCodes are ClickHouse's errors that waiting does not cure: the schema is not what
// this build writes (a table or column missing, a type changed), or the server does not
// let this user in.
var permanentCodes = map[int32]bool{
	16: true, 47: true, 53: true, 60: true, 62: true, unknownDatabase: true, // NO_SUCH_COLUMN_IN_TABLE, UNKNOWN_IDENTIFIER, TYPE_MISMATCH, UNKNOWN_TABLE, SYNTAX_ERROR, UNKNOWN_DATABASE
	192: true, 193: true, 497: true, 516: true, // UNKNOWN_USER, WRONG_PASSWORD, ACCESS_DENIED, AUTHENTICATION_FAILED
}

// NoDatabaseError is a ClickHouse that answers without the configured database: a fresh
// install, before the sink's first start creates it, or a mistyped clickhouse.database.
type NoDatabaseError struct{ Addr, Database string }

func (e *NoDatabaseError) Error() string {
	return fmt.Sprintf("warehouse: ClickHouse at %s has no database %s yet: run `leakwatch sink` once to create it, or check clickhouse.database", e.Addr, e.Database)
}

// Permanent reports whether err is ClickHouse refusing for a reason waiting does not cure,
// so a writer stops and says so instead of retrying for ever: a table renamed away had the
// sink retry every 30 s while its health check answered ok.
func Permanent(err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && permanentCodes[ex.Code]
}

func dial(cfg Config, password, database string) (driver.Conn, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:         []string{cfg.Addr},
		Protocol:     clickhouse.Native,
		Auth:         clickhouse.Auth{Database: database, Username: cfg.Username, Password: password},
		DialTimeout:  cfg.DialTimeout,
		Compression:  &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
		MaxOpenConns: 4,
		MaxIdleConns: 2,
	})
	if err != nil {
		return nil, fmt.Errorf("warehouse: connect to %s: %w", cfg.Addr, err)
	}
	return conn, nil
}

// Close releases the connections.
func (w *Warehouse) Close() error { return w.conn.Close() }

// Database is the database this warehouse reads and writes.
func (w *Warehouse) Database() string { return w.cfg.Database }

// Ping checks the server answers, for health checks.
func (w *Warehouse) Ping(ctx context.Context) error {
	if err := w.conn.Ping(ctx); err != nil {
		return fmt.Errorf("warehouse: ping %s: %w", w.cfg.Addr, err)
	}
	return nil
}

// ServerVersion is the server's version string ("18.16.1"), for the doctor command.
func (w *Warehouse) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := w.conn.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
		return "", fmt.Errorf("warehouse: server version: %w", err)
	}
	return v, nil
}
