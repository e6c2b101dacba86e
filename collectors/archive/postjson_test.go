package archive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/jsonx"
)

// sameAsDecoder checks the fast path against the general decoder on line: when fastPost
// takes the line, the general decoder must accept it too and give the same post.
func sameAsDecoder(t *testing.T, line []byte) (taken bool) {
	t.Helper()
	var fast, want leakwatch.Post
	if ok, _, _ := fastPost(line, &fast); !ok {
		return false
	}
	if err := jsonx.Unmarshal(line, &want); err != nil {
		t.Fatalf("fast path took a line the decoder refuses (%v):\n%s", err, line)
	}
	if !reflect.DeepEqual(fast, want) {
		t.Fatalf("fast path differs on\n%s\nfast:    %#v\ndecoder: %#v", line, fast, want)
	}
	return true
}

func TestFastPostMatchesDecoder(t *testing.T) {
	at := time.Date(2017, 5, 5, 18, 50, 0, 123456789, time.FixedZone("CEST", 2*3600))
	written := []leakwatch.Post{
		{Platform: "twitter", ID: "1", URI: "twitter:1", CreatedAt: at, ObservedAt: at.Add(time.Second),
			Author:    leakwatch.Account{ID: "42", Handle: "alice", Name: "Alice \"A\" <b>", CreatedAt: at.AddDate(-3, 0, 0), CreatedPrecision: "day", Followers: 1200, Following: -1, Posts: 9},
			ReshareOf: "twitter:0", QuoteOf: "twitter:q", ReplyTo: "twitter:r",
			Text: "Les documents \"fuités\" sont là: pastebin.com/x & <ici>\n\t\u2028 🗳 #MacronLeaks", Lang: "fr",
			Hashtags: []string{"MacronLeaks", "élection"}, Mentions: []string{}},
		{Platform: "bluesky", ID: "at://did:plc:x/app.bsky.feed.post/3k", URI: "at://did:plc:x/app.bsky.feed.post/3k", CreatedAt: at.UTC(), Author: leakwatch.Account{ID: "did:plc:x"}},
	}
	for _, p := range written {
		line, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if !sameAsDecoder(t, line) {
			t.Errorf("fast path refused a line leakwatch writes:\n%s", line)
		}
	}

	taken := []string{
		` { "id" : "a" , "author" : { "id" : "x" } , "created_at" : "2017-05-05T18:50:00Z" } ` + "\r\n",
		`{"id":"a","text":null,"hashtags":null,"author":null,"created_at":null}`,
		`{"text":"\u00e9\u0301 \ud83d\uddf3 \ud800 \udc00x \ud800\u0041 \/ \b\f\r"}`,
		`{"author":{"id":"1","followers":0,"following":-0,"posts":9223372036854775807}}`,
		`{}`,
	}
	for _, line := range taken {
		if !sameAsDecoder(t, []byte(line)) {
			t.Errorf("fast path refused %s", line)
		}
	}

	// Lines the fast path leaves to the general decoder: it must say no, not guess.
	left := []string{
		`{"ID":"case"}`,                                 // keys match in any case there
		`{"id":"a","id":"b"}`,                           // a key twice
		`{"unknown":1}`,                                 // a key it does not know
		`{"urls":[{"raw":"https://x"}]}`,                // nested records
		`{"raw":{"k":1}}`,                               // the payload as received
		`{"raw":null}`,                                  // even null: a RawMessage keeps "null"
		"{\"text\":\"bad \xff utf-8\"}",                 // replaced byte by byte by the decoder
		`{"text":"tab	inside"}`,                         // control character: an error
		`{"text":"\x"}`,                                 // bad escape
		`{"author":{"followers":1.5}}`,                  // not an integer
		`{"author":{"followers":1e3}}`,                  // exponent
		`{"author":{"followers":012}}`,                  // leading zero
		`{"author":{"followers":99999999999999999999}}`, // overflow
		`{"created_at":"yesterday"}`,                    // not a time
		`{"created_at":"2017-05-05T18:50:00\u005a"}`,    // escaped time
		`{"hashtags":["a",null]}`,                       // null inside a list
		`{"id":"a"} x`,                                  // trailing data
		`{"id":"a"`,                                     // cut short
		`["id"]`,                                        // not an object
		`{"id":"a",}`,                                   // trailing comma
	}
	for _, line := range left {
		var p leakwatch.Post
		if ok, _, _ := fastPost([]byte(line), &p); ok {
			t.Errorf("fast path took %s", line)
		}
	}
}

// FuzzFastPost: on any line, the fast path either declines or gives what the decoder gives.
func FuzzFastPost(f *testing.F) {
	for _, file := range []string{"testdata/posts.jsonl", "testdata/bad.jsonl"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Add([]byte(`{"text":"\ud83d\uddf3 \u00e9","author":{"id":"1","posts":-3},"hashtags":[]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		sameAsDecoder(t, line)
	})
}

// sameAsGeneral checks decodeLine (DecodeLine before its check of the event time), with its
// fast paths, against the general path alone on a line that looks like an object.
func sameAsGeneral(t *testing.T, line []byte) {
	t.Helper()
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return // refused before either path
	}
	p, c, err := decodeLine(line)
	wp, wc, werr := decodeGeneral(trimmed)
	if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
		t.Fatalf("errors differ on\n%s\nDecodeLine: %v\ngeneral:    %v", line, err, werr)
	}
	if !reflect.DeepEqual(p, wp) || !reflect.DeepEqual(c, wc) {
		t.Fatalf("records differ on\n%s\nDecodeLine: %+v %+v\ngeneral:    %+v %+v", line, p, c, wp, wc)
	}
}

func TestDecodeLineMatchesGeneralPath(t *testing.T) {
	lines := [][]byte{
		[]byte(`{"platform":null,"id":"1","author":{"id":"a"},"created_at":"2017-05-05T18:50:00Z"}`),
		[]byte(`{"platform":"","id":"1","author":{"id":"a"},"created_at":"2017-05-05T18:50:00Z"}`),
		[]byte(`{"platform":"x","id":"1","author":null,"created_at":"2017-05-05T18:50:00Z"}`),
		[]byte(`{"platform":"x","id":"1","author":{"id":""},"created_at":"2017-05-05T18:50:00Z"}`),
		[]byte(`{"platform":"x","id":"1","author":{"id":"a"},"created_at":"2017-05-05T18:50:00Z","data":{"id":"9"}}`),
		[]byte(`{"created_at":"Fri May 05 18:35:12 +0000 2017","id_str":"1","user":{"id_str":"2","screen_name":"a"},"text":"{\"user\":null}","data":null}`),
		[]byte(`{"created_at":"Fri May 05 18:35:12 +0000 2017","id_str":"1","user":null,"User":{"id_str":"2"}}`),
		[]byte(`{"created_at":"Fri May 05 18:35:12 +0000 2017","id_str":"1","user":{"id_str":"2"},"user":null}`),
		[]byte(`{"id_str":"1","user":{"id_str":"2"},"target":"x","changed":["content"]}`),
		[]byte(`{"created_at":"Fri May 05 18:35:12 +0000 2017","id_str":"1","uſer":{"id_str":"2","screen_name":"a"}}`), // ſ folds to s
		[]byte(`{"created_at":"Fri May 05 18:35:12 +0000 2017","id_str":"1","user":{"id_str":"2","screen_name":"a"},"data":{"id":"9","text":"x","author_id":"2","created_at":"2017-05-05T18:35:12Z"}}`),
	}
	sniffed := 0
	for _, file := range []string{"testdata/tweets_v1.jsonl", "testdata/posts.jsonl", "testdata/bad.jsonl", "testdata/tweets_v2.jsonl"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			lines = append(lines, line)
			if s, ok := sniff(bytes.TrimSpace(line)); ok && (s.tweetV1() || s.leakwatchPost()) {
				sniffed++
			}
		}
	}
	for _, line := range lines {
		sameAsGeneral(t, line)
	}
	if sniffed < 8 {
		t.Errorf("only %d test lines took a fast path", sniffed)
	}
}

// FuzzDecodeLineFastPaths: on any line, DecodeLine gives what the general path gives.
func FuzzDecodeLineFastPaths(f *testing.F) {
	for _, file := range []string{"testdata/tweets_v1.jsonl", "testdata/posts.jsonl", "testdata/bad.jsonl", "testdata/tweets_v2.jsonl"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		sameAsGeneral(t, line)
	})
}

// TestRecycledPostStartsEmpty decodes a full post, gives it back, and decodes sparse ones of
// every shape: nothing of the first may show through in a post decoded into recycled memory.
func TestRecycledPostStartsEmpty(t *testing.T) {
	at := time.Date(2017, 5, 5, 18, 50, 0, 0, time.UTC)
	full, err := json.Marshal(leakwatch.Post{Platform: "twitter", ID: "1", URI: "twitter:1", CreatedAt: at, ObservedAt: at,
		Author: leakwatch.Account{ID: "42", Handle: "alice", Followers: 7}, ReshareOf: "twitter:0", ReplyTo: "twitter:r",
		Text: "fuite #MacronLeaks", Lang: "fr", Hashtags: []string{"MacronLeaks"}, Mentions: []string{"bob"},
		URLs: []leakwatch.Link{{Raw: "https://t.co/x", Expanded: "https://pastebin.com/x"}}})
	if err != nil {
		t.Fatal(err)
	}
	sparse := map[string]string{
		"leakwatch":    `{"platform":"mastodon","id":"2","created_at":"2017-05-05T19:00:00Z","author":{"id":"9"}}`,
		"twitter v1.1": `{"id_str":"3","created_at":"Fri May 05 19:00:00 +0000 2017","text":"x","user":{"id_str":"9"}}`,
		"twitter v2":   `{"data":{"id":"4","text":"x","author_id":"9","created_at":"2017-05-05T19:00:00Z"}}`,
	}
	for name, line := range sparse {
		want, _, err := DecodeLine([]byte(line))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wantCopy := *want
		for range 8 { // the pool may hand out any of several posts: recycle a few full ones
			p, _, err := DecodeLine(full)
			if err != nil {
				t.Fatal(err)
			}
			Recycle(p)
		}
		got, _, err := DecodeLine([]byte(line))
		if err != nil {
			t.Fatalf("%s after recycling: %v", name, err)
		}
		if !reflect.DeepEqual(*got, wantCopy) {
			t.Errorf("%s decoded into a recycled post:\n got %#v\nwant %#v", name, *got, wantCopy)
		}
	}
}

// TestUTCTimeMatchesUnmarshalJSON holds utcTime to time.Time.UnmarshalJSON: a time it takes
// must be the one UnmarshalJSON gives, and what it leaves must be left to UnmarshalJSON (it
// does not err itself), so a time field decodes or fails exactly as before.
// bytesReplaced is every time of bases with one of its bytes replaced by another, digit,
// separator or letter.
func bytesReplaced(bases ...string) []string {
	var out []string
	for _, base := range bases {
		for i := range base {
			for _, c := range []byte("09/:a-.TZ +") {
				b := []byte(base)
				b[i] = c
				out = append(out, string(b))
			}
		}
	}
	return out
}

func TestUTCTimeMatchesUnmarshalJSON(t *testing.T) {
	inputs := []string{
		// Taken: leakwatch's own form, with and without a fraction.
		"2016-08-02T02:50:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
		"2016-08-02T02:50:00.1Z", "2016-08-02T02:50:00.123Z", "2016-08-02T02:50:00.123456789Z",
		"2016-08-02T02:50:00.000000001Z", "2016-08-02T02:50:00.000Z",
		"2016-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2016-01-31T00:00:00Z", "2016-04-30T23:59:59Z",
		// Left: other forms, out of range, malformed.
		"1900-02-29T00:00:00Z", "2015-02-29T00:00:00Z", "2016-04-31T00:00:00Z", "2016-00-01T00:00:00Z",
		"2016-13-01T00:00:00Z", "2016-01-00T00:00:00Z", "2016-01-32T00:00:00Z", "2016-01-01T24:00:00Z",
		"2016-01-01T00:60:00Z", "2016-01-01T00:00:60Z", "2016-01-01T00:00:00.1234567891Z",
		"2016-01-01T00:00:00.Z", "2016-01-01T00:00:00,5Z", "2016-01-01T00:00:00.5", "2016-01-01T00:00:00.5z",
		"2016-01-01T00:00:00.-5Z", "2016-01-01T00:00:00.+5Z", "2016-01-01T00:00:00.5 Z", "2016-01-01T00:00:00.a5Z",
		"2016-08-02T02:50:00+02:00", "2016-08-02T02:50:00.5-07:30", "2016-08-02T02:50:00+00:00",
		"2016-08-02T02:50:00", "2016-08-02t02:50:00Z", "2016-08-02 02:50:00Z", "2016/08/02T02:50:00Z",
		"2016-08-02T2:50:00Z", "2016-8-02T02:50:00Z", "216-08-02T02:50:00Z", "12016-08-02T02:50:00Z",
		"+016-08-02T02:50:00Z", "-016-08-02T02:50:00Z", "2016-08-02T02:50:0aZ", "2016-0x-02T02:50:00Z",
		"2016-08-02T02:50:00ZZ", "Z016-08-02T02:50:00Z", "", "Z", "2016-08-02T02:50:00Z ",
	}
	// Every day of a leap and a common year, and its neighbours beyond month ends.
	for _, y := range []int{1900, 2000, 2016, 2017} {
		for m := 1; m <= 12; m++ {
			for d := 0; d <= 32; d++ {
				inputs = append(inputs, fmt.Sprintf("%04d-%02d-%02dT12:34:56Z", y, m, d))
			}
		}
	}
	inputs = append(inputs, bytesReplaced("2016-08-02T02:50:00Z", "2016-08-02T02:50:00.25Z")...)
	for _, in := range inputs {
		var want time.Time
		werr := want.UnmarshalJSON([]byte(`"` + in + `"`))
		got, ok := utcTime([]byte(in))
		switch {
		case !ok:
			continue // left to UnmarshalJSON
		case werr != nil:
			t.Errorf("utcTime(%q) took a time UnmarshalJSON refuses (%v)", in, werr)
		case got != want: // == on purpose: the location must be the same too
			t.Errorf("utcTime(%q) = %#v, UnmarshalJSON gives %#v", in, got, want)
		}
	}
	// And it is a fast path: leakwatch's own form is taken.
	for _, in := range []string{"2016-08-02T02:50:00Z", "2016-08-02T02:50:00.123456789Z", "2016-02-29T00:00:00Z"} {
		if _, ok := utcTime([]byte(in)); !ok {
			t.Errorf("utcTime(%q) left a time in leakwatch's own form", in)
		}
	}
}

// spanByByte is span's definition a byte at a time, the reference the eight-bytes-a-step
// scan is held to: contents end at the first quote not escaped by a backslash, and hold no
// control character and no invalid UTF-8 (the escaped byte included).
func spanByByte(b []byte, i int) (start, end int, escaped, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, false, false
	}
	start = i + 1
	ascii := true
	for j := start; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(b[start:j]) {
				return 0, 0, false, false
			}
			return start, j, escaped, true
		case c == '\\':
			escaped = true
			j++
			if j < len(b) && b[j] >= utf8.RuneSelf {
				ascii = false
			}
		case c < 0x20:
			return 0, 0, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return 0, 0, false, false
}

// TestSpanMatchesByteScan runs span and the byte-by-byte reference over strings built from
// the bytes that matter (quote, backslash, control characters, ASCII, UTF-8 lead and
// continuation bytes, invalid ones) at every length up to 40 and every position of the
// opening quote within the eight-byte words.
func TestSpanMatchesByteScan(t *testing.T) {
	pieces := [][]byte{{'"'}, {'\\'}, {'\\', '"'}, {0x01}, {0x1f}, {0x20}, {'a'}, {'~'}, {0x7f},
		[]byte("é"), []byte("Ж"), []byte("🗳"), {0xc3}, {0x80}, {0xff}, []byte("abcdefgh")}
	rng := rand.New(rand.NewPCG(1, 2))
	checked, found := 0, 0
	for n := range 200000 {
		var b []byte
		b = append(b, bytes.Repeat([]byte{' '}, n%8)...)
		at := len(b)
		b = append(b, '"')
		for target := rng.IntN(41); len(b)-at-1 < target; {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		if rng.IntN(4) > 0 {
			b = append(b, '"')
		}
		b = append(b, bytes.Repeat([]byte{'x'}, rng.IntN(10))...)
		ws, we, wesc, wok := spanByByte(b, at)
		sc := scanner{b: b, i: at}
		s, e, esc, ok := sc.span()
		if s != ws || e != we || esc != wesc || ok != wok || (ok && sc.i != we+1) {
			t.Fatalf("span(%q) = %d %d %v %v (next %d), want %d %d %v %v", b[at:], s, e, esc, ok, sc.i, ws, we, wesc, wok)
		}
		checked++
		if ok {
			found++
		}
	}
	if found < checked/10 || found == checked {
		t.Fatalf("%d of %d strings were whole: the cases do not cover both outcomes", found, checked)
	}
}

// TestDecodeLineCleansText: a leakwatch line's text comes out as cleanText makes it, whether
// the fast decoder found it clean already (ASCII, runes NFC leaves alone) or not.
func TestDecodeLineCleansText(t *testing.T) {
	texts := []string{
		"", "plain ASCII #tag https://t.co/x", "Клишина #ОднаЗаВсех", "“quoted” 🗳 café",
		"e\u0301 decomposed", "\u212b angstrom", "한국어", "\ufb01 ligature", "tab\tand\nnew line",
		"\u00e9\u0301 \U0001f5f3 \u2028",
	}
	for _, text := range texts {
		b, err := json.Marshal(leakwatch.Post{Platform: "twitter", ID: "1", CreatedAt: time.Unix(1493922060, 0).UTC(),
			Author: leakwatch.Account{ID: "a"}, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range [][]byte{b, bytes.ReplaceAll(b, []byte(`"text":"`), []byte(`"text":"\u0020`))} {
			var decoded leakwatch.Post
			if err := jsonx.Unmarshal(line, &decoded); err != nil {
				t.Fatal(err)
			}
			p, _, err := DecodeLine(line)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if want := cleanText(decoded.Text); p.Text != want {
				t.Errorf("%s: text %+q, want %+q", line, p.Text, want)
			}
		}
	}
}
