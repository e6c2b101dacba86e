package bluesky

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const (
	bot     = "did:plc:l3akb0tq7x2fwm4yzs5hrd6e"
	amp     = "did:plc:amp17zq3xkrv6yq2ol5d5ye4"
	fact    = "did:plc:faktenc2hxw3m4e5wtslu7jq"
	t0      = int64(1726000000000000)
	leakURI = "at://" + bot + "/app.bsky.feed.post/3l3qo2vutsw2b"
)

func lines(t testing.TB, name string) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

func TestDecode(t *testing.T) {
	evs := lines(t, "events.jsonl")
	type want struct {
		kind, did, handle, deleted string
		post                       *leakwatch.Post // compared field by field below; nil: no post
	}
	tests := []want{
		{kind: "identity", did: bot, handle: "leakbot.bsky.social"},
		{kind: "commit", post: &leakwatch.Post{
			URI: leakURI, Author: leakwatch.Account{ID: bot},
			CreatedAt: time.Date(2024, 9, 10, 20, 26, 40, 101e6, time.UTC),
			Text:      "Geleakt 🔥 Interne Wahlkampf-Mails #LeakBundestag hier: anonfiles.example/d1Xf… cc @correctiv.bsky.social",
			Lang:      "de",
			URLs:      []leakwatch.Link{{Raw: "anonfiles.example/d1Xf…", Expanded: "https://anonfiles.example/d1Xf9/wahlkampf_intern.zip"}},
			Hashtags:  []string{"LeakBundestag"}, Mentions: []string{"correctiv.bsky.social"},
		}},
		{kind: "commit", post: &leakwatch.Post{
			URI: "at://" + amp + "/app.bsky.feed.repost/3l3qo3aa2aa2x", Author: leakwatch.Account{ID: amp},
			CreatedAt: time.Date(2024, 9, 10, 20, 26, 42, 0, time.UTC), ReshareOf: leakURI,
		}},
		{kind: "commit", post: &leakwatch.Post{
			URI: "at://" + fact + "/app.bsky.feed.post/3l3qo4bb2aa2x", Author: leakwatch.Account{ID: fact},
			CreatedAt: time.Date(2024, 9, 10, 20, 27, 5, 0, time.UTC), ReplyTo: leakURI, Lang: "de",
			Text: "Vorsicht: die Metadaten der Dateien sind manipuliert.",
			Media: []leakwatch.Media{
				{Type: "image", Hash: "cid:bafkreiaaq3bqf2zvnqh5k2yd6x6iftd4ydhcdlrqhz5yqg5hbcn7qhq7ke"},
				{Type: "image", Hash: "cid:bafkreibbq3bqf2zvnqh5k2yd6x6iftd4ydhcdlrqhz5yqg5hbcn7qhq7zz"}, // legacy blob form
			},
		}},
		{kind: "account"},
		{kind: "commit", post: &leakwatch.Post{
			URI: "at://" + amp + "/app.bsky.feed.post/3l3qo5cc2aa2x", Author: leakwatch.Account{ID: amp},
			CreatedAt: time.Date(2024, 9, 10, 20, 27, 30, 0, time.UTC), QuoteOf: leakURI, Lang: "de",
			Text: "Alle teilen!! #LeakBundestag", Hashtags: []string{"LeakBundestag"},
			Media: []leakwatch.Media{{Type: "video", Hash: "cid:bafkreivideo0000000000000000000000000000000000000000000"}},
		}},
		{kind: "commit", deleted: "at://" + fact + "/app.bsky.feed.post/3l3qo4bb2aa2x"},
		{kind: "commit", post: &leakwatch.Post{
			// createdAt in 2030 is after the relay saw it: the event time wins. The facet
			// range runs past the text: its tag still counts, its mention falls back to the DID.
			URI: "at://" + amp + "/app.bsky.feed.post/3l3qo7ee2aa2x", Author: leakwatch.Account{ID: amp},
			CreatedAt: time.UnixMicro(t0 + 61_000_000).UTC(), Text: "kurz #x",
			Hashtags: []string{"x", "LeakBundestag", "wahl2025"}, Mentions: []string{"did:plc:corr3ct1vqx7h4wbn2fcs6ka"},
		}},
	}
	if len(evs) != len(tests) {
		t.Fatalf("%d events in testdata, %d expectations", len(evs), len(tests))
	}
	var posts []leakwatch.Post
	for i, tc := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			d, err := Decode(evs[i])
			if err != nil {
				t.Fatal(err)
			}
			if d.Kind != tc.kind || tc.handle != "" && (d.DID != tc.did || d.Handle != tc.handle) || d.Deleted != tc.deleted {
				t.Errorf("decoded %+v", d)
			}
			if (d.Post == nil) != (tc.post == nil) {
				t.Fatalf("post = %v, want %v", d.Post, tc.post)
			}
			if d.Post == nil {
				return
			}
			p, w := *d.Post, *tc.post
			if !bytes.Equal(p.Raw, evs[i]) || p.Platform != leakwatch.PlatformBluesky || p.ID != p.URI {
				t.Errorf("raw/platform/id wrong: %s %s", p.Platform, p.ID)
			}
			p.Raw, p.Platform, p.ID = nil, "", ""
			if !reflect.DeepEqual(p, w) {
				g, _ := json.MarshalIndent(p, "", " ")
				e, _ := json.MarshalIndent(w, "", " ")
				t.Errorf("post\n%s\nwant\n%s", g, e)
			}
			posts = append(posts, *d.Post)
		})
	}
	for i := range posts {
		posts[i].Raw = nil
	}
	got, _ := json.MarshalIndent(posts, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", "events.golden.json")
	if *update {
		os.WriteFile(path, got, 0o644)
	} else if want, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Errorf("posts differ from %s (run go test -update after checking):\n%s", path, got)
	}
}

func TestDecodeBad(t *testing.T) {
	want := []string{
		"jetstream event: decode event JSON: unexpected end of JSON input",
		`jetstream event time_us=1726000062000000: unknown event kind "sync"`,
		`jetstream event time_us=1726000063000000: at://did:plc:amp17zq3xkrv6yq2ol5d5ye4/app.bsky.feed.like/k: collection "app.bsky.feed.like" is not read by leakwatch`,
		"jetstream event time_us=1726000064000000: at://did:plc:amp17zq3xkrv6yq2ol5d5ye4/app.bsky.feed.post/k: create without a record",
		"jetstream event time_us=1726000065000000: at://did:plc:amp17zq3xkrv6yq2ol5d5ye4/app.bsky.feed.repost/k: repost record without subject.uri",
		"jetstream event: commit event without did, commit.collection or commit.rkey",
	}
	for i, ev := range lines(t, "bad.jsonl") {
		_, err := Decode(ev)
		if err == nil || err.Error() != want[i] {
			t.Errorf("line %d: err = %v\nwant %s", i+1, err, want[i])
		}
	}
	_, err := Decode([]byte("{\"did\":\"x\",\"time_us\":5,\"kind\":\"commit\",\"commit\":{\"record\":{\"text\":\"\xff\"}}}"))
	if err == nil || !strings.Contains(err.Error(), "invalid UTF-8 at byte") {
		t.Errorf("invalid UTF-8: %v", err)
	}
}
