package twitter

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares the post (without Raw, which is the input itself) with name.golden.json.
func golden(t *testing.T, name string, p leakwatch.Post) {
	t.Helper()
	p.Raw = nil
	got, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", strings.TrimSuffix(name, ".json")+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n%s", name, got)
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// check is what a user of the post looks at: who, when, what it points to, what it shares.
type check struct {
	id, author, handle, text string
	created, authorCreated   time.Time
	reshare, quote, reply    string
	urls                     []string // expanded
	hashtags, mentions       []string
	media                    int
}

func verify(t *testing.T, p leakwatch.Post, c check) {
	t.Helper()
	if p.Platform != leakwatch.PlatformTwitter || p.ID != c.id || p.URI != URI(c.id) {
		t.Errorf("platform/id/uri = %s %s %s, want twitter %s %s", p.Platform, p.ID, p.URI, c.id, URI(c.id))
	}
	if p.Author.ID != c.author || p.Author.Handle != c.handle {
		t.Errorf("author = %s @%s, want %s @%s", p.Author.ID, p.Author.Handle, c.author, c.handle)
	}
	if c.text != "" && p.Text != c.text {
		t.Errorf("text = %q\nwant %q", p.Text, c.text)
	}
	if !p.CreatedAt.Equal(c.created) || p.CreatedAt.Location() != time.UTC {
		t.Errorf("created = %v, want %v UTC", p.CreatedAt, c.created)
	}
	if !c.authorCreated.IsZero() && (!p.Author.CreatedAt.Equal(c.authorCreated) || p.Author.CreatedPrecision != "second") {
		t.Errorf("author created = %v %q, want %v second", p.Author.CreatedAt, p.Author.CreatedPrecision, c.authorCreated)
	}
	if p.ReshareOf != c.reshare || p.QuoteOf != c.quote || p.ReplyTo != c.reply {
		t.Errorf("reshare/quote/reply = %q %q %q, want %q %q %q", p.ReshareOf, p.QuoteOf, p.ReplyTo, c.reshare, c.quote, c.reply)
	}
	var urls []string
	for _, u := range p.URLs {
		urls = append(urls, u.Expanded)
	}
	if !reflect.DeepEqual(urls, c.urls) {
		t.Errorf("urls = %q, want %q", urls, c.urls)
	}
	if !reflect.DeepEqual(p.Hashtags, c.hashtags) || !reflect.DeepEqual(p.Mentions, c.mentions) {
		t.Errorf("hashtags %q mentions %q, want %q %q", p.Hashtags, p.Mentions, c.hashtags, c.mentions)
	}
	if len(p.Media) != c.media {
		t.Errorf("media = %+v, want %d", p.Media, c.media)
	}
}

func TestDecodeV1(t *testing.T) {
	const posobiec = "https://twitter.com/i/status/860558958722088960"
	tests := []struct {
		file string
		want check
	}{
		{"v1/extended_compat.json", check{
			id: "860558958722088960", author: "785533418", handle: "JackPosobiec",
			text:    "Massive #MacronLeaks document dump just dropped, 9GB of internal emails from En Marche. Mirror here while it lasts @wikileaks #Presidentielle2017 https://t.co/K9sZr1LtQx https://t.co/Pm2xYz8AbC",
			created: ts("2017-05-05T18:49:36Z"), authorCreated: ts("2012-08-27T17:12:33Z"),
			urls:     []string{"https://archive.org/details/EMLEAKS"},
			hashtags: []string{"MacronLeaks", "Presidentielle2017"}, mentions: []string{"wikileaks"}, media: 2,
		}},
		{"v1/retweet.json", check{
			id: "860559067518001152", author: "855123456789012480", handle: "FrPatriote2017",
			text:    "RT @JackPosobiec: Massive #MacronLeaks document dump just dropped, 9GB of internal emails from En Marche. Mirror here while it lasts @wikileaks #Presidentielle2017 https://t.co/K9sZr1LtQx",
			created: ts("2017-05-05T18:50:02Z"), authorCreated: ts("2017-04-20T19:02:11Z"),
			reshare: posobiec, urls: []string{"https://archive.org/details/EMLEAKS"},
			hashtags: []string{"MacronLeaks", "Presidentielle2017"}, mentions: []string{"JackPosobiec", "wikileaks"},
		}},
		{"v1/quote.json", check{
			id: "860562250831446016", author: "1976143068", handle: "julie_veron_fr",
			text:    "Faux documents mélangés aux vrais, classique. Ne relayez pas. https://t.co/Qk4pL0m9Zz",
			created: ts("2017-05-05T19:02:41Z"), quote: posobiec,
			urls: []string{"https://twitter.com/JackPosobiec/status/860558958722088960"},
		}},
		{"v1/reply_extended_mode.json", check{
			id: "860564113002123264", author: "3312046071", handle: "obs_electoral",
			text:    "@julie_veron_fr @JackPosobiec Source ? Les métadonnées montrent des documents & fichiers édités en cyrillique <3",
			created: ts("2017-05-05T19:10:05Z"), reply: "https://twitter.com/i/status/860562250831446016",
			mentions: []string{"julie_veron_fr", "JackPosobiec"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw := read(t, tc.file)
			p, err := DecodeV1(raw)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, p, tc.want)
			if !json.Valid(p.Raw) || !bytes.Equal(p.Raw, bytes.TrimSpace(raw)) {
				t.Errorf("Raw is not the payload as received")
			}
			golden(t, tc.file, p)
		})
	}
}

func TestDecodeV1NameNFC(t *testing.T) {
	p, err := DecodeV1(read(t, "v1/quote.json"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Author.Name != "Julie V\u00e9ron" { // sent as e + combining acute
		t.Errorf("name = %q, want NFC", p.Author.Name)
	}
}

func TestDecodeV2(t *testing.T) {
	const orig = "https://twitter.com/i/status/1653398580986417152"
	tests := []struct {
		file string
		want check
	}{
		{"v2/tweet.json", check{
			id: "1653398580986417152", author: "1579466520401297408", handle: "leakbot_de",
			text:    "@correctiv_de Interne Mails #FuiteBundestag & Kampagnenpläne, alles hier: https://t.co/3ZkR8wLQ1e https://t.co/Yq0cZpLm4u",
			created: ts("2023-05-02T14:05:11Z"), authorCreated: ts("2022-10-10T13:16:29Z"),
			urls:     []string{"https://anonfiles.example/d1Xf9/wahlkampf_intern.zip"},
			hashtags: []string{"FuiteBundestag"}, mentions: []string{"correctiv_de"}, media: 1,
		}},
		{"v2/retweet.json", check{
			id: "1653398702528954368", author: "1601234567890123776", handle: "ampl_17",
			text:    "RT @leakbot_de: @correctiv_de Interne Mails #FuiteBundestag & Kampagnenpläne, alles hier: https://t.co/3ZkR8wLQ1e https://t.co/Yq0cZpLm4u",
			created: ts("2023-05-02T14:05:40Z"), reshare: orig,
			urls:     []string{"https://anonfiles.example/d1Xf9/wahlkampf_intern.zip"},
			hashtags: []string{"FuiteBundestag"}, mentions: []string{"leakbot_de", "correctiv_de"}, media: 1,
		}},
		{"v2/quote_reply_note.json", check{
			id: "1653402432552800256", author: "1113740958", handle: "correctiv_de",
			created: ts("2023-05-02T14:20:00Z"), quote: orig, reply: orig,
			hashtags: []string{"FuiteBundestag"},
		}},
		{"v2/flattened.json", check{
			id: "1653398702528954368", author: "1601234567890123776", handle: "ampl_17",
			text:    "RT @leakbot_de: first #FuiteBundestag",
			created: ts("2023-05-02T14:05:40Z"), reshare: orig,
			hashtags: []string{"FuiteBundestag"}, mentions: []string{"leakbot_de"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			p, err := DecodeV2(read(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			verify(t, p, tc.want)
			golden(t, tc.file, p)
		})
	}
}

func TestDecodeV2NoteTweetIsUntruncated(t *testing.T) {
	p, err := DecodeV2(read(t, "v2/quote_reply_note.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Text, "…") || !strings.HasSuffix(p.Text, "#FuiteBundestag angewendet haben.") {
		t.Errorf("text is truncated: %q", p.Text)
	}
}

func TestDecodeV2Page(t *testing.T) {
	posts, bad, err := DecodeV2Page(read(t, "v2/page.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 || len(bad) != 1 {
		t.Fatalf("posts %d bad %d, want 2 and 1", len(posts), len(bad))
	}
	if !strings.Contains(bad[0].Err.Error(), "tweet 1653398702528954368: created_at") {
		t.Errorf("bad tweet error does not name it: %v", bad[0].Err)
	}
	if !json.Valid(bad[0].Raw) || !strings.Contains(string(bad[0].Raw), `"1653398702528954368"`) || strings.Contains(string(bad[0].Raw), posts[0].ID) {
		t.Errorf("bad tweet's raw is not that tweet's own JSON: %s", bad[0].Raw)
	}
	if posts[1].ReshareOf != URI("1653398580986417152") || posts[1].Author.Handle != "ampl_17" {
		t.Errorf("second post = %+v", posts[1])
	}
	// Each post's Raw is a single-tweet envelope that decodes to the same post.
	for _, p := range posts {
		again, err := DecodeV2(p.Raw)
		if err != nil {
			t.Fatalf("Raw of %s does not decode: %v", p.ID, err)
		}
		again.Raw, p.Raw = nil, nil
		if !reflect.DeepEqual(again, p) {
			t.Errorf("Raw of %s decodes to\n%+v\nwant\n%+v", p.ID, again, p)
		}
	}
	if _, err := DecodeV2(read(t, "v2/page.json")); err == nil || !strings.Contains(err.Error(), "DecodeV2Page") {
		t.Errorf("DecodeV2 on a page: %v, want a pointer to DecodeV2Page", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		decode func([]byte) (leakwatch.Post, error)
		in     string
		want   string // substring of the error
	}{
		{"v1 truncated", DecodeV1, `{"id_str":"42","text":"hel`, "tweet 42: decode v1.1 JSON"},
		{"v1 invalid utf8", DecodeV1, "{\"id_str\":\"42\",\"text\":\"h\xffi\"}", "tweet 42: invalid UTF-8 at byte 24"},
		{"v1 no id", DecodeV1, `{"text":"hi"}`, "tweet (id unknown): no id_str or id"},
		{"v1 bad date", DecodeV1, `{"id_str":"7","created_at":"2017-05-05","user":{"id_str":"1"}}`, `tweet 7: created_at "2017-05-05"`},
		{"v1 no user", DecodeV1, `{"id_str":"7","created_at":"Fri May 05 18:49:36 +0000 2017"}`, "tweet 7: no user object"},
		{"v1 bad user date", DecodeV1, `{"id_str":"7","created_at":"Fri May 05 18:49:36 +0000 2017","user":{"id_str":"9","created_at":"yesterday"}}`, `tweet 7: user 9: created_at "yesterday"`},
		{"v1 bad retweet", DecodeV1, `{"id_str":"7","created_at":"Fri May 05 18:49:36 +0000 2017","user":{"id_str":"9"},"retweeted_status":{"id_str":"8"}}`, "tweet 7: retweeted_status: tweet 8: no created_at"},
		{"v1 not an object", DecodeV1, `[1,2]`, "decode v1.1 JSON"},
		// Keys sorted (jq -S): the mentioned user's id_str comes first; the error names the tweet.
		{"v1 sorted keys", DecodeV1, `{"created_at": "Fri May 05 18:35:12 +0000 2017", "entities": {"user_mentions": [{"id_str": "111", "screen_name": "leaker"}]}, "favorite_count": "3", "full_text": "@leaker hi", "id_str": "860000000000000777", "user": {"id_str": "5", "screen_name": "x"}}`, "tweet 860000000000000777: decode v1.1 JSON"},
		{"v1 sorted keys, id only", DecodeV1, `{"entities": {"user_mentions": [{"id": "111"}]}, "favorite_count": "3", "id": "860000000000000777"}`, "tweet 860000000000000777: decode v1.1 JSON"},
		{"v2 sorted keys", DecodeV2, `{"data":{"author_id":"1","entities":{"mentions":[{"id":"111"}]},"id":"99","text":5}}`, "tweet 99: decode v2 data"},
		{"v1 delete notice", DecodeV1, `{"delete":{"status":{"id":1,"id_str":"1","user_id":3,"user_id_str":"3"}}}`, "no id_str or id"},
		{"v2 errors only", DecodeV2, string(read(t, "v2/stream_error.json")), "operational-disconnect"},
		{"v2 truncated", DecodeV2, `{"data":{"id":"99","text":"x`, "tweet 99: decode v2 JSON"},
		{"v2 no created_at", DecodeV2, `{"data":{"id":"99","text":"x","author_id":"1"}}`, "tweet 99: no created_at"},
		{"v2 no author", DecodeV2, `{"data":{"id":"99","text":"x","created_at":"2023-05-02T14:05:11.000Z"}}`, "tweet 99: no author_id"},
		{"v2 unknown ref", DecodeV2, `{"data":{"id":"99","text":"x","author_id":"1","created_at":"2023-05-02T14:05:11.000Z","referenced_tweets":[{"type":"liked","id":"5"}]}}`, `unknown referenced_tweets type "liked"`},
		{"v2 empty object", DecodeV2, `{}`, "neither a v2"},
		{"v2 invalid utf8", DecodeV2, "{\"data\":{\"id\":\"5\",\"text\":\"\xc3\"}}", "tweet 5: invalid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.decode([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	_, err := DecodeV2(read(t, "v2/stream_error.json"))
	if !errors.Is(err, ErrV2Errors) {
		t.Errorf("errors-only payload: %v does not wrap ErrV2Errors", err)
	}
}

func TestDecodeV2WithoutExpansions(t *testing.T) {
	// A stream opened without expansions still gives a usable post: author by id only.
	p, err := DecodeV2([]byte(`{"data":{"id":"99","text":"hi","author_id":"1","created_at":"2023-05-02T14:05:11.000Z","attachments":{"media_keys":["7_123"]},"referenced_tweets":[{"type":"retweeted","id":"5"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Author.ID != "1" || p.Author.Handle != "" || p.ReshareOf != URI("5") || p.Text != "hi" || len(p.Media) != 1 || p.Media[0].Type != "video" {
		t.Errorf("post = %+v", p)
	}
}

func TestSameTweetSameURIAcrossFormats(t *testing.T) {
	v1, err := DecodeV1(read(t, "v1/retweet.json"))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := DecodeV1(read(t, "v1/extended_compat.json"))
	if err != nil {
		t.Fatal(err)
	}
	if v1.ReshareOf != rt.URI {
		t.Errorf("retweet points at %q, original is %q", v1.ReshareOf, rt.URI)
	}
}
