package leakwatch

import (
	"encoding/json"
	"time"
)

// Platforms that collectors normalise from.
const (
	PlatformTwitter  = "twitter"
	PlatformMastodon = "mastodon"
	PlatformBluesky  = "bluesky"
	PlatformFeed     = "feed"
	PlatformArchive  = "archive"
	PlatformFacebook = "facebook"
)

// Post is one public message from any platform, normalised.
// URI is its global key (the Kafka key on the posts topic): unique across platforms and
// instances, so the same post seen twice (two Mastodon instances, a replay) dedupes.
type Post struct {
	Platform   string    `json:"platform"`
	ID         string    `json:"id"`
	URI        string    `json:"uri"`
	CreatedAt  time.Time `json:"created_at"`
	ObservedAt time.Time `json:"observed_at"`
	Author     Account   `json:"author"`

	// Targets are global URIs (or platform ids when no URI is known) of other posts.
	ReshareOf string `json:"reshare_of,omitempty"`
	QuoteOf   string `json:"quote_of,omitempty"`
	ReplyTo   string `json:"reply_to,omitempty"`

	Text     string   `json:"text"` // HTML stripped, NFC
	Lang     string   `json:"lang,omitempty"`
	URLs     []Link   `json:"urls,omitempty"`
	Hashtags []string `json:"hashtags,omitempty"` // without '#', as written
	Mentions []string `json:"mentions,omitempty"` // handles without '@'
	Media    []Media  `json:"media,omitempty"`

	// Objects are object ids the source already computed (an archive column holding a URL id,
	// an image hash id); extraction takes them verbatim as KIND:VALUE.
	Objects []ObjectRef `json:"objects,omitempty"`

	// Raw is the platform payload as received, kept so nothing the source said is lost.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// Account is a post's author as the platform describes it at observation time.
type Account struct {
	ID     string `json:"id"`
	Handle string `json:"handle,omitempty"`
	Name   string `json:"name,omitempty"`
	// CreatedAt is the account's creation time; CreatedPrecision says how much of it the
	// source gave ("second", "day", "month", or "" when unknown).
	CreatedAt        time.Time `json:"created_at,omitzero"`
	CreatedPrecision string    `json:"created_precision,omitempty"`
	Followers        int64     `json:"followers,omitempty"`
	Following        int64     `json:"following,omitempty"`
	Posts            int64     `json:"posts,omitempty"`
}

// Link is one URL in a post, from what the author typed to what extraction compares.
type Link struct {
	Raw        string `json:"raw"`
	Expanded   string `json:"expanded,omitempty"`
	Normalized string `json:"normalized,omitempty"`
	Domain     string `json:"domain,omitempty"` // registrable domain (eTLD+1)
}

// Media is an attachment. Hash is a perceptual or content hash when the source has one.
type Media struct {
	Type string `json:"type"`
	URL  string `json:"url,omitempty"`
	Hash string `json:"hash,omitempty"`
}

// ObjectRef names something accounts share: a URL, a hashtag, a reshared post.
type ObjectRef struct {
	Kind  ObjectKind `json:"kind"`
	Value string     `json:"value"`
}

// Key is the object's id in detections: "KIND:VALUE".
func (o ObjectRef) Key() string { return string(o.Kind) + ":" + o.Value }
