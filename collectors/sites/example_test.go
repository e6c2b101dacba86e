package sites_test

import (
	"fmt"

	"github.com/leakwatch/leakwatch/collectors/sites"
)

func ExampleParseSelector() {
	sel, err := sites.ParseSelector("MAIN#content  .post, footer")
	fmt.Println(sel, err)
	_, err = sites.ParseSelector("main > p")
	fmt.Println(err)
	// Output:
	// main#content .post, footer <nil>
	// selector "main > p": '>' at offset 5 is not supported (use tag, #id, .class, tag.class, descendant and comma lists)
}
