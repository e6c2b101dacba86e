package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/volume"
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
	pts, err := w.Volume(ctx, warehouse.VolumeQuery{Kind: leakwatch.KindCandidate, From: from, To: to, Step: step})
	if err != nil {
		return err
	}
	all, err := w.Volume(ctx, warehouse.VolumeQuery{Objects: []string{leakwatch.AllPosts}, From: from, To: to, Step: step})
	if err != nil {
		return err
	}
	byName := map[string]*volume.Series{}
	var order []string
	for _, p := range append(all, pts...) {
		name := volume.All
		if p.Object != leakwatch.AllPosts {
			name = strings.TrimPrefix(p.Object, string(leakwatch.KindCandidate)+":")
		}
		s := byName[name]
		if s == nil {
			s = &volume.Series{Name: name}
			byName[name] = s
			order = append(order, name)
		}
		s.Points = append(s.Points, volume.Point{T: p.At, N: int(p.Posts)})
	}
	for _, n := range order {
		in.Series = append(in.Series, *byName[n])
	}

	bursts, err := w.Bursts(ctx, from, to)
	if err != nil {
		return err
	}
	edges, err := w.Edges(ctx, from, to)
	if err != nil {
		return err
	}
	groups, err := w.Groups(ctx, from, to)
	if err != nil {
		return err
	}
	leaks, err := w.Leaks(ctx, from, to)
	if err != nil {
		return err
	}
	for i := range bursts {
		in.Signals = append(in.Signals, leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &bursts[i]})
	}
	for i := range edges {
		in.Signals = append(in.Signals, leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &edges[i]})
	}
	for i := range groups {
		in.Signals = append(in.Signals, leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &groups[i]})
	}
	for i := range leaks {
		in.Signals = append(in.Signals, leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leaks[i]})
	}
	if len(in.Calendar.Events) == 0 && in.Calendar.Name != "" {
		in.Calendar, err = w.Calendar(ctx, in.Calendar.Name)
	}
	return err
}
