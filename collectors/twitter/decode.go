// Package twitter reads Twitter/X posts: decoders for v1.1 tweet JSON (go-twitter's structs)
// and v2 tweet objects, the v2 filtered-stream reader with its rule management, and the v1.1
// statuses/filter streaming reader for accounts that still have it.
// Reconnection and backoff are not here: collectors.Run drives these sources.
// It must not import stream, warehouse or analytics.
package twitter

import (
	"bytes"
	"fmt"
	"html"
	"time"

	"github.com/leakwatch/leakwatch/collectors/normalize"
)

// URI is the global key of tweet id. It always uses the "i" path rather than the author's
// screen name: screen names change and are missing from many payloads (a v2 line without the
// users expansion, a retweet target known only by id), while twitter.com/i/status/ID resolves
// to the same tweet forever. Every decoder here and every reference (retweet, quote, reply)
// goes through it, so the same tweet from v1.1, v2 and an archive dedupes.
func URI(id string) string { return "https://twitter.com/i/status/" + id }

// errorf names the tweet (by id when one could be read) in every decode error.
func errorf(id string, format string, args ...any) error {
	if id == "" {
		id = "(id unknown)"
	}
	return fmt.Errorf("tweet %s: "+format, append([]any{id}, args...)...)
}

// idHint digs the first "id_str" or "id" string value out of a payload that did not decode,
// so the error still names the record.
func idHint(raw []byte) string {
	for _, key := range []string{`"id_str":"`, `"id":"`, `"id_str": "`, `"id": "`} {
		i := bytes.Index(raw, []byte(key))
		if i < 0 {
			continue
		}
		rest := raw[i+len(key):]
		j := 0
		for j < len(rest) && j < 25 && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j > 0 {
			return string(rest[:j])
		}
	}
	return ""
}

// cleanText undoes Twitter's HTML escaping of & < > (every literal & is sent as &amp;, so a
// full unescape is exact) and applies NFC.
func cleanText(s string) string { return normalize.NFC(html.UnescapeString(s)) }

// parseV2Time parses v2's ISO 8601 timestamps ("2017-05-05T18:35:12.000Z").
func parseV2Time(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

// retweetText is how a retweet reads: Twitter truncates the retweet's own text to 140
// characters, so it is rebuilt from the untruncated original.
func retweetText(origHandle, origText string) string {
	if origHandle == "" {
		return origText
	}
	return "RT @" + origHandle + ": " + origText
}

// copyRaw keeps the payload apart from a reader's reusable buffer.
func copyRaw(raw []byte) []byte { return append([]byte(nil), bytes.TrimSpace(raw)...) }
