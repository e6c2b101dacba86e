package twitter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors/normalize"
)

// v2Tweet is the v2 Tweet object with the fields leakwatch reads
// (https://developer.x.com/en/docs/x-api/data-dictionary/object-model/tweet).
// Author and the fields of ReferencedTweets beyond type/id are twarc2's "flattened" archive
// form, which embeds the expansions in the tweet itself.
type v2Tweet struct {
	ID               string       `json:"id"`
	Text             string       `json:"text"`
	AuthorID         string       `json:"author_id"`
	CreatedAt        string       `json:"created_at"`
	Lang             string       `json:"lang"`
	ReferencedTweets []v2Ref      `json:"referenced_tweets"`
	Entities         *v2Entities  `json:"entities"`
	Attachments      v2Attach     `json:"attachments"`
	NoteTweet        *v2NoteTweet `json:"note_tweet"`
	Author           *v2User      `json:"author"`
}

// v2Ref embeds v2Tweet, which holds v2Refs: segmentio/encoding drops the fields promoted
// through that recursive embedding, so v2 payloads decode with encoding/json, not jsonx.
type v2Ref struct {
	Type string `json:"type"` // retweeted, quoted, replied_to
	v2Tweet
}

type v2NoteTweet struct {
	Text     string      `json:"text"`
	Entities *v2Entities `json:"entities"`
}

type v2Attach struct {
	MediaKeys []string  `json:"media_keys"`
	Media     []v2Media `json:"media"` // twarc2 flattened form
}

type v2Entities struct {
	URLs []struct {
		URL         string `json:"url"`
		ExpandedURL string `json:"expanded_url"`
		UnwoundURL  string `json:"unwound_url"`
		MediaKey    string `json:"media_key"`
	} `json:"urls"`
	Hashtags []struct {
		Tag string `json:"tag"`
	} `json:"hashtags"`
	Mentions []struct {
		Username string `json:"username"`
	} `json:"mentions"`
}

type v2User struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	Name          string `json:"name"`
	CreatedAt     string `json:"created_at"`
	PublicMetrics *struct {
		FollowersCount int64 `json:"followers_count"`
		FollowingCount int64 `json:"following_count"`
		TweetCount     int64 `json:"tweet_count"`
	} `json:"public_metrics"`
}

type v2Media struct {
	MediaKey        string `json:"media_key"`
	Type            string `json:"type"`
	URL             string `json:"url"`
	PreviewImageURL string `json:"preview_image_url"`
}

type v2Includes struct {
	Users  []v2User  `json:"users,omitempty"`
	Tweets []v2Tweet `json:"tweets,omitempty"`
	Media  []v2Media `json:"media,omitempty"`
}

// v2Error is one entry of a v2 "errors" array: a partial error beside data, or a stream
// notice such as operational-disconnect.
type v2Error struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	// Details say why, where Title only names the kind: a rejected rule comes back as
	// "UnprocessableEntity" with "Mismatched parenthesis (at position 1)" here.
	Details        []string `json:"details"`
	Type           string   `json:"type"`
	DisconnectType string   `json:"disconnect_type"`
	Value          string   `json:"value"`
	ResourceID     string   `json:"resource_id"`
	Message        string   `json:"message"` // v1.1-style errors some endpoints still send
}

func (e v2Error) String() string {
	parts := []string{}
	for _, s := range []string{e.Title, e.DisconnectType, e.Detail, strings.Join(e.Details, "; "), e.Message} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if e.ResourceID != "" {
		parts = append(parts, "resource "+e.ResourceID)
	}
	return strings.Join(parts, ": ")
}

type v2Envelope struct {
	Data     json.RawMessage `json:"data"`
	Includes v2Includes      `json:"includes"`
	Errors   []v2Error       `json:"errors"`
}

// ErrV2Errors is wrapped by decode errors for a payload that holds only v2 errors.
var ErrV2Errors = errors.New("payload holds only errors")

func errorsText(es []v2Error) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, "; ")
}

// DecodeV2 turns one v2 tweet into a Post: a filtered-stream line or a lookup response
// ({"data":{...},"includes":{...}}), or a bare tweet object with embedded author (twarc2
// flattened archives). The author comes from includes.users (or the embedded author);
// referenced_tweets set ReshareOf/QuoteOf/ReplyTo; a retweet takes the untruncated text and
// entities of the original when includes.tweets has it. A multi-tweet response goes to
// DecodeV2Page. ObservedAt is left zero for the caller.
func DecodeV2(raw []byte) (leakwatch.Post, error) {
	if err := normalize.CheckUTF8(raw); err != nil {
		return leakwatch.Post{}, errorf(idHint(raw), "%v", err)
	}
	var env v2Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return leakwatch.Post{}, errorf(idHint(raw), "decode v2 JSON: %v", err)
	}
	var t v2Tweet
	switch d := bytes.TrimSpace(env.Data); {
	case len(d) == 0 || bytes.Equal(d, []byte("null")):
		if len(env.Errors) > 0 {
			return leakwatch.Post{}, fmt.Errorf("v2 response: %w: %s", ErrV2Errors, errorsText(env.Errors))
		}
		// A bare tweet object: the whole payload is the tweet.
		if err := json.Unmarshal(raw, &t); err != nil {
			return leakwatch.Post{}, errorf(idHint(raw), "decode v2 tweet: %v", err)
		}
		if t.ID == "" {
			return leakwatch.Post{}, errorf("", "neither a v2 \"data\" object nor a tweet with an id")
		}
	case d[0] == '[':
		return leakwatch.Post{}, errorf("", "\"data\" is an array of tweets: decode it with DecodeV2Page")
	default:
		if err := json.Unmarshal(d, &t); err != nil {
			return leakwatch.Post{}, errorf(idHint(d), "decode v2 data: %v", err)
		}
	}
	p, err := v2Post(&t, &env.Includes)
	if err != nil {
		return leakwatch.Post{}, err
	}
	p.Raw = copyRaw(raw)
	return p, nil
}

// BadTweet is a tweet of a v2 page that did not decode: its own object of the page's "data",
// so that a dead letter holds the tweet that failed rather than the whole page, and why.
type BadTweet struct {
	Raw json.RawMessage
	Err error // names the tweet by its id
}

// DecodeV2Page decodes a v2 response holding many tweets ({"data":[...],"includes":{...}},
// as search and timelines return). One bad tweet does not spoil the page: it comes back in
// bad, naming its id. Each Post.Raw is a single-tweet envelope holding only the includes that
// tweet uses, so DecodeV2 reads it back to the same Post.
func DecodeV2Page(raw []byte) (posts []leakwatch.Post, bad []BadTweet, err error) {
	if err := normalize.CheckUTF8(raw); err != nil {
		return nil, nil, fmt.Errorf("v2 page: %v", err)
	}
	var env struct {
		Data     []json.RawMessage `json:"data"`
		Includes v2Includes        `json:"includes"`
		Errors   []v2Error         `json:"errors"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, nil, fmt.Errorf("v2 page: %v", err)
	}
	if len(env.Data) == 0 && len(env.Errors) > 0 {
		return nil, nil, fmt.Errorf("v2 page: %w: %s", ErrV2Errors, errorsText(env.Errors))
	}
	for _, d := range env.Data {
		var t v2Tweet
		if err := json.Unmarshal(d, &t); err != nil {
			bad = append(bad, BadTweet{d, errorf(idHint(d), "decode v2 data: %v", err)})
			continue
		}
		p, err := v2Post(&t, &env.Includes)
		if err != nil {
			bad = append(bad, BadTweet{d, err})
			continue
		}
		p.Raw, err = json.Marshal(struct {
			Data     json.RawMessage `json:"data"`
			Includes v2Includes      `json:"includes"`
		}{d, env.Includes.subset(&t)})
		if err != nil {
			bad = append(bad, BadTweet{d, errorf(t.ID, "re-encode: %v", err)})
			continue
		}
		posts = append(posts, p)
	}
	return posts, bad, nil
}

func (inc *v2Includes) user(id string) *v2User {
	for i := range inc.Users {
		if inc.Users[i].ID == id {
			return &inc.Users[i]
		}
	}
	return nil
}

func (inc *v2Includes) tweet(id string) *v2Tweet {
	for i := range inc.Tweets {
		if inc.Tweets[i].ID == id {
			return &inc.Tweets[i]
		}
	}
	return nil
}

func (inc *v2Includes) media(key string) *v2Media {
	for i := range inc.Media {
		if inc.Media[i].MediaKey == key {
			return &inc.Media[i]
		}
	}
	return nil
}

// subset is the part of inc that t (and the tweets it references) points to.
func (inc *v2Includes) subset(t *v2Tweet) v2Includes {
	var out v2Includes
	addUser := func(id string) {
		if u := inc.user(id); u != nil && out.user(id) == nil {
			out.Users = append(out.Users, *u)
		}
	}
	addMedia := func(keys []string) {
		for _, k := range keys {
			if m := inc.media(k); m != nil && out.media(k) == nil {
				out.Media = append(out.Media, *m)
			}
		}
	}
	addUser(t.AuthorID)
	addMedia(t.Attachments.MediaKeys)
	for _, r := range t.ReferencedTweets {
		if rt := inc.tweet(r.ID); rt != nil && out.tweet(r.ID) == nil {
			out.Tweets = append(out.Tweets, *rt)
			addUser(rt.AuthorID)
			addMedia(rt.Attachments.MediaKeys)
		}
	}
	return out
}

func v2Post(t *v2Tweet, inc *v2Includes) (leakwatch.Post, error) {
	if t.ID == "" {
		return leakwatch.Post{}, errorf("", "no id")
	}
	core, err := v2Core(t, inc)
	if err != nil {
		return leakwatch.Post{}, err
	}
	p := core
	for _, r := range t.ReferencedTweets {
		if r.ID == "" {
			return leakwatch.Post{}, errorf(t.ID, "referenced_tweets entry of type %q has no id", r.Type)
		}
		switch r.Type {
		case "retweeted":
			p.ReshareOf = URI(r.ID)
			if orig := referenced(r, inc); orig != nil {
				if o, err := v2Core(orig, inc); err == nil {
					p.Text = retweetText(o.Author.Handle, o.Text)
					p.URLs, p.Hashtags, p.Media = o.URLs, o.Hashtags, o.Media
					p.Mentions = normalize.AppendUnique(nil, o.Author.Handle)
					for _, m := range o.Mentions {
						p.Mentions = normalize.AppendUnique(p.Mentions, m)
					}
				}
			}
		case "quoted":
			p.QuoteOf = URI(r.ID)
		case "replied_to":
			p.ReplyTo = URI(r.ID)
		default:
			return leakwatch.Post{}, errorf(t.ID, "unknown referenced_tweets type %q", r.Type)
		}
	}
	if p.ReshareOf != "" {
		p.QuoteOf, p.ReplyTo = "", "" // they belong to the original, not to the retweet
	}
	return p, nil
}

// referenced finds the full object of a referenced tweet: in includes.tweets, or embedded
// in the reference itself (twarc2 flattened).
func referenced(r v2Ref, inc *v2Includes) *v2Tweet {
	if t := inc.tweet(r.ID); t != nil && t.CreatedAt != "" {
		return t
	}
	if r.v2Tweet.CreatedAt != "" {
		t := r.v2Tweet
		return &t
	}
	return nil
}

// v2Core converts the tweet's own fields, without following references.
func v2Core(t *v2Tweet, inc *v2Includes) (leakwatch.Post, error) {
	if t.CreatedAt == "" {
		return leakwatch.Post{}, errorf(t.ID, "no created_at (request tweet.fields=created_at)")
	}
	created, err := parseV2Time(t.CreatedAt)
	if err != nil {
		return leakwatch.Post{}, errorf(t.ID, "created_at %q: want ISO 8601 like 2017-05-05T18:35:12.000Z", t.CreatedAt)
	}
	author, err := v2Account(t, inc)
	if err != nil {
		return leakwatch.Post{}, errorf(t.ID, "%v", err)
	}
	p := leakwatch.Post{
		Platform:  leakwatch.PlatformTwitter,
		ID:        t.ID,
		URI:       URI(t.ID),
		CreatedAt: created.UTC(),
		Author:    author,
		Lang:      t.Lang,
	}
	text, ents := t.Text, t.Entities
	if n := t.NoteTweet; n != nil && n.Text != "" {
		text, ents = n.Text, n.Entities // long posts: text is cut at 280 characters
	}
	p.Text = cleanText(text)
	if ents != nil {
		for _, u := range ents.URLs {
			if u.MediaKey != "" {
				continue // the pic.twitter.com link of an attachment, listed in Media
			}
			exp := u.ExpandedURL
			if u.UnwoundURL != "" {
				exp = u.UnwoundURL
			}
			p.URLs = append(p.URLs, leakwatch.Link{Raw: u.URL, Expanded: exp})
		}
		for _, h := range ents.Hashtags {
			p.Hashtags = normalize.AppendUnique(p.Hashtags, normalize.NFC(h.Tag))
		}
		for _, m := range ents.Mentions {
			p.Mentions = normalize.AppendUnique(p.Mentions, m.Username)
		}
	}
	add := func(m *v2Media) {
		u := m.URL
		if u == "" {
			u = m.PreviewImageURL
		}
		p.Media = append(p.Media, leakwatch.Media{Type: m.Type, URL: u})
	}
	for _, k := range t.Attachments.MediaKeys {
		if m := inc.media(k); m != nil {
			add(m)
		} else {
			p.Media = append(p.Media, leakwatch.Media{Type: mediaType(k)})
		}
	}
	for i := range t.Attachments.Media {
		if !containsKey(t.Attachments.MediaKeys, t.Attachments.Media[i].MediaKey) {
			add(&t.Attachments.Media[i])
		}
	}
	return p, nil
}

func containsKey(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// mediaType reads the type from a media key's prefix ("3_" photo, "7_" video, "16_" gif)
// when the media expansion was not requested, so the attachment is at least counted.
func mediaType(key string) string {
	switch {
	case strings.HasPrefix(key, "3_"):
		return "photo"
	case strings.HasPrefix(key, "7_"), strings.HasPrefix(key, "13_"):
		return "video"
	case strings.HasPrefix(key, "16_"):
		return "animated_gif"
	}
	return "unknown"
}

func v2Account(t *v2Tweet, inc *v2Includes) (leakwatch.Account, error) {
	u := t.Author
	if u == nil && t.AuthorID != "" {
		u = inc.user(t.AuthorID)
	}
	if u == nil {
		if t.AuthorID == "" {
			return leakwatch.Account{}, errors.New("no author_id (request expansions=author_id)")
		}
		return leakwatch.Account{ID: t.AuthorID}, nil // the users expansion was not requested
	}
	id := u.ID
	if id == "" {
		id = t.AuthorID
	}
	if id == "" {
		return leakwatch.Account{}, errors.New("author has no id")
	}
	a := leakwatch.Account{ID: id, Handle: u.Username, Name: normalize.NFC(u.Name)}
	if m := u.PublicMetrics; m != nil {
		a.Followers, a.Following, a.Posts = m.FollowersCount, m.FollowingCount, m.TweetCount
	}
	if u.CreatedAt != "" {
		c, err := parseV2Time(u.CreatedAt)
		if err != nil {
			return leakwatch.Account{}, fmt.Errorf("user %s: created_at %q: want ISO 8601", id, u.CreatedAt)
		}
		a.CreatedAt, a.CreatedPrecision = c.UTC(), "second"
	}
	return a, nil
}
