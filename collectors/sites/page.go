package sites

import (
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/norm"
)

// page is what the watcher reads from one HTML document.
type page struct {
	title   string
	lines   []string // visible text of the watched parts, one line per block
	links   []string // registrable domains of anchors in the watched parts
	scripts []string // registrable domains of every external script in the document
	// unwatched: watch selectors are set and none matched, so no text is compared.
	unwatched bool
}

// readPage extracts the watched text and domains from doc. base resolves relative URLs.
//
// Links come from the watched parts only (minus ignored ones), because a "latest stories"
// box that the target ignores would otherwise report link changes all day. Scripts come from
// the whole document: an injected script matters wherever it sits.
func readPage(doc *html.Node, base *url.URL, watch, ignore []Selector) page {
	var p page
	var roots []*html.Node
	walk(doc, func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return true
		}
		switch n.DataAtom {
		case atom.Title:
			if p.title == "" {
				p.title = collapse(textOf(n))
			}
		case atom.Script:
			if src := attr(n, "src"); src != "" {
				if d := domainOf(base, src); d != "" {
					p.scripts = append(p.scripts, d)
				}
			}
		}
		if len(watch) == 0 {
			if n.DataAtom == atom.Body {
				roots = append(roots, n)
			}
			return true
		}
		for _, s := range watch {
			if s.Match(n) {
				roots = append(roots, n)
				return true // inner matches are inside this root already; still visit for title/scripts
			}
		}
		return true
	})
	if len(watch) == 0 && len(roots) == 0 {
		roots = []*html.Node{doc}
	}
	p.unwatched = len(watch) > 0 && len(roots) == 0
	roots = outermost(roots)

	var line strings.Builder
	flush := func() {
		if l := collapse(line.String()); l != "" {
			p.lines = append(p.lines, l)
		}
		line.Reset()
	}
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			line.WriteString(n.Data)
			return
		case html.ElementNode:
			if invisible[n.DataAtom] || hasAttr(n, "hidden") {
				return
			}
			for _, s := range ignore {
				if s.Match(n) {
					return
				}
			}
			if n.DataAtom == atom.A {
				if d := domainOf(base, attr(n, "href")); d != "" {
					p.links = append(p.links, d)
				}
			}
		}
		block := n.Type == html.ElementNode && blocks[n.DataAtom]
		if block {
			flush()
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
		if block {
			flush()
		}
	}
	for _, r := range roots {
		visit(r)
		flush()
	}
	p.links = sortedUnique(p.links)
	p.scripts = sortedUnique(p.scripts)
	return p
}

// walk visits n and its descendants in document order while f returns true.
func walk(n *html.Node, f func(*html.Node) bool) {
	if !f(n) {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

// outermost drops nodes inside another listed node, so nested matches count their text once.
func outermost(nodes []*html.Node) []*html.Node {
	in := map[*html.Node]bool{}
	for _, n := range nodes {
		in[n] = true
	}
	var out []*html.Node
	for _, n := range nodes {
		nested := false
		for p := n.Parent; p != nil; p = p.Parent {
			if in[p] {
				nested = true
				break
			}
		}
		if !nested && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func textOf(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) bool {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		return true
	})
	return b.String()
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// invisible elements carry no text a visitor reads.
var invisible = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true, atom.Svg: true, atom.Iframe: true, atom.Object: true,
}

var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Td: true,
	atom.Th: true, atom.Hr: true, atom.Section: true, atom.Article: true, atom.Header: true,
	atom.Footer: true, atom.Nav: true, atom.Main: true, atom.Aside: true, atom.Form: true,
	atom.Figure: true, atom.Figcaption: true, atom.Dd: true, atom.Dt: true, atom.Dl: true,
	atom.Body: true, atom.Title: true, atom.Button: true, atom.Label: true, atom.Option: true,
}

// collapse joins whitespace runs into one space and normalises to NFC.
func collapse(s string) string { return norm.NFC.String(strings.Join(strings.Fields(s), " ")) }

// domainOf resolves ref against base and returns its registrable domain (eTLD+1), the host
// itself for IP addresses, and "" for non-web links (mailto:, javascript:, in-page anchors).
func domainOf(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") {
		return ""
	}
	u, err := base.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return registrable(u.Hostname())
}

func registrable(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return ""
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
