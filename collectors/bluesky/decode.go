// Package bluesky reads Bluesky posts and reposts from a Jetstream server (the JSON view of
// the AT Protocol firehose) over WebSocket, resuming from its time cursor after a reconnect
// or a restart. Reconnection and backoff are not here: collectors.Run drives the source.
// It must not import stream, warehouse or analytics.
package bluesky

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors/normalize"
)

// Collections leakwatch reads.
const (
	CollectionPost   = "app.bsky.feed.post"
	CollectionRepost = "app.bsky.feed.repost"
)

// event is a Jetstream event (https://github.com/bluesky-social/jetstream#example-events).
type event struct {
	DID      string    `json:"did"`
	TimeUS   int64     `json:"time_us"`
	Kind     string    `json:"kind"`
	Commit   *commit   `json:"commit"`
	Identity *identity `json:"identity"`
	Account  *struct {
		Active bool   `json:"active"`
		Status string `json:"status"`
	} `json:"account"`
}

type commit struct {
	Rev        string          `json:"rev"`
	Operation  string          `json:"operation"`
	Collection string          `json:"collection"`
	RKey       string          `json:"rkey"`
	Record     json.RawMessage `json:"record"`
	CID        string          `json:"cid"`
}

type identity struct {
	DID    string `json:"did"`
	Handle string `json:"handle"`
}

// postRecord is app.bsky.feed.post (lexicons/app/bsky/feed/post.json).
type postRecord struct {
	Text      string   `json:"text"`
	CreatedAt string   `json:"createdAt"`
	Langs     []string `json:"langs"`
	Tags      []string `json:"tags"`
	Facets    []struct {
		Index struct {
			ByteStart int `json:"byteStart"`
			ByteEnd   int `json:"byteEnd"`
		} `json:"index"`
		Features []struct {
			Type string `json:"$type"`
			URI  string `json:"uri"`
			DID  string `json:"did"`
			Tag  string `json:"tag"`
		} `json:"features"`
	} `json:"facets"`
	Reply *struct {
		Parent strongRef `json:"parent"`
		Root   strongRef `json:"root"`
	} `json:"reply"`
	Embed *embed `json:"embed"`
}

type strongRef struct {
	URI string `json:"uri"`
	CID string `json:"cid"`
}

// embed is the union of app.bsky.embed.* records.
type embed struct {
	Type     string `json:"$type"`
	External *struct {
		URI string `json:"uri"`
	} `json:"external"`
	Images []struct {
		Image blob `json:"image"`
	} `json:"images"`
	Video *blob `json:"video"`
	// Record is a strongRef in app.bsky.embed.record and an app.bsky.embed.record in
	// app.bsky.embed.recordWithMedia; recordRef reads both.
	Record json.RawMessage `json:"record"`
	Media  *embed          `json:"media"`
}

// blob is a blob reference, current ({"ref":{"$link":CID}}) or legacy ({"cid":CID}).
type blob struct {
	Ref *struct {
		Link string `json:"$link"`
	} `json:"ref"`
	CID      string `json:"cid"`
	MimeType string `json:"mimeType"`
}

func (b blob) cid() string {
	if b.Ref != nil && b.Ref.Link != "" {
		return b.Ref.Link
	}
	return b.CID
}

type repostRecord struct {
	Subject   strongRef `json:"subject"`
	CreatedAt string    `json:"createdAt"`
}

// Decoded is what one Jetstream event means for leakwatch. Post is set for a created or
// updated post or repost; Deleted for a deleted one; Handle for an identity event.
type Decoded struct {
	Kind    string // commit, identity, account, heartbeat
	TimeUS  int64
	DID     string
	Post    *leakwatch.Post
	Deleted string // at:// URI of a deleted post or repost
	Handle  string // new handle of DID (identity events)
	// Key identifies the commit (repo, record and revision), so an event replayed after a
	// cursor rewind is recognised.
	Key string
}

// URI is the at:// URI of a record.
func URI(did, collection, rkey string) string { return "at://" + did + "/" + collection + "/" + rkey }

// Decode reads one Jetstream event. Posts and reposts carry the author's DID; the handle is
// not in commit events (the source fills it from identity events it saw).
func Decode(raw []byte) (Decoded, error) {
	if err := normalize.CheckUTF8(raw); err != nil {
		return Decoded{}, eventErr(raw, err)
	}
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return Decoded{}, eventErr(raw, fmt.Errorf("decode event JSON: %v", err))
	}
	d := Decoded{Kind: ev.Kind, TimeUS: ev.TimeUS, DID: ev.DID}
	switch ev.Kind {
	case "heartbeat":
		return d, nil
	case "identity":
		if ev.Identity == nil || ev.Identity.DID == "" {
			return Decoded{}, eventErr(raw, errors.New("identity event without identity.did"))
		}
		d.DID, d.Handle = ev.Identity.DID, ev.Identity.Handle
		return d, nil
	case "account":
		return d, nil
	case "commit":
	default:
		return Decoded{}, eventErr(raw, fmt.Errorf("unknown event kind %q", ev.Kind))
	}
	c := ev.Commit
	if c == nil || ev.DID == "" || c.Collection == "" || c.RKey == "" {
		return Decoded{}, eventErr(raw, errors.New("commit event without did, commit.collection or commit.rkey"))
	}
	if ev.TimeUS <= 0 {
		return Decoded{}, eventErr(raw, errors.New("commit event without time_us"))
	}
	uri := URI(ev.DID, c.Collection, c.RKey)
	d.Key = uri + "@" + c.Rev + "/" + c.Operation
	if c.Collection != CollectionPost && c.Collection != CollectionRepost {
		return Decoded{}, eventErr(raw, fmt.Errorf("%s: collection %q is not read by leakwatch", uri, c.Collection))
	}
	switch c.Operation {
	case "delete":
		d.Deleted = uri
		return d, nil
	case "create", "update":
	default:
		return Decoded{}, eventErr(raw, fmt.Errorf("%s: unknown operation %q", uri, c.Operation))
	}
	if len(c.Record) == 0 || string(c.Record) == "null" {
		return Decoded{}, eventErr(raw, fmt.Errorf("%s: %s without a record", uri, c.Operation))
	}
	at := time.UnixMicro(ev.TimeUS).UTC()
	p := leakwatch.Post{
		Platform:  leakwatch.PlatformBluesky,
		ID:        uri,
		URI:       uri,
		CreatedAt: at,
		Author:    leakwatch.Account{ID: ev.DID},
		Raw:       append([]byte(nil), raw...),
	}
	var err error
	if c.Collection == CollectionRepost {
		err = fillRepost(&p, c.Record, at)
	} else {
		err = fillPost(&p, c.Record, at)
	}
	if err != nil {
		return Decoded{}, eventErr(raw, fmt.Errorf("%s: %v", uri, err))
	}
	d.Post = &p
	return d, nil
}

// eventErr names the event by its time_us, the only id every event has.
func eventErr(raw []byte, err error) error {
	var probe struct {
		TimeUS int64  `json:"time_us"`
		DID    string `json:"did"`
	}
	if json.Unmarshal(raw, &probe) == nil && probe.TimeUS != 0 {
		return fmt.Errorf("jetstream event time_us=%d: %w", probe.TimeUS, err)
	}
	return fmt.Errorf("jetstream event: %w", err)
}

// createdAt is the record's own time unless it lies after the relay saw the event: clients
// set createdAt freely, and a future date would place the post outside every window. This
// is the same rule as Bluesky's own "sortAt" (the earlier of createdAt and indexedAt).
func createdAt(s string, seen time.Time) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.After(seen) {
		return seen
	}
	return t.UTC()
}

func fillPost(p *leakwatch.Post, raw json.RawMessage, seen time.Time) error {
	var r postRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("post record: %v", err)
	}
	p.CreatedAt = createdAt(r.CreatedAt, seen)
	p.Text = normalize.NFC(r.Text)
	if len(r.Langs) > 0 {
		p.Lang = r.Langs[0]
	}
	// Facet ranges are byte offsets into the text as sent, so they are cut before NFC.
	for _, f := range r.Facets {
		span, ok := byteSpan(r.Text, f.Index.ByteStart, f.Index.ByteEnd)
		for _, ft := range f.Features {
			switch ft.Type {
			case "app.bsky.richtext.facet#link":
				if ft.URI == "" {
					continue
				}
				raw := ft.URI
				if ok && span != "" {
					raw = normalize.NFC(span)
				}
				p.URLs = appendLink(p.URLs, leakwatch.Link{Raw: raw, Expanded: ft.URI})
			case "app.bsky.richtext.facet#tag":
				p.Hashtags = normalize.AppendUnique(p.Hashtags, normalize.NFC(strings.TrimPrefix(ft.Tag, "#")))
			case "app.bsky.richtext.facet#mention":
				m := ft.DID
				if h, isHandle := strings.CutPrefix(span, "@"); ok && isHandle && h != "" {
					m = h
				}
				p.Mentions = normalize.AppendUnique(p.Mentions, m)
			}
		}
	}
	for _, t := range r.Tags { // tags attached to the post without appearing in its text
		p.Hashtags = normalize.AppendUnique(p.Hashtags, normalize.NFC(strings.TrimPrefix(t, "#")))
	}
	if r.Reply != nil {
		p.ReplyTo = r.Reply.Parent.URI
	}
	if r.Embed != nil {
		addEmbed(p, r.Embed, 0)
	}
	return nil
}

func fillRepost(p *leakwatch.Post, raw json.RawMessage, seen time.Time) error {
	var r repostRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("repost record: %v", err)
	}
	if r.Subject.URI == "" {
		return errors.New("repost record without subject.uri")
	}
	p.CreatedAt = createdAt(r.CreatedAt, seen)
	p.ReshareOf = r.Subject.URI
	return nil
}

// addEmbed takes links, quoted posts and media from an embed. Image and video blobs are
// content-addressed: their CID is a hash of the bytes, so the same file posted by many
// accounts has one Media.Hash ("cid:...").
func addEmbed(p *leakwatch.Post, e *embed, depth int) {
	if e == nil || depth > 2 {
		return
	}
	switch e.Type {
	case "app.bsky.embed.external":
		if e.External != nil && e.External.URI != "" {
			p.URLs = appendLink(p.URLs, leakwatch.Link{Raw: e.External.URI, Expanded: e.External.URI})
		}
	case "app.bsky.embed.record":
		if u := recordRef(e.Record); strings.Contains(u, "/"+CollectionPost+"/") {
			p.QuoteOf = u // lists, feeds and starter packs can be embedded too; only posts are quotes
		}
	case "app.bsky.embed.recordWithMedia":
		var inner embed
		if json.Unmarshal(e.Record, &inner) == nil {
			inner.Type = "app.bsky.embed.record"
			addEmbed(p, &inner, depth+1)
		}
		addEmbed(p, e.Media, depth+1)
	case "app.bsky.embed.images":
		for _, im := range e.Images {
			p.Media = append(p.Media, media("image", im.Image))
		}
	case "app.bsky.embed.video":
		if e.Video != nil {
			p.Media = append(p.Media, media("video", *e.Video))
		}
	}
}

func media(typ string, b blob) leakwatch.Media {
	m := leakwatch.Media{Type: typ}
	if c := b.cid(); c != "" {
		m.Hash = "cid:" + c
	}
	return m
}

// recordRef reads the uri of a strongRef.
func recordRef(raw json.RawMessage) string {
	var r strongRef
	if json.Unmarshal(raw, &r) != nil {
		return ""
	}
	return r.URI
}

// appendLink adds l unless a link to the same target is there (a link facet and an
// external embed usually name the same URL).
func appendLink(list []leakwatch.Link, l leakwatch.Link) []leakwatch.Link {
	for _, x := range list {
		if x.Expanded == l.Expanded {
			return list
		}
	}
	return append(list, l)
}

// byteSpan returns text[start:end] when the range is valid UTF-8 inside the text.
func byteSpan(text string, start, end int) (string, bool) {
	if start < 0 || end < start || end > len(text) {
		return "", false
	}
	s := text[start:end]
	return s, utf8.ValidString(s)
}
