package archive

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // time zones are named by users; a slim deploy image may have no zoneinfo
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/leakwatch/leakwatch"
)

// Format is how a file is laid out.
type Format string

// Formats. FormatAuto decides from the name (after a .gz suffix) and then from the first byte.
const (
	FormatAuto  Format = ""
	FormatJSONL Format = "jsonl"
	FormatCSV   Format = "csv"
)

// Options says how to read an archive. The zero value reads JSONL, and CSV once Columns
// names at least the author and time columns.
type Options struct {
	// Name is the source name in bad records and logs; default "archive".
	Name   string `yaml:"name"`
	Format Format `yaml:"format"`
	// Preset fills Columns, Objects and the CSV settings for a known layout (see Presets);
	// fields set explicitly override it.
	Preset  string         `yaml:"preset"`
	Columns Columns        `yaml:"columns"`
	Objects []ObjectColumn `yaml:"objects"`
	// Platform of CSV posts; default "archive". Twitter ids in a CSV are comparable with the
	// streamed ones only when it is "twitter".
	Platform string `yaml:"platform"`
	// Comma is the CSV field separator; default tab for a .tsv name (under any .gz), else ','.
	Comma rune `yaml:"comma"`
	// Null lists cell values meaning "empty" in every column but text (rtweet writes "NA").
	Null []string `yaml:"null"`
	// Encoding is the CSV's character encoding: utf-8 (the default), windows-1252 or
	// iso-8859-1 (EncodingNames), decoded to UTF-8 before parsing. In a file read as UTF-8, a
	// row whose text or other cell taken into the post (any cell, unless NoRaw) is not UTF-8
	// is a bad record, never repaired: a Latin-1 export would lose every accent unnoticed.
	Encoding string `yaml:"encoding"`
	// TimeZone is the IANA name (Europe/Paris) of the zone of CSV times written without an
	// offset; default UTC. Times with an offset and Unix times are instants already.
	TimeZone string `yaml:"time_zone"`
	// SplitPosts says the file spreads one post over several rows, one per combination of
	// objects (CooRTweet's German set does). Each row keeps the post id, but its URI gains a
	// hash of its objects so that no row supersedes another when posts are deduplicated by URI.
	SplitPosts bool `yaml:"split_posts"`
	// Workers decode JSON lines in parallel when above 1 (records still come in file order);
	// decoding is most of the cost of reading Twitter v1.1 archives.
	Workers int `yaml:"-"`
	// NoRaw leaves Post.Raw empty for CSV rows instead of keeping each row as JSON, for a
	// reader that only analyzes posts and never stores them (analyze): writing that JSON was
	// a tenth of the cost of analyzing a CSV archive.
	NoRaw bool `yaml:"-"`

	// Set by presets only (Preset.Options), for layouts whose data says what the cells alone
	// do not: optional maps the columns a header may or may not hold (the full IRA release
	// has tweet_id, the shared one does not), monthFirst reads M/D/YYYY H:MM times (IRA's
	// publish_date, 10/1/2017 19:58; in general 1/2/2017 is January or February), and xIDs
	// drops the "x" rtweet's write_as_csv puts before every id (prepend_ids, so that Excel
	// keeps their digits).
	optional   Columns
	monthFirst bool
	xIDs       bool
}

// Columns maps post fields to CSV column names. Author and Time are required for CSV.
// Time values may be any form ParseTime reads, detected per value.
type Columns struct {
	ID     string `yaml:"id"`     // post id; when absent or empty a stable id is derived
	Author string `yaml:"author"` // account id
	Time   string `yaml:"time"`
	Text   string `yaml:"text"`
	Handle string `yaml:"handle"` // screen name; a leading '@' is dropped
	Name   string `yaml:"name"`   // display name
	Lang   string `yaml:"lang"`
	// Reshare holds the id of the reshared post.
	Reshare string `yaml:"reshare"`
	// Retweet holds a flag ("R", "RT", "1", "true", "yes") marking the row as a reshare of a
	// post the file does not identify: its target is derived from the text, so retweets of
	// the same text share one reshare_of object.
	Retweet string `yaml:"retweet"`
	Reply   string `yaml:"reply"` // id of the post replied to
	Quote   string `yaml:"quote"` // id of the quoted post
	// URLs, Hashtags and Mentions hold lists: words separated by spaces or commas, or a
	// list as the exporting tool wrote it, JSON (twarc-csv's [{"tag": ...}], items' url or
	// expanded_url, tag, username) or Python (Twint's ['#a', '#b']).
	URLs      string `yaml:"urls"`     // one or more URLs
	Hashtags  string `yaml:"hashtags"` // one or more hashtags, '#' optional
	Mentions  string `yaml:"mentions"` // one or more handles, '@' optional
	Followers string `yaml:"followers"`
	Following string `yaml:"following"`
	Posts     string `yaml:"posts"` // the author's post count
	// Observed is when the post was collected; default the post time.
	Observed string `yaml:"observed"`
}

// columnFields lists the --columns keys in the order they are documented, with a pointer getter.
var columnFields = []struct {
	key string
	get func(*Columns) *string
}{
	{"id", func(c *Columns) *string { return &c.ID }},
	{"author", func(c *Columns) *string { return &c.Author }},
	{"time", func(c *Columns) *string { return &c.Time }},
	{"text", func(c *Columns) *string { return &c.Text }},
	{"handle", func(c *Columns) *string { return &c.Handle }},
	{"name", func(c *Columns) *string { return &c.Name }},
	{"lang", func(c *Columns) *string { return &c.Lang }},
	{"reshare", func(c *Columns) *string { return &c.Reshare }},
	{"retweet", func(c *Columns) *string { return &c.Retweet }},
	{"reply", func(c *Columns) *string { return &c.Reply }},
	{"quote", func(c *Columns) *string { return &c.Quote }},
	{"urls", func(c *Columns) *string { return &c.URLs }},
	{"hashtags", func(c *Columns) *string { return &c.Hashtags }},
	{"mentions", func(c *Columns) *string { return &c.Mentions }},
	{"followers", func(c *Columns) *string { return &c.Followers }},
	{"following", func(c *Columns) *string { return &c.Following }},
	{"posts", func(c *Columns) *string { return &c.Posts }},
	{"observed", func(c *Columns) *string { return &c.Observed }},
}

// columnAliases are accepted spellings of column keys.
var columnAliases = map[string]string{"url": "urls", "hashtag": "hashtags", "mention": "mentions", "reply_to": "reply", "reshare_of": "reshare", "quote_of": "quote"}

// ColumnKeys are the keys ParseColumns accepts.
func ColumnKeys() []string {
	keys := make([]string, len(columnFields))
	for i, f := range columnFields {
		keys[i] = f.key
	}
	return keys
}

// ObjectColumn is a column whose cells already are object ids of one kind, taken verbatim
// into Post.Objects (an empty cell means none).
type ObjectColumn struct {
	Kind   leakwatch.ObjectKind `yaml:"kind"`
	Column string               `yaml:"column"`
}

// ParseColumns reads the --columns flag: "author=COL,time=COL,id=COL,text=COL[,KEY=COL...]".
func ParseColumns(s string) (Columns, error) {
	var c Columns
	err := c.set(s)
	return c, err
}

func (c *Columns) set(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			if _, preset := Presets[strings.TrimSpace(part)]; preset && !ok {
				// The message for a CSV without columns names the presets; one given here
				// belongs to --preset.
				return fmt.Errorf("columns: %q is a preset, not a column map: give it as --preset %s (preset: in a config)", part, strings.TrimSpace(part))
			}
			return fmt.Errorf("columns: %q: want KEY=COLUMN", part)
		}
		if a, ok := columnAliases[k]; ok {
			k = a
		}
		field := columnField(c, k)
		if field == nil {
			return fmt.Errorf("columns: unknown key %q (known: %s)", k, strings.Join(ColumnKeys(), ", "))
		}
		if seen[k] {
			return fmt.Errorf("columns: key %q given twice", k)
		}
		seen[k] = true
		*field = v
	}
	return nil
}

// String is the --columns form of c.
func (c Columns) String() string {
	var parts []string
	for _, f := range columnFields {
		if v := *f.get(&c); v != "" {
			parts = append(parts, f.key+"="+v)
		}
	}
	return strings.Join(parts, ",")
}

// merge fills c's empty fields from base.
func (c Columns) merge(base Columns) Columns {
	for _, f := range columnFields {
		if *f.get(&c) == "" {
			*f.get(&c) = *f.get(&base)
		}
	}
	return c
}

// columnField is the field of c that key names, or nil.
func columnField(c *Columns, key string) *string {
	for _, f := range columnFields {
		if f.key == key {
			return f.get(c)
		}
	}
	return nil
}

// ParseObjects reads the --objects flag: "KIND=COL,...", KIND one of leakwatch.ShareKinds.
func ParseObjects(s string) ([]ObjectColumn, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []ObjectColumn
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("objects: %q: want KIND=COLUMN", part)
		}
		oc := ObjectColumn{Kind: leakwatch.ObjectKind(k), Column: v}
		if err := oc.validate(); err != nil {
			return nil, err
		}
		out = append(out, oc)
	}
	return out, nil
}

func (oc ObjectColumn) validate() error {
	if !slices.Contains(leakwatch.ShareKinds, oc.Kind) {
		kinds := make([]string, len(leakwatch.ShareKinds))
		for i, k := range leakwatch.ShareKinds {
			kinds[i] = string(k)
		}
		return fmt.Errorf("objects: unknown kind %q (known: %s)", oc.Kind, strings.Join(kinds, ", "))
	}
	if oc.Column == "" {
		return fmt.Errorf("objects: kind %q: column is empty", oc.Kind)
	}
	return nil
}

// Preset is a named CSV layout of a known data set.
type Preset struct {
	Summary string
	Options Options
}

// Presets are the layouts leakwatch knows by name (--preset).
var Presets = map[string]Preset{
	// IRA troll tweets (FiveThirtyEight/Clemson): no tweet ids; post_type R is a retweet of an
	// unnamed tweet, Q a quote (kept as an original post: its text is the quoting text).
	"ira": {
		Summary: "IRA troll tweets (author, publish_date, content, post_type R = retweet)",
		Options: Options{Platform: leakwatch.PlatformTwitter, Columns: Columns{
			Author: "author", Handle: "author", Time: "publish_date", Text: "content", Lang: "language",
			Retweet: "post_type", Followers: "followers", Following: "following", Posts: "updates",
			Observed: "harvested_date",
		}, optional: Columns{ID: "tweet_id"}, monthFirst: true},
	},
	// CooRTweet German 2021: anonymised integer ids, one row per post and object combination.
	"coortweet-de": {
		Summary: "CooRTweet German elections (account_id, post_id, url/hashtag/domain/phash ids, timestamp)",
		Options: Options{SplitPosts: true,
			Columns: Columns{Author: "account_id", ID: "post_id", Time: "timestamp"},
			Objects: []ObjectColumn{
				{Kind: leakwatch.KindURL, Column: "url_id"},
				{Kind: leakwatch.KindHashtag, Column: "hashtag_id"},
				{Kind: leakwatch.KindDomain, Column: "domain_id"},
				{Kind: leakwatch.KindImage, Column: "phash_id"},
			}},
	},
	// CooRTweet Russian 2021: every row is a retweet of object_id; content_id is the hashed text.
	"coortweet-ru": {
		Summary: "CooRTweet Russian retweets (object_id = retweeted post, account_id, content_id, timestamp_share)",
		Options: Options{Platform: leakwatch.PlatformTwitter,
			Columns: Columns{Author: "account_id", Time: "timestamp_share", Reshare: "object_id"},
			Objects: []ObjectColumn{{Kind: leakwatch.KindText, Column: "content_id"}},
		},
	},
	// rtweet's CSV export (R package): NA for missing values, lists separated by spaces.
	"rtweet": {
		Summary: "rtweet CSV export (screen_name, user_id, created_at, status_id, text, ...)",
		Options: Options{Platform: leakwatch.PlatformTwitter, Null: []string{"NA"}, Columns: Columns{
			ID: "status_id", Author: "user_id", Handle: "screen_name", Time: "created_at", Text: "text",
			Lang: "lang", Reshare: "retweet_status_id", Reply: "in_reply_to_status_status_id",
			Quote: "quote_status_id", URLs: "urls_expanded", Hashtags: "hashtags", Mentions: "mentions_screen_name",
		}},
	},
	// rtweet 0.6 and 0.7's write_as_csv: the columns renamed, and every id written "x123..."
	// (prepend_ids = TRUE, its default).
	"rtweet-0.6": {
		Summary: "rtweet 0.6-0.7 write_as_csv export (user_id, status_id, reply_to_status_id, quoted_status_id, ids as x123...)",
		Options: Options{Platform: leakwatch.PlatformTwitter, Null: []string{"NA"}, xIDs: true, Columns: Columns{
			ID: "status_id", Author: "user_id", Handle: "screen_name", Time: "created_at", Text: "text",
			Lang: "lang", Reshare: "retweet_status_id", Reply: "reply_to_status_id",
			Quote: "quoted_status_id", URLs: "urls_expanded_url", Hashtags: "hashtags", Mentions: "mentions_screen_name",
		}},
	},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// resolved applies the preset and defaults for the file called name: explicit fields win
// over the preset, and both over what the name implies.
func (o Options) resolved(name string) (Options, error) {
	if o.Preset != "" {
		p, ok := Presets[o.Preset]
		if !ok {
			return o, fmt.Errorf("preset: unknown %q (known: %s)", o.Preset, strings.Join(PresetNames(), ", "))
		}
		b := p.Options
		o.Columns = o.Columns.merge(b.Columns)
		if len(o.Objects) == 0 {
			o.Objects = b.Objects
		}
		if o.Platform == "" {
			o.Platform = b.Platform
		}
		if o.Comma == 0 {
			o.Comma = b.Comma
		}
		if o.Null == nil {
			o.Null = b.Null
		}
		o.SplitPosts = o.SplitPosts || b.SplitPosts
		o.optional, o.monthFirst, o.xIDs = b.optional, b.monthFirst, b.xIDs
		if o.Format == FormatAuto {
			o.Format = FormatCSV
		}
	}
	if o.Name == "" {
		o.Name = "archive"
	}
	if o.Platform == "" {
		o.Platform = leakwatch.PlatformArchive
	}
	if o.Comma == 0 && nameExt(name) == ".tsv" {
		o.Comma = '\t'
	}
	if o.Comma == 0 {
		o.Comma = ','
	}
	return o, o.Validate()
}

// encodings are the names Options.Encoding takes, each with its other spellings.
var encodings = []struct {
	name    string
	aliases []string
	enc     encoding.Encoding // nil: UTF-8, read as it is
}{
	{"utf-8", []string{"utf8"}, nil},
	// Excel's "CSV" on Western European Windows: Latin-1 with curly quotes, dashes and the euro
	// sign in 0x80-0x9F, where ISO-8859-1 has control codes.
	{"windows-1252", []string{"cp1252"}, charmap.Windows1252},
	{"iso-8859-1", []string{"latin1", "latin-1", "iso8859-1"}, charmap.ISO8859_1},
	// Excel's "Unicode Text" and Meltwater's exports. A byte order mark, which such files
	// start with, decides the byte order whichever is named; without one, the name does.
	{"utf-16", []string{"utf16"}, utf16LE},
	{"utf-16le", []string{"utf16le"}, utf16LE},
	{"utf-16be", []string{"utf16be"}, utf16BE},
}

// utf16LE and utf16BE read UTF-16 in that byte order (little-endian is Windows') unless a
// byte order mark says otherwise.
var (
	utf16LE = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	utf16BE = unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
)

// isUTF16 reports whether enc is one of the UTF-16 encodings.
func isUTF16(enc encoding.Encoding) bool { return enc == utf16LE || enc == utf16BE }

// EncodingNames lists the encodings Options.Encoding takes, UTF-8 first.
func EncodingNames() []string {
	names := make([]string, len(encodings))
	for i, e := range encodings {
		names[i] = e.name
	}
	return names
}

// csvEncoding is the decoder for an Options.Encoding name, any case, "" for UTF-8; nil means
// UTF-8, read as it is.
func csvEncoding(name string) (encoding.Encoding, error) {
	if name == "" {
		return nil, nil
	}
	for _, e := range encodings {
		if strings.EqualFold(name, e.name) || slices.ContainsFunc(e.aliases, func(a string) bool { return strings.EqualFold(name, a) }) {
			return e.enc, nil
		}
	}
	// The byte-oriented ones, then UTF-16's byte orders apart: the list reads as two choices.
	names := EncodingNames()
	i := slices.IndexFunc(names, func(n string) bool { return strings.HasPrefix(n, "utf-16") })
	return nil, fmt.Errorf("encoding: unknown %q (want %s); for UTF-16: %s", name, strings.Join(names[:i], ", "), strings.Join(names[i:], ", "))
}

// timeZone is the location of Options.TimeZone ("" is UTC). "Local" is refused: the result
// would depend on the machine that reads the file.
func timeZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("time zone: %q depends on the machine: name the zone, such as Europe/Paris", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone: unknown %q (want an IANA name such as Europe/Paris, or UTC)", name)
	}
	return loc, nil
}

// csvOnly names the CSV-only options set to something that would change how JSON lines are
// read, which they cannot: JSON is UTF-8, and JSON times carry their offset.
func (o Options) csvOnly() error {
	if enc, err := csvEncoding(o.Encoding); err == nil && enc != nil {
		return fmt.Errorf("encoding: %s is for CSV: JSON lines are UTF-8", o.Encoding)
	}
	if o.TimeZone != "" && o.TimeZone != "UTC" {
		return fmt.Errorf("time zone: %s is for CSV: JSON lines carry their offsets", o.TimeZone)
	}
	return nil
}

// ParseComma reads a --comma value: one character, or `\t` or "tab" for a tab. Empty is 0,
// the default (tab for a .tsv name, else ',').
func ParseComma(s string) (rune, error) {
	switch s {
	case "":
		return 0, nil
	case `\t`, "tab":
		return '\t', nil
	}
	r := []rune(s)
	if len(r) != 1 {
		return 0, fmt.Errorf("%q: want one character, or \\t or tab", s)
	}
	if (Options{Comma: r[0]}).validateComma() != nil {
		return 0, fmt.Errorf("%q cannot separate CSV fields", s)
	}
	return r[0], nil
}

// Validate checks the options; errors name the field.
func (o Options) Validate() error {
	switch o.Format {
	case FormatAuto, FormatJSONL, FormatCSV:
	default:
		return fmt.Errorf("format: unknown %q (want jsonl or csv)", o.Format)
	}
	if o.Preset != "" {
		if _, ok := Presets[o.Preset]; !ok {
			return fmt.Errorf("preset: unknown %q (known: %s)", o.Preset, strings.Join(PresetNames(), ", "))
		}
	}
	if err := o.validateComma(); err != nil {
		return err
	}
	if _, err := csvEncoding(o.Encoding); err != nil {
		return err
	}
	if _, err := timeZone(o.TimeZone); err != nil {
		return err
	}
	if o.Format == FormatJSONL {
		if err := o.csvOnly(); err != nil {
			return err
		}
	}
	for _, oc := range o.Objects {
		if err := oc.validate(); err != nil {
			return err
		}
	}
	if o.Format == FormatCSV && o.Preset == "" && (o.Columns.Author == "" || o.Columns.Time == "") {
		return fmt.Errorf("columns: CSV needs author= and time= (or --preset %s)", strings.Join(PresetNames(), "|"))
	}
	return nil
}

// validateComma refuses the separators encoding/csv cannot split on.
func (o Options) validateComma() error {
	if o.Comma == '"' || o.Comma == '\n' || o.Comma == '\r' || o.Comma == utf8.RuneError {
		return fmt.Errorf("comma: %q cannot separate CSV fields", o.Comma)
	}
	return nil
}

// csvReady reports whether the options can map a CSV header.
func (o Options) csvReady() error {
	if o.Columns.Author == "" || o.Columns.Time == "" {
		return fmt.Errorf("columns: CSV needs author= and time= (or --preset %s)", strings.Join(PresetNames(), "|"))
	}
	return nil
}
