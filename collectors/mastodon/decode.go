// Package mastodon reads public statuses from Mastodon instances through the streaming API
// (server-sent events), several instances and streams at once, deduplicated across them by
// the status URI. After a reconnect it backfills the gap from the matching REST timeline.
// Reconnection and backoff are not here: collectors.Run drives these sources.
// It must not import stream, warehouse or analytics.
package mastodon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors/normalize"
)

// status is the Mastodon Status entity (https://docs.joinmastodon.org/entities/Status/),
// the fields leakwatch reads.
type status struct {
	ID                 string       `json:"id"`
	URI                string       `json:"uri"`
	URL                string       `json:"url"`
	CreatedAt          string       `json:"created_at"`
	EditedAt           string       `json:"edited_at"`
	Account            *account     `json:"account"`
	Content            string       `json:"content"`
	SpoilerText        string       `json:"spoiler_text"`
	Visibility         string       `json:"visibility"`
	Language           string       `json:"language"`
	InReplyToID        string       `json:"in_reply_to_id"`
	InReplyToAccountID string       `json:"in_reply_to_account_id"`
	Reblog             *status      `json:"reblog"`
	Quote              *quote       `json:"quote"`
	MediaAttachments   []attachment `json:"media_attachments"`
	Mentions           []struct {
		ID   string `json:"id"`
		Acct string `json:"acct"`
		URL  string `json:"url"`
	} `json:"mentions"`
	Tags []struct {
		Name string `json:"name"`
	} `json:"tags"`
	Card *struct {
		URL string `json:"url"`
	} `json:"card"`
}

// quote is a Quote (quoted_status) or ShallowQuote (quoted_status_id), Mastodon 4.4+.
type quote struct {
	State          string  `json:"state"`
	QuotedStatus   *status `json:"quoted_status"`
	QuotedStatusID string  `json:"quoted_status_id"`
}

type account struct {
	ID             string `json:"id"`
	Username       string `json:"username"`
	Acct           string `json:"acct"`
	URL            string `json:"url"`
	DisplayName    string `json:"display_name"`
	CreatedAt      string `json:"created_at"`
	FollowersCount int64  `json:"followers_count"`
	FollowingCount int64  `json:"following_count"`
	StatusesCount  int64  `json:"statuses_count"`
}

type attachment struct {
	Type      string `json:"type"`
	URL       string `json:"url"`
	RemoteURL string `json:"remote_url"`
	Blurhash  string `json:"blurhash"`
}

// Resolver maps an instance-local status id to the status URI, when the id was seen.
type Resolver func(localID string) (uri string, ok bool)

// DecodeStatus turns one Status JSON read from the instance at host into a Post.
// See DecodeStatusWith for how ids local to the instance are handled.
func DecodeStatus(raw []byte, host string) (leakwatch.Post, error) {
	return DecodeStatusWith(raw, host, nil)
}

// DecodeStatusWith is DecodeStatus with a Resolver for in_reply_to_id and shallow quotes.
//
// Mastodon ids are local to the instance that served them; the URI is global. So Post.URI
// is the status uri, Post.ID the local id (what GET /api/v1/statuses/:id on host takes),
// Author.ID the profile URL (the same from every instance), Author.Handle the full
// user@domain. A reply or shallow quote names its target by local id only: resolve turns it
// into the target's URI when the target was seen, else the reference is
// https://host/api/v1/statuses/ID, which resolves but is specific to the instance.
func DecodeStatusWith(raw []byte, host string, resolve Resolver) (leakwatch.Post, error) {
	p, _, err := decodeStatus(raw, host, resolve)
	return p, err
}

// decodeStatus also returns edited_at, which tells an edit from the status it replaces.
func decodeStatus(raw []byte, host string, resolve Resolver) (p leakwatch.Post, editedAt string, err error) {
	if err := normalize.CheckUTF8(raw); err != nil {
		return leakwatch.Post{}, "", statusErr(idHint(raw), err)
	}
	var s status
	if err := json.Unmarshal(raw, &s); err != nil {
		return leakwatch.Post{}, "", statusErr(idHint(raw), fmt.Errorf("decode status JSON: %v", err))
	}
	p, err = s.post(host, resolve, 0)
	if err != nil {
		return leakwatch.Post{}, "", err
	}
	p.Raw = append([]byte(nil), raw...)
	return p, s.EditedAt, nil
}

func statusErr(id string, err error) error {
	if id == "" {
		id = "(id unknown)"
	}
	return fmt.Errorf("status %s: %w", id, err)
}

// idHint finds the status uri or id in a payload that did not decode.
func idHint(raw []byte) string {
	var probe struct {
		ID  json.RawMessage `json:"id"`
		URI string          `json:"uri"`
	}
	if json.Unmarshal(raw, &probe) == nil {
		if probe.URI != "" {
			return probe.URI
		}
		return strings.Trim(string(probe.ID), `"`)
	}
	for _, key := range []string{`"uri":"`, `"id":"`} {
		if i := strings.Index(string(raw), key); i >= 0 {
			rest := string(raw[i+len(key):])
			if j := strings.IndexByte(rest, '"'); j > 0 && j < 200 {
				return rest[:j]
			}
		}
	}
	return ""
}

func (s *status) post(host string, resolve Resolver, depth int) (leakwatch.Post, error) {
	name := s.URI
	if name == "" {
		name = s.ID
	}
	fail := func(format string, args ...any) (leakwatch.Post, error) {
		return leakwatch.Post{}, statusErr(name, fmt.Errorf(format, args...))
	}
	if s.URI == "" {
		return fail("no uri")
	}
	if s.ID == "" {
		return fail("no id")
	}
	created, err := time.Parse(time.RFC3339Nano, s.CreatedAt)
	if err != nil {
		return fail("created_at %q: want ISO 8601 like 2017-05-05T18:35:12.000Z", s.CreatedAt)
	}
	if s.Account == nil {
		return fail("no account")
	}
	author, err := s.Account.account(host)
	if err != nil {
		return fail("%v", err)
	}
	p := leakwatch.Post{
		Platform:  leakwatch.PlatformMastodon,
		ID:        s.ID,
		URI:       s.URI,
		CreatedAt: created.UTC(),
		Author:    author,
		Lang:      s.Language,
	}
	local := func(id string) string {
		if resolve != nil {
			if u, ok := resolve(id); ok {
				return u
			}
		}
		return "https://" + host + "/api/v1/statuses/" + url.PathEscape(id)
	}
	if r := s.Reblog; r != nil {
		if depth > 0 {
			return fail("reblog nested in a reblog")
		}
		orig, err := r.post(host, resolve, depth+1)
		if err != nil {
			return fail("reblog: %v", err)
		}
		// A boost has no text of its own; what it spreads is the original's links, tags and media.
		p.ReshareOf = orig.URI
		p.URLs, p.Hashtags, p.Media, p.Mentions = orig.URLs, orig.Hashtags, orig.Media, orig.Mentions
		return p, nil
	}
	if s.InReplyToID != "" {
		p.ReplyTo = local(s.InReplyToID)
	}
	if q := s.Quote; q != nil {
		switch {
		case q.QuotedStatus != nil && q.QuotedStatus.URI != "":
			p.QuoteOf = q.QuotedStatus.URI
		case q.QuotedStatusID != "":
			p.QuoteOf = local(q.QuotedStatusID)
		}
	}

	text, anchors := normalize.HTML(s.Content)
	if cw := normalize.NFC(strings.TrimSpace(s.SpoilerText)); cw != "" {
		text = strings.TrimSpace(cw + "\n\n" + text)
	}
	p.Text = text
	for _, a := range anchors {
		switch {
		case a.HasClass("hashtag") || a.Rel == "tag":
			p.Hashtags = normalize.AppendUnique(p.Hashtags, strings.TrimPrefix(a.Text, "#"))
		case a.HasClass("mention"):
			// listed from the mentions array, with full accts
		case a.Href != "":
			p.URLs = appendLink(p.URLs, a.Href)
		}
	}
	for _, t := range s.Tags {
		if !containsFold(p.Hashtags, t.Name) {
			p.Hashtags = normalize.AppendUnique(p.Hashtags, normalize.NFC(t.Name))
		}
	}
	for _, m := range s.Mentions {
		p.Mentions = normalize.AppendUnique(p.Mentions, qualify(m.Acct, host))
	}
	if s.Card != nil && s.Card.URL != "" && len(p.URLs) == 0 {
		p.URLs = appendLink(p.URLs, s.Card.URL)
	}
	for _, m := range s.MediaAttachments {
		md := leakwatch.Media{Type: m.Type, URL: m.RemoteURL}
		if md.URL == "" {
			md.URL = m.URL // local upload: the instance's own copy is the original
		}
		if m.Blurhash != "" {
			md.Hash = "blurhash:" + m.Blurhash
		}
		p.Media = append(p.Media, md)
	}
	return p, nil
}

func (a *account) account(host string) (leakwatch.Account, error) {
	if a.Acct == "" && a.URL == "" {
		return leakwatch.Account{}, errors.New("account has neither acct nor url")
	}
	handle := qualify(a.Acct, host)
	id := a.URL
	if id == "" {
		id = handle
	}
	out := leakwatch.Account{
		ID:        id,
		Handle:    handle,
		Name:      normalize.NFC(a.DisplayName),
		Followers: a.FollowersCount,
		Following: a.FollowingCount,
		Posts:     a.StatusesCount,
	}
	if a.CreatedAt != "" {
		c, err := time.Parse(time.RFC3339Nano, a.CreatedAt)
		if err != nil {
			c, err = time.Parse(time.DateOnly, a.CreatedAt)
		}
		if err != nil {
			return leakwatch.Account{}, fmt.Errorf("account %s: created_at %q: want ISO 8601", handle, a.CreatedAt)
		}
		// Mastodon rounds account creation to midnight UTC, so only the day is known.
		out.CreatedAt, out.CreatedPrecision = c.UTC().Truncate(24*time.Hour), "day"
	}
	return out, nil
}

// qualify makes a local acct ("alice") global ("alice@host").
func qualify(acct, host string) string {
	if acct == "" || strings.Contains(acct, "@") || host == "" {
		return acct
	}
	return acct + "@" + host
}

func appendLink(list []leakwatch.Link, href string) []leakwatch.Link {
	for _, l := range list {
		if l.Raw == href {
			return list
		}
	}
	return append(list, leakwatch.Link{Raw: href})
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
