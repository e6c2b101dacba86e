package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/dashboards/report"
	"github.com/leakwatch/leakwatch/warehouse"
)

// reportFromWarehouse fills a report from ClickHouse for [from, to), its volume lines in
// buckets of step (--volume-bucket, hourly as analyze's by default). Without a calendar
// given (--calendar), it uses the one the sink stored: campaign, else the config's
// calendar, else the only campaign stored.
func reportFromWarehouse(ctx context.Context, cfgPath, fromS, toS, campaign string, step time.Duration, in *report.Input) error {
	from, err := time.Parse(time.RFC3339, fromS)
	if err != nil {
		return fmt.Errorf("%w: --from: %v", errUsage, err)
	}
	to, err := time.Parse(time.RFC3339, toS)
	if err != nil {
		return fmt.Errorf("%w: --to: %v", errUsage, err)
	}
	if !to.After(from) {
		return fmt.Errorf("%w: --to must be after --from", errUsage)
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	cfg.ClickHouse.SkipMigrations = true
	w, err := warehouse.Open(ctx, cfg.ClickHouse, nil)
	if err != nil {
		return err
	}
	defer w.Close()
	in.Source = fmt.Sprintf("ClickHouse %s/%s, %s to %s", cfg.ClickHouse.Addr, cfg.ClickHouse.Database, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))

	if in.Series, err = w.VolumeSeries(ctx, from, to, step); err != nil {
		return err
	}
	for i := range in.Series {
		in.Series[i].BucketS = int64(step / time.Second) // steps without posts have no row: drawn at zero
	}
	if in.Signals, err = w.Signals(ctx, from, to); err != nil {
		return err
	}
	if in.Calendar.Name != "" {
		return nil
	}
	in.Calendar, err = storedCalendar(ctx, w, campaign, cfg.Analysis.Calendar)
	return err
}

// storedCalendar is the calendar a report from the warehouse draws: campaign when named,
// else the config's calendar (as stored, or as in its file when the sink never stored it),
// else the only campaign stored. Several stored and none chosen is a usage error naming them.
func storedCalendar(ctx context.Context, w *warehouse.Warehouse, campaign string, configured *leakwatch.Calendar) (leakwatch.Calendar, error) {
	stored, err := w.Campaigns(ctx)
	if err != nil {
		return leakwatch.Calendar{}, err
	}
	switch {
	case campaign != "":
		if !slices.Contains(stored, campaign) {
			return leakwatch.Calendar{}, fmt.Errorf("%w: --campaign %q: no such calendar stored (stored: %s)", errUsage, campaign, namesOrNone(stored))
		}
	case configured != nil:
		if !slices.Contains(stored, configured.Name) {
			return *configured, nil
		}
		campaign = configured.Name
	case len(stored) == 1:
		campaign = stored[0]
	case len(stored) > 1:
		return leakwatch.Calendar{}, fmt.Errorf("%w: %d calendars stored (%s): choose one with --campaign", errUsage, len(stored), namesOrNone(stored))
	default:
		return leakwatch.Calendar{}, nil
	}
	return w.Calendar(ctx, campaign)
}

func namesOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
