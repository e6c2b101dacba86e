package scenario

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The v1.1 tweet shape the generator writes: the fields a REST call with tweet_mode=extended
// returns that matter to a monitor, in Twitter's own names and formats.

const rubyDate = "Mon Jan 02 15:04:05 -0700 2006"

type v1Tweet struct {
	CreatedAt            string     `json:"created_at"`
	ID                   int64      `json:"id"`
	IDStr                string     `json:"id_str"`
	FullText             string     `json:"full_text"`
	Truncated            bool       `json:"truncated"`
	DisplayTextRange     [2]int     `json:"display_text_range"`
	Entities             v1Entities `json:"entities"`
	Source               string     `json:"source"`
	InReplyToStatusID    *int64     `json:"in_reply_to_status_id"`
	InReplyToStatusIDStr *string    `json:"in_reply_to_status_id_str"`
	InReplyToUserIDStr   *string    `json:"in_reply_to_user_id_str"`
	InReplyToScreenName  *string    `json:"in_reply_to_screen_name"`
	User                 *v1User    `json:"user"`
	RetweetedStatus      *v1Tweet   `json:"retweeted_status,omitempty"`
	IsQuoteStatus        bool       `json:"is_quote_status"`
	RetweetCount         int        `json:"retweet_count"`
	FavoriteCount        int        `json:"favorite_count"`
	Favorited            bool       `json:"favorited"`
	Retweeted            bool       `json:"retweeted"`
	Lang                 string     `json:"lang"`
	at                   time.Time  `json:"-"`
	author               *account   `json:"-"`
	urls                 []string   `json:"-"` // expanded URLs, for retweets to carry
}

type v1Entities struct {
	Hashtags     []hashtagEntity `json:"hashtags"`
	Symbols      []struct{}      `json:"symbols"`
	UserMentions []mentionEntity `json:"user_mentions"`
	URLs         []urlEntity     `json:"urls"`
}

type hashtagEntity struct {
	Text    string `json:"text"`
	Indices [2]int `json:"indices"`
}

type mentionEntity struct {
	ScreenName string `json:"screen_name"`
	Name       string `json:"name"`
	ID         int64  `json:"id"`
	IDStr      string `json:"id_str"`
	Indices    [2]int `json:"indices"`
}

type urlEntity struct {
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
	Indices     [2]int `json:"indices"`
}

type v1User struct {
	ID                   int64  `json:"id"`
	IDStr                string `json:"id_str"`
	Name                 string `json:"name"`
	ScreenName           string `json:"screen_name"`
	Location             string `json:"location"`
	Description          string `json:"description"`
	Protected            bool   `json:"protected"`
	Verified             bool   `json:"verified"`
	FollowersCount       int    `json:"followers_count"`
	FriendsCount         int    `json:"friends_count"`
	ListedCount          int    `json:"listed_count"`
	FavouritesCount      int    `json:"favourites_count"`
	StatusesCount        int    `json:"statuses_count"`
	CreatedAt            string `json:"created_at"`
	Lang                 string `json:"lang"`
	DefaultProfile       bool   `json:"default_profile"`
	DefaultProfileImage  bool   `json:"default_profile_image"`
	ProfileImageURLHTTPS string `json:"profile_image_url_https"`
}

// piece is one part of a tweet's text: plain words, a hashtag, a mention or a link.
type piece struct {
	kind  byte // 't' text, '#' hashtag, '@' mention, 'u' url
	s     string
	exp   string   // url: the expanded URL
	acct  *account // mention: the account, when it is one of ours
	mName string   // mention: handle of an account outside the scenario
}

// compose renders pieces into text and entities with code-point indices, as v1.1 counts them.
func compose(pieces []piece) (string, v1Entities) {
	var b strings.Builder
	ents := v1Entities{Hashtags: []hashtagEntity{}, Symbols: []struct{}{}, UserMentions: []mentionEntity{}, URLs: []urlEntity{}}
	pos := 0
	write := func(s string) {
		b.WriteString(s)
		pos += utf8.RuneCountInString(s)
	}
	for _, p := range pieces {
		start := pos
		switch p.kind {
		case '#':
			write("#" + p.s)
			ents.Hashtags = append(ents.Hashtags, hashtagEntity{Text: p.s, Indices: [2]int{start, pos}})
		case '@':
			handle := p.mName
			me := mentionEntity{ScreenName: handle, Name: handle}
			if p.acct != nil {
				handle = p.acct.screen
				me = mentionEntity{ScreenName: handle, Name: p.acct.name, ID: p.acct.id, IDStr: p.acct.idStr}
			}
			write("@" + handle)
			me.Indices = [2]int{start, pos}
			ents.UserMentions = append(ents.UserMentions, me)
		case 'u':
			write(p.s)
			ents.URLs = append(ents.URLs, urlEntity{URL: p.s, ExpandedURL: p.exp, DisplayURL: displayURL(p.exp), Indices: [2]int{start, pos}})
		default:
			write(p.s)
		}
	}
	return b.String(), ents
}

func displayURL(u string) string {
	d := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	d = strings.TrimPrefix(d, "www.")
	if utf8.RuneCountInString(d) > 26 {
		r := []rune(d)
		d = string(r[:25]) + "…"
	}
	return d
}

func (a *account) v1() *v1User {
	return &v1User{
		ID: a.id, IDStr: a.idStr, Name: a.name, ScreenName: a.screen, Location: a.location,
		Description: a.bio, Verified: a.verified, FollowersCount: a.followers, FriendsCount: a.friends,
		ListedCount: a.followers / 50, FavouritesCount: a.statuses / 3, StatusesCount: a.statuses,
		CreatedAt: a.created.Format(rubyDate), Lang: a.lang, DefaultProfile: a.defaultProfile,
		DefaultProfileImage:  a.defaultProfile,
		ProfileImageURLHTTPS: "https://pbs.twimg.com/profile_images/" + strconv.FormatInt(a.id%1e9, 10) + "/avatar_normal.jpg",
	}
}
