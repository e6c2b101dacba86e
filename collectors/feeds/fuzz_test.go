package feeds

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary documents to the parser and the item mapping. Whatever the input,
// they must not panic, and every post they build must be encodable for the posts topic.
// Seeds: the testdata feeds plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "")
	}
	f.Add([]byte(`<?xml version="1.0" encoding="windows-1252"?><rss><channel><item><title>caf`+"\xe9"+`</title></item></channel></rss>`), "")
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml"><div/></content></entry></feed>`), "application/atom+xml; charset=iso-8859-1")
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		feed, err := Parse(data, contentType)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for i := range feed.Items {
			p, err := toPost("https://fuzz.example/feed", "https://fuzz.example/feed", feed, &feed.Items[i], observed)
			if err != nil {
				continue
			}
			if !utf8.ValidString(p.URI) {
				continue // the document itself held invalid UTF-8; JSON encoding replaces it
			}
			if _, err := json.Marshal(p); err != nil {
				t.Fatalf("item %d: post does not encode: %v", i, err)
			}
		}
	})
}
