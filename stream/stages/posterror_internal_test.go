package stages

import (
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

// Extract refuses what the warehouse cannot key a post or its mentions by, so a post is
// stored with its mentions or dead-lettered whole: an empty URI had the post refused and its
// mentions stored, an empty author the post stored and its mentions refused.
func TestPostErrorRefusesWhatTheWarehouseCannotKey(t *testing.T) {
	now := time.Date(2017, 5, 6, 22, 0, 0, 0, time.UTC)
	ok := leakwatch.Post{Platform: "twitter", ID: "x4", URI: "https://twitter.com/i/status/4", CreatedAt: now.Add(-time.Hour), Author: leakwatch.Account{ID: "u1"}}
	if err := postError(ok, now); err != nil {
		t.Fatalf("a whole post refused: %v", err)
	}
	for _, c := range []struct {
		mend func(*leakwatch.Post)
		want string
	}{
		{func(p *leakwatch.Post) { p.URI = "" }, `post "x4": uri: empty`},
		{func(p *leakwatch.Post) { p.Platform = "" }, "post https://twitter.com/i/status/4: platform: empty"},
		{func(p *leakwatch.Post) { p.Author.ID = "" }, "post https://twitter.com/i/status/4: author.id: empty"},
		{func(p *leakwatch.Post) { p.CreatedAt = now.Add(48 * time.Hour) }, "ahead of the extract stage's clock"},
	} {
		p := ok
		c.mend(&p)
		if err := postError(p, now); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", p, err, c.want)
		}
	}
}
