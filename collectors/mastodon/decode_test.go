package mastodon

import (
	"bytes"
	"encoding/json"
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

func golden(t *testing.T, name string, p leakwatch.Post) {
	t.Helper()
	p.Raw = nil
	got, _ := json.MarshalIndent(p, "", "  ")
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

const (
	leakURI   = "https://piaille.fr/users/fuites_2024/statuses/112514873365224001"
	leakMedia = "https://piaille.fr/system/media_attachments/files/112/514/870/015/662/210/original/9d1c3f0a3e6b2f41.png"
)

func TestDecodeStatus(t *testing.T) {
	tests := []struct {
		file, host               string
		id, uri, author, handle  string
		text                     string
		reshare, reply           string
		urls, hashtags, mentions []string
		media                    []leakwatch.Media
		authorCreated            time.Time
	}{
		{
			file: "status.json", host: "piaille.fr",
			id: "112514873365224001", uri: leakURI, author: "https://piaille.fr/@fuites_2024", handle: "fuites_2024@piaille.fr",
			text:     "Exclusif : les mails internes de la campagne #EnsembleLeaks @veille_elections\n\nTout est ici : https://pastebin.com/Xq7p2LmR",
			urls:     []string{"https://pastebin.com/Xq7p2LmR"},
			hashtags: []string{"EnsembleLeaks"}, mentions: []string{"veille_elections@mastodon.social"},
			media:         []leakwatch.Media{{Type: "image", URL: leakMedia, Hash: "blurhash:UFO|a_~q-;%M_3M{WBxu00M{M{WB9FxuRjWB"}},
			authorCreated: time.Date(2024, 4, 23, 0, 0, 0, 0, time.UTC),
		},
		{
			// The same status as federated to mastodon.social: other local ids, the same
			// URI, author, mentions and media.
			file: "status_remote.json", host: "mastodon.social",
			id: "112514873490018842", uri: leakURI, author: "https://piaille.fr/@fuites_2024", handle: "fuites_2024@piaille.fr",
			text:     "Exclusif : les mails internes de la campagne #EnsembleLeaks @veille_elections\n\nTout est ici : https://pastebin.com/Xq7p2LmR",
			urls:     []string{"https://pastebin.com/Xq7p2LmR"},
			hashtags: []string{"EnsembleLeaks"}, mentions: []string{"veille_elections@mastodon.social"},
			media:         []leakwatch.Media{{Type: "image", URL: leakMedia, Hash: "blurhash:UFO|a_~q-;%M_3M{WBxu00M{M{WB9FxuRjWB"}},
			authorCreated: time.Date(2024, 4, 23, 0, 0, 0, 0, time.UTC),
		},
		{
			file: "reblog.json", host: "mastodon.social",
			id: "112514880000000077", uri: "https://mastodon.social/users/relais_auto_17/statuses/112514880000000077/activity",
			author: "https://mastodon.social/@relais_auto_17", handle: "relais_auto_17@mastodon.social",
			reshare:  leakURI,
			urls:     []string{"https://pastebin.com/Xq7p2LmR"},
			hashtags: []string{"EnsembleLeaks"}, mentions: []string{"veille_elections@mastodon.social"},
			media:         []leakwatch.Media{{Type: "image", URL: leakMedia, Hash: "blurhash:UFO|a_~q-;%M_3M{WBxu00M{M{WB9FxuRjWB"}},
			authorCreated: time.Date(2024, 5, 25, 0, 0, 0, 0, time.UTC),
		},
		{
			file: "reply_edited.json", host: "mastodon.social",
			id: "112514901234567890", uri: "https://mastodon.social/users/veille_elections/statuses/112514901234567890",
			author: "https://mastodon.social/@veille_elections", handle: "veille_elections@mastodon.social",
			text:          "d\u00e9sinformation\n\n@fuites_2024 Ces « mails » ont des métadonnées de 2019, cf. https://www.lemonde.fr/les-decodeurs/article/2024/05/31/fuite.html\nNe partagez pas.",
			reply:         "https://mastodon.social/api/v1/statuses/112514873490018842",
			urls:          []string{"https://www.lemonde.fr/les-decodeurs/article/2024/05/31/fuite.html"},
			mentions:      []string{"fuites_2024@piaille.fr"},
			authorCreated: time.Date(2022, 11, 7, 0, 0, 0, 0, time.UTC),
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			p, err := DecodeStatus(read(t, tc.file), tc.host)
			if err != nil {
				t.Fatal(err)
			}
			if p.Platform != leakwatch.PlatformMastodon || p.ID != tc.id || p.URI != tc.uri {
				t.Errorf("platform/id/uri = %s %s %s", p.Platform, p.ID, p.URI)
			}
			if p.Author.ID != tc.author || p.Author.Handle != tc.handle {
				t.Errorf("author = %s %s, want %s %s", p.Author.ID, p.Author.Handle, tc.author, tc.handle)
			}
			if !p.Author.CreatedAt.Equal(tc.authorCreated) || p.Author.CreatedPrecision != "day" {
				t.Errorf("author created = %v %q", p.Author.CreatedAt, p.Author.CreatedPrecision)
			}
			if p.Text != tc.text {
				t.Errorf("text = %q\nwant %q", p.Text, tc.text)
			}
			if p.ReshareOf != tc.reshare || p.ReplyTo != tc.reply {
				t.Errorf("reshare/reply = %q %q", p.ReshareOf, p.ReplyTo)
			}
			var urls []string
			for _, u := range p.URLs {
				urls = append(urls, u.Raw)
			}
			if !reflect.DeepEqual(urls, tc.urls) || !reflect.DeepEqual(p.Hashtags, tc.hashtags) || !reflect.DeepEqual(p.Mentions, tc.mentions) {
				t.Errorf("urls %q hashtags %q mentions %q", urls, p.Hashtags, p.Mentions)
			}
			if !reflect.DeepEqual(p.Media, tc.media) {
				t.Errorf("media = %+v\nwant %+v", p.Media, tc.media)
			}
			if !bytes.Equal(p.Raw, read(t, tc.file)) {
				t.Error("Raw is not the payload")
			}
			golden(t, tc.file, p)
		})
	}
}

func TestDecodeStatusResolvesReplies(t *testing.T) {
	seen := map[string]string{"112514873490018842": leakURI}
	p, err := DecodeStatusWith(read(t, "reply_edited.json"), "mastodon.social", func(id string) (string, bool) {
		u, ok := seen[id]
		return u, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.ReplyTo != leakURI {
		t.Errorf("reply_to = %q, want the parent's URI %q", p.ReplyTo, leakURI)
	}
}

func TestDecodeStatusQuote(t *testing.T) {
	full := `{"id":"5","uri":"https://a.example/s/5","created_at":"2025-10-01T10:00:00Z","account":{"acct":"q","url":"https://a.example/@q"},"content":"<p>voir</p>","quote":{"state":"accepted","quoted_status":{"id":"4","uri":"https://b.example/s/4","created_at":"2025-10-01T09:00:00Z","account":{"acct":"o@b.example","url":"https://b.example/@o"},"content":""}}}`
	shallow := `{"id":"6","uri":"https://a.example/s/6","created_at":"2025-10-01T10:00:00Z","account":{"acct":"q","url":"https://a.example/@q"},"content":"","quote":{"state":"pending","quoted_status_id":"4"}}`
	for in, want := range map[string]string{full: "https://b.example/s/4", shallow: "https://a.example/api/v1/statuses/4"} {
		p, err := DecodeStatus([]byte(in), "a.example")
		if err != nil {
			t.Fatal(err)
		}
		if p.QuoteOf != want {
			t.Errorf("quote_of = %q, want %q", p.QuoteOf, want)
		}
	}
}

func TestDecodeStatusErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"truncated", `{"id":"7","uri":"https://a.example/s/7","content":"<p>cou`, "status https://a.example/s/7: decode status JSON"},
		{"invalid utf8", "{\"id\":\"7\",\"uri\":\"https://a.example/s/7\",\"content\":\"caf\xe9\"}", "status https://a.example/s/7: invalid UTF-8 at byte 54"},
		{"no uri", `{"id":"7"}`, "status 7: no uri"},
		{"no id", `{"uri":"https://a.example/s/7"}`, "status https://a.example/s/7: no id"},
		{"bad date", `{"id":"7","uri":"u","created_at":"hier"}`, `status u: created_at "hier"`},
		{"no account", `{"id":"7","uri":"u","created_at":"2024-05-31T18:35:12.000Z"}`, "status u: no account"},
		{"empty account", `{"id":"7","uri":"u","created_at":"2024-05-31T18:35:12.000Z","account":{}}`, "account has neither acct nor url"},
		{"bad account date", `{"id":"7","uri":"u","created_at":"2024-05-31T18:35:12.000Z","account":{"acct":"a","created_at":"x"}}`, `account a@h: created_at "x"`},
		{"bad reblog", `{"id":"7","uri":"u","created_at":"2024-05-31T18:35:12.000Z","account":{"acct":"a"},"reblog":{"id":"8","uri":"v"}}`, "status u: reblog: status v: created_at"},
		{"not an object", `"112514000000000999"`, "status (id unknown): decode status JSON: json: cannot unmarshal string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeStatus([]byte(tc.in), "h")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
