package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/leakwatch/leakwatch/collectors/archive"
)

// archiveFlags are the flags that say how to read an archive file, the same for every command
// that reads one (analyze, replay, bench --file): three copies had drifted, and bench had no
// --comma, --encoding or --time-zone.
type archiveFlags struct {
	format, preset, columns, comma, encoding, timeZone, objects *string
}

// csvOnly are the archiveFlags that apply to CSV files only, by flag name.
var csvOnly = []string{"preset", "columns", "objects", "comma", "encoding", "time-zone"}

// addArchiveFlags defines the flags on fs; what prefixes each help text ("--file " for bench).
func addArchiveFlags(fs *flag.FlagSet, what string) *archiveFlags {
	return &archiveFlags{
		format:   fs.String("format", "", what+"archive format: twitter-v1, twitter-v2, jsonl or csv (default: from the file)"),
		preset:   fs.String("preset", "", what+"CSV layout by name: "+strings.Join(archive.PresetNames(), ", ")),
		columns:  fs.String("columns", "", what+"CSV column map: author=COL,time=COL[,id=COL,text=COL,...]"),
		comma:    fs.String("comma", "", what+"CSV field separator: one character, or \\t or tab (default: tab for .tsv, else ',')"),
		encoding: fs.String("encoding", "", what+"CSV character encoding: "+strings.Join(archive.EncodingNames(), ", ")+" (default utf-8: a row that is not UTF-8 is a bad record)"),
		timeZone: fs.String("time-zone", "", what+"CSV times written without an offset are in this IANA zone, e.g. Europe/Paris (default UTC)"),
		objects:  fs.String("objects", "", what+"CSV columns holding object ids: KIND=COL,... (KIND: url, domain, hashtag, reshare_of, reply_to, text, neartext, image)"),
	}
}

// options are the archive options the flags give, checked before any file is read; a
// mistake is a usage error naming the flag.
func (f *archiveFlags) options(name string) (archive.Options, error) {
	af, ok := analyzeFormats[*f.format]
	if !ok {
		return archive.Options{}, fmt.Errorf("%w: --format %q: want twitter-v1, twitter-v2, jsonl or csv", errUsage, *f.format)
	}
	opts := archive.Options{Format: af, Preset: *f.preset, Name: name, Encoding: *f.encoding, TimeZone: *f.timeZone}
	var err error
	if opts.Comma, err = archive.ParseComma(*f.comma); err != nil {
		return archive.Options{}, fmt.Errorf("%w: --comma: %v", errUsage, err)
	}
	if opts.Columns, err = archive.ParseColumns(*f.columns); err != nil {
		return archive.Options{}, fmt.Errorf("%w: --columns: %v", errUsage, err)
	}
	if opts.Objects, err = archive.ParseObjects(*f.objects); err != nil {
		return archive.Options{}, fmt.Errorf("%w: --objects: %v", errUsage, err)
	}
	if err := opts.Validate(); err != nil {
		return archive.Options{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	return opts, nil
}
