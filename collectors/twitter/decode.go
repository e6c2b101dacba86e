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

// idHint digs the tweet's "id_str" (else "id") string value out of a payload that did not
// decode, so the error still names the record: a top-level key, or one of a v2 envelope's
// "data" object. Keys of nested objects are never taken: with the keys sorted (jq -S) a
// mentioned user's "id_str" comes before the tweet's, and the error named that user. It reads
// what it can of a payload cut short.
func idHint(raw []byte) string {
	idStr, id, data := topIDs(raw)
	if idStr == "" && id == "" && data >= 0 {
		idStr, id, _ = topIDs(raw[data:])
	}
	if idStr != "" {
		return idStr
	}
	return id
}

// topIDs returns the digits of the "id_str" and "id" string values among the keys of the
// object raw starts with (the first of each), and where the object value of its "data" key
// starts (-1: none). It walks strings and brackets only, not the values' grammar.
func topIDs(raw []byte) (idStr, id string, data int) {
	data = -1
	depth := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth <= 0 {
				return idStr, id, data
			}
		case '"':
			end := quoteEnd(raw, i)
			if end < 0 {
				return idStr, id, data
			}
			if depth == 1 {
				if j := afterSpace(raw, end+1); j < len(raw) && raw[j] == ':' {
					j = afterSpace(raw, j+1)
					switch string(raw[i+1 : end]) {
					case "id_str":
						if idStr == "" {
							idStr = quotedDigits(raw[j:])
						}
					case "id":
						if id == "" {
							id = quotedDigits(raw[j:])
						}
					case "data":
						if j < len(raw) && raw[j] == '{' && data < 0 {
							data = j
						}
					}
				}
			}
			i = end
		}
	}
	return idStr, id, data
}

// quoteEnd is the index of the quote closing the string that starts at i, -1 when it is cut off.
func quoteEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

// afterSpace is the index of the first byte from i on that is not JSON white space.
func afterSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// quotedDigits is the digits (at most 25) of a string value that b starts with, "" if none.
func quotedDigits(b []byte) string {
	if len(b) == 0 || b[0] != '"' {
		return ""
	}
	j := 1
	for j < len(b) && j <= 25 && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return string(b[1:j])
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
