package leakwatch

import (
	"fmt"
	"strings"
	"time"
)

// ObjectKind is what kind of thing accounts share. Co-share edges are counted per kind.
type ObjectKind string

// Object kinds, as they appear before the colon of an object key.
const (
	KindURL       ObjectKind = "url"
	KindDomain    ObjectKind = "domain"
	KindHashtag   ObjectKind = "hashtag"
	KindReshareOf ObjectKind = "reshare_of"
	KindReplyTo   ObjectKind = "reply_to"
	KindText      ObjectKind = "text"     // exact normalised-text fingerprint
	KindNearText  ObjectKind = "neartext" // near-duplicate text band (MinHash LSH)
	KindImage     ObjectKind = "image"
	KindCandidate ObjectKind = "candidate"
	KindAll       ObjectKind = "all" // the whole stream: "all:posts"
)

// ShareKinds are the kinds co-share coordination is computed on.
var ShareKinds = []ObjectKind{KindURL, KindDomain, KindHashtag, KindReshareOf, KindReplyTo, KindText, KindNearText, KindImage}

// AllPosts is the object key of the whole stream.
const AllPosts = "all:posts"

// ParseObjectKey splits "KIND:VALUE".
func ParseObjectKey(key string) (ObjectRef, error) {
	k, v, ok := strings.Cut(key, ":")
	if !ok || k == "" || v == "" {
		return ObjectRef{}, fmt.Errorf("object key %q: want KIND:VALUE", key)
	}
	return ObjectRef{Kind: ObjectKind(k), Value: v}, nil
}

// Mention is one post sharing one object: the unit every detector counts.
// On the mentions topic it is keyed by Object, so all shares of one object meet in one partition.
type Mention struct {
	Object  string `json:"object"` // KIND:VALUE
	Account string `json:"account"`
	// Handle is the account's name on its platform (a screen name), when the account is
	// known by an id: reports show it, the analysis never keys anything on it (a handle can
	// change, an id cannot).
	Handle   string    `json:"handle,omitempty"`
	Post     string    `json:"post"` // post URI
	Platform string    `json:"platform"`
	At       time.Time `json:"at"` // the post's event time
	// Evidence is what in the post points to a leak ("domain:pastebin.com", "term:leaked
	// emails"), found at extraction so it survives the repartition by object.
	Evidence []string `json:"evidence,omitempty"`
}

// NamesDump says whether leak evidence value e names a dump, a link to a dump domain or a
// leak hashtag ("domain:pastebin.com", "term:#macronleaks"), rather than describing one
// ("term:leaked emails"): the news about a leak uses the same words, but not its links.
func NamesDump(e string) bool {
	return strings.HasPrefix(e, "domain:") || strings.HasPrefix(e, "term:#")
}
