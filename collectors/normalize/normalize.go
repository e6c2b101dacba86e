// Package normalize holds the text clean-up every social collector applies the same way:
// HTML to plain text, Unicode NFC, UTF-8 validation. It keeps decoders consistent, so the
// exact-text fingerprint of a post does not depend on which platform carried it.
// It must not import leakwatch, collectors or any network package: it only transforms strings.
package normalize

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// AppendUnique appends s to list unless it is empty or already there: a post names each
// hashtag, link and mention once, however often its platform's payload repeats it.
func AppendUnique(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// NFC returns s in Unicode normalisation form C, so "é" typed as e + U+0301 and as U+00E9
// compare equal.
func NFC(s string) string { return norm.NFC.String(s) }

// CheckUTF8 reports the byte offset of the first invalid UTF-8 sequence in b.
// encoding/json would silently replace such bytes with U+FFFD; a record carrying them is
// reported instead, so the raw payload reaches the dead-letter topic unchanged.
func CheckUTF8(b []byte) error {
	if utf8.Valid(b) {
		return nil
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("invalid UTF-8 at byte %d", i)
		}
		i += n
	}
	return nil
}

// Anchor is one <a> element of an HTML fragment.
type Anchor struct {
	Href  string
	Class string // space-separated classes as written
	Rel   string
	Text  string // visible text, NFC
}

// HasClass reports whether the anchor carries class c.
func (a Anchor) HasClass(c string) bool {
	for _, f := range strings.Fields(a.Class) {
		if f == c {
			return true
		}
	}
	return false
}

// HTML turns an HTML fragment (a Mastodon status body) into plain text and its anchors.
// Paragraphs are separated by a blank line and <br> by a newline, as a reader sees them;
// elements hidden from readers (Mastodon's "invisible" URL parts) still count, since the
// text is the URL as written. The text is NFC and trimmed.
func HTML(fragment string) (text string, anchors []Anchor) {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var b strings.Builder
	var cur *Anchor
	var curText strings.Builder
	skip := 0 // depth inside <script>/<style>
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if cur != nil {
				cur.Text = NFC(curText.String())
				anchors = append(anchors, *cur)
			}
			return strings.TrimSpace(NFC(b.String())), anchors
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			b.WriteString(t)
			if cur != nil {
				curText.WriteString(t)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch atom.Lookup(name) {
			case atom.Br:
				b.WriteByte('\n')
			case atom.P:
				if b.Len() > 0 {
					b.WriteString("\n\n")
				}
			case atom.Script, atom.Style:
				if tt == html.StartTagToken {
					skip++
				}
			case atom.A:
				if tt == html.SelfClosingTagToken {
					continue
				}
				a := Anchor{}
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "href":
						a.Href = string(v)
					case "class":
						a.Class = string(v)
					case "rel":
						a.Rel = string(v)
					}
				}
				if cur != nil { // unclosed <a>: close it before the next one
					cur.Text = NFC(curText.String())
					anchors = append(anchors, *cur)
				}
				cur = &a
				curText.Reset()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Script, atom.Style:
				if skip > 0 {
					skip--
				}
			case atom.A:
				if cur != nil {
					cur.Text = NFC(curText.String())
					anchors = append(anchors, *cur)
					cur = nil
				}
			}
		}
	}
}
