package leak_test

import (
	"fmt"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/leak"
)

func ExampleMatcher_Evidence() {
	m := leak.NewMatcher(leak.DefaultConfig())
	fmt.Println(m.Evidence(leakwatch.Post{
		Text:     "Courriels internes FUITÉS : archive.4plebs.org/pol/thread/124 #MacronLeaks",
		Hashtags: []string{"MacronLeaks"},
	}))
	// Output: [domain:4plebs.org term:#macronleaks term:courriels term:courriels internes term:fuites]
}
