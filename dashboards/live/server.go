package live

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// Config is where the page listens and who may read it.
type Config struct {
	Listen string `yaml:"listen"`
	// Token is required from readers when Listen is not a loopback address, as
	// "Authorization: Bearer TOKEN" or "?token=TOKEN" (for the browser's first load).
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	// Push is the shortest interval between two server-sent updates.
	Push time.Duration `yaml:"push"`
}

// DefaultConfig listens on loopback only.
func DefaultConfig() Config {
	return Config{Listen: "127.0.0.1:8080", Push: 500 * time.Millisecond}
}

// Validate checks the listen address and that a non-loopback page has a token.
func (c *Config) Validate() error {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("live.listen %q: %v", c.Listen, err)
	}
	if c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return fmt.Errorf("live.token_file: %v", err)
		}
		c.Token = strings.TrimSpace(string(b))
	}
	if !loopback(host) && c.Token == "" {
		return fmt.Errorf("live.listen %q is not a loopback address: set live.token or live.token_file (or LEAKWATCH_LIVE_TOKEN)", c.Listen)
	}
	if c.Push <= 0 {
		return errors.New("live.push: must be positive")
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler serves the page, its JSON and its event stream.
func Handler(cfg Config, st *State, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	mux.Handle("GET /", http.FileServerFS(static))
	index, _ := fs.ReadFile(static, "index.html")
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		page(w, index, st, log)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /api/state", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if err := json.NewEncoder(w).Encode(st.Snapshot()); err != nil {
			log.Debug("live: write state", "err", err)
		}
	})
	mux.HandleFunc("GET /api/events", func(w http.ResponseWriter, r *http.Request) {
		events(w, r, st, cfg.Push, log)
	})
	if cfg.Token == "" {
		return loopbackOnly(mux)
	}
	return requireToken(cfg.Token, mux)
}

// loopbackOnly serves only requests addressed to a loopback name (127.0.0.1, [::1],
// localhost): a page without a token listens only there, and a site the analyst visits could
// otherwise point its own name at 127.0.0.1 (DNS rebinding) and read the page from the
// browser.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if r.URL.Path != "/healthz" && !loopback(strings.ToLower(host)) {
			http.Error(w, "leakwatch: without a token this page answers only at 127.0.0.1, [::1] or localhost", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// page serves index.html with the current snapshot inline, so the first paint already shows
// the numbers (and a page saved or printed without its script still has them).
func page(w http.ResponseWriter, index []byte, st *State, log *slog.Logger) {
	snap, err := json.Marshal(st.Snapshot()) // escapes <, > and &: safe inside <script>
	if err != nil {
		log.Error("live: encode state", "err", err)
		http.Error(w, "leakwatch: state unavailable", http.StatusInternalServerError)
		return
	}
	head, tail, ok := bytes.Cut(index, []byte("<script src=\"app.js\">"))
	if !ok {
		http.Error(w, "leakwatch: page template broken", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(head)
	fmt.Fprintf(w, `<script id="initial-state" type="application/json">%s</script>`+"\n", snap)
	w.Write([]byte("<script src=\"app.js\">"))
	w.Write(tail)
}

// events streams a snapshot whenever the state changed, at most once per push interval.
func events(w http.ResponseWriter, r *http.Request, st *State, push time.Duration, log *slog.Logger) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	tick := time.NewTicker(push)
	defer tick.Stop()
	sent, first := uint64(0), true
	keepalive := time.Now()
	for {
		if v := st.Version(); v != sent || first {
			b, err := json.Marshal(st.Snapshot())
			if err != nil {
				log.Error("live: encode state", "err", err)
				return
			}
			if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", b); err != nil {
				return
			}
			sent, first = v, false
			keepalive = time.Now()
		} else if time.Since(keepalive) > 15*time.Second {
			// A comment line keeps proxies from closing an idle stream.
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
			keepalive = time.Now()
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

func requireToken(token string, next http.Handler) http.Handler {
	want := []byte(token)
	// The cookie holds a hash of the token, not the token: a cookie value cannot hold every
	// byte a secret may ('"', ';', '\\', non-ASCII are dropped by the cookie writer, and the
	// page's own requests then failed), and the secret itself need not sit in the browser.
	sum := sha256.Sum256(want)
	cookie := hex.EncodeToString(sum[:])
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		got := r.URL.Query().Get("token")
		fromQuery := got != ""
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			got, fromQuery = strings.TrimPrefix(h, "Bearer "), false
		}
		ok := got != "" && subtle.ConstantTimeCompare([]byte(got), want) == 1
		if got == "" {
			c, err := r.Cookie("leakwatch_token")
			ok = err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(cookie)) == 1
		}
		if !ok {
			http.Error(w, "leakwatch: a token is required (Authorization: Bearer TOKEN or ?token=TOKEN, URL-encoded)", http.StatusUnauthorized)
			return
		}
		// The page's own requests (event stream, state) carry the cookie.
		http.SetCookie(w, &http.Cookie{Name: "leakwatch_token", Value: cookie, HttpOnly: true, SameSite: http.SameSiteStrictMode, Path: "/", Secure: r.TLS != nil})
		w.Header().Set("Referrer-Policy", "no-referrer")
		if fromQuery && r.URL.Path == "/" && r.Method == http.MethodGet {
			// The page's address leaves the token out of the address bar, the history and
			// proxies' logs: the cookie carries on. (Scripts asking /api/state with it are
			// answered as they ask.)
			q := r.URL.Query()
			q.Del("token")
			u := *r.URL
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}
