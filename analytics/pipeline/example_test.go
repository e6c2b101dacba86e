package pipeline_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
)

// Three accounts post the same paste link and text within seconds, five times over an hour:
// Analyze reports their co-share edges and one coordinated group.
func ExampleAnalyze() {
	start := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	var posts []leakwatch.Post
	for wave := range 5 {
		for i, acct := range []string{"ring-a", "ring-b", "ring-c"} {
			id := fmt.Sprintf("%d-%d", wave, i)
			posts = append(posts, leakwatch.Post{
				Platform: "twitter", ID: id, URI: "twitter:" + id, Author: leakwatch.Account{ID: acct},
				CreatedAt: start.Add(time.Duration(wave)*15*time.Minute + time.Duration(i)*5*time.Second),
				Text:      fmt.Sprintf("les documents, partie %d : https://pastebin.com/part%d", wave, wave),
			})
		}
	}
	res, err := pipeline.Analyze(pipeline.DefaultConfig(), slices.Values(posts), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range res.Signals {
		switch s.Kind {
		case leakwatch.SignalEdge:
			fmt.Println("edge", s.Edge.ObjectKind, s.Edge.A, s.Edge.B, s.Edge.Weight)
		case leakwatch.SignalGroup:
			fmt.Println("group", s.Group.Accounts, s.Group.ObjectKinds, "first movers", s.Group.FirstMovers[:1])
		}
	}
	// One domain (pastebin.com) is weight 1, below M = 2: no domain edge.

	// Output:
	// edge text ring-a ring-b 5
	// edge text ring-a ring-c 5
	// edge url ring-a ring-b 5
	// edge url ring-a ring-c 5
	// edge text ring-b ring-c 5
	// edge url ring-b ring-c 5
	// group [ring-a ring-b ring-c] [text url] first movers [ring-a]
}
