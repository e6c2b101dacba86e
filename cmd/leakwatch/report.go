package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/calendar"
	"github.com/leakwatch/leakwatch/analytics/volume"
	"github.com/leakwatch/leakwatch/dashboards/report"
)

func init() {
	register(command{name: "report", summary: "write the retrospective report (HTML with pictures) from analyze output or ClickHouse", run: runReport})
}

// networkFile is the coordination network report writes beside its page (GraphML).
const networkFile = "network.graphml"

// volumeFile is written by analyze beside detections.jsonl: the volume lines of the report.
const volumeFile = "volume.json"

// volumeBucketFlag defines --volume-bucket, the width of the report's volume buckets: analyze
// writes volume.json at it and a report from the warehouse reads the rollup at it, so the
// same posts draw the same lines ("mentions per hour" by default) whichever way the report
// was made. unit is the finest width the source counts in (its name, plural, for errors);
// the returned function checks the value given.
func volumeBucketFlag(fs *flag.FlagSet, usage string, unit time.Duration, units string) func() (time.Duration, error) {
	least := strings.TrimSuffix(unit.String(), "0s") // 1s, 1m
	d := fs.Duration("volume-bucket", time.Hour, fmt.Sprintf("%s (whole %s, at least %s)", usage, units, least))
	return func() (time.Duration, error) {
		if *d < unit || *d%unit != 0 {
			return 0, fmt.Errorf("%w: --volume-bucket %v: want whole %s, at least %s", errUsage, *d, units, least)
		}
		return *d, nil
	}
}

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "--detections FILE | --from TIME --to TIME [--config FILE] [--campaign NAME] [--calendar FILE] --out DIR")
	detPath := fs.String("detections", "", "detections.jsonl written by analyze (its volume.json beside it is used too)")
	from := fs.String("from", "", "with ClickHouse: start of the period (RFC3339)")
	to := fs.String("to", "", "with ClickHouse: end of the period (RFC3339)")
	cfgPath := fs.String("config", "", "config file (its clickhouse section, with --from/--to)")
	calPath := fs.String("calendar", "", "campaign calendar YAML")
	campaign := fs.String("campaign", "", "with ClickHouse and no --calendar: the stored calendar to use (default: the config's calendar, else the only one stored)")
	out := fs.String("out", "", "directory for index.html, timeline.svg, network.svg and network.graphml")
	title := fs.String("title", "leakwatch retrospective", "report title")
	bucket := volumeBucketFlag(fs, "with ClickHouse: bucket of the volume lines, as analyze's for volume.json", time.Minute, "minutes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || (*detPath == "") == (*from == "") {
		return fmt.Errorf("%w: give --out and either --detections FILE or --from/--to", errUsage)
	}
	step, err := bucket()
	if err != nil {
		return err
	}
	if *detPath != "" && givenFlags(fs)["volume-bucket"] {
		return fmt.Errorf("%w: --volume-bucket is for --from/--to: with --detections the buckets are volume.json's (analyze --volume-bucket)", errUsage)
	}
	in := report.Input{Title: *title, Generated: time.Now().UTC()}
	if *calPath != "" {
		cal, err := loadCalendar(*calPath)
		if err != nil {
			return err
		}
		in.Calendar = cal
	}
	if *detPath != "" {
		in.Source = *detPath
		in.Signals, err = readDetections(*detPath)
		if err != nil {
			return err
		}
		vol := filepath.Join(filepath.Dir(*detPath), volumeFile)
		in.Series, err = readVolume(vol)
		if errors.Is(err, os.ErrNotExist) {
			// A copied or renamed detections file: the chart must not pass for a quiet campaign.
			fmt.Fprintf(e.stderr, "report: warning: %s not found beside the detections: the timeline has no volume lines (analyze writes it)\n", vol)
			in.NoVolume, err = volumeFile+" not found", nil
		}
		if err != nil {
			return err
		}
		// Offsets from another campaign's events under this calendar's name would mislead.
		if foreign := report.ForeignEvents(in.Signals, in.Calendar); len(in.Calendar.Events) > 0 && len(foreign) > 0 {
			return fmt.Errorf("%w: the detections were timed against events %s, which calendar %q (%s) does not have: give the --calendar analyze used, or rerun analyze with this one",
				errUsage, strings.Join(foreign, ", "), in.Calendar.Name, *calPath)
		}
		// The page draws this calendar: its tables must time the detections against it too,
		// also when analyze ran without one or with an earlier version of it.
		if *calPath != "" {
			placed, changed := 0, 0
			for i := range in.Signals {
				if s := &in.Signals[i]; s.Kind != leakwatch.SignalEdge {
					placed++
					if calendar.PlaceSignal(in.Calendar, s) {
						changed++
					}
				}
			}
			if changed > 0 {
				fmt.Fprintf(e.stderr, "report: %d of the %d bursts, groups and leaks re-timed against %s: analyze timed them against no calendar or another version of it\n", changed, placed, *calPath)
			}
		}
	} else {
		if err := reportFromWarehouse(ctx, *cfgPath, *from, *to, *campaign, step, &in); err != nil {
			return err
		}
		// ClickHouse may hold several campaigns' detections at once, all shown: say so.
		if foreign := report.ForeignEvents(in.Signals, in.Calendar); len(in.Calendar.Events) > 0 && len(foreign) > 0 {
			w := fmt.Sprintf("some detections were timed against events %s, which calendar %q does not have: their calendar offsets are another campaign's", strings.Join(foreign, ", "), in.Calendar.Name)
			fmt.Fprintf(e.stderr, "report: warning: %s\n", w)
			in.Warnings = append(in.Warnings, w)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	net := report.BuildNetwork(in.Signals)
	var graph bytes.Buffer
	if err := report.WriteGraphML(&graph, net); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	in.NetworkFile = networkFile
	if err := os.WriteFile(filepath.Join(*out, networkFile), graph.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "network.svg"), []byte(report.NetworkSVG(net, 1600)), 0o644); err != nil {
		return err
	}
	var page bytes.Buffer
	if err := report.Render(&page, in); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	index := filepath.Join(*out, "index.html")
	if err := os.WriteFile(index, page.Bytes(), 0o644); err != nil {
		return err
	}
	svg := report.Timeline(in, 1600, 480)
	if err := os.WriteFile(filepath.Join(*out, "timeline.svg"), []byte(svg), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "report: %s (%d signals); network: %s (%d accounts, %d co-sharing pairs)\n",
		index, len(in.Signals), filepath.Join(*out, networkFile), len(net.Nodes), len(net.Links))
	return nil
}

// readDetections reads a detections file; a line that is not a detection is an error naming it.
func readDetections(path string) ([]leakwatch.Signal, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []leakwatch.Signal
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var s leakwatch.Signal
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if err := s.Complete(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// readVolume reads analyze's volume lines; a missing file is an error wrapping
// os.ErrNotExist, for the caller to tell from a campaign without posts.
func readVolume(path string) ([]volume.Series, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var vs []volume.Series
	if err := json.Unmarshal(b, &vs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return vs, nil
}

// writeVolume writes the volume lines beside a detections file.
func writeVolume(dir string, vs []volume.Series) error {
	b, err := json.Marshal(vs)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, volumeFile), b, 0o644)
}
