package twitter

import (
	"fmt"
	"strconv"
	"time"

	gotwitter "github.com/dghubble/go-twitter/twitter"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors/normalize"
	"github.com/leakwatch/leakwatch/internal/jsonx"
)

// DecodeV1 turns one v1.1 tweet object (REST, statuses/filter stream, or an archive line)
// into a Post. Text is the untruncated full_text (extended_tweet in compatibility mode);
// a retweet points ReshareOf at the original and carries the original's text and entities;
// quoted_status sets QuoteOf and in_reply_to_status_id_str sets ReplyTo, all via URI.
// ObservedAt is left zero for the caller (a stream sets the receive time, an archive its own).
func DecodeV1(raw []byte) (leakwatch.Post, error) {
	if err := normalize.CheckUTF8(raw); err != nil {
		return leakwatch.Post{}, errorf(idHint(raw), "%v", err)
	}
	var t gotwitter.Tweet
	if err := jsonx.Unmarshal(raw, &t); err != nil {
		return leakwatch.Post{}, errorf(idHint(raw), "decode v1.1 JSON: %v", err)
	}
	p, err := v1Post(&t, 0)
	if err != nil {
		return leakwatch.Post{}, err
	}
	p.Raw = copyRaw(raw)
	return p, nil
}

// v1Post converts t; depth guards against a payload nesting retweets without end.
func v1Post(t *gotwitter.Tweet, depth int) (leakwatch.Post, error) {
	id := t.IDStr
	if id == "" && t.ID != 0 {
		id = strconv.FormatInt(t.ID, 10)
	}
	if id == "" {
		return leakwatch.Post{}, errorf("", "no id_str or id: not a tweet object")
	}
	if t.CreatedAt == "" {
		return leakwatch.Post{}, errorf(id, "no created_at")
	}
	created, err := time.Parse(time.RubyDate, t.CreatedAt)
	if err != nil {
		return leakwatch.Post{}, errorf(id, "created_at %q: want Ruby date like \"Fri May 05 18:35:12 +0000 2017\"", t.CreatedAt)
	}
	if t.User == nil {
		return leakwatch.Post{}, errorf(id, "no user object")
	}
	author, err := v1Account(t.User)
	if err != nil {
		return leakwatch.Post{}, errorf(id, "%v", err)
	}
	p := leakwatch.Post{
		Platform:  leakwatch.PlatformTwitter,
		ID:        id,
		URI:       URI(id),
		CreatedAt: created.UTC(),
		Author:    author,
		Lang:      t.Lang,
	}

	if rt := t.RetweetedStatus; rt != nil {
		if depth > 0 {
			return leakwatch.Post{}, errorf(id, "retweeted_status nested in a retweeted_status")
		}
		orig, err := v1Post(rt, depth+1)
		if err != nil {
			return leakwatch.Post{}, errorf(id, "retweeted_status: %v", err)
		}
		p.ReshareOf = orig.URI
		p.Text = retweetText(orig.Author.Handle, orig.Text)
		p.URLs, p.Hashtags, p.Media = orig.URLs, orig.Hashtags, orig.Media
		p.Mentions = normalize.AppendUnique(nil, orig.Author.Handle)
		for _, m := range orig.Mentions {
			p.Mentions = normalize.AppendUnique(p.Mentions, m)
		}
		return p, nil
	}

	text, ents, ext := t.Text, t.Entities, t.ExtendedEntities
	if t.FullText != "" {
		text = t.FullText
	}
	if x := t.ExtendedTweet; x != nil && x.FullText != "" {
		text, ents, ext = x.FullText, x.Entities, x.ExtendedEntities
	}
	p.Text = cleanText(text)
	if ents != nil {
		for _, u := range ents.Urls {
			p.URLs = append(p.URLs, leakwatch.Link{Raw: u.URL, Expanded: u.ExpandedURL})
		}
		for _, h := range ents.Hashtags {
			p.Hashtags = normalize.AppendUnique(p.Hashtags, normalize.NFC(h.Text))
		}
		for _, m := range ents.UserMentions {
			p.Mentions = normalize.AppendUnique(p.Mentions, m.ScreenName)
		}
	}
	media := []gotwitter.MediaEntity(nil)
	if ext != nil && len(ext.Media) > 0 {
		media = ext.Media // all photos of a multi-photo tweet; entities.media holds only the first
	} else if ents != nil {
		media = ents.Media
	}
	for _, m := range media {
		u := m.MediaURLHttps
		if u == "" {
			u = m.MediaURL
		}
		p.Media = append(p.Media, leakwatch.Media{Type: m.Type, URL: u})
	}

	if q := quotedID(t); q != "" {
		p.QuoteOf = URI(q)
	}
	reply := t.InReplyToStatusIDStr
	if reply == "" && t.InReplyToStatusID != 0 {
		reply = strconv.FormatInt(t.InReplyToStatusID, 10)
	}
	if reply != "" {
		p.ReplyTo = URI(reply)
	}
	return p, nil
}

func quotedID(t *gotwitter.Tweet) string {
	switch {
	case t.QuotedStatusIDStr != "":
		return t.QuotedStatusIDStr
	case t.QuotedStatus != nil && t.QuotedStatus.IDStr != "":
		return t.QuotedStatus.IDStr
	case t.QuotedStatusID != 0:
		return strconv.FormatInt(t.QuotedStatusID, 10)
	}
	return ""
}

func v1Account(u *gotwitter.User) (leakwatch.Account, error) {
	id := u.IDStr
	if id == "" && u.ID != 0 {
		id = strconv.FormatInt(u.ID, 10)
	}
	if id == "" {
		return leakwatch.Account{}, fmt.Errorf("user has no id_str or id")
	}
	a := leakwatch.Account{
		ID:        id,
		Handle:    u.ScreenName,
		Name:      normalize.NFC(u.Name),
		Followers: int64(u.FollowersCount),
		Following: int64(u.FriendsCount),
		Posts:     int64(u.StatusesCount),
	}
	if u.CreatedAt != "" {
		c, err := time.Parse(time.RubyDate, u.CreatedAt)
		if err != nil {
			return leakwatch.Account{}, fmt.Errorf("user %s: created_at %q: want Ruby date", id, u.CreatedAt)
		}
		a.CreatedAt, a.CreatedPrecision = c.UTC(), "second"
	}
	return a, nil
}
