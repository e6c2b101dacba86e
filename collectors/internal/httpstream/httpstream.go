// Package httpstream holds one long-lived HTTP response read line by line (Twitter's
// newline-delimited JSON, Mastodon's server-sent events), with stall detection and the
// classification of HTTP errors into what collectors.Run should do with them.
// It must not import leakwatch or any source package.
package httpstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/internal/lines"
)

// Conn is one open streaming response, read line by line. A watchdog cancels the request
// when no byte (not even a keep-alive newline) arrived for the stall timeout.
type Conn struct {
	URL     string
	body    io.ReadCloser
	lines   *lines.Reader
	cancel  context.CancelFunc
	watch   *time.Timer
	stall   time.Duration
	stalled atomic.Bool
	Line    int // lines read so far, for naming records in errors
}

// Open sends req and returns the open stream, or an error classified for
// collectors.Run: Permanent for refused credentials or requests, RetryAfter for rate limits.
// The stall timeout also bounds the wait for the response headers: a server that accepts the
// connection and never answers would otherwise hold the source forever, without a log line.
func Open(ctx context.Context, client *http.Client, req *http.Request, stall time.Duration, maxLine int, now func() time.Time) (*Conn, error) {
	cctx, cancel := context.WithCancel(ctx)
	c := &Conn{URL: req.URL.Redacted(), cancel: cancel, stall: stall}
	c.watch = time.AfterFunc(stall, func() { c.stalled.Store(true); cancel() })
	resp, err := client.Do(req.WithContext(cctx))
	if err != nil {
		c.watch.Stop()
		cancel()
		if c.stalled.Load() && ctx.Err() == nil {
			return nil, fmt.Errorf("%s %s: no response within %v (stall_timeout)", req.Method, c.URL, stall)
		}
		return nil, fmt.Errorf("%s %s: %w", req.Method, c.URL, err)
	}
	if err := StatusError(resp, now); err != nil {
		c.watch.Stop()
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("%s %s: %w", req.Method, c.URL, err)
	}
	c.body = resp.Body
	c.watch.Reset(stall) // from here on, the wait is for the stream's bytes
	c.lines = lines.NewReader(&watchedReader{c}, maxLine)
	return c, nil
}

// Timeout bounds one REST call (rules, a backfill page) by d, body included: unlike a
// stream, such a call has no reason to last, and a server that never answers must not hold
// the source. The error says what ran out rather than "context deadline exceeded".
func Timeout(ctx context.Context, d time.Duration, what string, call func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	err := call(cctx)
	if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: no complete answer within %v: %w", what, d, err)
	}
	return err
}

// watchedReader pushes the stall deadline back on every byte received.
type watchedReader struct{ c *Conn }

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.c.body.Read(p)
	if n > 0 {
		w.c.watch.Reset(w.c.stall)
	}
	return n, err
}

// Next returns the next line, keep-alive blank lines included. A dropped or stalled stream
// comes back wrapped in collectors.ErrNotConnected; when it was cut inside a line, the part
// received is returned too, with an error that also wraps lines.ErrCut.
func (c *Conn) Next(ctx context.Context) ([]byte, error) {
	stop := context.AfterFunc(ctx, c.cancel)
	defer stop()
	line, err := c.lines.Next()
	switch {
	case err == nil:
		c.Line++
		return line, nil
	case errors.Is(err, lines.ErrTooLong):
		c.Line++
		return nil, err
	case errors.Is(err, lines.ErrCut):
		// The part of the line that arrived comes back for the caller's dead letter; the
		// error is a drop all the same.
		c.Line++
		if c.stalled.Load() {
			var ce *lines.CutError
			errors.As(err, &ce)
			err = &lines.CutError{Size: ce.Size, Err: fmt.Errorf("stalled, nothing received for %v", c.stall)}
		}
		return line, fmt.Errorf("%w: %s: %w", collectors.ErrNotConnected, c.URL, err)
	case c.stalled.Load():
		return nil, fmt.Errorf("%w: %s: stalled, nothing received for %v", collectors.ErrNotConnected, c.URL, c.stall)
	case err == io.EOF:
		return nil, fmt.Errorf("%w: %s: server closed the stream", collectors.ErrNotConnected, c.URL)
	}
	return nil, fmt.Errorf("%w: %s: %v", collectors.ErrNotConnected, c.URL, err)
}

// Close ends the response.
func (c *Conn) Close() {
	c.watch.Stop()
	c.cancel()
	c.body.Close()
}

// StatusError classifies a non-200 response the way the platforms' reconnect guidance
// asks: 420 (Twitter's "enhance your calm") and 429 wait for the rate-limit reset, at least
// a minute; 5xx and 408 back off; other 4xx mean the credentials or the request are wrong
// and retrying cannot help.
func StatusError(resp *http.Response, now func() time.Time) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	err := fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	switch {
	case resp.StatusCode == 420 || resp.StatusCode == http.StatusTooManyRequests:
		return collectors.RetryAfter(err, resetTime(resp.Header, now()))
	case resp.StatusCode >= 500:
		return err
	case resp.StatusCode == http.StatusRequestTimeout:
		return err
	case resp.StatusCode >= 400:
		return collectors.Permanent(err)
	}
	return err
}

// resetTime reads x-rate-limit-reset (Unix seconds on Twitter, an ISO 8601 time on
// Mastodon) or Retry-After (seconds), never less than a minute away.
func resetTime(h http.Header, now time.Time) time.Time {
	t := now.Add(time.Minute)
	later := func(r time.Time) {
		if r.After(t) {
			t = r
		}
	}
	if s := h.Get("X-Rate-Limit-Reset"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			later(time.Unix(sec, 0))
		} else if r, err := time.Parse(time.RFC3339Nano, s); err == nil {
			later(r)
		}
	}
	if s := h.Get("X-RateLimit-Reset"); s != "" {
		if r, err := time.Parse(time.RFC3339Nano, s); err == nil {
			later(r)
		} else if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			later(time.Unix(sec, 0))
		}
	}
	if s := h.Get("Retry-After"); s != "" {
		if sec, err := strconv.Atoi(s); err == nil {
			later(now.Add(time.Duration(sec) * time.Second))
		}
	}
	return t
}
