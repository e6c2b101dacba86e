// Command leakwatch is the one binary of the monitor: every role and tool is a subcommand.
// Wiring is explicit here and in the subcommand files; packages below never read flags or
// the environment themselves.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. run gets the arguments after the subcommand name.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what every subcommand may use: output streams and the logger.
type env struct {
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

var commands = map[string]command{}

// register adds a subcommand; each subcommand file registers itself from init.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("leakwatch: subcommand registered twice: " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks an error caused by how the command was called (exit 2).
var errUsage = errors.New("usage")

// errInterrupted is a command with a result (analyze) stopped by a signal before it wrote
// it: unlike a role's clean stop, no success (exit 130, as a shell reports SIGINT).
var errInterrupted = errors.New("interrupted")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks for a clean stop; a second one (a stop taking too long) kills.
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel()}))}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "leakwatch: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := c.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "leakwatch %s: %v\n", c.name, err)
		return 2
	case errors.Is(err, errInterrupted):
		fmt.Fprintf(stderr, "leakwatch %s: %v\n", c.name, err)
		return 130
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// Ctrl-C: a clean stop, not a failure.
		return 0
	default:
		fmt.Fprintf(stderr, "leakwatch %s: %v\n", c.name, err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "leakwatch: election leak and coordinated-amplification monitor")
	fmt.Fprintln(w, "\nusage: leakwatch COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'leakwatch COMMAND -h' for a command's flags.")
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("LEAKWATCH_LOG"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// newFlags returns a FlagSet for a subcommand whose errors are returned, not printed and exited.
func newFlags(e *env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: leakwatch %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parseFiles parses flags that may come before, between or after the file arguments
// ("analyze FILE --out DIR" reads naturally) and returns the files.
func parseFiles(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return files, nil
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// subcommandHelp answers -h, -help or help given in place of a subcommand: the subcommands,
// on stdout, and flag.ErrHelp (exit 0), as -h after any command does.
func subcommandHelp(e *env, args []string, lines ...string) error {
	if len(args) == 0 || (args[0] != "-h" && args[0] != "-help" && args[0] != "--help" && args[0] != "help") {
		return nil
	}
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l)
	}
	return flag.ErrHelp
}

// parseFlags parses and turns a flag error into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// givenFlags names the flags the command line set, as opposed to those left at their
// defaults: a flag given is used as given, so 0 is refused rather than read as "unset".
func givenFlags(fs *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return given
}
