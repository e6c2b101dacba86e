package feeds_test

import (
	"fmt"

	"github.com/leakwatch/leakwatch/collectors/feeds"
)

func ExampleParse() {
	doc := `<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>PasteDrop</title>
    <item>
      <title>EMLEAKS mirrors</title>
      <link>https://pastedrop.example.net/p/a7Fq2Lk</link>
      <dc:creator>anon</dc:creator>
      <pubDate>Fri, 05 May 2017 20:35:00 +0200</pubDate>
    </item>
  </channel>
</rss>`
	f, err := feeds.Parse([]byte(doc), "application/rss+xml")
	if err != nil {
		fmt.Println(err)
		return
	}
	it := f.Items[0]
	fmt.Println(f.Format, it.Title, it.Link, it.Author, it.Published)
	// Output: rss EMLEAKS mirrors https://pastedrop.example.net/p/a7Fq2Lk anon Fri, 05 May 2017 20:35:00 +0200
}
