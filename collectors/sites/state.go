package sites

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch/collectors/internal/atomicfile"
)

// The state file keeps each target's last check across restarts. Without it the first check
// after a restart is a new baseline, and a defacement that happened while the watcher was
// down would never be reported.

type stateFile struct {
	Version int                    `json:"version"`
	Targets map[string]targetState `json:"targets"`
}

type targetState struct {
	// Config is a hash of what decides the normalised text (URL, watch, ignore): state saved
	// under another configuration would report the configuration change as a site change.
	Config      string     `json:"config"`
	Prev        *savedSnap `json:"prev,omitempty"`
	Content     *savedSnap `json:"content,omitempty"`
	Unreachable bool       `json:"unreachable,omitempty"`
	DNS         []string   `json:"dns,omitempty"`
	DNSKnown    bool       `json:"dns_known,omitempty"`
	DNSAddrs    []string   `json:"dns_addrs,omitempty"`
}

type savedSnap struct {
	At        time.Time `json:"at"`
	Status    int       `json:"status"`
	Redirects []string  `json:"redirects,omitempty"`
	RawHash   string    `json:"raw_hash"`
	HasBody   bool      `json:"has_body,omitempty"`
	TextHash  string    `json:"text_hash,omitempty"`
	Lines     []string  `json:"lines,omitempty"`
	Title     string    `json:"title,omitempty"`
	Links     []string  `json:"links,omitempty"`
	Scripts   []string  `json:"scripts,omitempty"`
	TLSSHA256 string    `json:"tls_sha256,omitempty"`
	TLSExpiry time.Time `json:"tls_not_after,omitzero"`
}

const stateVersion = 1

func configHash(t Target) string {
	h := sha256.Sum256([]byte(t.URL + "\x00" + strings.Join(t.Watch, "\x01") + "\x00" + strings.Join(t.Ignore, "\x01")))
	return hex.EncodeToString(h[:8])
}

func save(s *snapshot) *savedSnap {
	if s == nil {
		return nil
	}
	return &savedSnap{
		At: s.at, Status: s.status, Redirects: s.redirects, RawHash: s.rawHash, HasBody: s.hasBody,
		TextHash: s.textHash, Lines: s.lines, Title: s.page.title, Links: s.page.links,
		Scripts: s.page.scripts, TLSSHA256: s.tlsSHA256, TLSExpiry: s.tlsExpiry,
	}
}

func (s *savedSnap) restore() *snapshot {
	if s == nil {
		return nil
	}
	return &snapshot{
		at: s.At, status: s.Status, redirects: s.Redirects, rawHash: s.RawHash, hasBody: s.HasBody,
		textHash: s.TextHash, lines: s.Lines, tlsSHA256: s.TLSSHA256, tlsExpiry: s.TLSExpiry,
		page: page{title: s.Title, lines: s.Lines, links: s.Links, scripts: s.Scripts},
	}
}

// loadState restores targets from path. A missing file is a first start.
func (w *Watcher) loadState(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		// The first start: the state will be written beside it, so the directory must be
		// there and writable now, not found missing at the first save (once, every check
		// logged the failed save and a restart lost what the watcher had seen).
		if err := writable(filepath.Dir(path)); err != nil {
			return fmt.Errorf("sites state %s: %w", path, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("sites state %s: %w", path, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		// What a crash between creating and filling the file leaves: every target starts from
		// a new baseline, as on a first start, rather than the watcher refusing to start.
		w.log.Warn("state file is empty, starting from new baselines", "file", path)
		return nil
	}
	var sf stateFile
	if err := json.Unmarshal(data, &sf); err != nil {
		return fmt.Errorf("sites state %s: %w", path, err)
	}
	if sf.Version != stateVersion {
		return fmt.Errorf("sites state %s: version %d, want %d", path, sf.Version, stateVersion)
	}
	for _, t := range w.targets {
		st, ok := sf.Targets[t.cfg.ID]
		if !ok || st.Config != configHash(t.cfg) {
			continue // new or reconfigured target: its first check is a baseline
		}
		t.prev, t.content = st.Prev.restore(), st.Content.restore()
		t.unreachable, t.dns, t.dnsKnown, t.addrs = st.Unreachable, st.DNS, st.DNSKnown, st.DNSAddrs
		if t.addrs == nil {
			t.addrs, _ = splitAddrs(t.dns) // saved before addresses were remembered
		}
		if t.prev != nil {
			t.next = t.prev.at.Add(t.interval)
		}
	}
	return nil
}

// saveState writes every target's state atomically and durably (see atomicfile).
func (w *Watcher) saveState(path string) error {
	sf := stateFile{Version: stateVersion, Targets: map[string]targetState{}}
	for _, t := range w.targets {
		sf.Targets[t.cfg.ID] = targetState{
			Config: configHash(t.cfg), Prev: save(t.prev), Content: save(t.content),
			Unreachable: t.unreachable, DNS: t.dns, DNSKnown: t.dnsKnown, DNSAddrs: t.addrs,
		}
	}
	data, err := json.Marshal(sf)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data)
}

// writable says why files cannot be created in dir (it does not exist, or is not writable),
// or nil, by creating and removing one the way saveState writes.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".state-check-*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write the state beside it: %w (create the directory, or set state_file elsewhere)", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
