package feeds

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// htmlText returns the visible text of an HTML fragment (one line per block, spaces collapsed,
// NFC) and the href of every anchor in document order.
func htmlText(fragment string) (string, []string) {
	if !strings.ContainsAny(fragment, "<&") {
		return collapse(fragment), nil
	}
	var (
		lines []string
		line  strings.Builder
		links []string
		skip  int // depth inside script/style, whose text is not visible
	)
	flush := func() {
		if l := collapse(line.String()); l != "" {
			lines = append(lines, l)
		}
		line.Reset()
	}
	z := html.NewTokenizer(strings.NewReader(fragment))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.TextToken:
			if skip == 0 {
				line.WriteString(tok.Data)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.DataAtom {
			case atom.Script, atom.Style, atom.Template, atom.Noscript:
				if tt == html.StartTagToken {
					skip++
				}
			case atom.A:
				for _, a := range tok.Attr {
					if a.Key == "href" && strings.TrimSpace(a.Val) != "" {
						links = append(links, strings.TrimSpace(a.Val))
					}
				}
			}
			if blockTags[tok.DataAtom] {
				flush()
			}
		case html.EndTagToken:
			switch tok.DataAtom {
			case atom.Script, atom.Style, atom.Template, atom.Noscript:
				if skip > 0 {
					skip--
				}
			}
			if blockTags[tok.DataAtom] {
				flush()
			}
		}
	}
	flush()
	return strings.Join(lines, "\n"), links
}

// blockTags start a new line of text; inline tags only separate words where the source did.
var blockTags = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Td: true, atom.Th: true, atom.Hr: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true,
	atom.Figure: true, atom.Figcaption: true, atom.Dd: true, atom.Dt: true, atom.Dl: true,
}

// collapse joins whitespace runs into single spaces and normalises to NFC.
func collapse(s string) string {
	return norm.NFC.String(strings.Join(strings.Fields(s), " "))
}
