package entities

import (
	"errors"
	"fmt"
	"strings"
)

// Config says what extraction looks for.
type Config struct {
	// Candidates are the people monitored; each found mention becomes "candidate:ID".
	Candidates []Candidate `yaml:"candidates"`
	// MinTextTokens is the fewest words a text needs for an exact-text fingerprint: shorter
	// texts ("thanks!", "RT") are shared by everyone and coordinate nothing.
	MinTextTokens int `yaml:"min_text_tokens"`
	// NearText configures near-duplicate text detection (MinHash LSH).
	NearText NearTextConfig `yaml:"near_text"`
	// TrackingParams are query parameters dropped from URLs; a trailing "*" makes a prefix.
	TrackingParams []string `yaml:"tracking_params"`
	// Shorteners are hosts whose registrable domain is not emitted as a domain object.
	Shorteners []string `yaml:"shorteners"`
}

// Candidate is one monitored person.
type Candidate struct {
	ID string `yaml:"id"`
	// Names and Aliases are matched as whole words in text ("Le Pen" matches "le pen" and
	// "LE PEN", not "lepenible"), and written together as a hashtag ("#LePen", "#MLP").
	// Names are also matched as the start of a hashtag ("#Macron2017", "#LePenLeaks") when
	// at least MinHashtagPrefix letters long.
	Names   []string `yaml:"names"`
	Aliases []string `yaml:"aliases"`
	// Handles are account names without '@', matched against @-mentions.
	Handles []string `yaml:"handles"`
	// Hashtags are matched exactly, without '#'.
	Hashtags []string `yaml:"hashtags"`
}

// MinHashtagPrefix is the shortest folded name that is matched as a hashtag prefix: shorter
// names ("Pen") would match unrelated tags.
const MinHashtagPrefix = 4

// NearTextConfig sets the MinHash LSH over word shingles. Two texts whose shingle sets have
// Jaccard similarity s share at least one band with probability 1-(1-s^Rows)^Bands; the
// threshold where that is one half is (1-(1/2)^(1/Bands))^(1/Rows), a little below the
// usual estimate (1/Bands)^(1/Rows).
type NearTextConfig struct {
	Enabled bool `yaml:"enabled"`
	// MinTokens is the fewest words a text needs: a short text has so few shingles that
	// unrelated posts collide.
	MinTokens int `yaml:"min_tokens"`
	Shingle   int `yaml:"shingle"` // words per shingle
	Bands     int `yaml:"bands"`
	Rows      int `yaml:"rows"`
}

// DefaultConfig extracts everything, with near-duplicate detection tuned for a Jaccard
// threshold of about 0.65 (0.69 by the usual estimate): 9 bands of 6 rows over word
// 2-shingles (posts are short: with pairs of words, one edited word in a 15-word post still
// leaves a Jaccard similarity of about 0.75).
func DefaultConfig() Config {
	return Config{
		MinTextTokens:  4,
		NearText:       NearTextConfig{Enabled: true, MinTokens: 8, Shingle: 2, Bands: 9, Rows: 6},
		TrackingParams: append([]string(nil), defaultTracking...),
		Shorteners:     append([]string(nil), defaultShorteners...),
	}
}

// Validate names the first field that is wrong.
func (c Config) Validate() error {
	var errs []error
	if c.MinTextTokens < 1 {
		errs = append(errs, fmt.Errorf("min_text_tokens: %d, want >= 1", c.MinTextTokens))
	}
	if n := c.NearText; n.Enabled {
		if n.Shingle < 1 {
			errs = append(errs, fmt.Errorf("near_text.shingle: %d, want >= 1", n.Shingle))
		}
		if n.Bands < 1 || n.Rows < 1 {
			errs = append(errs, fmt.Errorf("near_text.bands/rows: %d/%d, want >= 1", n.Bands, n.Rows))
		}
		if n.MinTokens < n.Shingle {
			errs = append(errs, fmt.Errorf("near_text.min_tokens: %d, want >= shingle (%d)", n.MinTokens, n.Shingle))
		}
	}
	seen := map[string]bool{}
	for i, cand := range c.Candidates {
		switch {
		case cand.ID == "":
			errs = append(errs, fmt.Errorf("candidates[%d].id: empty", i))
		case strings.ContainsAny(cand.ID, " :|"):
			errs = append(errs, fmt.Errorf("candidates[%d].id: %q must not contain space, ':' or '|'", i, cand.ID))
		case seen[cand.ID]:
			errs = append(errs, fmt.Errorf("candidates[%d].id: %q listed twice", i, cand.ID))
		}
		seen[cand.ID] = true
		if len(cand.Names)+len(cand.Aliases)+len(cand.Handles)+len(cand.Hashtags) == 0 {
			errs = append(errs, fmt.Errorf("candidates[%d] (%s): no names, aliases, handles or hashtags", i, cand.ID))
		}
	}
	return errors.Join(errs...)
}
