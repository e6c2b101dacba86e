package sites

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// Config is the website watcher's configuration.
type Config struct {
	Targets []Target `yaml:"targets"`
	// Interval is the check interval of a target that sets none.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one check's HTTP exchange, redirects and body included.
	Timeout time.Duration `yaml:"timeout"`
	// DNSTimeout bounds the DNS lookups of one check.
	DNSTimeout time.Duration `yaml:"dns_timeout"`
	// DNS turns DNS record tracking on (A, AAAA, CNAME of the host; MX, NS, TXT of its domain).
	DNS       bool   `yaml:"dns"`
	UserAgent string `yaml:"user_agent"`
	// MaxBodyBytes bounds a page; the rest is not read (the hashes then cover the prefix).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	MaxRedirects int   `yaml:"max_redirects"`
	// MaxDiffBytes bounds SiteChange.Diff; longer diffs end with a truncation line.
	MaxDiffBytes int `yaml:"max_diff_bytes"`
	// MaxDiffEdits bounds the work of the line diff; beyond it the diff shows the whole
	// changed middle as replaced.
	MaxDiffEdits int `yaml:"max_diff_edits"`
	// ReplacedFraction is the share of the previous text that must disappear in one change to
	// count as "text mostly replaced", a defacement signal.
	ReplacedFraction float64 `yaml:"replaced_fraction"`
	// StateFile keeps each target's last check across restarts (JSON, rewritten after every
	// check). Empty: the first check after a start is a new baseline.
	StateFile string `yaml:"state_file"`
	// DefacementTerms are extra phrases that mark a change as a defacement (case-insensitive).
	DefacementTerms []string `yaml:"defacement_terms"`
	// CommonScriptDomains are registrable domains of scripts that sites add when they are
	// redesigned (analytics, tag managers, public CDNs, embeds). A new script from one is a
	// "scripts" change but no defacement signal: a redesign that replaced most of the text
	// and added an analytics tag was paged as a critical defacement. A script from any other
	// new domain still is one.
	CommonScriptDomains []string `yaml:"common_script_domains"`
}

// Target is one watched page.
type Target struct {
	// ID keys the target's changes on the sitechanges topic.
	ID  string `yaml:"id"`
	URL string `yaml:"url"`
	// Interval overrides Config.Interval (0: use the default).
	Interval time.Duration `yaml:"interval"`
	// Watch selects the parts whose text is compared (default: the whole body).
	Watch []string `yaml:"watch"`
	// Ignore removes parts inside the watched ones: clocks, counters, ads, "latest" boxes.
	Ignore []string `yaml:"ignore"`
	// TLSSkipVerify still fetches a page whose certificate does not verify (self-signed,
	// expired, wrong name) and records its fingerprint. Off, such a target is "unreachable".
	TLSSkipVerify bool `yaml:"tls_skip_verify"`
	// AllowPrivateNetworks lets this target's fetches, redirects included, reach loopback,
	// private (RFC 1918, fc00::/7), link-local, carrier-grade NAT and other non-public
	// addresses. Off, a connection to one is refused and the target is "unreachable": a
	// watched site may not send the watcher to cloud metadata or to ClickHouse on 127.0.0.1.
	// A URL whose host is a literal IP needs no option for that exact IP and port.
	AllowPrivateNetworks bool `yaml:"allow_private_networks"`
}

// DefaultConfig returns a configuration without targets and with production defaults.
func DefaultConfig() Config {
	return Config{
		Interval:         10 * time.Minute,
		Timeout:          30 * time.Second,
		DNSTimeout:       10 * time.Second,
		DNS:              true,
		UserAgent:        "leakwatch-sites/1 (+https://github.com/leakwatch/leakwatch)",
		MaxBodyBytes:     5 << 20,
		MaxRedirects:     10,
		MaxDiffBytes:     16 << 10,
		MaxDiffEdits:     2000,
		ReplacedFraction: 0.6,
		CommonScriptDomains: []string{
			"googletagmanager.com", "google-analytics.com", "googleapis.com", "gstatic.com",
			"googlesyndication.com", "doubleclick.net", "google.com", "youtube.com",
			"cloudflare.com", "cloudflareinsights.com", "jsdelivr.net", "unpkg.com", "jquery.com",
			"bootstrapcdn.com", "fontawesome.com", "facebook.net", "twitter.com", "twimg.com",
			"hotjar.com", "matomo.cloud", "axept.io", "didomi.io", "cookiebot.com", "onetrust.com",
		},
	}
}

var targetID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

const minInterval = 10 * time.Second

// Validate reports the first field that is missing or out of range, selectors included.
func (c Config) Validate() error {
	if len(c.Targets) == 0 {
		return errors.New("targets: at least one target is required")
	}
	if c.Interval < minInterval {
		return fmt.Errorf("interval: %v is below the minimum %v", c.Interval, minInterval)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("timeout: must be positive, got %v", c.Timeout)
	}
	if c.DNS && c.DNSTimeout <= 0 {
		return fmt.Errorf("dns_timeout: must be positive when dns is on, got %v", c.DNSTimeout)
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("max_body_bytes: %d is below 1024", c.MaxBodyBytes)
	}
	if c.MaxRedirects < 0 {
		return fmt.Errorf("max_redirects: must not be negative, got %d", c.MaxRedirects)
	}
	if c.MaxDiffBytes < 256 {
		return fmt.Errorf("max_diff_bytes: %d is below 256", c.MaxDiffBytes)
	}
	if c.MaxDiffEdits < 10 {
		return fmt.Errorf("max_diff_edits: %d is below 10", c.MaxDiffEdits)
	}
	if c.ReplacedFraction <= 0 || c.ReplacedFraction > 1 {
		return fmt.Errorf("replaced_fraction: %v is not in (0, 1]", c.ReplacedFraction)
	}
	ids := map[string]bool{}
	for i, t := range c.Targets {
		if !targetID.MatchString(t.ID) {
			return fmt.Errorf("targets[%d].id: %q must be 1-128 of a-z 0-9 . _ - (it is a Kafka key and a dashboard label)", i, t.ID)
		}
		if ids[t.ID] {
			return fmt.Errorf("targets[%d].id: %q is used twice", i, t.ID)
		}
		ids[t.ID] = true
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("targets[%d].url: %q is not an absolute http(s) URL", i, t.URL)
		}
		if t.Interval != 0 && t.Interval < minInterval {
			return fmt.Errorf("targets[%d].interval: %v is below the minimum %v", i, t.Interval, minInterval)
		}
		for j, s := range t.Watch {
			if _, err := ParseSelector(s); err != nil {
				return fmt.Errorf("targets[%d].watch[%d]: %w", i, j, err)
			}
		}
		for j, s := range t.Ignore {
			if _, err := ParseSelector(s); err != nil {
				return fmt.Errorf("targets[%d].ignore[%d]: %w", i, j, err)
			}
		}
	}
	return nil
}
