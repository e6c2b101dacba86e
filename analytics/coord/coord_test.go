package coord_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/coord"
	"github.com/leakwatch/leakwatch/internal/strhash"
)

var t0 = time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)

func share(obj, account string, sec int) leakwatch.Mention {
	return leakwatch.Mention{Object: obj, Account: account, Post: account + "/" + obj, At: t0.Add(time.Duration(sec) * time.Second)}
}

// flushGroups counts ms, shared by themselves, into ed and returns the groups that changed.
func flushGroups(cfg coord.Config, ed *coord.Edges, ms ...leakwatch.Mention) []leakwatch.Group {
	sh := coord.NewSharing(cfg)
	for _, m := range ms {
		sh.Add(m)
	}
	sh.Flush(ed.Add)
	_, groups := ed.Changed()
	return groups
}

func run(cfg coord.Config, ms []leakwatch.Mention) (*coord.Edges, *coord.Sharing) {
	sh, ed := coord.NewSharing(cfg), coord.NewEdges(cfg)
	for _, m := range ms {
		sh.Add(m)
		sh.Advance(m.At.Add(-time.Minute), ed.Add)
	}
	sh.Flush(ed.Add)
	return ed, sh
}

func TestEdgeDefinition(t *testing.T) {
	cfg := coord.DefaultConfig()
	tests := []struct {
		name   string
		shares []leakwatch.Mention
		want   []string // "kind a b weight"
	}{
		{"two urls within W", []leakwatch.Mention{
			share("url:x", "a", 0), share("url:x", "b", 30), share("url:y", "b", 100), share("url:y", "a", 160),
		}, []string{"url a b 2"}},
		{"W is inclusive, one second more is not", []leakwatch.Mention{
			share("url:x", "a", 0), share("url:x", "b", 60), share("url:y", "a", 100), share("url:y", "b", 161),
		}, nil},
		{"same object twice counts once", []leakwatch.Mention{
			share("url:x", "a", 0), share("url:x", "b", 1), share("url:x", "a", 500), share("url:x", "b", 501),
		}, nil},
		{"kinds are counted apart", []leakwatch.Mention{
			share("url:x", "a", 0), share("url:x", "b", 1), share("hashtag:x", "a", 0), share("hashtag:x", "b", 1),
		}, nil},
		{"an account does not pair with itself", []leakwatch.Mention{
			share("url:x", "a", 0), share("url:x", "a", 1), share("url:y", "a", 0), share("url:y", "a", 1),
		}, nil},
		{"non-share kinds are ignored", []leakwatch.Mention{
			share("candidate:x", "a", 0), share("candidate:x", "b", 1), share("all:posts", "a", 0), share("all:posts", "b", 1),
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ed, _ := run(cfg, tc.shares)
			var got []string
			for _, e := range ed.Edges() {
				got = append(got, strings.Join([]string{string(e.ObjectKind), e.A, e.B, itoa(e.Weight)}, " "))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("edges %v, want %v", got, tc.want)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestLateWithinLatenessSameEdges shuffles shares within a bounded lateness: the stage
// accepts them all and finds exactly the edges of the ordered input.
func TestLateWithinLatenessSameEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ms []leakwatch.Mention
	for i := range 3000 {
		ms = append(ms, share("url:"+itoa(rng.IntN(200)), "acct"+itoa(rng.IntN(60)), i/3))
	}
	cfg := coord.DefaultConfig()
	want, _ := run(cfg, ms)

	const lateness = 5 * time.Minute
	// Each share arrives up to 4 minutes after its event time.
	arrive := map[*leakwatch.Mention]time.Duration{}
	shuffled := make([]*leakwatch.Mention, len(ms))
	for i := range ms {
		shuffled[i] = &ms[i]
		arrive[&ms[i]] = time.Duration(rng.IntN(240)) * time.Second
	}
	slices.SortStableFunc(shuffled, func(a, b *leakwatch.Mention) int {
		return a.At.Add(arrive[a]).Compare(b.At.Add(arrive[b]))
	})
	sh, ed := coord.NewSharing(cfg), coord.NewEdges(cfg)
	var newest time.Time
	for _, mp := range shuffled {
		m := *mp
		if !sh.Add(m) {
			t.Fatalf("share at %s refused before its lateness ran out (horizon %s)", m.At, sh.Horizon())
		}
		if m.At.After(newest) {
			newest = m.At
		}
		sh.Advance(newest.Add(-lateness), ed.Add)
	}
	sh.Flush(ed.Add)
	if g, w := ed.Edges(), want.Edges(); !slices.Equal(g, w) {
		t.Fatalf("%d edges with shuffled input, %d in order", len(g), len(w))
	}
	if len(want.Edges()) == 0 {
		t.Fatal("no edges: the input does not exercise the test")
	}
	if late := share("url:1", "x", 0); sh.Add(late) {
		t.Error("a share behind the horizon was accepted after flush")
	}
}

func TestMaxSharersCountsSkippedPairs(t *testing.T) {
	var ms []leakwatch.Mention
	for obj := range 3 {
		for a := range 10 {
			ms = append(ms, share("hashtag:h"+itoa(obj), "acct"+itoa(a), obj*1000+a))
		}
	}
	noCap := coord.DefaultConfig()
	noCap.MaxSharers = 0
	exact, sh := run(noCap, ms)
	if sh.Skipped() != 0 || len(exact.Edges()) != 45 {
		t.Fatalf("without cap: %d edges, %d skipped; want 45, 0", len(exact.Edges()), sh.Skipped())
	}
	cfg := coord.DefaultConfig()
	cfg.MaxSharers = 3
	capped, sh := run(cfg, ms)
	// Each share pairs with at most its 3 earliest partners: per object 0+1+2+3*7 = 24 pairs of 45.
	if got, want := sh.Skipped(), int64(3*(45-24)); got != want {
		t.Errorf("skipped %d pairs, want %d", got, want)
	}
	if got := len(capped.Edges()); got != 24 {
		t.Errorf("%d capped edges, want 24", got)
	}
}

// By default a share is paired with at most DefaultMaxSharers partners: 1,000 accounts
// posting one link within a minute made 499,500 pairs, and 2,000 of them took 4 GB.
func TestDefaultCapBoundsAViralObject(t *testing.T) {
	var ms []leakwatch.Mention
	for a := range 1000 {
		ms = append(ms, share("url:https://viral.example/story", "acct"+itoa(a), a/20))
	}
	_, sh := run(coord.DefaultConfig(), ms)
	n, capN := int64(1000), int64(coord.DefaultMaxSharers)
	formed := capN*(capN-1)/2 + (n-capN)*capN // the first ones pair with all before them
	if got, want := sh.Skipped(), n*(n-1)/2-formed; got != want {
		t.Errorf("skipped %d pairs, want %d: all but each share's %d earliest partners", got, want, capN)
	}
}

func TestGroupsAndPopularity(t *testing.T) {
	var ms []leakwatch.Mention
	// A ring of three accounts co-retweeting four posts within seconds, privately.
	for i := range 4 {
		for j, a := range []string{"bot1", "bot2", "bot3"} {
			ms = append(ms, share("reshare_of:p"+itoa(i), a, i*600+j))
		}
	}
	// Two hashtags trending among 40 accounts in the same minutes: co-shares, but crowded ones.
	for i := range 2 {
		for a := range 40 {
			ms = append(ms, share("hashtag:trend"+itoa(i), "user"+itoa(a), 5000+i*600+a))
		}
	}
	slices.SortFunc(ms, func(a, b leakwatch.Mention) int { return a.At.Compare(b.At) })
	ed, _ := run(coord.DefaultConfig(), ms)
	groups := ed.Groups()
	if len(groups) != 1 {
		t.Fatalf("%d groups, want only the ring: %+v", len(groups), groups)
	}
	g := groups[0]
	if !slices.Equal(g.Accounts, []string{"bot1", "bot2", "bot3"}) || g.Edges != 3 {
		t.Errorf("group %v with %d edges, want the three bots and 3 edges", g.Accounts, g.Edges)
	}
	if !g.First.Equal(t0) || !g.Last.Equal(t0.Add(1802*time.Second)) {
		t.Errorf("group spans %s..%s", g.First, g.Last)
	}
	if len(g.FirstMovers) == 0 || g.FirstMovers[0] != "bot1" {
		t.Errorf("first movers %v, want bot1 first", g.FirstMovers)
	}
	if len(g.Objects) != 4 || !strings.HasPrefix(g.Objects[0], "reshare_of:p") {
		t.Errorf("objects %v", g.Objects)
	}
	// The trending hashtags still make edges (the definition), with a low score.
	var trend *leakwatch.Edge
	for _, e := range ed.Edges() {
		if e.ObjectKind == leakwatch.KindHashtag {
			trend = &e
			break
		}
	}
	if trend == nil || trend.Weight != 2 || trend.Score >= coord.DefaultConfig().MinScore {
		t.Errorf("trending edge %+v: want weight 2 and a score under the group threshold", trend)
	}
}

func TestGroupIDSupersedes(t *testing.T) {
	cfg := coord.DefaultConfig()
	cfg.MinScore = 2    // two private co-shares make a group here
	cfg.MinAccounts = 2 // and a pair is a group
	sh, ed := coord.NewSharing(cfg), coord.NewEdges(cfg)
	feed := func(ms ...leakwatch.Mention) {
		for _, m := range ms {
			sh.Add(m)
		}
		sh.Flush(ed.Add)
	}
	// Two separate pairs, published as two groups.
	feed(share("url:1", "a", 0), share("url:1", "b", 1), share("url:2", "a", 10), share("url:2", "b", 11))
	_, g1 := ed.Changed()
	sh = coord.NewSharing(cfg)
	feed(share("url:3", "c", 100), share("url:3", "d", 101), share("url:4", "c", 110), share("url:4", "d", 111))
	_, g2 := ed.Changed()
	// Then b and c co-share: one group, named after the older part, superseding the other.
	sh = coord.NewSharing(cfg)
	feed(share("url:5", "b", 200), share("url:5", "c", 201), share("url:6", "b", 210), share("url:6", "c", 211))
	_, g3 := ed.Changed()
	if len(g1) != 1 || len(g2) != 1 || len(g3) != 1 {
		t.Fatalf("groups published %d, %d, %d; want one each time", len(g1), len(g2), len(g3))
	}
	if g3[0].ID != g1[0].ID || !slices.Equal(g3[0].Supersedes, []string{g2[0].ID}) {
		t.Errorf("merged group %s supersedes %v; want id %s superseding %s", g3[0].ID, g3[0].Supersedes, g1[0].ID, g2[0].ID)
	}
	if len(g3[0].Accounts) != 4 {
		t.Errorf("merged accounts %v", g3[0].Accounts)
	}
}

// A restarted stage rebuilds its state in one go and never publishes the interim group; told
// the ids the earlier run published, it supersedes them all the same.
func TestGroupSupersedesWhatAnEarlierRunPublished(t *testing.T) {
	cfg := coord.DefaultConfig()
	cfg.MinScore, cfg.MinAccounts = 2, 2
	all := []leakwatch.Mention{share("url:1", "a", 0), share("url:1", "b", 1), share("url:2", "a", 10), share("url:2", "b", 11),
		share("url:3", "c", 100), share("url:3", "d", 101), share("url:4", "c", 110), share("url:4", "d", 111),
		share("url:5", "b", 200), share("url:5", "c", 201), share("url:6", "b", 210), share("url:6", "c", 211)}
	run := func(ms []leakwatch.Mention, ed *coord.Edges) []leakwatch.Group { return flushGroups(cfg, ed, ms...) }
	first := coord.NewEdges(cfg)
	run(all[:4], first)
	cd := run(all[4:8], first) // the group c-d, published, then the stage dies
	restarted := coord.NewEdges(cfg)
	restarted.Published(cd[0].ID)
	merged := run(all, restarted)
	if len(merged) != 1 || !slices.Equal(merged[0].Supersedes, []string{cd[0].ID}) {
		t.Fatalf("after the restart: %+v, want one group superseding %s", merged, cd[0].ID)
	}
}

// A pair of accounts is not a group by default, nor is an account tied to two others who
// never co-shared with each other (a busy account's chance partners): the group is
// published once the three are tied each to the other two. Without Config.Triangle, the
// chain is a group as soon as the third account joins.
func TestGroupNeedsATriangle(t *testing.T) {
	for _, triangle := range []bool{true, false} {
		cfg := coord.DefaultConfig()
		cfg.MinScore, cfg.Triangle = 2, triangle
		ed := coord.NewEdges(cfg)
		step := func(ms ...leakwatch.Mention) []leakwatch.Group { return flushGroups(cfg, ed, ms...) }
		if groups := step(share("url:1", "a", 0), share("url:1", "b", 1), share("url:2", "a", 10), share("url:2", "b", 11)); len(groups) != 0 || len(ed.Groups()) != 0 {
			t.Fatalf("triangle %v, pair a-b: %d groups published, %d held; want none", triangle, len(groups), len(ed.Groups()))
		}
		chain := step(share("url:3", "b", 100), share("url:3", "c", 101), share("url:4", "b", 110), share("url:4", "c", 111))
		if !triangle {
			if len(chain) != 1 || !slices.Equal(chain[0].Accounts, []string{"a", "b", "c"}) || len(chain[0].Supersedes) != 0 {
				t.Fatalf("triangle off, chain a-b-c: groups %+v; want one group of a, b, c superseding nothing", chain)
			}
			continue
		}
		if len(chain) != 0 || len(ed.Groups()) != 0 {
			t.Fatalf("chain a-b-c: %d groups published, %d held; want none (a and c never co-shared)", len(chain), len(ed.Groups()))
		}
		// a and c co-share two links: a coordinated edge, though its score alone (1.5 of
		// 2, the second link popular) would not qualify the pair.
		closed := step(share("url:5", "a", 200), share("url:5", "c", 201), share("url:6", "a", 210), share("url:6", "c", 211),
			share("url:6", "x", 212), share("url:6", "y", 213), share("url:6", "z", 214), share("url:6", "w", 215),
			share("url:6", "v", 216), share("url:6", "u", 217), share("url:6", "s", 218), share("url:6", "r", 219),
			share("url:6", "q", 220), share("url:6", "p", 221), share("url:6", "o", 222), share("url:6", "n", 223),
			share("url:6", "m", 224), share("url:6", "l", 225))
		if len(closed) != 1 || !slices.Equal(closed[0].Accounts, []string{"a", "b", "c"}) || len(ed.Groups()) != 1 {
			t.Fatalf("triangle a-b-c: groups %+v; want one group of a, b, c", closed)
		}
	}
}

func TestObservationJSON(t *testing.T) {
	o := coord.Observation{Kind: leakwatch.KindURL, Object: "url:https://x.org", A: "a", B: "b", AAt: t0, BAt: t0.Add(time.Second), APost: "1", BPost: "2", Sharers: 3, Evidence: []string{"domain:pastebin.com"}}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"kind":"coshare",`) {
		t.Errorf("JSON %s does not start with its kind", b)
	}
	var back coord.Observation
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, o) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if o.Key() != "coshare|url|a|b" {
		t.Errorf("key %q", o.Key())
	}
	for _, bad := range []string{
		`{"kind":"edge","object_kind":"url","object":"url:x","a":"a","b":"b","a_at":"2017-05-05T18:35:00Z","b_at":"2017-05-05T18:35:00Z","sharers":2}`,
		`{"kind":"coshare","object_kind":"url","object":"url:x","a":"b","b":"a","a_at":"2017-05-05T18:35:00Z","b_at":"2017-05-05T18:35:00Z","sharers":2}`,
		`{"kind":"coshare","object_kind":"candidate","object":"candidate:x","a":"a","b":"b","a_at":"2017-05-05T18:35:00Z","b_at":"2017-05-05T18:35:00Z","sharers":2}`,
	} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := coord.DefaultConfig()
	cfg.Window = 0
	cfg.Kinds = map[leakwatch.ObjectKind]coord.KindConfig{"candidate": {MinWeight: 3}, "url": {Window: -time.Second}}
	err := cfg.Validate()
	for _, want := range []string{"window", "kinds.candidate", "kinds.url.window"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	cfg = coord.DefaultConfig()
	cfg.Kinds = map[leakwatch.ObjectKind]coord.KindConfig{"url": {Window: 10 * time.Second}}
	if cfg.WindowFor("url") != 10*time.Second || cfg.WindowFor("hashtag") != time.Minute || cfg.MinWeightFor("url") != 2 {
		t.Error("per-kind override not applied")
	}
}

func obs(kind leakwatch.ObjectKind, object, a, b string, sec int) coord.Observation {
	at := time.Unix(1493900000+int64(sec), 0).UTC()
	return coord.Observation{Kind: kind, Object: object, A: a, B: b, AAt: at, BAt: at.Add(time.Second), Sharers: 2}
}

// Past max_candidate_edges, the pair that co-shared longest ago is forgotten and counted; an
// edge that reached M stays whatever comes after it.
func TestMaxCandidateEdgesForgetsLeastRecent(t *testing.T) {
	cfg := coord.DefaultConfig()
	cfg.MaxCandidateEdges = 3
	e := coord.NewEdges(cfg)
	// An edge at M = 2 first: never a candidate for forgetting.
	e.Add(obs(leakwatch.KindURL, "url:a", "ring1", "ring2", 0))
	e.Add(obs(leakwatch.KindURL, "url:b", "ring1", "ring2", 1))
	// Five chance meetings, one object each: the two oldest must go.
	for i := range 5 {
		e.Add(obs(leakwatch.KindHashtag, "hashtag:debat", "u"+itoa(i), "v"+itoa(i), 10+i))
	}
	if e.Forgotten() != 2 || e.Candidates() != 3 {
		t.Fatalf("forgotten %d, holding %d candidates; want 2 and 3", e.Forgotten(), e.Candidates())
	}
	// A second object for a forgotten pair starts it over at weight 1; for a kept pair it
	// makes an edge of weight 2.
	e.Add(obs(leakwatch.KindHashtag, "hashtag:vote", "u0", "v0", 20))
	e.Add(obs(leakwatch.KindHashtag, "hashtag:vote", "u4", "v4", 21))
	got := map[string]int{}
	for _, ed := range e.Edges() {
		got[ed.A+"-"+ed.B] = ed.Weight
	}
	want := map[string]int{"ring1-ring2": 2, "u4-v4": 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("edges %v, want %v", got, want)
	}
	// u0-v0 came back as a candidate and pushed out the least recent one (u2-v2); u4-v4
	// left the candidates when it reached M.
	if e.Forgotten() != 3 || e.Candidates() != 2 {
		t.Errorf("forgotten %d, holding %d candidates; want 3 and 2", e.Forgotten(), e.Candidates())
	}

	exact := coord.DefaultConfig()
	exact.MaxCandidateEdges = 0
	e = coord.NewEdges(exact)
	for i := range 5 {
		e.Add(obs(leakwatch.KindHashtag, "hashtag:debat", "u"+itoa(i), "v"+itoa(i), i))
	}
	if e.Forgotten() != 0 || e.Pairs() != 5 {
		t.Errorf("without the bound: forgotten %d, %d pairs held; want 0 and 5", e.Forgotten(), e.Pairs())
	}
}

// TestSharersCountsPopularity checks each observation's Sharers, the distinct accounts that
// shared its object from the popularity window before the later share to W after it,
// against a count over every share, on objects shared by few accounts and by many (whose
// windows hold more shares than the detector counts by comparing names).
func TestSharersCountsPopularity(t *testing.T) {
	cfg := coord.DefaultConfig()
	cfg.PopularityWindow = 5 * time.Minute
	r := rand.New(rand.NewPCG(8, 9))
	var ms []leakwatch.Mention
	for obj := range 40 {
		accounts := 2 + obj%7*obj // 2 to a few hundred accounts
		for range 5 + r.IntN(60) {
			m := share("url:"+string(rune('a'+obj%26))+strings.Repeat("x", obj/26), "acc"+string(rune('A'+r.IntN(accounts)%26))+strings.Repeat("z", r.IntN(accounts)/26), r.IntN(1800))
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b leakwatch.Mention) int { return a.At.Compare(b.At) })
	s := coord.NewSharing(cfg)
	for _, m := range ms {
		s.Add(m)
	}
	var obs []coord.Observation
	s.Flush(func(o coord.Observation) { obs = append(obs, o) })
	before := max(cfg.Window, cfg.PopularityWindow)
	big := 0
	for _, o := range obs {
		at := o.AAt
		if o.BAt.After(at) {
			at = o.BAt
		}
		distinct := map[string]bool{}
		shares := 0
		for _, m := range ms {
			if m.Object == o.Object && !m.At.Before(at.Add(-before)) && !m.At.After(at.Add(cfg.Window)) {
				distinct[m.Account] = true
				shares++
			}
		}
		if o.Sharers != len(distinct) {
			t.Fatalf("%s %s-%s at %v: sharers %d, want %d", o.Object, o.A, o.B, at, o.Sharers, len(distinct))
		}
		if shares > 8 {
			big++
		}
	}
	if len(obs) < 100 || big < 20 || big == len(obs) {
		t.Fatalf("%d observations, %d with more than 8 shares in the window: not both kinds of object", len(obs), big)
	}
}

// TestManyLoneShares: thousands of objects shared once each and, for a third of them, again
// by another account 30 s later, under an hour-long popularity window, so the lone shares
// outgrow the table they wait in and their second shares must still find them. Every object
// shared twice gives exactly its one pair; nothing else pairs; nothing is held after Flush.
func TestManyLoneShares(t *testing.T) {
	const n = 20_000
	var ms []leakwatch.Mention
	for i := range n {
		obj := "url:https://example.org/" + strconv.Itoa(i)
		ms = append(ms, share(obj, "a"+strconv.Itoa(i), i/4))
		if i%3 == 0 {
			ms = append(ms, share(obj, "b"+strconv.Itoa(i), i/4+30))
		}
	}
	slices.SortStableFunc(ms, func(x, y leakwatch.Mention) int { return x.At.Compare(y.At) })
	sh := coord.NewSharing(coord.DefaultConfig())
	got := map[string]string{}
	emit := func(o coord.Observation) {
		if prev, dup := got[o.Object]; dup {
			t.Errorf("%s paired twice: %s and %s-%s", o.Object, prev, o.A, o.B)
		}
		got[o.Object] = o.A + "-" + o.B
	}
	peak := 0
	for i, m := range ms {
		sh.Add(m)
		if i%100 == 0 {
			sh.Advance(m.At, emit)
			peak = max(peak, sh.Objects())
		}
	}
	sh.Flush(emit)
	for i := range n {
		obj := "url:https://example.org/" + strconv.Itoa(i)
		want := ""
		if i%3 == 0 {
			want = "a" + strconv.Itoa(i) + "-b" + strconv.Itoa(i)
		}
		if got[obj] != want {
			t.Fatalf("%s paired %q, want %q", obj, got[obj], want)
		}
	}
	if len(got) != (n+2)/3 {
		t.Errorf("%d objects paired, want %d", len(got), (n+2)/3)
	}
	if peak < 10_000 || sh.Objects() != 0 {
		t.Errorf("objects held: peak %d (want about an hour and a minute of objects, 14,640), %d after Flush (want 0)", peak, sh.Objects())
	}
}

// TestGroupLeakEvidence: a ring that retweets for days and then passes a dump round lists
// the dump's values (those both posts of a co-share carried, on at least two edges) and is
// dated by its first co-share of them, whatever order the observations come in.
func TestGroupLeakEvidence(t *testing.T) {
	dump := []string{"domain:pastebin.com", "term:#macronleaks"}
	var ms []leakwatch.Mention
	for i := range 6 {
		for j, a := range []string{"bot1", "bot2", "bot3"} {
			m := share("reshare_of:p"+itoa(i), a, i*36000+j)
			switch {
			case i == 5:
				m.Evidence = append([]string{"domain:mega.nz"}, dump...)
			case i == 4:
				m.Evidence = dump
			case i == 3 && a == "bot1":
				m.Evidence = []string{"term:leaked"} // its partners' posts did not say it
			case i == 2 && a != "bot3":
				m.Evidence = []string{"term:fuite"} // one edge only
			}
			ms = append(ms, m)
		}
	}
	sh, want := coord.NewSharing(coord.DefaultConfig()), []coord.Observation(nil)
	for _, m := range ms {
		sh.Add(m)
	}
	sh.Flush(func(o coord.Observation) { want = append(want, o) })
	// Two pairs on p5 earlier, without evidence, in second observations: per (edge, object)
	// only the earliest co-share counts, evidence included, so mega.nz is left on one edge.
	var early []coord.Observation
	for _, a := range []string{"bot2", "bot3"} {
		o := obs(leakwatch.KindReshareOf, "reshare_of:p5", "bot1", a, 0)
		o.AAt, o.BAt = t0.Add(-time.Hour), t0.Add(-time.Hour+time.Second)
		early = append(early, o)
	}
	for _, ord := range []string{"in order", "reversed", "early last", "early first"} {
		o, wantEv := slices.Clone(want), append([]string{"domain:mega.nz"}, dump...)
		switch ord {
		case "reversed":
			slices.Reverse(o)
		case "early last":
			o, wantEv = append(o, early...), dump
		case "early first":
			o, wantEv = append(slices.Clone(early), o...), dump
		}
		ed := coord.NewEdges(coord.DefaultConfig())
		for _, x := range o {
			ed.Add(x)
		}
		groups := ed.Groups()
		if len(groups) != 1 {
			t.Fatalf("%s: %d groups, want the ring", ord, len(groups))
		}
		g := groups[0]
		wantFirst, wantLast := t0.Add(4*36000*time.Second), t0.Add((5*36000+2)*time.Second)
		if !slices.Equal(g.Evidence, wantEv) || !g.EvidenceFirst.Equal(wantFirst) || !g.EvidenceLast.Equal(wantLast) {
			t.Errorf("%s: evidence %q from %s to %s, want %q from the first share of p4, %s, to the last of p5, %s",
				ord, g.Evidence, g.EvidenceFirst, g.EvidenceLast, wantEv, wantFirst, wantLast)
		}
		if !g.First.Before(g.EvidenceFirst) {
			t.Errorf("%s: first co-share %s, want it days before the dump", ord, g.First)
		}
	}
}

// TestGroupLeakSpanOfListedValues: the dump span covers only the values a group lists. Ten
// words on every edge crowd out a paste domain on two edges, which must not date the group.
func TestGroupLeakSpanOfListedValues(t *testing.T) {
	var terms []string
	for i := range coord.MaxGroupEvidence {
		terms = append(terms, "term:w"+itoa(i))
	}
	ed := coord.NewEdges(coord.DefaultConfig())
	for pi, p := range [][2]string{{"a", "b"}, {"a", "c"}, {"b", "c"}} {
		for j := range 4 {
			at := t0.Add(time.Duration(24+j) * time.Hour)
			o := coord.Observation{Kind: leakwatch.KindURL, Object: "url:o" + itoa(j), A: p[0], B: p[1], AAt: at, BAt: at.Add(time.Second), Sharers: 3, Evidence: terms}
			if j == 0 && pi < 2 {
				o.AAt, o.BAt, o.Evidence = t0, t0.Add(time.Second), []string{"domain:early.com"}
			}
			ed.Add(o)
		}
	}
	g := ed.Groups()[0]
	if !slices.Equal(g.Evidence, terms) || !g.EvidenceFirst.IsZero() || !g.EvidenceLast.IsZero() {
		t.Errorf("evidence %q dated %s..%s, want the ten words and no dump span", g.Evidence, g.EvidenceFirst, g.EvidenceLast)
	}
}

// A group names the labels (Edges.Tag: the candidates) of every object its edges co-shared
// on at least two edges, most first, not only of its few top objects: the list only grows
// as the group does, and so its alerts' candidate label stays put. An object on one edge
// names nothing.
func TestGroupLabelsCountEveryObject(t *testing.T) {
	cfg := coord.DefaultConfig()
	cfg.MinScore = 2
	ed := coord.NewEdges(cfg)
	ed.Tag(func(object string) []string {
		switch {
		case strings.Contains(object, "macron"):
			return []string{"macron"}
		case strings.Contains(object, "lepen"):
			return []string{"lepen"}
		}
		return nil
	})
	sh := coord.NewSharing(cfg)
	var ms []leakwatch.Mention
	// a, b and c co-share #macron and #macron2017 (three edges each), then a and b once a
	// link naming lepen; then a, b, c and d seven other links (six edges each), which push
	// both hashtags out of the group's five top objects.
	at := 0
	for _, o := range []string{"hashtag:macron", "hashtag:macron2017"} {
		for _, acct := range []string{"a", "b", "c"} {
			ms = append(ms, share(o, acct, at))
			at++
		}
		at += 100
	}
	ms = append(ms, share("url:https://x.org/lepen", "a", at), share("url:https://x.org/lepen", "b", at+1))
	at += 100
	for i := range 7 {
		for _, acct := range []string{"a", "b", "c", "d"} {
			ms = append(ms, share("url:https://y.org/"+strconv.Itoa(i), acct, at))
			at++
		}
		at += 100
	}
	for _, m := range ms {
		sh.Add(m)
	}
	sh.Flush(ed.Add)
	ed.Changed()
	groups := ed.Groups()
	if len(groups) != 1 {
		t.Fatalf("%d groups, want 1", len(groups))
	}
	g := groups[0]
	if slices.ContainsFunc(g.Objects, func(o string) bool { return strings.Contains(o, "macron") }) {
		t.Fatalf("top objects %q still hold a #macron tag: the test proves nothing", g.Objects)
	}
	if !slices.Equal(g.Candidates, []string{"macron"}) {
		t.Errorf("group candidates %q, want [macron] (lepen's link is on one edge)", g.Candidates)
	}
}

// TestSharingGoesOnAfterAFlush: a replay's detect flushes once its input has been idle, and
// the input may go on after the pause (a paused replay, a restarted extract): the co-shares
// after the flush are observed as those before were, none refused.
func TestSharingGoesOnAfterAFlush(t *testing.T) {
	sh := coord.NewSharing(coord.DefaultConfig())
	var got []coord.Observation
	emit := func(o coord.Observation) { got = append(got, o) }
	for _, m := range []leakwatch.Mention{share("url:a", "x", 0), share("url:a", "y", 10)} {
		sh.Add(m)
	}
	sh.Advance(t0.Add(5*time.Second), emit)
	sh.Flush(emit)
	if len(got) != 1 {
		t.Fatalf("before the pause: %d observations, want 1", len(got))
	}
	for i, m := range []leakwatch.Mention{share("url:b", "x", 3600), share("url:b", "y", 3620), share("url:c", "y", 3700), share("url:c", "z", 3710)} {
		if !sh.Add(m) {
			t.Fatalf("mention %d after the flush refused", i)
		}
		sh.Advance(m.At.Add(-time.Minute), emit)
	}
	sh.Flush(emit)
	var objects []string
	for _, o := range got[1:] {
		objects = append(objects, o.Object)
	}
	if !slices.Equal(objects, []string{"url:b", "url:c"}) {
		t.Errorf("after the flush: observations on %q, want url:b and url:c", objects)
	}
}

// A group became coordinated when one of its edges had co-shared M objects, not at its first
// co-share: two bots that used the week's most common hashtag days apart from the dump have
// an edge whose first is that chance co-share. Formed is the same in any order of arrival.
func TestGroupFormedWhenAnEdgeReachedM(t *testing.T) {
	cfg := coord.DefaultConfig()
	cfg.MinScore, cfg.Triangle = 2, false
	const day = 86400
	observations := []coord.Observation{
		obs(leakwatch.KindHashtag, "hashtag:presidentielle2017", "a", "b", -5*day),
		obs(leakwatch.KindHashtag, "hashtag:macronleaks", "a", "b", 0),
		obs(leakwatch.KindURL, "url:pastebin.com/1", "b", "c", 20),
		obs(leakwatch.KindURL, "url:pastebin.com/2", "b", "c", 30),
		obs(leakwatch.KindHashtag, "hashtag:macronleaks2", "a", "b", 40), // after M: formed stays
	}
	base := time.Unix(1493900000, 0).UTC()
	for _, order := range []string{"in time order", "reversed"} {
		t.Run(order, func(t *testing.T) {
			ed := coord.NewEdges(cfg)
			list := slices.Clone(observations)
			if order == "reversed" {
				slices.Reverse(list)
			}
			for _, o := range list {
				ed.Add(o)
			}
			_, groups := ed.Changed()
			if len(groups) != 1 {
				t.Fatalf("groups %+v, want one", groups)
			}
			g := groups[0]
			if want := base.Add(-5 * day * time.Second); !g.First.Equal(want) {
				t.Errorf("first %s, want the chance co-share %s", g.First, want)
			}
			// The later share of the second hashtag, one second after the earlier.
			if want := base.Add(time.Second); !g.Formed.Equal(want) || !g.CoordinatedAt().Equal(want) {
				t.Errorf("formed %s, want %s: when a-b had co-shared two hashtags", g.Formed, want)
			}
		})
	}
}

// TestGroupLeakEvidenceCountsPairs: one retweet makes a pair an edge on every kind the post
// holds (the reshare, its hashtag, its link), each carrying the post's leak values. That is
// still one pair passing the dump round, which a group does not list; a second pair does.
func TestGroupLeakEvidenceCountsPairs(t *testing.T) {
	for _, pairs := range [][][2]string{{{"a", "b"}}, {{"a", "b"}, {"b", "c"}}} {
		ed := coord.NewEdges(coord.DefaultConfig())
		// A ring of three: every pair co-shares four posts a day apart, each a retweet with
		// a hashtag and a link, so the pair's edges of those three kinds are all coordinated.
		for j := range 4 {
			for _, p := range [][2]string{{"a", "b"}, {"a", "c"}, {"b", "c"}} {
				at := t0.Add(time.Duration(j) * 24 * time.Hour)
				for _, o := range []coord.Observation{
					{Kind: leakwatch.KindURL, Object: "url:o" + itoa(j)},
					{Kind: leakwatch.KindHashtag, Object: "hashtag:h" + itoa(j)},
					{Kind: leakwatch.KindReshareOf, Object: "reshare_of:r" + itoa(j)},
				} {
					o.A, o.B, o.AAt, o.BAt, o.Sharers = p[0], p[1], at, at.Add(time.Second), 3
					ed.Add(o)
				}
			}
		}
		at := t0.Add(5 * 24 * time.Hour)
		for _, p := range pairs {
			for _, o := range []struct {
				kind   leakwatch.ObjectKind
				object string
			}{{leakwatch.KindReshareOf, "reshare_of:p1"}, {leakwatch.KindHashtag, "hashtag:dncleaks"}, {leakwatch.KindURL, "url:https://wikileaks.org/dnc"}} {
				ed.Add(coord.Observation{Kind: o.kind, Object: o.object, A: p[0], B: p[1], AAt: at, BAt: at.Add(time.Second), Sharers: 3, Evidence: []string{"term:#dncleaks"}})
			}
		}
		groups := ed.Groups()
		if len(groups) != 1 {
			t.Fatalf("%d pairs: %d groups, want the ring", len(pairs), len(groups))
		}
		var want []string
		if len(pairs) > 1 {
			want = []string{"term:#dncleaks"}
		}
		if g := groups[0]; !slices.Equal(g.Evidence, want) {
			t.Errorf("%d pairs carrying the hashtag on three kinds each: evidence %q, want %q", len(pairs), g.Evidence, want)
		}
	}
}

// An edge tells objects apart by hash. These two URLs hash alike under the fixed seed 0
// (made so by inverting the mixing, which the source shows how to do): with that seed two
// bots sharing both counted one object, and no edge formed. Each process keys objects with a
// seed of its own.
func TestCraftedCollisionsDoNotHideAnEdge(t *testing.T) {
	a, b := "url:https://e.example/xxBAAAAAAAQAEfirst", "url:https://e.example/xx8aBAAAAANHgItVdN"
	if strhash.String(0, a) != strhash.String(0, b) {
		t.Fatal("the fixture no longer collides under seed 0: the test proves nothing")
	}
	ms := []leakwatch.Mention{share(a, "bot1", 0), share(a, "bot2", 5), share(b, "bot1", 100), share(b, "bot2", 105)}
	ed, _ := run(coord.DefaultConfig(), ms)
	edges := ed.Edges()
	if len(edges) != 1 || edges[0].Weight != 2 {
		t.Errorf("edges %+v, want bot1-bot2 of weight 2", edges)
	}
}
