package main

import (
	"context"
	"fmt"
	"time"

	"github.com/leakwatch/leakwatch/dashboards/report"
	"github.com/leakwatch/leakwatch/warehouse"
)

// reportFromWarehouse fills a report from ClickHouse for [from, to).
func reportFromWarehouse(ctx context.Context, cfgPath, fromS, toS string, in *report.Input) error {
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

	// About 300 points across the range, in whole minutes (the rollup's resolution).
	step := max(to.Sub(from)/300, time.Minute).Truncate(time.Minute)
	if in.Series, err = w.VolumeSeries(ctx, from, to, step); err != nil {
		return err
	}
	if in.Signals, err = w.Signals(ctx, from, to); err != nil {
		return err
	}
	if len(in.Calendar.Events) == 0 && in.Calendar.Name != "" {
		in.Calendar, err = w.Calendar(ctx, in.Calendar.Name)
	}
	return err
}
