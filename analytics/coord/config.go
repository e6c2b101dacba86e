package coord

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Config sets the co-share definition of DESIGN.md and the popularity test on top of it.
type Config struct {
	// Window is W: two shares of one object co-share when |t1-t2| <= Window.
	Window time.Duration `yaml:"window"`
	// MinWeight is M: an edge is coordinated when its accounts co-shared at least MinWeight
	// distinct objects of its kind.
	MinWeight int `yaml:"min_weight"`
	// Kinds overrides Window and MinWeight per object kind; zero fields keep the default.
	Kinds map[leakwatch.ObjectKind]KindConfig `yaml:"kinds"`
	// MaxSharers caps, per object, how many distinct partner accounts one share is paired with
	// (the earliest ones in its window). 0 disables the cap, which keeps edges exact; with a
	// cap, every pair not formed is counted (Sharing.Skipped) and reported. On by default
	// (DefaultMaxSharers).
	MaxSharers int `yaml:"max_sharers"`
	// MaxCandidateEdges bounds the edges held below M (candidates: account pairs that
	// co-shared fewer than M objects of a kind so far). A busy stream makes millions of them
	// in an hour, nearly all chance meetings that never repeat, and the definition counts
	// weight over all time, so without a bound they would fill memory over a campaign. Past
	// the bound, the candidate whose last co-share came longest ago is forgotten (it starts
	// again from weight 1 if its accounts meet again) and counted (Edges.Forgotten). Edges
	// at or above M are never forgotten. 0 disables the bound, which keeps edges exact.
	MaxCandidateEdges int `yaml:"max_candidate_edges"`
	// MinScore is the popularity-weighted evidence two accounts need, summed over all kinds,
	// before their coordinated edges join a group. Each co-shared object adds
	// Contribution(n), n being the distinct accounts that shared it within W around the
	// share: 1 when at most 4 did, 0.2 for a hashtag a thousand accounts used that minute.
	MinScore float64 `yaml:"min_score"`
	// MinAccounts is the smallest group reported (0 means 2). Pairs below it stay edges:
	// two like-minded friends who retweet the same posts within a minute a few times look
	// exactly like two sockpuppets, while an operation needs more hands than two.
	MinAccounts int `yaml:"min_accounts"`
	// Triangle, with MinAccounts 3 or more, reports a group only once it holds three
	// accounts each tied to the other two: one account qualified with two others that
	// share a coordinated edge themselves (weight >= M of a kind). A very busy account meets
	// many others by chance, each on a few popular links and hashtags over a week; those
	// partners, who never co-shared with each other, make a star around it, not a network
	// (docs/DETECTION.md, "Groups"). False reports stars and chains too.
	Triangle bool `yaml:"triangle"`
	// PopularityWindow is how far back n (the sharers an object's contribution is divided
	// by) reaches: a hashtag that is background chatter all evening stays popular in a quiet
	// minute. Shorter than Window means Window.
	PopularityWindow time.Duration `yaml:"popularity_window"`
}

// KindConfig is a per-kind override.
type KindConfig struct {
	Window    time.Duration `yaml:"window"`
	MinWeight int           `yaml:"min_weight"`
	// Evidence scales what each co-shared object of the kind adds to a pair's score (0 keeps
	// 1): a near-duplicate band is a fraction of a text, so one text does not count nine times.
	Evidence float64 `yaml:"evidence"`
}

// DefaultConfig is W = 60 s, M = 2, no cap on sharers, min score 4 (four co-shares among few
// sharers, or twenty of a trending object), groups of at least 3 accounts, and at most
// DefaultMaxCandidateEdges candidate edges.
func DefaultConfig() Config {
	return Config{Window: 60 * time.Second, MinWeight: 2, MinScore: 4, MinAccounts: 3, Triangle: true, PopularityWindow: time.Hour, MaxCandidateEdges: DefaultMaxCandidateEdges, MaxSharers: DefaultMaxSharers}
}

// DefaultMaxSharers bounds the pairs of one object: without it, N accounts sharing one link
// within a window make N²/2 pairs, and 2,000 of them (a bot farm, or a link gone viral)
// took 4 GB and half a minute. At 200 partners a share, no object of the shared data sets
// nor of the generated campaigns is capped, and a share so popular adds next to nothing to
// a group's popularity-weighted score.
const DefaultMaxSharers = 200

// DefaultMaxCandidateEdges holds about 190 MB of candidate edges (BenchmarkCandidateEdges),
// far more than a national campaign's archives make (the IRA month: 15 000 pairs), so it
// binds only on a stream with hundreds of thousands of active accounts an hour.
const DefaultMaxCandidateEdges = 500_000

// GroupMin is the smallest group reported.
func (c Config) GroupMin() int { return max(c.MinAccounts, 2) }

// Validate names the first field that is wrong.
func (c Config) Validate() error {
	var errs []error
	if c.Window <= 0 {
		errs = append(errs, fmt.Errorf("window: %v, want > 0", c.Window))
	}
	if c.MinWeight < 1 {
		errs = append(errs, fmt.Errorf("min_weight: %d, want >= 1", c.MinWeight))
	}
	if c.MaxSharers < 0 {
		errs = append(errs, fmt.Errorf("max_sharers: %d, want >= 0 (0: no cap)", c.MaxSharers))
	}
	if c.MaxCandidateEdges < 0 {
		errs = append(errs, fmt.Errorf("max_candidate_edges: %d, want >= 0 (0: no bound)", c.MaxCandidateEdges))
	}
	if c.PopularityWindow < 0 {
		errs = append(errs, fmt.Errorf("popularity_window: %v, want >= 0", c.PopularityWindow))
	}
	if c.MinAccounts < 0 || c.MinAccounts == 1 {
		errs = append(errs, fmt.Errorf("min_accounts: %d, want >= 2 (0: 2)", c.MinAccounts))
	}
	if c.MinScore < 0 {
		errs = append(errs, fmt.Errorf("min_score: %v, want >= 0", c.MinScore))
	}
	kinds := make([]string, 0, len(c.Kinds))
	for k := range c.Kinds {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		kc := c.Kinds[leakwatch.ObjectKind(k)]
		if !shareKind(leakwatch.ObjectKind(k)) {
			errs = append(errs, fmt.Errorf("kinds.%s: not a co-share kind (want one of %v)", k, leakwatch.ShareKinds))
		}
		if kc.Window < 0 {
			errs = append(errs, fmt.Errorf("kinds.%s.window: %v, want >= 0", k, kc.Window))
		}
		if kc.Evidence < 0 {
			errs = append(errs, fmt.Errorf("kinds.%s.evidence: %v, want >= 0 (0: 1)", k, kc.Evidence))
		}
		if kc.MinWeight < 0 {
			errs = append(errs, fmt.Errorf("kinds.%s.min_weight: %d, want >= 0", k, kc.MinWeight))
		}
	}
	return errors.Join(errs...)
}

// WindowFor is W for kind k.
func (c Config) WindowFor(k leakwatch.ObjectKind) time.Duration {
	if kc, ok := c.Kinds[k]; ok && kc.Window > 0 {
		return kc.Window
	}
	return c.Window
}

// EvidenceFor is the score factor of kind k.
func (c Config) EvidenceFor(k leakwatch.ObjectKind) float64 {
	if kc, ok := c.Kinds[k]; ok && kc.Evidence > 0 {
		return kc.Evidence
	}
	return 1
}

// MinWeightFor is M for kind k.
func (c Config) MinWeightFor(k leakwatch.ObjectKind) int {
	if kc, ok := c.Kinds[k]; ok && kc.MinWeight > 0 {
		return kc.MinWeight
	}
	return c.MinWeight
}

func shareKind(k leakwatch.ObjectKind) bool {
	for _, s := range leakwatch.ShareKinds {
		if s == k {
			return true
		}
	}
	return false
}

// ShareKind reports whether co-shares are computed for objects of kind k.
func ShareKind(k leakwatch.ObjectKind) bool { return shareKind(k) }
