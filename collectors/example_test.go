package collectors_test

import (
	"context"
	"fmt"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
)

// sliceSource is a finite source: three posts, then the end of input.
type sliceSource struct {
	posts []string
	i     int
}

func (s *sliceSource) Name() string                      { return "example" }
func (s *sliceSource) Connect(ctx context.Context) error { return nil }
func (s *sliceSource) Close(ctx context.Context) error   { return nil }
func (s *sliceSource) Read(ctx context.Context) (collectors.Record, error) {
	if s.i == len(s.posts) {
		return collectors.Record{}, collectors.ErrEndOfInput
	}
	s.i++
	return collectors.Record{Post: &leakwatch.Post{URI: s.posts[s.i-1]}}, nil
}

func ExampleRun() {
	src := &sliceSource{posts: []string{"at://did:plc:a/app.bsky.feed.post/1", "at://did:plc:b/app.bsky.feed.post/2"}}
	emit := func(ctx context.Context, r collectors.Record) error {
		if r.Bad != nil {
			fmt.Println("dead letter:", r.Bad.Error())
			return nil
		}
		fmt.Println("post:", r.Post.URI)
		return nil
	}
	err := collectors.Run(context.Background(), src, emit, collectors.RunOptions{Config: collectors.DefaultRunConfig()})
	fmt.Println("done:", err)
	// Output:
	// post: at://did:plc:a/app.bsky.feed.post/1
	// post: at://did:plc:b/app.bsky.feed.post/2
	// done: <nil>
}
