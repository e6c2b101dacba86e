package archive_test

import (
	"errors"
	"fmt"
	"io"

	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/archive"
)

// Read a CSV export with a column map; bad rows come back as errors naming file:line, and
// reading goes on.
func ExampleOpen() {
	cols, _ := archive.ParseColumns("author=author,time=time,text=text,followers=followers")
	r, err := archive.Open("testdata/bad.csv", archive.Options{Columns: cols})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	for {
		p, err := r.Next()
		var bad *collectors.BadRecord
		switch {
		case errors.Is(err, io.EOF):
			st := r.Stats()
			fmt.Printf("%d rows: %d posts, %d bad\n", st.Records, st.Posts, st.Bad)
			return
		case errors.As(err, &bad):
			fmt.Println("bad", bad.Ref)
		case err != nil:
			fmt.Println(err)
			return
		default:
			fmt.Println(p.Author.ID, p.CreatedAt.Format("2006-01-02 15:04"), p.Text)
		}
	}
	// Output:
	// alice 2017-05-05 18:35 first good row
	// bad bad.csv:3
	// bad bad.csv:4
	// bad bad.csv:5
	// bad bad.csv:6
	// bad bad.csv:7
	// frank 2017-05-05 16:40 last good row
	// 7 rows: 2 posts, 5 bad
}
