package leakwatch

import "time"

// SiteChange is what the website watcher saw change on one target between two checks.
// It is keyed by Target on the sitechanges topic. A watcher emits one only when something changed.
type SiteChange struct {
	Target     string    `json:"target"` // configured target id
	URL        string    `json:"url"`
	ObservedAt time.Time `json:"observed_at"`

	// Changed lists what differs from the previous check: "status", "redirects", "content",
	// "title", "links", "scripts", "tls", "dns", "unreachable".
	Changed []string `json:"changed"`

	Status        int       `json:"status"`
	Redirects     []string  `json:"redirects,omitempty"`
	RawHash       string    `json:"raw_hash,omitempty"`
	TextHash      string    `json:"text_hash,omitempty"`
	PrevTextHash  string    `json:"prev_text_hash,omitempty"`
	Title         string    `json:"title,omitempty"`
	Diff          string    `json:"diff,omitempty"` // unified diff of normalised text
	LinkDomains   []string  `json:"link_domains,omitempty"`
	ScriptDomains []string  `json:"script_domains,omitempty"`
	TLSSHA256     string    `json:"tls_sha256,omitempty"`
	TLSNotAfter   time.Time `json:"tls_not_after,omitzero"`
	DNS           []string  `json:"dns,omitempty"` // "A 192.0.2.1", "MX 10 mx.example.org"

	// Defacement is set when the change looks like a defacement (text mostly replaced,
	// defacement vocabulary, new foreign script domains); Reasons says why.
	Defacement bool     `json:"defacement,omitempty"`
	Reasons    []string `json:"reasons,omitempty"`
	Error      string   `json:"error,omitempty"` // fetch error when Changed has "unreachable"
}
