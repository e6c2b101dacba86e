package feeds

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/html/charset"

	"github.com/leakwatch/leakwatch/collectors/normalize"
)

// Feed formats, as Feed.Format reports them.
const (
	FormatRSS  = "rss"  // RSS 0.9x and 2.0
	FormatRDF  = "rdf"  // RSS 1.0
	FormatAtom = "atom" // Atom 1.0 (and 0.3, read the same way)
	FormatJSON = "json" // JSON Feed 1.0 and 1.1
)

// Namespaces the parser reads elements from.
const (
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsMedia   = "http://search.yahoo.com/mrss/"
	nsRSS10   = "http://purl.org/rss/1.0/"
	nsXML     = "http://www.w3.org/XML/1998/namespace"
)

// Feed is a parsed feed of any supported format. Text fields hold HTML (plain text from the
// source is HTML-escaped), so one stripping step turns any of them into text.
type Feed struct {
	Format string
	Title  string // HTML
	Link   string // the site's home page
	Author string
	Lang   string
	Items  []Item
}

// Item is one entry of a feed, with its fields as the feed wrote them.
type Item struct {
	ID        string // RSS guid, Atom id, JSON Feed id
	Link      string // permalink
	Title     string // HTML
	Summary   string // HTML: RSS description, Atom summary, JSON Feed summary
	Content   string // HTML: content:encoded, Atom content, JSON Feed content_html/content_text
	Author    string
	Published string // as written; parseDate reads it
	Updated   string
	Lang      string
	Media     []Enclosure
	// XMLBase holds the xml:base attributes in scope of the item's link, outermost first.
	// Relative links resolve against them in turn, starting from the document's URL.
	XMLBase []string
	// Raw is the item as received: the XML element or the JSON object.
	Raw []byte
	// Err is why the item cannot become a post though the document parsed (invalid UTF-8
	// in a JSON Feed item); the item is reported with its raw bytes instead.
	Err error
}

// Enclosure is an attached file: RSS enclosure, media:content, Atom rel=enclosure, JSON attachment.
type Enclosure struct {
	URL  string
	Type string // MIME type when given
}

// Parse reads an RSS, Atom or JSON Feed document. contentType is the HTTP Content-Type (may be
// empty); its charset wins over the XML declaration's, as RFC 7303 says.
func Parse(data []byte, contentType string) (*Feed, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("empty document")
	}
	switch trimmed[0] {
	case '{':
		return parseJSON(trimmed)
	case '<':
		return parseXML(data, contentType)
	}
	return nil, fmt.Errorf("not a feed: document starts with %q", firstBytes(trimmed, 16))
}

func firstBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// node is one XML element with its direct text. Offsets point into the UTF-8 document so
// the raw item and Atom xhtml content can be sliced out unchanged.
type node struct {
	name       xml.Name
	attrs      []xml.Attr
	text       strings.Builder
	children   []*node
	start, end int64 // outer element
	innerStart int64
	innerEnd   int64
	bases      []string // xml:base values in scope, outermost first
}

func (n *node) attr(space, local string) string {
	for _, a := range n.attrs {
		if a.Name.Local == local && (space == "*" || a.Name.Space == space) {
			return a.Value
		}
	}
	return ""
}

// child returns the first child element with this namespace and local name.
func (n *node) child(space, local string) *node {
	for _, c := range n.children {
		if c.name.Local == local && c.name.Space == space {
			return c
		}
	}
	return nil
}

func (n *node) all(space, local string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name.Local == local && c.name.Space == space {
			out = append(out, c)
		}
	}
	return out
}

// value is the trimmed text of the named child, or "".
func (n *node) value(space, local string) string {
	if c := n.child(space, local); c != nil {
		return strings.TrimSpace(c.text.String())
	}
	return ""
}

// Limits that keep a hostile document from exhausting memory through nesting.
const maxDepth = 256

var xmlEncodingDecl = regexp.MustCompile(`^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// toUTF8 converts the document to UTF-8 once, up front, so decoder offsets index the bytes
// that the raw items are sliced from.
func toUTF8(data []byte, contentType string) ([]byte, error) {
	label := ""
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		label = params["charset"]
	}
	if label == "" {
		head := data
		if len(head) > 512 {
			head = head[:512]
		}
		if m := xmlEncodingDecl.FindSubmatch(head); m != nil {
			label = string(m[1])
		}
	}
	if label == "" {
		return data, nil
	}
	enc, name := charset.Lookup(label)
	if enc == nil {
		return nil, fmt.Errorf("unsupported character encoding %q", label)
	}
	if name == "utf-8" {
		return data, nil
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return out, nil
}

func parseXML(data []byte, contentType string) (*Feed, error) {
	data, err := toUTF8(data, contentType)
	if err != nil {
		return nil, err
	}
	root, err := decodeTree(data)
	if err != nil {
		return nil, err
	}
	switch {
	case root.name.Local == "rss":
		return rssFeed(root, data)
	case root.name.Local == "RDF":
		return rdfFeed(root, data)
	case root.name.Local == "feed":
		return atomFeed(root, data)
	}
	return nil, fmt.Errorf("not a feed: root element is <%s>, want <rss>, <feed> or <rdf:RDF>", root.name.Local)
}

func decodeTree(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	// Feeds use HTML entities (&nbsp;, &eacute;) that XML does not define.
	d.Entity = xml.HTMLEntity
	// The document is UTF-8 already; the declaration's label is only informative now.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }

	var root *node
	var stack []*node
	for {
		before := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, err // "XML syntax error on line N: ..." says it all
			}
			return nil, fmt.Errorf("XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("XML: elements nested deeper than %d at offset %d", maxDepth, before)
			}
			n := &node{name: t.Name, attrs: t.Attr, start: before, innerStart: d.InputOffset()}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
				n.bases = slices.Clip(p.bases)
			}
			if b := strings.TrimSpace(n.attr(nsXML, "base")); b != "" {
				n.bases = append(n.bases, b)
			}
			if len(stack) > 0 {
			} else if root != nil {
				return nil, errors.New("XML: more than one root element")
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.innerEnd = before
			n.end = d.InputOffset()
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("XML: text outside the root element at offset %d", before)
			}
		}
	}
	if root == nil {
		return nil, errors.New("XML: no root element")
	}
	return root, nil
}

func rssFeed(root *node, data []byte) (*Feed, error) {
	ns := root.name.Space // "" in practice; some feeds declare a default namespace
	ch := root.child(ns, "channel")
	if ch == nil {
		return nil, errors.New("RSS: no <channel> element")
	}
	f := &Feed{
		Format: FormatRSS,
		Title:  ch.value(ns, "title"),
		Link:   ch.value(ns, "link"),
		Lang:   firstNonEmpty(ch.value(ns, "language"), ch.value(nsDC, "language")),
		Author: firstNonEmpty(ch.value(nsDC, "creator"), ch.value(ns, "managingEditor")),
	}
	if f.Link == "" { // only atom:link rel=self/alternate
		f.Link = atomLink(ch, nsAtom)
	}
	// Items normally sit in the channel; RSS 0.91 style feeds put them beside it.
	items := append(ch.all(ns, "item"), root.all(ns, "item")...)
	for _, it := range items {
		f.Items = append(f.Items, rssItem(it, ns, data))
	}
	return f, nil
}

func rdfFeed(root *node, data []byte) (*Feed, error) {
	ch := root.child(nsRSS10, "channel")
	f := &Feed{Format: FormatRDF}
	if ch != nil {
		f.Title = ch.value(nsRSS10, "title")
		f.Link = ch.value(nsRSS10, "link")
		f.Lang = ch.value(nsDC, "language")
		f.Author = ch.value(nsDC, "creator")
	}
	for _, it := range root.all(nsRSS10, "item") {
		item := rssItem(it, nsRSS10, data)
		if item.ID == "" {
			item.ID = it.attr("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "about")
		}
		f.Items = append(f.Items, item)
	}
	return f, nil
}

func rssItem(it *node, ns string, data []byte) Item {
	item := Item{
		Title:     it.value(ns, "title"),
		Link:      it.value(ns, "link"),
		Summary:   it.value(ns, "description"),
		Content:   it.value(nsContent, "encoded"),
		Author:    firstNonEmpty(it.value(nsDC, "creator"), it.value(ns, "author")),
		Published: firstNonEmpty(it.value(ns, "pubDate"), it.value(nsDC, "date")),
		Updated:   it.value("http://purl.org/dc/terms/", "modified"),
		Lang:      it.value(nsDC, "language"),
		XMLBase:   it.bases,
		Raw:       data[it.start:it.end],
	}
	if l := it.child(ns, "link"); l != nil {
		item.XMLBase = l.bases
	}
	if g := it.child(ns, "guid"); g != nil {
		item.ID = strings.TrimSpace(g.text.String())
		// A guid is a permalink unless it says otherwise (RSS 2.0 spec).
		if item.Link == "" && !strings.EqualFold(g.attr("", "isPermaLink"), "false") && isAbsURL(item.ID) {
			item.Link = item.ID
		}
	}
	if item.Link == "" {
		item.Link = atomLink(it, nsAtom)
	}
	for _, e := range it.all(ns, "enclosure") {
		if u := strings.TrimSpace(e.attr("", "url")); u != "" {
			item.Media = append(item.Media, Enclosure{URL: u, Type: e.attr("", "type")})
		}
	}
	item.Media = append(item.Media, mediaRSS(it)...)
	return item
}

// mediaRSS reads media:content, also inside media:group.
func mediaRSS(n *node) []Enclosure {
	var out []Enclosure
	for _, c := range n.children {
		if c.name.Space != nsMedia {
			continue
		}
		switch c.name.Local {
		case "content":
			if u := strings.TrimSpace(c.attr("", "url")); u != "" {
				t := c.attr("", "type")
				if t == "" {
					t = c.attr("", "medium")
				}
				out = append(out, Enclosure{URL: u, Type: t})
			}
		case "group":
			out = append(out, mediaRSS(c)...)
		}
	}
	return out
}

func atomFeed(root *node, data []byte) (*Feed, error) {
	ns := root.name.Space
	f := &Feed{
		Format: FormatAtom,
		Title:  atomText(root.child(ns, "title"), data),
		Link:   atomLink(root, ns),
		Lang:   root.attr(nsXML, "lang"),
	}
	if a := root.child(ns, "author"); a != nil {
		f.Author = a.value(ns, "name")
	}
	for _, e := range root.all(ns, "entry") {
		item := Item{
			ID:        e.value(ns, "id"),
			Link:      atomLink(e, ns),
			Title:     atomText(e.child(ns, "title"), data),
			Summary:   atomText(e.child(ns, "summary"), data),
			Content:   atomText(e.child(ns, "content"), data),
			Published: firstNonEmpty(e.value(ns, "published"), e.value(ns, "issued")),
			Updated:   firstNonEmpty(e.value(ns, "updated"), e.value(ns, "modified")),
			Lang:      e.attr(nsXML, "lang"),
			XMLBase:   e.bases,
			Raw:       data[e.start:e.end],
		}
		if a := e.child(ns, "author"); a != nil {
			item.Author = a.value(ns, "name")
		}
		for _, l := range e.all(ns, "link") {
			if l.attr("", "rel") == "enclosure" {
				item.Media = append(item.Media, Enclosure{URL: l.attr("", "href"), Type: l.attr("", "type")})
			}
		}
		item.Media = append(item.Media, mediaRSS(e)...)
		f.Items = append(f.Items, item)
	}
	return f, nil
}

// atomLink picks the alternate link (rel absent or "alternate"), preferring HTML ones.
func atomLink(n *node, ns string) string {
	best := ""
	for _, l := range n.all(ns, "link") {
		rel := l.attr("", "rel")
		href := strings.TrimSpace(l.attr("", "href"))
		if href == "" || (rel != "" && rel != "alternate") {
			continue
		}
		t := l.attr("", "type")
		if t == "" || strings.Contains(t, "html") {
			return href
		}
		if best == "" {
			best = href
		}
	}
	return best
}

// atomText returns an Atom text construct as HTML: type="text" is escaped, "html" is the
// decoded markup, "xhtml" is the inner XML as written.
func atomText(n *node, data []byte) string {
	if n == nil {
		return ""
	}
	switch n.attr("", "type") {
	case "xhtml", "application/xhtml+xml":
		return strings.TrimSpace(string(data[n.innerStart:n.innerEnd]))
	case "html", "text/html":
		return strings.TrimSpace(n.text.String())
	}
	return html.EscapeString(strings.TrimSpace(n.text.String()))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func isAbsURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// jsonFeed is JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), with the 1.0 author field.
type jsonFeed struct {
	Version     string            `json:"version"`
	Title       string            `json:"title"`
	HomePageURL string            `json:"home_page_url"`
	Language    string            `json:"language"`
	Author      *jsonAuthor       `json:"author"`
	Authors     []jsonAuthor      `json:"authors"`
	Items       []json.RawMessage `json:"items"`
}

type jsonAuthor struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type jsonItem struct {
	ID            json.RawMessage `json:"id"`
	URL           string          `json:"url"`
	ExternalURL   string          `json:"external_url"`
	Title         string          `json:"title"`
	ContentHTML   string          `json:"content_html"`
	ContentText   string          `json:"content_text"`
	Summary       string          `json:"summary"`
	Image         string          `json:"image"`
	DatePublished string          `json:"date_published"`
	DateModified  string          `json:"date_modified"`
	Language      string          `json:"language"`
	Author        *jsonAuthor     `json:"author"`
	Authors       []jsonAuthor    `json:"authors"`
	Attachments   []struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
	} `json:"attachments"`
}

func jsonAuthorName(one *jsonAuthor, many []jsonAuthor) string {
	for _, a := range many {
		if a.Name != "" {
			return a.Name
		}
	}
	if one != nil {
		return one.Name
	}
	return ""
}

func parseJSON(data []byte) (*Feed, error) {
	// encoding/json turns invalid UTF-8 into U+FFFD without a word; the bytes are checked
	// first, so a mangled item is reported rather than emitted with a mangled title.
	docErr := normalize.CheckUTF8(data)
	var jf jsonFeed
	if err := json.Unmarshal(data, &jf); err != nil {
		return nil, fmt.Errorf("JSON Feed: %w", err)
	}
	if !strings.HasPrefix(jf.Version, "https://jsonfeed.org/version/") {
		return nil, fmt.Errorf("not a JSON Feed: version is %q, want https://jsonfeed.org/version/1.1", jf.Version)
	}
	f := &Feed{
		Format: FormatJSON,
		Title:  html.EscapeString(jf.Title),
		Link:   jf.HomePageURL,
		Lang:   jf.Language,
		Author: jsonAuthorName(jf.Author, jf.Authors),
	}
	for i, raw := range jf.Items {
		var ji jsonItem
		if err := json.Unmarshal(raw, &ji); err != nil {
			return nil, fmt.Errorf("JSON Feed item %d: %w", i, err)
		}
		item := Item{
			ID:        jsonID(ji.ID),
			Link:      firstNonEmpty(ji.URL, ji.ExternalURL),
			Title:     html.EscapeString(ji.Title),
			Summary:   html.EscapeString(ji.Summary),
			Content:   ji.ContentHTML,
			Author:    jsonAuthorName(ji.Author, ji.Authors),
			Published: ji.DatePublished,
			Updated:   ji.DateModified,
			Lang:      ji.Language,
			Raw:       raw,
		}
		if item.Content == "" {
			item.Content = html.EscapeString(ji.ContentText)
		}
		if err := normalize.CheckUTF8(raw); err != nil {
			item.Err = err // this item is reported; the rest of the feed may be fine
		}
		if ji.Image != "" {
			item.Media = append(item.Media, Enclosure{URL: ji.Image, Type: "image"})
		}
		for _, a := range ji.Attachments {
			if a.URL != "" {
				item.Media = append(item.Media, Enclosure{URL: a.URL, Type: a.MimeType})
			}
		}
		f.Items = append(f.Items, item)
	}
	if docErr != nil {
		// Bytes outside the items (the feed's title or author, which every post carries)
		// spoil the whole document; the items' own are blanked out, offsets kept.
		rest := bytes.Clone(data)
		for _, raw := range jf.Items {
			if i := bytes.Index(rest, raw); i >= 0 {
				copy(rest[i:i+len(raw)], bytes.Repeat([]byte(" "), len(raw)))
			}
		}
		if err := normalize.CheckUTF8(rest); err != nil {
			return nil, fmt.Errorf("JSON Feed: %w", err)
		}
	}
	return f, nil
}

// jsonID accepts the string the spec requires and the numbers some generators write.
func jsonID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
