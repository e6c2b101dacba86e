package burst_test

import (
	"fmt"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/burst"
)

func Example() {
	d := burst.New(burst.DefaultConfig())
	start := time.Date(2017, 5, 5, 17, 0, 0, 0, time.UTC)
	// An hour and a half of ordinary traffic, then 40 accounts push a new hashtag.
	for i := range 90 {
		d.Add(leakwatch.Mention{Object: leakwatch.AllPosts, Account: fmt.Sprint("u", i%7), At: start.Add(time.Duration(i) * time.Minute)})
	}
	onset := start.Add(95*time.Minute + 20*time.Second)
	for i := range 200 {
		d.Add(leakwatch.Mention{Object: "hashtag:macronleaks", Account: fmt.Sprint("bot", i%40), At: onset.Add(time.Duration(i) * 3 * time.Second),
			Evidence: []string{"term:#macronleaks"}})
	}
	for _, b := range d.Advance(start.Add(3 * time.Hour)) {
		fmt.Println(b.Object, b.Onset.Format("15:04"), b.End.Format("15:04"), b.Count, b.Accounts, b.Evidence)
	}
	// Output: hashtag:macronleaks 18:35 18:46 200 40 [term:#macronleaks]
}
