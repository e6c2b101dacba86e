package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch/collectors/scenario"
)

func init() {
	register(command{name: "scenario", summary: "generate a synthetic campaign with known coordinated operations (scenario generate)", run: runScenario})
}

func runScenario(ctx context.Context, e *env, args []string) error {
	if err := subcommandHelp(e, args, "usage: leakwatch scenario generate --out DIR [--seed N] [--days 7] [--accounts N]",
		"", "Run 'leakwatch scenario generate -h' for its flags."); err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "generate" {
		return fmt.Errorf("%w: want 'scenario generate --seed N --out DIR'", errUsage)
	}
	def := scenario.DefaultConfig()
	fs := newFlags(e, "scenario generate", "--out DIR [--seed N] [--days 7] [--accounts N]")
	seed := fs.Uint64("seed", def.Seed, "random seed: the same seed gives the same files")
	out := fs.String("out", "", "output directory (required): posts.jsonl, sitechanges.jsonl, truth.json, calendar.yaml, config.yaml (the candidates, for analyze --config)")
	days := fs.Int("days", def.Days, "days of campaign, from --start")
	start := fs.String("start", def.Start.Format(time.RFC3339), "window start (RFC 3339)")
	accounts := fs.Int("accounts", def.Accounts, "organic accounts")
	perDay := fs.Float64("posts-per-day", def.PostsPerDay, "mean posts a day of an organic account")
	bots := fs.Int("bots", def.Bots, "bot accounts amplifying the leak")
	ring := fs.Int("ring", def.Ring, "accounts in the retweet ring")
	leakAt := fs.String("leak-at", "", "time of the first leak post (RFC 3339; default 3h25m before the run-off silence)")
	noLeak := fs.Bool("no-leak", false, "leave out the leak dump (and the defacement)")
	noRing := fs.Bool("no-ring", false, "leave out the retweet ring")
	noDeface := fs.Bool("no-defacement", false, "leave out the site defacement")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *out == "" {
		return fmt.Errorf("%w: --out DIR is required", errUsage)
	}
	cfg := def
	cfg.Seed, cfg.Days, cfg.Accounts, cfg.PostsPerDay, cfg.Bots, cfg.Ring = *seed, *days, *accounts, *perDay, *bots, *ring
	var err error
	if cfg.Start, err = time.Parse(time.RFC3339, *start); err != nil {
		return fmt.Errorf("%w: --start: %v", errUsage, err)
	}
	if *leakAt != "" {
		if cfg.LeakAt, err = time.Parse(time.RFC3339, *leakAt); err != nil {
			return fmt.Errorf("%w: --leak-at: %v", errUsage, err)
		}
	}
	cfg.LeakDump, cfg.RetweetRing, cfg.Defacement = !*noLeak, !*noRing, !*noDeface && !*noLeak
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	began := time.Now()
	sc, err := scenario.Generate(cfg)
	if err != nil {
		return err
	}
	if err := sc.WriteDir(*out); err != nil {
		return err
	}
	tr := sc.Truth
	fmt.Fprintf(e.stdout, "scenario seed %d: %d posts, %d site changes, %d organic accounts, %s..%s, in %s\n",
		cfg.Seed, len(sc.Tweets), len(sc.Changes), len(tr.OrganicAccounts), tr.Start.Format(time.RFC3339), tr.End.Format(time.RFC3339), time.Since(began).Round(time.Millisecond))
	for _, op := range tr.Operations {
		fmt.Fprintf(e.stdout, "  %-13s %-13s onset %s  %d accounts, %d objects\n", op.ID, op.Kind, op.Onset.Format(time.RFC3339), len(op.Accounts), len(op.Objects))
	}
	dir := strings.TrimRight(*out, "/")
	fmt.Fprintf(e.stdout, "wrote %s/{%s,%s,%s,%s,%s}\n", dir, scenario.PostsFile, scenario.SiteChangesFile, scenario.TruthFile, scenario.CalendarFile, scenario.ConfigFile)
	fmt.Fprintf(e.stdout, "analyze it: leakwatch analyze %[1]s/%[2]s --changes %[1]s/%[3]s --calendar %[1]s/%[4]s --config %[1]s/%[5]s --out %[1]s/out\n",
		dir, scenario.PostsFile, scenario.SiteChangesFile, scenario.CalendarFile, scenario.ConfigFile)
	return nil
}
