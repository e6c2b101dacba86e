package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/burst"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/analytics/volume"
	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/archive"
	"github.com/leakwatch/leakwatch/dashboards/report"
)

func init() {
	register(command{name: "analyze", summary: "batch analysis of an archive: writes DIR/detections.jsonl and a summary", run: runAnalyze})
}

// analyzeFormats maps --format to how the archive reader takes the file: every JSON-lines
// shape is told apart per line, so the three JSON formats read alike.
var analyzeFormats = map[string]archive.Format{
	"twitter-v1": archive.FormatJSONL,
	"twitter-v2": archive.FormatJSONL,
	"jsonl":      archive.FormatJSONL,
	"csv":        archive.FormatCSV,
	"":           archive.FormatAuto,
}

// maxBadShown is how many bad records the summary spells out; the rest are counted by reason.
const maxBadShown = 10

func runAnalyze(ctx context.Context, e *env, args []string) (err error) {
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w: stopped before the end; no result written", errInterrupted)
		}
	}()
	fs := newFlags(e, "analyze", "FILE... --out DIR [flags]")
	af := addArchiveFlags(fs, "")
	format, preset := af.format, af.preset
	window := fs.Duration("window", 0, "co-share window W (default from config: 60s)")
	minWeight := fs.Int("min-weight", 0, "co-share edges need this many distinct objects, M (default from config: 2)")
	maxSharers := fs.Int("max-sharers", 0, "cap on partner accounts per share and object (0: no cap, exact; default from config: 200)")
	maxCands := fs.Int("max-candidate-edges", 0, "most edges below --min-weight held, least recent forgotten first (0: no bound, exact; default from config)")
	reorder := fs.Duration("reorder", 0, "hold mentions at most this far out of order instead of sorting the whole file (0: sort all; default from config)")
	sortBuffer := fs.Int("sort-buffer", 0, "posts sorted in memory before they are written out as a sorted run to --tmp-dir (default from config: 250000, about 125 MB)")
	workers := fs.Int("workers", 0, "goroutines decoding, extracting and detecting (detect partitions by object) in parallel; the result does not depend on it (0: one per CPU; default from config: 0)")
	tmpDir := fs.String("tmp-dir", "", "directory for the sorted runs of archives larger than --sort-buffer (default: the system's temporary directory)")
	calPath := fs.String("calendar", "", "campaign calendar YAML to time detections against")
	cfgPath := fs.String("config", "", "leakwatch config file (its analysis section: candidates, detectors; and its calendar unless --calendar is given; every section is checked)")
	changes := fs.String("changes", "", "site changes (JSONL of SiteChange, as 'scenario generate' and the sites collector write) to tie bursts to")
	out := fs.String("out", "", "output directory for detections.jsonl, alerts.jsonl, volume.json and, when there are any, bad.jsonl (bad records) and refused.jsonl (required)")
	volBucket := volumeBucketFlag(fs, "bucket of the volume lines written to volume.json for the report command", time.Second, "seconds")
	progress := fs.Duration("progress", 5*time.Second, "progress line on stderr this often (0: none)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the analysis to this file")
	memLimit := fs.String("memory-limit", "1GiB", "collect garbage only as the heap nears this size, trading memory for CPU (0: Go's defaults; GOGC or GOMEMLIMIT in the environment win)")
	files, err := parseFiles(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: want at least one FILE", errUsage)
	}
	if *out == "" {
		return fmt.Errorf("%w: --out DIR is required", errUsage)
	}
	// A flag given is used as given: a value out of range is refused, not taken for "unset"
	// (the config's value). 0 means something for the last four (no cap, no bound, sort all,
	// one per CPU), so only negatives are refused there.
	given := givenFlags(fs)
	switch {
	case given["window"] && *window <= 0:
		return fmt.Errorf("%w: --window %v: want > 0", errUsage, *window)
	case given["min-weight"] && *minWeight < 1:
		return fmt.Errorf("%w: --min-weight %d: want >= 1", errUsage, *minWeight)
	case given["sort-buffer"] && *sortBuffer < 1:
		return fmt.Errorf("%w: --sort-buffer %d: want >= 1", errUsage, *sortBuffer)
	case given["max-sharers"] && *maxSharers < 0:
		return fmt.Errorf("%w: --max-sharers %d: want >= 0 (0: no cap)", errUsage, *maxSharers)
	case given["max-candidate-edges"] && *maxCands < 0:
		return fmt.Errorf("%w: --max-candidate-edges %d: want >= 0 (0: no bound)", errUsage, *maxCands)
	case given["reorder"] && *reorder < 0:
		return fmt.Errorf("%w: --reorder %v: want >= 0 (0: sort the whole file)", errUsage, *reorder)
	case given["workers"] && *workers < 0:
		return fmt.Errorf("%w: --workers %d: want >= 0 (0: one per CPU)", errUsage, *workers)
	}
	// volume.json names buckets by whole seconds.
	bucket, err := volBucket()
	if err != nil {
		return err
	}
	// CSV flags on a file read as JSON lines would be dropped without a word.
	var csvFlags []string
	for _, f := range csvOnly {
		if given[f] {
			csvFlags = append(csvFlags, "--"+f)
		}
	}
	if len(csvFlags) > 0 && analyzeFormats[*format] == archive.FormatJSONL {
		return fmt.Errorf("%w: %s: CSV only, and --format %s reads JSON lines", errUsage, strings.Join(csvFlags, ", "), *format)
	}
	opts, err := af.options("")
	if err != nil {
		return err
	}
	opts.NoRaw = true // posts are analyzed, never stored

	conf, err := readConfig(*cfgPath, *calPath == "") // --calendar replaces the config's
	if err != nil {
		return err
	}
	cfg := conf.Analysis
	if given["window"] {
		cfg.Coord.Window = *window
	}
	if given["min-weight"] {
		cfg.Coord.MinWeight = *minWeight
	}
	if given["max-candidate-edges"] {
		cfg.Coord.MaxCandidateEdges = *maxCands
	}
	if given["max-sharers"] {
		cfg.Coord.MaxSharers = *maxSharers
	}
	if given["reorder"] {
		cfg.Reorder = *reorder
	}
	if given["workers"] {
		cfg.Workers = *workers
	}
	if given["sort-buffer"] {
		cfg.SortBuffer = *sortBuffer
	}
	if *calPath != "" {
		cal, err := loadCalendar(*calPath)
		if err != nil {
			return err
		}
		cfg.Calendar = &cal
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	// The output directory is made before the archive is read: one that cannot be (a file of
	// that name, no permission) fails at once, not after the whole analysis.
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("--out %s: cannot create the output directory: %w", *out, err)
	}
	// An earlier run's results go now: a run that fails half way must not leave them to be
	// taken for its own (only the exit code told them apart).
	for _, name := range analyzeOutputs {
		if err := os.Remove(filepath.Join(*out, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("--out %s: %w", *out, err)
		}
	}

	limit, err := parseBytes(*memLimit)
	if err != nil {
		return fmt.Errorf("%w: --memory-limit %v", errUsage, err)
	}
	restoreGC, limited := collectNearLimit(limit)
	defer restoreGC()
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	batch, err := pipeline.NewBatch(cfg)
	if err != nil {
		return err
	}
	runs, err := newTempRuns(*tmpDir)
	if err != nil {
		return err
	}
	defer runs.Close()
	batch.Runs = runs
	batch.Err = ctx.Err // Ctrl-C stops detection too, not only reading
	if *progress > 0 {
		batch.OnRun = func(run, posts int) {
			fmt.Fprintf(e.stderr, "analyze: sorted run %d written (%d posts) to %s\n", run, posts, runs.dir)
		}
	}
	bad := badRecords{reasons: map[string]int{}, path: filepath.Join(*out, "bad.jsonl")}
	defer bad.abort() // an error or Ctrl-C before the end leaves no half-written file
	var changeStats archive.Stats
	if *changes != "" {
		if changeStats, err = readChanges(ctx, *changes, batch, &bad); err != nil {
			return err
		}
	}
	// JSON lines decode on as many goroutines as detect has partitions.
	if opts.Workers = cfg.Workers; opts.Workers == 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	// Every file is opened, and its CSV header read, before any is analyzed: a typo in the
	// last of a year's daily files fails at once, not after the others were read.
	for _, path := range files {
		r, err := openArchive(path, opts, csvFlags, *preset)
		if err != nil {
			return err
		}
		r.Close()
	}
	// Hourly volume lines for the report; a campaign of months stays a few thousand points.
	batch.Volume = volume.New(bucket, 0)
	log := e.log.With("cmd", "analyze", "files", len(files), "file", filepath.Base(files[0]))
	start, cpu0, gc0 := time.Now(), cpuSeconds(), gcSeconds()
	nextReport := start.Add(*progress)
	var records int64 // of the files before the one being read
	tick := func(n int64) {
		if *progress > 0 && time.Now().After(nextReport) {
			el := time.Since(start)
			fmt.Fprintf(e.stderr, "analyze: %d records read (%d bad), %.0f posts/s\n", records+n, bad.n, float64(batch.Posts())/el.Seconds())
			nextReport = time.Now().Add(*progress)
		}
	}
	// The files are one archive: the analysis sorts every post by event time, so their order,
	// and how the archive was cut into them, do not matter.
	var st archive.Stats
	layouts := map[string]string{} // file -> the preset its CSV header was recognised as
	for _, path := range files {
		r, err := openArchive(path, opts, csvFlags, *preset)
		if err != nil {
			return err
		}
		err = feedArchive(ctx, r, path, batch, &bad, batch.PostAll, tick)
		st = st.Plus(r.Stats())
		records = int64(st.Records)
		if name := r.Recognised(); name != "" {
			layouts[path] = name
		}
		r.Close()
		if err != nil {
			return err
		}
	}
	if st.Posts == 0 {
		// Checked before anything is written: an empty result must not pass for a quiet
		// campaign in a script, nor leave files in --out that look like one. Only the bad
		// records are kept, for their reasons.
		if err := bad.close(); err != nil {
			return err
		}
		printBadReasons(e.stderr, bad)
		return noPostError(files, st)
	}
	// Detection shows progress whenever the run is long, also after a quick read: a dense
	// archive read in two seconds could detect for minutes without a line.
	read := time.Since(start)
	saidRead := false
	if *progress > 0 {
		sayRead := func() {
			if !saidRead {
				fmt.Fprintf(e.stderr, "analyze: read done in %s, detecting\n", read.Round(time.Millisecond))
				saidRead = true
			}
		}
		if read > *progress {
			sayRead()
		}
		batch.OnDetect = func(done, total int64) {
			if time.Now().After(nextReport) {
				sayRead()
				fmt.Fprintf(e.stderr, "analyze: detecting, %d of %d mentions (%.0f%%)\n", done, total, 100*float64(done)/float64(max(total, 1)))
				nextReport = time.Now().Add(*progress)
			}
		}
	}
	res, err := batch.Finish()
	if err != nil {
		return err
	}
	took, cpu, gc := time.Since(start), cpuSeconds()-cpu0, gcSeconds()-gc0
	if gcShare := gc / max(cpu, 1e-9); limited && gcShare > 0.3 && cpu > 2 {
		fmt.Fprintf(e.stderr, "analyze: garbage collection took %.0f%% of the CPU: the live data is near --memory-limit %s; a higher limit (or a lower --sort-buffer, coord.max_candidate_edges) would speed this up\n", 100*gcShare, *memLimit)
	}

	outFile := filepath.Join(*out, "detections.jsonl")
	if err := writeDetections(outFile, res.Signals); err != nil {
		return err
	}
	log.Debug("wrote detections", "path", outFile, "signals", len(res.Signals))
	// The alerts the rules raised, in the form the alerts topic and webhooks carry: which
	// pages a live run would have sent, and when.
	if err := writeJSONLines(filepath.Join(*out, "alerts.jsonl"), res.Alerts); err != nil {
		return err
	}
	if err := writeVolume(*out, batch.Volume.Series()); err != nil {
		return err
	}
	// Nothing accepted is lost: refused mentions are written beside the detections.
	if len(res.Refused) > 0 {
		if err := writeJSONLines(filepath.Join(*out, "refused.jsonl"), res.Refused); err != nil {
			return err
		}
	}
	if err := bad.close(); err != nil {
		return err
	}
	st = st.Plus(changeStats)
	printAnalyzeSummary(e.stdout, files, layouts, outFile, st, bad, res, cfg, took, cpu, gc)
	if cfg.Calendar != nil {
		if w := calendarSpanWarning(*cfg.Calendar, res.Summary.First, res.Summary.Last); w != "" {
			fmt.Fprintf(e.stderr, "analyze: warning: %s\n", w)
		}
	}
	for _, w := range strayWarnings(batch.Volume.Series(), st.Posts) {
		fmt.Fprintf(e.stderr, "analyze: warning: %s\n", w)
	}
	return nil
}

// noPostError says why an archive gave no post to analyze.
func noPostError(files []string, st archive.Stats) error {
	in := strings.Join(files, ", ")
	holds := "the file holds"
	if len(files) > 1 {
		holds = "the files hold"
	}
	switch {
	case st.Bad > 0:
		// Most often a column map or format that does not fit the file.
		return fmt.Errorf("no post could be read: all %d records of %s were bad (reasons above)", st.Bad, in)
	case st.Changes > 0:
		return fmt.Errorf("no post in %s: %s %d site changes and no post (site changes are timed against the posts' bursts; give the posts too)", in, holds, st.Changes)
	default:
		// An empty file, or a CSV header alone: an export that went wrong.
		return fmt.Errorf("no post in %s: %s no record", in, holds)
	}
}

// analyzeOutputs are the files analyze writes in --out.
var analyzeOutputs = []string{"detections.jsonl", "alerts.jsonl", "volume.json", "bad.jsonl", "refused.jsonl"}

// openArchive opens one archive file with the command's options; csvFlags are the CSV-only
// flags given, refused on a file read as JSON lines rather than dropped without a word.
func openArchive(path string, opts archive.Options, csvFlags []string, preset string) (*archive.Reader, error) {
	if len(csvFlags) > 0 && opts.Format == archive.FormatAuto && preset == "" {
		if f, err := archive.DetectFormat(path); err == nil && f == archive.FormatJSONL {
			return nil, fmt.Errorf("%w: %s: CSV only, and %s reads as JSON lines (give --format csv if it is CSV)", errUsage, strings.Join(csvFlags, ", "), path)
		}
	}
	r, err := archive.Open(path, opts)
	if err == nil {
		return r, nil
	}
	if _, known := archive.Presets[preset]; known && !errors.Is(err, os.ErrNotExist) {
		if f, _ := archive.DetectFormat(path); f == archive.FormatJSONL {
			// A CSV header error alone does not say why a JSON-lines file was read as CSV.
			return nil, fmt.Errorf("%w: --preset %s reads the file as CSV (JSON lines need no --preset): %v", errUsage, preset, err)
		}
		return nil, fmt.Errorf("%w: --preset %s: %v", errUsage, preset, err)
	}
	return nil, fmt.Errorf("%w: %v", errUsage, err)
}

// readChanges queues the site changes of a JSONL file. Posts in it are refused: the file
// is meant for changes, and a post there would be a mix-up worth knowing about.
func readChanges(ctx context.Context, path string, batch *pipeline.Batch, bad *badRecords) (archive.Stats, error) {
	// Site changes come only as the sites collector writes them: the reader's advice for a
	// CSV file (--format csv, --columns) would not apply.
	if f, err := archive.DetectFormat(path); err == nil && f == archive.FormatCSV {
		return archive.Stats{}, fmt.Errorf("%w: --changes %s: a CSV file, but site changes are JSON lines, as the sites collector and 'scenario generate' write them", errUsage, path)
	}
	r, err := archive.Open(path, archive.Options{Format: archive.FormatJSONL})
	if err != nil {
		return archive.Stats{}, fmt.Errorf("%w: --changes: %v", errUsage, err)
	}
	defer r.Close()
	err = feedArchive(ctx, r, path, batch, bad, func(ps []leakwatch.Post) error {
		if len(ps) > 0 {
			return fmt.Errorf("%w: --changes %s holds posts (the first: %s): it takes site changes only; give posts as the FILE to analyze", errUsage, path, ps[0].URI)
		}
		return nil
	}, nil)
	return r.Stats(), err
}

// feedArchive hands every record of r to batch: site changes queued, bad records counted,
// posts to posts, a batch at a time; tick, when set, runs after each batch with the count of
// records so far.
//
// Reading and decoding run on their own goroutine, a batch of records ahead: decoding is a
// fifth of analyze's CPU and overlaps extraction on a second core. Records stay in file order.
func feedArchive(parent context.Context, r *archive.Reader, path string, batch *pipeline.Batch, bad *badRecords, posts func([]leakwatch.Post) error, tick func(records int64)) error {
	ctx, cancel := context.WithCancel(parent)
	recs := make(chan []collectors.Record, 8)
	var readErr error
	go func() {
		defer close(recs)
		send := func(b []collectors.Record) bool {
			select {
			case recs <- b:
				return true
			case <-ctx.Done():
				return false
			}
		}
		buf := make([]collectors.Record, 0, readAhead)
		for ctx.Err() == nil {
			rec, err := r.NextRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				readErr = fmt.Errorf("read: %w", err) // it names the file (and line) already
				break
			}
			if buf = append(buf, rec); len(buf) == readAhead {
				if !send(buf) {
					return
				}
				buf = make([]collectors.Record, 0, readAhead)
			}
		}
		if len(buf) > 0 {
			send(buf)
		}
	}()
	// The reader must be done with r before the caller closes it, whatever happens here.
	stop := func(err error) error {
		cancel()
		for range recs {
		}
		return err
	}
	var n int64
	var ps []leakwatch.Post
	for b := range recs {
		if err := parent.Err(); err != nil {
			return stop(err)
		}
		ps = ps[:0]
		for _, rec := range b {
			switch {
			case rec.Bad != nil:
				bad.add(rec.Bad)
			case rec.Change != nil:
				batch.Change(*rec.Change)
			case rec.Post != nil:
				ps = append(ps, *rec.Post)
				archive.Recycle(rec.Post)
			}
		}
		// Order between a batch's posts and its changes or bad records does not matter: the
		// analysis sorts by event time.
		if err := posts(ps); err != nil {
			return stop(err)
		}
		if n += int64(len(b)); tick != nil {
			tick(n)
		}
	}
	if err := stop(nil); err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	return parent.Err()
}

// readAhead is how many records the reader decodes ahead of the analysis.
const readAhead = 256

// writeDetections writes the detections file atomically: a reader never sees half a file.
// Signals are written from their own MarshalJSON: an Encoder would check and copy each
// record it returns again, a fiftieth of a batch analysis with ten thousand edges.
func writeDetections(path string, sigs []leakwatch.Signal) error {
	return writeLines(path, sigs, func(w *bufio.Writer, s leakwatch.Signal) error {
		b, err := s.MarshalJSON()
		if err == nil {
			w.Write(b)
			err = w.WriteByte('\n')
		}
		return err
	})
}

// writeJSONLines writes one JSON value a line, through a temporary file renamed into place.
func writeJSONLines[T any](path string, values []T) error {
	var enc *json.Encoder
	return writeLines(path, values, func(w *bufio.Writer, v T) error {
		if enc == nil {
			enc = jsonLines(w)
		}
		return enc.Encode(v)
	})
}

// jsonLines encodes one JSON value a line, with URLs and "<" in texts left as they are.
func jsonLines(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// writeLines writes values one a line with write, through a temporary file renamed into
// place.
func writeLines[T any](path string, values []T, write func(*bufio.Writer, T) error) error {
	lf, err := createLineFile(path)
	if err != nil {
		return err
	}
	for i, v := range values {
		if err := write(lf.w, v); err != nil {
			lf.abort()
			return fmt.Errorf("%s: record %d: %w", path, i+1, err)
		}
	}
	return lf.commit()
}

// lineFile is an output file written to a temporary file beside it, which commit renames
// into place: a reader never sees half a file, and abort leaves none behind.
type lineFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

func createLineFile(path string) (*lineFile, error) {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return nil, err
	}
	return &lineFile{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// commit puts the file in place; when that fails, the temporary file is removed.
func (l *lineFile) commit() error {
	err := l.w.Flush()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(l.f.Name(), l.path)
	}
	if err != nil {
		os.Remove(l.f.Name())
	}
	return err
}

// abort removes the temporary file.
func (l *lineFile) abort() {
	l.f.Close()
	os.Remove(l.f.Name())
}

// cpuSeconds is the CPU time the process used so far, user and system, from the kernel (the
// runtime's own CPU metrics only move when it collects garbage, which analyze may not do at
// all): on a shared machine posts per CPU second says more than posts per wall second.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// badRecords keeps the first few bad records for the summary, counts all of them by reason,
// and writes every one to its file (DIR/bad.jsonl), so none is lost: a researcher fixing an
// archive needs each line, not ten of them.
type badRecords struct {
	n       int
	shown   []string
	reasons map[string]int

	path string    // where every bad record goes; opened at the first
	file *lineFile // nil until the first, and once closed
	enc  *json.Encoder
	err  error // the first failure to save one
}

// badLine is one line of bad.jsonl.
type badLine struct {
	Record string `json:"record"` // "file.csv.gz:1234"
	Reason string `json:"reason"`
	Raw    string `json:"raw,omitempty"` // the record as read, when it is UTF-8
	// RawBase64 is the record as read when it is not UTF-8 (a Latin-1 row, a common
	// reason for a bad record): as a JSON string its bytes would be lost.
	RawBase64 []byte `json:"raw_base64,omitempty"`
}

func (b *badRecords) add(rec *collectors.BadRecord) {
	b.n++
	msg := rec.Err.Error()
	if len(b.shown) < maxBadShown {
		b.shown = append(b.shown, rec.Ref+": "+msg)
	}
	b.reasons[reasonKey(msg)]++
	l := badLine{Record: rec.Ref, Reason: msg}
	if utf8.Valid(rec.Raw) {
		l.Raw = string(rec.Raw)
	} else {
		l.RawBase64 = rec.Raw
	}
	b.save(l)
}

// reasonKey is what bad records are counted by in the summary: the reason without what
// differs from record to record, the post's id in front, quoted values and numbers (line
// counts, sizes), so thirty posts dated 1970 count as one reason, and a post without an
// author and one without a time offset as two. Numbers joined to a dot or colon (a range such
// as 1990..2099, a version such as v1.1, an offset such as +02:00) are the rule's, and stay.
func reasonKey(msg string) string {
	for _, p := range []string{"post ", "site change "} {
		if rest, ok := strings.CutPrefix(msg, p); ok {
			if _, after, ok := strings.Cut(rest, ": "); ok && !strings.ContainsAny(rest[:len(rest)-len(after)-2], " \"") {
				msg = after
			}
		}
	}
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		switch {
		case c == '"':
			// A quoted value, escapes and all, is one "…".
			j := i + 1
			for j < len(msg) && msg[j] != '"' {
				if msg[j] == '\\' {
					j++
				}
				j++
			}
			b.WriteString(`"…"`)
			if strings.HasPrefix(msg[min(j+1, len(msg)):], "...") {
				j += 3 // the quoted value was cut short
			}
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			hex := c == '0' && j < len(msg) && msg[j] == 'x' // a byte's value, 0xE9
			if hex {
				j++
			}
			for j < len(msg) && (msg[j] >= '0' && msg[j] <= '9' || hex && (msg[j]|0x20 >= 'a' && msg[j]|0x20 <= 'f')) {
				j++
			}
			if (i > 0 && strings.IndexByte(".:+-", msg[i-1]) >= 0) || (j < len(msg) && strings.IndexByte(".:", msg[j]) >= 0) || (i > 0 && isWordByte(msg[i-1])) {
				b.WriteString(msg[i:j])
			} else {
				b.WriteByte('N')
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	key := b.String()
	if r := []rune(key); len(r) > 100 {
		key = string(r[:99]) + "…"
	}
	return key
}

// isWordByte reports whether c is an ASCII letter or underscore: a digit after one is part of
// a name (utf8, v2), not a count.
func isWordByte(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }

func (b *badRecords) save(l badLine) {
	if b.path == "" || b.err != nil {
		return
	}
	if b.file == nil {
		if b.err = os.MkdirAll(filepath.Dir(b.path), 0o755); b.err != nil {
			return
		}
		if b.file, b.err = createLineFile(b.path); b.err != nil {
			return
		}
		b.enc = jsonLines(b.file.w)
	}
	b.err = b.enc.Encode(l)
}

// abort removes a file not put in place: analyze stopped before close.
func (b *badRecords) abort() {
	if b.file != nil {
		b.file.abort()
		b.file = nil
	}
}

// close puts the bad records' file in place, or removes an earlier run's when there were none.
func (b *badRecords) close() error {
	if b.path == "" {
		return nil
	}
	// Without bad records there is no file to write: an earlier run's went when the run began.
	switch {
	case b.file == nil:
	case b.err != nil:
		b.abort()
	default:
		b.err = b.file.commit()
		b.file = nil
	}
	if b.err != nil {
		return fmt.Errorf("saving the bad records to %s: %w", b.path, b.err)
	}
	return nil
}

// layoutLine says which preset the files' CSV headers were recognised as: one preset for all
// files, or each file's, or "" when none was.
func layoutLine(files []string, layouts map[string]string) string {
	if len(layouts) == 0 {
		return ""
	}
	all := layouts[files[0]]
	for _, f := range files {
		if layouts[f] != all {
			all = ""
		}
	}
	switch {
	case all != "" && len(files) == 1:
		return "preset " + all + ", recognised from the CSV header"
	case all != "":
		return "preset " + all + ", recognised from each file's CSV header"
	}
	var parts []string
	for _, f := range files {
		if p := layouts[f]; p != "" {
			parts = append(parts, filepath.Base(f)+" preset "+p)
		}
	}
	return strings.Join(parts, "; ") + " (recognised from their CSV headers)"
}

// printBadReasons counts the bad records by rule, most first, with the first few and where
// they all are.
func printBadReasons(w io.Writer, bad badRecords) {
	if bad.n == 0 {
		return
	}
	reasons := make([]string, 0, len(bad.reasons))
	for r := range bad.reasons {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if bad.reasons[reasons[i]] != bad.reasons[reasons[j]] {
			return bad.reasons[reasons[i]] > bad.reasons[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	for _, r := range reasons {
		fmt.Fprintf(w, "    bad: %6d  %s\n", bad.reasons[r], r)
	}
	for _, b := range bad.shown {
		fmt.Fprintf(w, "    e.g. %s\n", b)
	}
	fmt.Fprintf(w, "    every bad record, with its reason and content, is in %s\n", bad.path)
}

func printAnalyzeSummary(w io.Writer, files []string, layouts map[string]string, outFile string, st archive.Stats, bad badRecords, res pipeline.Result, cfg pipeline.Config, took time.Duration, cpu, gc float64) {
	s := res.Summary
	if len(files) == 1 {
		fmt.Fprintf(w, "analyzed %s\n", files[0])
	} else {
		fmt.Fprintf(w, "analyzed %d files: %s\n", len(files), strings.Join(files, ", "))
	}
	if l := layoutLine(files, layouts); l != "" {
		fmt.Fprintf(w, "  layout        %s\n", l)
	}
	fmt.Fprintf(w, "  records       %d (posts %d, site changes %d, bad %d)\n", st.Records, st.Posts, st.Changes, st.Bad)
	if !s.First.IsZero() {
		fmt.Fprintf(w, "  posts from    %s to %s\n", minute(s.First), minute(s.Last))
	}
	printBadReasons(w, bad)
	if s.Duplicates > 0 {
		fmt.Fprintf(w, "  copies        %d posts seen again (the same URI within analysis.lateness of the first) were detected once\n", s.Duplicates)
	}
	fmt.Fprintf(w, "  mentions      %d (refused %d)\n", s.Mentions, s.Refused)
	if s.Refused > 0 {
		fmt.Fprintf(w, "    refused mentions are in %s: the file is further out of event-time order than --reorder allows (use --reorder 0 to sort it whole)\n",
			filepath.Join(filepath.Dir(outFile), "refused.jsonl"))
	}
	if s.Runs > 0 {
		fmt.Fprintf(w, "  sorted runs   %d (the archive was larger than --sort-buffer; merged from disk)\n", s.Runs)
	}
	fmt.Fprintf(w, "  co-shares     %d observations over %d account pairs; pairs skipped by cap %d; candidate edges forgotten %d\n", s.CoShares, s.Pairs, s.PairsSkipped, s.EdgesForgotten)
	fmt.Fprintf(w, "  bursts        %d%s%s\n", s.Bursts, slowBursts(s), burstWindow(s, cfg.Burst))
	fmt.Fprintf(w, "  edges         %d\n", s.Edges)
	fmt.Fprintf(w, "  groups        %d\n", s.Groups)
	fmt.Fprintf(w, "  leaks         %d\n", s.Leaks)
	fmt.Fprintf(w, "  alerts        %d (%s)\n", s.Alerts, filepath.Join(filepath.Dir(outFile), "alerts.jsonl"))
	rate := float64(s.Posts) / took.Seconds()
	fmt.Fprintf(w, "  time          %s (%s posts/s); CPU %.2fs (%.0f posts per CPU second, %.0f%% of it garbage collection)\n",
		took.Round(time.Millisecond), strconv.FormatFloat(rate, 'f', 0, 64), cpu, float64(s.Posts)/max(cpu, 1e-9), 100*gc/max(cpu, 1e-9))
	fmt.Fprintf(w, "  output        %s\n", outFile)
	report.Digest(w, res.Signals, findings) // a failed write to the terminal has nowhere to go
}

// slowBursts says how many bursts are of the hour scale, which the alert rules skip: without
// it a count that grew by half reads as noise in the minute bursts.
func slowBursts(s pipeline.Summary) string {
	if s.SlowBursts == 0 {
		return ""
	}
	return fmt.Sprintf(", %d of them slow (counted by the hour; the alert rules skip them)", s.SlowBursts)
}

// burstWindow says when bursts could begin: objects active from the first post learn their
// level during burst.warmup and cannot burst, and their bursts of the first burst.learning
// are marked learning (which the alert rules skip). Without it an evening whose event came
// in the first hour reads as one without a burst.
func burstWindow(s pipeline.Summary, c burst.Config) string {
	if s.First.IsZero() || c.Warmup <= 0 && c.Learning <= 0 {
		return ""
	}
	var parts []string
	if c.Warmup > 0 {
		parts = append(parts, fmt.Sprintf("possible from %s, after burst.warmup %s", minute(s.First.Add(c.Warmup)), shortDuration(c.Warmup)))
	}
	if c.Learning > 0 {
		parts = append(parts, fmt.Sprintf("marked learning until %s, skipped by the alert rules", minute(s.First.Add(c.Learning))))
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// calendarSpanWarning is why a calendar cannot time these posts, or "": posts from a month
// or more outside its events are another campaign's, or the wrong calendar (after the last
// vote nothing has a next vote or silence to be timed against).
func calendarSpanWarning(cal leakwatch.Calendar, first, last time.Time) string {
	ev := cal.Sorted()
	if len(ev) == 0 || first.IsZero() {
		return ""
	}
	from, to := ev[0].Start, ev[0].End
	for _, e := range ev {
		to = later(to, later(e.Start, e.End))
	}
	const margin = 30 * 24 * time.Hour
	if last.Before(from.Add(-margin)) || first.After(to.Add(margin)) {
		return fmt.Sprintf("the calendar %q has events from %s to %s and the posts run from %s to %s: is it this campaign's calendar? Detections are placed against it all the same (offsets of months, no silence, no next vote)",
			cal.Name, from.UTC().Format("2006-01-02"), to.UTC().Format("2006-01-02"), first.UTC().Format("2006-01-02"), last.UTC().Format("2006-01-02"))
	}
	return ""
}

// strayWarnings say which posts lie far from the rest of the archive at either end (a month
// of nothing between, at most a thousandth of the posts): a date years off, a typo or a
// broken export, that the burst warm-up and baselines start from and every timeline stretches
// to. They are analyzed all the same: the file is the user's to fix.
func strayWarnings(series []volume.Series, posts int) []string {
	var all volume.Series
	for _, s := range series {
		if s.Name == volume.All {
			all = s
		}
	}
	head, tail := volume.Stray(all, volume.StrayGap, max(1, posts/volume.StrayShare))
	count := func(ps []volume.Point) int {
		n := 0
		for _, p := range ps {
			n += p.N
		}
		return n
	}
	span := func(d time.Duration) string {
		if days := d.Hours() / 24; days < 730 {
			return fmt.Sprintf("%.0f days", days)
		}
		return fmt.Sprintf("%.0f years", d.Hours()/24/365.25)
	}
	said := func(n int, from string) string {
		if n == 1 {
			return fmt.Sprintf("1 post %s lies", from)
		}
		return fmt.Sprintf("%d posts %s lie", n, from)
	}
	var out []string
	if len(head) > 0 {
		next := all.Points[len(head)].T
		out = append(out, fmt.Sprintf("%s %s before the rest (from %s): a wrong date? The burst warm-up and baselines begin there; fix the file or leave it out",
			said(count(head), "from "+head[0].T.UTC().Format("2006-01-02")), span(next.Sub(head[len(head)-1].T)), next.UTC().Format("2006-01-02")))
	}
	if len(tail) > 0 {
		prev := all.Points[len(all.Points)-len(tail)-1].T
		out = append(out, fmt.Sprintf("%s %s after the rest (to %s): a wrong date? Every timeline runs on to it; fix the file or leave it out",
			said(count(tail), "to "+tail[len(tail)-1].T.UTC().Format("2006-01-02")), span(tail[0].T.Sub(prev)), prev.UTC().Format("2006-01-02")))
	}
	return out
}

// shortDuration writes d without its zero minutes and seconds: 1h, 24h, 10m, 1h30m.
func shortDuration(d time.Duration) string {
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

// minute is how the summary writes a time: to the minute, in UTC, as the digest below.
func minute(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// findings is how many groups, bursts and leak incidents the summary lists.
const findings = 5
