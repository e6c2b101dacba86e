package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/dashboards/grafana"
)

func init() {
	register(command{name: "dashboards", summary: "export Grafana boards with provisioning, or push them to Grafana", run: runDashboards})
}

func runDashboards(ctx context.Context, e *env, args []string) error {
	if err := subcommandHelp(e, args, "usage: leakwatch dashboards export DIR | push --grafana URL", "",
		"  export  write the Grafana boards and their provisioning files to DIR",
		"  push    send the boards (and the calendar's annotations) to a running Grafana", "",
		"Run 'leakwatch dashboards export -h' or 'leakwatch dashboards push -h' for their flags."); err != nil {
		return err
	}
	if len(args) == 0 || (args[0] != "export" && args[0] != "push") {
		return fmt.Errorf("%w: leakwatch dashboards export DIR | push --grafana URL", errUsage)
	}
	switch args[0] {
	case "export":
		fs := newFlags(e, "dashboards export", "DIR [--clickhouse-host HOST:PORT] [--database DB] [--username USER] [--mount PATH]")
		def := DefaultConfig().ClickHouse
		addr := fs.String("clickhouse-host", def.Addr, "ClickHouse native address as Grafana reaches it")
		db := fs.String("database", def.Database, "ClickHouse database")
		user := fs.String("username", def.Username, "ClickHouse user of the data source (its password comes from Grafana's environment)")
		mount := fs.String("mount", "/var/lib/grafana/dashboards/leakwatch", "where DIR/dashboards is mounted inside Grafana")
		dir, rest := firstArg(args[1:])
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if dir == "" {
			dir = fs.Arg(0)
		}
		if dir == "" {
			return fmt.Errorf("%w: dashboards export needs a directory", errUsage)
		}
		h, p, err := net.SplitHostPort(*addr)
		if err != nil {
			return fmt.Errorf("%w: --clickhouse-host %q: %v", errUsage, *addr, err)
		}
		port, _ := strconv.Atoi(p)
		files, err := grafana.Export(dir, grafana.Boards(), grafana.ClickHouse{Host: h, Port: port, Database: *db, Username: *user}, *mount)
		if err != nil {
			return err
		}
		for _, f := range files {
			fmt.Fprintln(e.stdout, f)
		}
		return nil
	default:
		fs := newFlags(e, "dashboards push", "--grafana URL [--calendar FILE]")
		url := fs.String("grafana", "", "Grafana base URL, e.g. http://127.0.0.1:3000")
		calPath := fs.String("calendar", "", "campaign calendar pushed as annotations")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if *url == "" {
			return fmt.Errorf("%w: --grafana URL is required", errUsage)
		}
		// The token never goes on the command line, where ps shows it.
		auth := os.Getenv("GRAFANA_TOKEN")
		if f := os.Getenv("GRAFANA_TOKEN_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("GRAFANA_TOKEN_FILE: %w", err)
			}
			auth = strings.TrimSpace(string(b))
		}
		var cal leakwatch.Calendar
		if *calPath != "" {
			c, err := loadCalendar(*calPath)
			if err != nil {
				return err
			}
			cal = c
		}
		client := &http.Client{Timeout: 30 * time.Second}
		if err := grafana.Push(ctx, *url, auth, grafana.Boards(), cal, client); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "pushed %d boards and %d calendar annotations to %s\n", len(grafana.Boards()), len(cal.Events), *url)
		return nil
	}
}

// firstArg splits a leading positional argument from the flags after it, so both
// `export DIR --flag` and `export --flag DIR` work.
func firstArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}
