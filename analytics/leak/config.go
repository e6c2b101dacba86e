package leak

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Config says what points to a dump and how site changes relate to bursts.
// docs/DETECTION.md ("Leaks") explains the defaults.
type Config struct {
	// Domains are paste, file-sharing, leak and image-board sites. A link to one of them or a
	// subdomain (web.archive.org for archive.org) is evidence "domain:<domain>".
	Domains []string `yaml:"domains"`
	// ExceptDomains are hosts under those domains that are not dump sites, with their own
	// subdomains: web.archive.org is the Wayback Machine's snapshots of web pages, which
	// fact-checkers and journalists link all day, where archive.org itself hosts uploads
	// (the #MacronLeaks archives were archive.org items).
	ExceptDomains []string `yaml:"except_domains"`
	// Terms are words, phrases and hashtags (with '#') in any language; matching ignores case
	// and accents and respects word boundaries. A final '*' on a word matches any ending
	// ("piraté*"). Evidence is "term:<folded term>".
	Terms []string `yaml:"terms"`
	// ExtraDomains and ExtraTerms add to the lists above, so a deployment can name its own
	// campaign's hashtags without restating the defaults.
	ExtraDomains []string `yaml:"extra_domains"`
	ExtraTerms   []string `yaml:"extra_terms"`

	// MinEvidence is how many distinct domain/term values a burst or group needs to be a leak
	// candidate on its content alone.
	MinEvidence int `yaml:"min_evidence"`
	// MinDumpEvidence is how many of those values must name a dump (a dump domain or a leak
	// hashtag) rather than describe one: news about a leak says "hacked" or "piratage" too,
	// with every share of the article. A site change the candidate follows replaces both.
	MinDumpEvidence int `yaml:"min_dump_evidence"`

	// IncidentWindow: a candidate joins an incident (rather than starting one) when it shares
	// dump evidence, an object, a group or an account with it and its span comes within
	// IncidentWindow of the incident's span.
	IncidentWindow time.Duration `yaml:"incident_window"`
	// MaxIncidentEvidence bounds the evidence list of an incident record.
	MaxIncidentEvidence int `yaml:"max_incident_evidence"`

	// A burst or group related to a watched site's domain is a leak candidate when its onset
	// falls within ChangeWindow after a change there, or up to ChangeSlack before it was
	// observed (the watcher polls, so the change may predate its observation).
	ChangeWindow time.Duration `yaml:"change_window"`
	ChangeSlack  time.Duration `yaml:"change_slack"`
	// ChangeKinds are the SiteChange.Changed values that count; a defacement always counts.
	ChangeKinds []string `yaml:"change_kinds"`
}

// DefaultConfig returns the vocabulary and windows documented in docs/DETECTION.md.
func DefaultConfig() Config {
	return Config{
		Domains: []string{
			// paste sites
			"pastebin.com", "ghostbin.com", "ghostbin.co", "privatebin.net", "privatebin.info",
			"0bin.net", "hastebin.com", "justpaste.it", "controlc.com", "rentry.co", "paste.ee",
			"dpaste.com", "dpaste.org", "pastie.org",
			// file sharing
			"mega.nz", "mega.co.nz", "anonfiles.com", "anonfile.com", "bayfiles.com", "transfer.sh",
			"file.io", "gofile.io", "mediafire.com", "sendspace.com", "zippyshare.com",
			// archives and image boards
			"archive.org", "archive.today", "archive.is", "archive.ph", "4chan.org", "4channel.org",
			"4cdn.org", "4plebs.org", "8kun.top", "8ch.net",
			// leak publishers
			"wikileaks.org", "dcleaks.com", "ddosecrets.com", "distributeddenialofsecrets.com",
			"cryptome.org",
		},
		ExceptDomains: []string{"web.archive.org", "wayback.archive.org"},
		Terms: []string{
			// English
			"leak", "leaks", "leaked", "leaking", "leaked emails", "leaked documents", "dump",
			"dumped", "data dump", "email dump", "document dump", "hacked", "hacked emails",
			"stolen emails", "stolen documents", "internal emails", "internal documents",
			"confidential documents", "exfiltrated",
			// French. Matching folds accents, so "piraté(s)" would also be the English
			// "pirate(s)" and "leaké" the surname Leake: those come only in phrases.
			"fuite", "fuites", "fuité", "fuitée", "fuités", "fuitées", "fuite de documents",
			"fuite de données", "leakés", "leakée", "leakées", "piratage", "piratée", "piratées",
			"a été piraté", "ont été piratés", "compte piraté", "site piraté", "mails piratés",
			"courriels piratés", "documents piratés", "documents internes",
			"documents confidentiels", "documents volés", "données volées", "courriels",
			"courriels internes", "mails internes", "e-mails internes", "emails internes",
			// campaign leak hashtags
			"#MacronLeaks", "#MacronGate", "#DNCLeaks", "#DNCLeak", "#PodestaEmails", "#HillaryLeaks",
			"#Wikileaks",
		},
		MinEvidence:         1,
		MinDumpEvidence:     1,
		IncidentWindow:      12 * time.Hour,
		MaxIncidentEvidence: 50,
		ChangeWindow:        6 * time.Hour,
		ChangeSlack:         15 * time.Minute,
		ChangeKinds:         []string{"content", "title", "status", "redirects", "dns", "scripts", "unreachable"},
	}
}

// SiteChange.Changed values a watcher emits.
var changeKinds = []string{"status", "redirects", "content", "title", "links", "scripts", "tls", "dns", "unreachable"}

// Validate reports every field that cannot work, by its yaml name.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("leak: %s: "+format, append([]any{field}, args...)...))
	}
	for field, list := range map[string][]string{"domains": c.Domains, "extra_domains": c.ExtraDomains, "except_domains": c.ExceptDomains} {
		for i, d := range list {
			switch {
			case d == "":
				bad(field, "entry %d is empty", i)
			case strings.ContainsAny(d, "/: ") || !strings.Contains(d, ".") || d != strings.ToLower(d):
				bad(field, "entry %d %q: want a lower-case host such as pastebin.com", i, d)
			}
		}
	}
	for field, list := range map[string][]string{"terms": c.Terms, "extra_terms": c.ExtraTerms} {
		for i, t := range list {
			if len(tokens(t)) == 0 {
				bad(field, "entry %d %q has no word", i, t)
			}
		}
	}
	if len(c.Domains)+len(c.ExtraDomains)+len(c.Terms)+len(c.ExtraTerms) == 0 {
		bad("domains", "and terms are both empty: nothing could point to a dump")
	}
	if c.MinEvidence < 1 {
		bad("min_evidence", "must be at least 1, got %d", c.MinEvidence)
	}
	if c.MinDumpEvidence < 0 || c.MinDumpEvidence > c.MinEvidence {
		bad("min_dump_evidence", "must be in [0, min_evidence=%d], got %d", c.MinEvidence, c.MinDumpEvidence)
	}
	if c.IncidentWindow <= 0 {
		bad("incident_window", "must be positive, got %s", c.IncidentWindow)
	}
	if c.MaxIncidentEvidence < 1 {
		bad("max_incident_evidence", "must be at least 1, got %d", c.MaxIncidentEvidence)
	}
	if c.ChangeWindow <= 0 {
		bad("change_window", "must be positive, got %s", c.ChangeWindow)
	}
	if c.ChangeSlack < 0 {
		bad("change_slack", "must not be negative, got %s", c.ChangeSlack)
	}
	for _, k := range c.ChangeKinds {
		if !slices.Contains(changeKinds, k) {
			bad("change_kinds", "%q unknown (want some of %s)", k, strings.Join(changeKinds, ", "))
		}
	}
	return errors.Join(errs...)
}
