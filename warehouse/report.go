package warehouse

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/volume"
)

// Signals are every stored burst, edge, group and leak of [from, to) (by the ranges of
// Bursts, Edges, Groups and Leaks), the latest version of each, ordered by their start
// time then key: the detections a retrospective report reads.
func (w *Warehouse) Signals(ctx context.Context, from, to time.Time) ([]leakwatch.Signal, error) {
	type timed struct {
		at  time.Time
		sig leakwatch.Signal
	}
	var all []timed
	bursts, err := w.Bursts(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for i := range bursts {
		all = append(all, timed{bursts[i].Onset, leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &bursts[i]}})
	}
	edges, err := w.Edges(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for i := range edges {
		all = append(all, timed{edges[i].First, leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &edges[i]}})
	}
	groups, err := w.Groups(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for i := range groups {
		all = append(all, timed{groups[i].First, leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &groups[i]}})
	}
	leaks, err := w.Leaks(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for i := range leaks {
		all = append(all, timed{leaks[i].Onset, leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leaks[i]}})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].at.Equal(all[j].at) {
			return all[i].at.Before(all[j].at)
		}
		return all[i].sig.Key() < all[j].sig.Key()
	})
	out := make([]leakwatch.Signal, len(all))
	for i, t := range all {
		out[i] = t.sig
	}
	return out, nil
}

// VolumeSeries are the report's volume lines from the rollup: the whole stream ("all", from
// the all:posts object) and one line per candidate (named by candidate id), counting
// distinct posts per step, the shape analytics/volume gives a batch run.
func (w *Warehouse) VolumeSeries(ctx context.Context, from, to time.Time, step time.Duration) ([]volume.Series, error) {
	all, err := w.Volume(ctx, VolumeQuery{Objects: []string{leakwatch.AllPosts}, From: from, To: to, Step: step})
	if err != nil {
		return nil, err
	}
	cands, err := w.CandidateVolume(ctx, from, to, step)
	if err != nil {
		return nil, err
	}
	byName := map[string]*volume.Series{}
	var names []string
	for _, p := range append(all, cands...) {
		name := volume.All
		if p.Object != leakwatch.AllPosts {
			name = strings.TrimPrefix(p.Object, string(leakwatch.KindCandidate)+":")
		}
		s := byName[name]
		if s == nil {
			s = &volume.Series{Name: name}
			byName[name] = s
			names = append(names, name)
		}
		s.Points = append(s.Points, volume.Point{T: p.At, N: int(p.Posts)})
	}
	sort.Strings(names)
	out := make([]volume.Series, len(names))
	for i, n := range names {
		out[i] = *byName[n]
	}
	return out, nil
}
