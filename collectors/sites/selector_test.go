package sites

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestParseSelector(t *testing.T) {
	tests := []struct{ in, canonical, err string }{
		{in: "div", canonical: "div"},
		{in: "DIV", canonical: "div"},
		{in: "#main", canonical: "#main"},
		{in: ".article-body", canonical: ".article-body"},
		{in: "p.lead.big", canonical: "p.lead.big"},
		{in: "section#news.featured", canonical: "section#news.featured"},
		{in: "  main   .content  p ", canonical: "main .content p"},
		{in: "header,.ads , footer nav", canonical: "header, .ads, footer nav"},
		{in: "*", canonical: "*"},
		{in: "* .x", canonical: "* .x"},
		{in: ".actualités", canonical: ".actualités"},
		{in: "", err: `selector "": empty`},
		{in: "main > p", err: `selector "main > p": '>' at offset 5 is not supported`},
		{in: "a[href]", err: `selector "a[href]": '[' at offset 1 is not supported`},
		{in: "a:hover", err: `'a:hover": ':' at offset 1`},
		{in: "h1 + p", err: `'+' at offset 3 is not supported`},
		{in: "div,", err: `empty alternative at offset 4`},
		{in: "#", err: `'#' at offset 0 needs a name`},
		{in: "p#a#b", err: `second #id at offset 3`},
		{in: ">p", err: `'>' at offset 0 is not supported`},
	}
	for _, tc := range tests {
		s, err := ParseSelector(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tc.err, "'")) {
				t.Errorf("ParseSelector(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || s.String() != tc.canonical {
			t.Errorf("ParseSelector(%q) = %q, %v; want %q", tc.in, s.String(), err, tc.canonical)
		}
	}
}

func TestSelectorMatch(t *testing.T) {
	doc, err := html.Parse(strings.NewReader(`<html><body>
<header id="top"><nav class="menu main"><a id="home" href="/">Home</a></nav></header>
<main id="content"><article class="post featured"><h1>Title</h1><p class="lead">Lead</p>
<div class="ads"><p>Ad</p></div></article></main>
<footer><p class="lead">Footer lead</p></footer></body></html>`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sel  string
		want string // ids or tag.firstclass of matches in document order
	}{
		{"p", "p.lead p p.lead"},
		{"#content", "main#content"},
		{".lead", "p.lead p.lead"},
		{"p.lead", "p.lead p.lead"},
		{"main p.lead", "p.lead"},
		{"#content .ads p", "p"},
		{"nav.menu.main a", "a#home"},
		{"nav.main.other", ""},
		{"header a, footer p", "a#home p.lead"},
		{"article.featured h1", "h1"},
		{"body main article", "article.post"},
		{"footer main p", ""},
		{"*", "html head body header#top nav.menu a#home main#content article.post h1 p.lead div.ads p footer p.lead"},
	}
	for _, tc := range tests {
		sel, err := ParseSelector(tc.sel)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		walk(doc, func(n *html.Node) bool {
			if sel.Match(n) {
				name := n.Data
				if id := attr(n, "id"); id != "" {
					name += "#" + id
				} else if c := strings.Fields(attr(n, "class")); len(c) > 0 {
					name += "." + c[0]
				}
				got = append(got, name)
			}
			return true
		})
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q matched %q, want %q", tc.sel, strings.Join(got, " "), tc.want)
		}
	}
}

// FuzzParseSelector checks that the parser never panics and that every selector it accepts
// prints in a canonical form that parses back to itself.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"div", "#main", ".a.b", "main .content p", "header, .ads", "*", "a > b", "p#x.y z", ".é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "selector ") {
				t.Fatalf("error does not name the selector: %v", err)
			}
			return
		}
		canon := sel.String()
		again, err := ParseSelector(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("round trip %q -> %q -> %q", s, canon, again.String())
		}
	})
}
