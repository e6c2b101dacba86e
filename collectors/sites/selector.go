package sites

import (
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

// Selector is a parsed CSS selector list in the subset the watcher supports:
//
//	tag            div, h1 (case-insensitive), * for any element
//	#id            #main
//	.class         .article-body
//	compound       tag#id.class1.class2, in any order after the tag
//	descendant     "main .content p" (whitespace between compounds)
//	list           "header, .ads" (any alternative matches)
//
// Child (>), sibling (+ ~), attribute ([...]) and pseudo (:...) selectors are rejected with
// an error rather than approximated, so a target never silently watches the wrong part.
type Selector struct {
	alts []chain
}

// chain is a descendant chain, outermost compound first.
type chain []compound

type compound struct {
	tag     string // lower case; "" matches any element
	id      string
	classes []string
}

// ParseSelector parses s. The error names the selector, the offending character and its offset.
func ParseSelector(s string) (Selector, error) {
	var sel Selector
	if strings.TrimSpace(s) == "" {
		return sel, fmt.Errorf("selector %q: empty", s)
	}
	for _, alt := range splitList(s) {
		c, err := parseChain(s, alt.text, alt.offset)
		if err != nil {
			return Selector{}, err
		}
		sel.alts = append(sel.alts, c)
	}
	return sel, nil
}

type part struct {
	offset int
	text   string
}

// splitList splits at commas, keeping each part's offset for error messages.
func splitList(s string) []part {
	var parts []part
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			parts = append(parts, part{start, s[start:i]})
			start = i + 1
		}
	}
	return parts
}

func parseChain(full, s string, base int) (chain, error) {
	var c chain
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		var cp compound
		start := i
		if s[i] == '*' {
			i++
		} else if isIdent(s[i]) {
			j := identEnd(s, i)
			cp.tag = strings.ToLower(s[i:j])
			i = j
		}
		for i < len(s) && (s[i] == '#' || s[i] == '.') {
			kind := s[i]
			j := identEnd(s, i+1)
			if j == i+1 {
				return nil, fmt.Errorf("selector %q: %q at offset %d needs a name", full, kind, base+i)
			}
			if kind == '#' {
				if cp.id != "" {
					return nil, fmt.Errorf("selector %q: second #id at offset %d", full, base+i)
				}
				cp.id = s[i+1 : j]
			} else {
				cp.classes = append(cp.classes, s[i+1:j])
			}
			i = j
		}
		if i < len(s) && !isSpace(s[i]) {
			return nil, fmt.Errorf("selector %q: %q at offset %d is not supported (use tag, #id, .class, tag.class, descendant and comma lists)", full, s[i], base+i)
		}
		if i == start {
			return nil, fmt.Errorf("selector %q: unexpected %q at offset %d", full, s[i], base+i)
		}
		c = append(c, cp)
	}
	if len(c) == 0 {
		return nil, fmt.Errorf("selector %q: empty alternative at offset %d", full, base)
	}
	return c, nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' }

// isIdent accepts CSS name characters; bytes >= 0x80 are the parts of non-ASCII names.
func isIdent(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b >= 0x80
}

func identEnd(s string, i int) int {
	for i < len(s) && isIdent(s[i]) {
		i++
	}
	return i
}

// String returns the selector in canonical form; parsing it again gives the same selector.
func (s Selector) String() string {
	alts := make([]string, len(s.alts))
	for i, c := range s.alts {
		parts := make([]string, len(c))
		for j, cp := range c {
			p := cp.tag
			if cp.id != "" {
				p += "#" + cp.id
			}
			for _, cl := range cp.classes {
				p += "." + cl
			}
			if p == "" {
				p = "*"
			}
			parts[j] = p
		}
		alts[i] = strings.Join(parts, " ")
	}
	return strings.Join(alts, ", ")
}

// Match reports whether element n matches any alternative.
func (s Selector) Match(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	for _, c := range s.alts {
		if c.match(n) {
			return true
		}
	}
	return false
}

// match checks the last compound against n, then the others against ancestors, right to
// left. With descendant combinators only, taking the nearest matching ancestor is never wrong.
func (c chain) match(n *html.Node) bool {
	if !c[len(c)-1].match(n) {
		return false
	}
	i := len(c) - 2
	for p := n.Parent; p != nil && i >= 0; p = p.Parent {
		if p.Type == html.ElementNode && c[i].match(p) {
			i--
		}
	}
	return i < 0
}

func (cp compound) match(n *html.Node) bool {
	if cp.tag != "" && cp.tag != n.Data {
		return false
	}
	if cp.id != "" && attr(n, "id") != cp.id {
		return false
	}
	if len(cp.classes) > 0 {
		have := strings.Fields(attr(n, "class"))
		for _, want := range cp.classes {
			found := false
			for _, h := range have {
				if h == want {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}
