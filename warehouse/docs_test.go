package warehouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// docSQL returns the statements of the fenced sql blocks of a doc, each with its leading
// comment (what it answers).
func docSQL(t *testing.T, rel string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Root(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		for _, st := range strings.Split(m[1], ";") {
			if st = strings.TrimSpace(st); st != "" {
				out = append(out, st)
			}
		}
	}
	return out
}

// The SQL examples of docs/WAREHOUSE.md are what a researcher copies into clickhouse-client:
// each runs on a warehouse holding a leak incident that moved to an earlier member and two
// groups that merged into a ring, and none may show the replaced records (the leak's first
// key, the merged groups, or an account counted once per group it was ever published in).
func TestDocExampleQueries(t *testing.T) {
	w := openTest(t, "docsql")
	ctx := context.Background()
	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	var mentions []leakwatch.Mention
	for i := range 20 {
		post := fmt.Sprintf("twitter:%d", i)
		mentions = append(mentions, leakwatch.Mention{Object: "candidate:macron", Account: fmt.Sprintf("u%d", i%7), Post: post, Platform: "twitter", At: at.Add(time.Duration(i) * 7 * time.Minute)})
	}
	group := func(id string, accounts []string, supersedes ...string) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: id, Accounts: accounts, First: at, Last: at.Add(time.Hour), Supersedes: supersedes}}
	}
	leak := func(object string, onset time.Time, supersedes ...string) leakwatch.Signal {
		return leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: object, Onset: onset, Start: onset, Evidence: []string{"hashtag:macronleaks"},
			Timing: leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 3.4, Score: 0.9}, Supersedes: supersedes}}
	}
	// As correlate publishes them: the pieces first, then what replaced them.
	first := leak("domain:pastebin.com", at.Add(4*time.Minute))
	sigs := []leakwatch.Signal{
		group("ring-part-1", []string{"r1", "r2", "r3"}), group("ring-part-2", []string{"r3", "r4", "r5"}), first,
		group("ring", []string{"r1", "r2", "r3", "r4", "r5"}, "ring-part-1", "ring-part-2"),
		group("other", []string{"x1", "x2", "x3"}),
		leak("url:https://pastebin.com/x", at, first.Key()),
	}
	if err := w.InsertMentions(ctx, mentions); err != nil {
		t.Fatal(err)
	}
	if err := w.InsertSignals(ctx, sigs); err != nil {
		t.Fatal(err)
	}
	replaced := []string{"domain:pastebin.com", "ring-part-1", "ring-part-2"}

	stmts := docSQL(t, "docs/WAREHOUSE.md")
	if len(stmts) < 3 {
		t.Fatalf("found %d SQL examples in docs/WAREHOUSE.md, want at least 3", len(stmts))
	}
	for _, st := range stmts {
		name, _, _ := strings.Cut(strings.TrimPrefix(st, "-- "), "\n")
		t.Run(name, func(t *testing.T) {
			res, err := w.Query(ctx, st)
			if err != nil {
				t.Fatalf("%v\n%s", err, st)
			}
			if len(res.Rows) == 0 {
				t.Fatalf("no rows: the fixture has data for every example\n%s", st)
			}
			for _, row := range res.Rows {
				for i, v := range row {
					cell := fmt.Sprint(v)
					for _, r := range replaced {
						if strings.Contains(cell, r) {
							t.Errorf("row %v shows the replaced record %s\n%s", row, r, st)
						}
					}
					// Every account is in one group that stands; more counts replaced ones.
					if res.Columns[i] == "groups" && cell != "1" {
						t.Errorf("row %v: an account in %s groups, want 1 (the ring only)\n%s", row, cell, st)
					}
				}
			}
		})
	}
}
