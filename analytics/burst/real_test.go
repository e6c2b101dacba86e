package burst

import (
	"compress/gzip"
	"encoding/csv"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// TestRealHashtagGames runs the detector on the real IRA tweets of July-August 2016, whose
// accounts pushed "hashtag games" at set hours. For the strongest hashtag bursts the onset
// must be the minute of the campaign's first post, not when the volume became obvious.
func TestRealHashtagGames(t *testing.T) {
	f, err := os.Open(testenv.SharedData(t, "data/ira-2016-07/ira_tweets_2016-07-01_2016-08-15.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(z)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	tag := regexp.MustCompile(`#(\pL[\pL\pN_]*)`)
	var ms []leakwatch.Mention
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		at, err := time.Parse("2006-01-02 15:04:05", rec[col["publish_date"]])
		if err != nil {
			t.Fatalf("publish_date %q: %v", rec[col["publish_date"]], err)
		}
		acc := rec[col["author"]]
		ms = append(ms, leakwatch.Mention{Object: leakwatch.AllPosts, Account: acc, At: at})
		for _, h := range tag.FindAllStringSubmatch(rec[col["content"]], -1) {
			ms = append(ms, leakwatch.Mention{Object: "hashtag:" + strings.ToLower(h[1]), Account: acc, At: at})
		}
	}
	slices.SortStableFunc(ms, func(a, b leakwatch.Mention) int { return a.At.Compare(b.At) })
	bs := feed(t, DefaultConfig(), ms, 5*time.Minute, 1000)

	var tags []leakwatch.Burst
	for _, b := range bs {
		if strings.HasPrefix(b.Object, "hashtag:") {
			tags = append(tags, b)
		}
	}
	slices.SortFunc(tags, func(a, b leakwatch.Burst) int { return -cmpFloat(a.Score, b.Score) })
	if len(tags) < 5 {
		t.Fatalf("%d hashtag bursts, want the hashtag games", len(tags))
	}
	for _, b := range tags[:5] {
		// The first mention of the object in the hour before the onset starts the campaign.
		first := b.Onset
		for _, m := range ms {
			if m.Object == b.Object && !m.At.Before(b.Onset.Add(-time.Hour)) {
				first = m.At
				break
			}
		}
		t.Logf("%s: first post %s, onset %s, %d mentions by %d accounts, score %.1f", b.Object, first.Format("01-02 15:04:05"), b.Onset.Format("15:04"), b.Count, b.Accounts, b.Score)
		if d := b.Onset.Sub(first.Truncate(time.Minute)); d < 0 || d > 2*time.Minute {
			t.Errorf("%s: onset %s, first post of the campaign %s", b.Object, b.Onset, first)
		}
		if b.Score < 30 || b.Accounts < 20 {
			t.Errorf("%s: score %.1f by %d accounts, want a strong coordinated burst", b.Object, b.Score, b.Accounts)
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
