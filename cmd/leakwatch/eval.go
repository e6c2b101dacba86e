package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/leakwatch/leakwatch/analytics/eval"
)

func init() {
	register(command{name: "eval", summary: "score detections against a scenario's truth (precision, recall, onset delay, leak)", run: runEval})
}

func runEval(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "eval", "--truth truth.json --detections detections.jsonl [--json]")
	truthPath := fs.String("truth", "", "truth.json written by 'scenario generate' (required)")
	detPath := fs.String("detections", "", "detections.jsonl written by 'analyze' on the scenario's files (required); refused when none of its times falls in the truth's window, or none of the accounts it names is in the truth")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	minP := fs.Float64("min-precision", 0, "exit 1 when account precision is below this (0: no check)")
	minR := fs.Float64("min-recall", 0, "exit 1 when account recall is below this (0: no check)")
	maxDelay := fs.Duration("max-onset-delay", 0, "exit 1 when an operation's first burst starts later than this after its onset, or has none; an earlier one passes (0: no check)")
	needLeak := fs.Bool("require-leak", false, "exit 1 when an expected leak was not reported")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *truthPath == "" || *detPath == "" {
		return fmt.Errorf("%w: --truth and --detections are required", errUsage)
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	// A target no score can meet, or one that turns the check off unsaid, is a typo.
	for _, f := range []struct {
		name string
		v    float64
	}{{"min-precision", *minP}, {"min-recall", *minR}} {
		if f.v < 0 || f.v > 1 {
			return fmt.Errorf("%w: --%s %g: want a share from 0 to 1 (0: no check)", errUsage, f.name, f.v)
		}
	}
	if *maxDelay < 0 {
		return fmt.Errorf("%w: --max-onset-delay %v: want a duration of 0 or more (0: no check)", errUsage, *maxDelay)
	}
	tb, err := os.ReadFile(*truthPath)
	if err != nil {
		return err
	}
	truth, err := eval.ParseTruth(tb)
	if err != nil {
		return fmt.Errorf("%s: %w", *truthPath, err)
	}
	db, err := os.ReadFile(*detPath)
	if err != nil {
		return err
	}
	sigs, err := eval.ParseDetections(db)
	if err != nil {
		return fmt.Errorf("%s: %w", *detPath, err)
	}
	if err := truth.SameData(sigs); err != nil {
		return fmt.Errorf("%s does not match %s: %w", *detPath, *truthPath, err)
	}
	rep := eval.Score(truth, sigs, eval.DefaultOptions())
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprint(e.stdout, rep.Text())
	}
	misses := rep.Check(eval.Targets{MinPrecision: *minP, MinRecall: *minR, MaxOnsetDelay: *maxDelay, LeakRequired: *needLeak})
	if len(misses) > 0 {
		return fmt.Errorf("targets not met: %s", strings.Join(misses, "; "))
	}
	return ctx.Err()
}
