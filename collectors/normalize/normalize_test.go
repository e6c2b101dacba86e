package normalize

import (
	"reflect"
	"testing"
)

func TestHTML(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		text    string
		anchors []Anchor
	}{
		{
			name: "mastodon status with mention, hashtag and link",
			in:   `<p><span class="h-card" translate="no"><a href="https://mastodon.social/@alice" class="u-url mention">@<span>alice</span></a></span> fuite des <a href="https://mastodon.social/tags/MacronLeaks" class="mention hashtag" rel="tag">#<span>MacronLeaks</span></a></p><p>voir <a href="https://pastebin.com/abc" target="_blank" rel="nofollow noopener noreferrer" translate="no"><span class="invisible">https://</span><span class="">pastebin.com/abc</span><span class="invisible"></span></a></p>`,
			text: "@alice fuite des #MacronLeaks\n\nvoir https://pastebin.com/abc",
			anchors: []Anchor{
				{Href: "https://mastodon.social/@alice", Class: "u-url mention", Text: "@alice"},
				{Href: "https://mastodon.social/tags/MacronLeaks", Class: "mention hashtag", Rel: "tag", Text: "#MacronLeaks"},
				{Href: "https://pastebin.com/abc", Rel: "nofollow noopener noreferrer", Text: "https://pastebin.com/abc"},
			},
		},
		{name: "br and entities", in: "<p>a &amp; b<br>c&lt;d</p>", text: "a & b\nc<d"},
		{name: "decomposed accents become NFC", in: "<p>E\u0301lection</p>", text: "\u00c9lection"},
		{name: "plain text passes", in: "no markup", text: "no markup"},
		{name: "script is not text", in: "<p>x<script>alert(1)</script>y</p>", text: "xy"},
		{name: "unclosed anchor still reported", in: `<a href="https://e.org/">e`, text: "e",
			anchors: []Anchor{{Href: "https://e.org/", Text: "e"}}},
		{name: "empty", in: "", text: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, anchors := HTML(tc.in)
			if text != tc.text {
				t.Errorf("text = %q, want %q", text, tc.text)
			}
			if !reflect.DeepEqual(anchors, tc.anchors) {
				t.Errorf("anchors = %+v\nwant %+v", anchors, tc.anchors)
			}
		})
	}
}

func TestCheckUTF8(t *testing.T) {
	if err := CheckUTF8([]byte(`{"text":"héllo"}`)); err != nil {
		t.Fatalf("valid input: %v", err)
	}
	err := CheckUTF8([]byte("{\"text\":\"h\xffllo\"}"))
	if err == nil || err.Error() != "invalid UTF-8 at byte 10" {
		t.Fatalf("err = %v, want invalid UTF-8 at byte 10", err)
	}
}

func TestAnchorHasClass(t *testing.T) {
	a := Anchor{Class: "u-url mention"}
	if !a.HasClass("mention") || a.HasClass("hashtag") || a.HasClass("u-ur") {
		t.Fatal("HasClass matched wrongly")
	}
}

// A payload repeating a hashtag (in text and entities) or naming an empty one gives each once.
func TestAppendUnique(t *testing.T) {
	var got []string
	for _, s := range []string{"macronleaks", "", "fuite", "macronleaks", "Fuite"} {
		got = AppendUnique(got, s)
	}
	if want := []string{"macronleaks", "fuite", "Fuite"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
