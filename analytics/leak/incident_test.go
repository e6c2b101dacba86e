package leak

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

var dumpAt = time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)

// step is one burst or group handed to the detector, and what it should return.
type step struct {
	burst *leakwatch.Burst
	group *leakwatch.Group
	want  string // "": nil; else the key of the incident returned ("new" or "same" as step 0 also work)
}

func burstAt(object string, onsetMin, endMin int, evidence ...string) *leakwatch.Burst {
	return &leakwatch.Burst{Object: object, Onset: dumpAt.Add(time.Duration(onsetMin) * time.Minute), End: dumpAt.Add(time.Duration(endMin) * time.Minute), Evidence: evidence}
}

func keyOf(object string, onsetMin int) string {
	return "leak|" + object + "|" + dumpAt.Add(time.Duration(onsetMin)*time.Minute).Format(time.RFC3339)
}

func TestIncidents(t *testing.T) {
	paste := burstAt("url:https://pastebin.com/Ztd6vkjG", 0, 15, "domain:pastebin.com", "term:#macronleaks", "term:leaked")
	pasteKey := keyOf("url:https://pastebin.com/Ztd6vkjG", 0)
	cases := []struct {
		name      string
		steps     []step
		incidents int
	}{
		{"two bursts of one dump: one incident, keyed by the earliest (then first by object)", []step{
			{burst: paste, want: pasteKey},
			{burst: burstAt("hashtag:macronleaks", 0, 150, "term:#macronleaks", "term:fuite", "domain:pastebin.com"), want: keyOf("hashtag:macronleaks", 0)},
		}, 1},
		{"related through the dump domain only", []step{
			{burst: paste, want: pasteKey},
			{burst: burstAt("url:https://pastebin.com/other", 45, 60, "domain:pastebin.com"), want: pasteKey},
		}, 1},
		{"the same burst again changes nothing", []step{
			{burst: paste, want: pasteKey},
			{burst: paste, want: ""},
		}, 1},
		{"unrelated dumps: two incidents", []step{
			{burst: paste, want: pasteKey},
			{burst: burstAt("url:https://wikileaks.org/podesta", 30, 60, "domain:wikileaks.org", "term:leaked"), want: keyOf("url:https://wikileaks.org/podesta", 30)},
		}, 2},
		{"a shared plain word relates nothing", []step{
			{burst: paste, want: pasteKey},
			{burst: burstAt("hashtag:dncleak", 30, 60, "term:#dncleak", "term:leaked"), want: keyOf("hashtag:dncleak", 30)},
		}, 2},
		{"the same dump beyond the window: a new incident", []step{
			{burst: paste, want: pasteKey},
			{burst: burstAt("domain:pastebin.com", 15+13*60, 15+14*60, "domain:pastebin.com", "term:#macronleaks"), want: keyOf("domain:pastebin.com", 15+13*60)},
		}, 2},
		{"a wave the next morning on the same objects joins", []step{
			{burst: paste, want: pasteKey},
			{burst: burstAt("url:https://archive.org/details/2", 15+11*60, 15+12*60, "domain:archive.org", "term:#macronleaks"), want: pasteKey},
		}, 1},
		{"a news link with one leak word is no leak", []step{
			{burst: paste, want: pasteKey},
			{burst: burstAt("url:https://francetvinfo.fr/article", 60, 120, "term:piratage"), want: ""},
		}, 1},
		{"a group sharing an object joins, and its superseding group renames it", []step{
			{burst: paste, want: pasteKey},
			{group: &leakwatch.Group{ID: "g-b", Accounts: []string{"bot1", "bot2"}, First: dumpAt.Add(time.Minute), Last: dumpAt.Add(time.Hour),
				Objects: []string{"url:https://pastebin.com/Ztd6vkjG"}, Evidence: []string{"domain:pastebin.com"}}, want: pasteKey},
			{group: &leakwatch.Group{ID: "g-a", Accounts: []string{"bot1", "bot2", "bot3"}, First: dumpAt.Add(time.Minute), Last: dumpAt.Add(time.Hour),
				Objects: []string{"reshare_of:https://twitter.com/i/status/1"}, Supersedes: []string{"g-b"}}, want: pasteKey},
		}, 1},
		{"a group related by its accounts only", []step{
			{group: &leakwatch.Group{ID: "g1", Accounts: []string{"bot1", "bot2"}, First: dumpAt, Last: dumpAt.Add(time.Hour),
				Objects: []string{"text:abc"}, Evidence: []string{"term:#macronleaks"}}, want: keyOf("group:g1", 0)},
			{group: &leakwatch.Group{ID: "g2", Accounts: []string{"bot2", "bot9"}, First: dumpAt.Add(2 * time.Hour), Last: dumpAt.Add(3 * time.Hour),
				Objects: []string{"text:def"}, Evidence: []string{"domain:mega.nz"}}, want: keyOf("group:g1", 0)},
		}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := New(DefaultConfig(), leakwatch.Calendar{})
			keys := map[string]bool{}
			for i, s := range c.steps {
				var l *leakwatch.Leak
				if s.burst != nil {
					l = d.Burst(*s.burst)
				} else {
					l = d.Group(*s.group)
				}
				got := ""
				if l != nil {
					got = leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: l}.Key()
					keys[got] = true
					for _, k := range l.Supersedes {
						delete(keys, k)
					}
				}
				if got != s.want {
					t.Fatalf("step %d returned %q, want %q (%+v)", i, got, s.want, l)
				}
			}
			if len(keys) != c.incidents || len(d.incidents) != c.incidents {
				t.Errorf("%d incident keys, %d incidents held, want %d", len(keys), len(d.incidents), c.incidents)
			}
		})
	}
}

// TestIncidentRecord checks what the merged record holds: every object and group, the
// leak values most frequent first, the highest score, and a start that an earlier burst
// reported later moves back, with the key, which moves to that burst, superseding the first.
func TestIncidentRecord(t *testing.T) {
	cal := france(t)
	d := New(DefaultConfig(), cal)
	first := d.Burst(*burstAt("all:posts", 3, 7, "term:#macronleaks", "term:fuite", "domain:mega.nz"))
	key := leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: first}.Key()
	if first.Timing.HoursToSilence != 3.3667 {
		t.Errorf("first record timing %+v, want 3.3667 h before the silence", first.Timing)
	}
	// Talk about a defaced site that later also carried the dump's hashtag: it joins, but
	// its own evidence is mostly words, so it does not date the incident.
	d.Burst(*burstAt("domain:en-marche.fr", -38, 67, "term:hacked", "term:piratee", "term:#macronleaks"))
	g := d.Group(leakwatch.Group{ID: "g-1", Accounts: []string{"a", "b", "c"}, First: dumpAt.Add(2 * time.Minute), Last: dumpAt.Add(time.Hour),
		Objects: []string{"url:https://mega.nz/folder/x"}, Evidence: []string{"domain:mega.nz", "term:#macronleaks"}})
	if g == nil {
		t.Fatal("the group added nothing")
	}
	last := d.Burst(*burstAt("url:https://pastebin.com/Ztd6vkjG", 0, 15, "domain:pastebin.com", "term:#macronleaks", "term:leaked"))
	if last == nil {
		t.Fatal("the seed burst added nothing")
	}
	if k := (leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: last}).Key(); k != keyOf("domain:en-marche.fr", -38) || !slices.Equal(last.Supersedes, []string{key}) {
		t.Errorf("key %s superseding %q, want the earliest member's superseding %s", k, last.Supersedes, key)
	}
	if !last.Start.Equal(dumpAt) || last.Timing.HoursToSilence != 3.4167 || last.Calendar[1].OffsetS != -12300 {
		t.Errorf("start %s timing %+v calendar %+v, want the seed burst's 18:35, 3.4167 h before the silence", last.Start, last.Timing, last.Calendar)
	}
	want := []string{
		"term:#macronleaks", "domain:mega.nz", "domain:pastebin.com", "term:fuite", "term:hacked", "term:leaked", "term:piratee",
		"group:g-1",
		"object:all:posts", "object:domain:en-marche.fr", "object:url:https://mega.nz/folder/x", "object:url:https://pastebin.com/Ztd6vkjG",
	}
	if !reflect.DeepEqual(last.Evidence, want) {
		t.Errorf("evidence\n got %q\nwant %q", last.Evidence, want)
	}
	if last.Score != 0.86 {
		t.Errorf("score %g, want the highest member's 0.86", last.Score)
	}
}

// TestIncidentOrder: the final record, key included, does not depend on the order the
// candidates arrive in, even when two incidents only turn out to be one once a third
// candidate bridges them.
func TestIncidentOrder(t *testing.T) {
	bursts := []leakwatch.Burst{
		*burstAt("url:https://pastebin.com/Ztd6vkjG", 0, 15, "domain:pastebin.com", "term:#macronleaks"),
		*burstAt("hashtag:macronleaks", 0, 150, "term:#macronleaks", "term:fuite"),
		*burstAt("domain:archive.org", 1, 8, "domain:archive.org", "term:leak"),
		*burstAt("all:posts", 3, 7, "domain:archive.org", "domain:mega.nz"),
		*burstAt("url:https://mega.nz/folder/x", 2, 8, "domain:mega.nz", "term:#macronleaks"),
	}
	var records []string
	for _, perm := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {3, 2, 4, 0, 1}, {2, 1, 0, 4, 3}} {
		d := New(DefaultConfig(), leakwatch.Calendar{})
		final := map[string]*leakwatch.Leak{}
		for _, i := range perm {
			if l := d.Burst(bursts[i]); l != nil {
				final[leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: l}.Key()] = l
			}
		}
		for _, l := range final {
			for _, k := range l.Supersedes {
				delete(final, k)
			}
		}
		var rec []string
		for k, l := range final {
			rec = append(rec, fmt.Sprintf("%s %s %g %s", k, l.Start, l.Score, strings.Join(l.Evidence, ",")))
		}
		slices.Sort(rec)
		records = append(records, strings.Join(rec, "\n"))
	}
	for i := range records {
		if records[i] != records[0] {
			t.Errorf("records differ by arrival order:\n%s\n---\n%s", records[0], records[i])
		}
	}
	if strings.Count(records[0], "\n") != 0 || !strings.HasPrefix(records[0], keyOf("hashtag:macronleaks", 0)) {
		t.Errorf("final records %s, want one incident keyed by the earliest burst", records[0])
	}
}

func TestIncidentEvidenceBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxIncidentEvidence = 5
	d := New(cfg, leakwatch.Calendar{})
	var l *leakwatch.Leak
	for i := range 20 {
		if x := d.Burst(*burstAt(fmt.Sprintf("url:https://pastebin.com/%d", i), i, i+5, "domain:pastebin.com")); x != nil {
			l = x
		}
	}
	if len(l.Evidence) != 5 || l.Evidence[0] != "domain:pastebin.com" || len(d.incidents) != 1 {
		t.Errorf("evidence %q (%d incidents), want 5 entries led by the dump domain, one incident", l.Evidence, len(d.incidents))
	}
}

// A restarted correlate rebuilds incidents from the log in another order than it published
// them; told the keys it published, the incident supersedes the one it no longer uses.
func TestIncidentSupersedesWhatAnEarlierRunPublished(t *testing.T) {
	late := *burstAt("domain:archive.org", 5, 20, "domain:archive.org", "term:#macronleaks")
	early := *burstAt("url:https://pastebin.com/Ztd6vkjG", 0, 15, "domain:pastebin.com", "term:#macronleaks")
	before := New(DefaultConfig(), leakwatch.Calendar{}).Burst(late) // published, then the stage died
	d := New(DefaultConfig(), leakwatch.Calendar{})
	d.Published(leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: before}.Key())
	d.Burst(early)
	l := d.Burst(late)
	if l == nil || l.Object != early.Object || !slices.Equal(l.Supersedes, []string{keyOf("domain:archive.org", 5)}) {
		t.Fatalf("rebuilt incident %+v, want it under the pastebin burst superseding the archive.org record", l)
	}
}

// Every dump makes the whole stream burst: two dumps four hours apart, with other domains and
// other hashtags, are two incidents though both list all:posts among their objects.
func TestWholeStreamRelatesNoDumps(t *testing.T) {
	d := New(DefaultConfig(), leakwatch.Calendar{})
	for _, b := range []*leakwatch.Burst{
		burstAt("url:https://pastebin.com/Ztd6vkjG", 0, 15, "domain:pastebin.com", "term:#macronleaks"),
		burstAt("all:posts", 0, 30, "term:#macronleaks"),
		burstAt("url:https://wikileaks.org/podesta", 240, 260, "domain:wikileaks.org", "term:#podestaemails"),
		burstAt("all:posts", 240, 270, "term:#podestaemails", "domain:wikileaks.org"),
		burstAt("candidate:macron", 1, 20, "domain:pastebin.com"),
		burstAt("candidate:macron", 241, 250, "domain:wikileaks.org"),
	} {
		d.Burst(*b)
	}
	if len(d.incidents) != 2 {
		t.Errorf("%d incidents, want 2: unrelated dumps joined through all:posts or a candidate", len(d.incidents))
	}
}

// A campaign pushes one leak hashtag in two spellings: the IRA's accounts pushed #DNCLeaks
// all evening and #DNCLeak from the next morning. Singular and plural name one dump, so they
// are one incident; another leak hashtag that morning is another.
func TestLeakHashtagSpellingsAreOneDump(t *testing.T) {
	d := New(DefaultConfig(), leakwatch.Calendar{})
	for _, b := range []*leakwatch.Burst{
		burstAt("hashtag:dncleaks", 0, 480, "term:#dncleaks"),
		burstAt("hashtag:dncleak", 720, 1200, "term:#dncleak"),
		burstAt("hashtag:podestaemails", 800, 900, "term:#podestaemails"),
	} {
		d.Burst(*b)
	}
	if len(d.incidents) != 2 {
		t.Fatalf("%d incidents, want 2: #dncleaks with #dncleak, and #podestaemails", len(d.incidents))
	}
	member := func(object string, onsetMin int) *incident {
		return d.memberOf("burst|" + object + "|" + dumpAt.Add(time.Duration(onsetMin)*time.Minute).Format(time.RFC3339))
	}
	if x := member("hashtag:dncleak", 720); x == nil || x != member("hashtag:dncleaks", 0) {
		t.Error("#dncleak is not in #dncleaks' incident")
	}
	for _, tc := range []struct {
		e, f string
		same bool
	}{
		{"term:#dncleaks", "term:#dncleak", true},
		{"term:#macronleak", "term:#macronleaks", true},
		{"term:#dncleak", "term:#dncleaked", false},
		{"term:#leak", "term:#leaks", true},
		{"term:leak", "term:leaks", false}, // words name no dump
		{"domain:leak.com", "domain:leaks.com", false},
	} {
		if got := sameDump(tc.e, tc.f); got != tc.same {
			t.Errorf("sameDump(%s, %s) = %v, want %v", tc.e, tc.f, got, tc.same)
		}
	}
}

// TestGroupTakingUpADump: a network that had been retweeting other things for days and then
// passes a dump round is a member of the dump's incident, dated by when it took the dump up
// (EvidenceFirst), and its incident keeps one key while the group's top objects change.
func TestGroupTakingUpADump(t *testing.T) {
	d := New(DefaultConfig(), france(t))
	days := dumpAt.Add(-72 * time.Hour)
	objects := [][]string{
		{"url:https://pastebin.com/Ztd6vkjG", "hashtag:macronleaks"},
		{"hashtag:macronleaks", "url:https://pastebin.com/Ztd6vkjG"},
		{"url:https://pastebin.com/Ztd6vkjG", "hashtag:macronleaks"},
	}
	var key string
	for i, objs := range objects {
		l := d.Group(leakwatch.Group{ID: "g-net", Accounts: []string{"a", "b", "c"}, First: days, Last: dumpAt.Add(time.Duration(i+1) * 240 * time.Hour),
			Objects: objs, Evidence: []string{"term:#macronleaks", "domain:pastebin.com"},
			EvidenceFirst: dumpAt.Add(4 * time.Minute), EvidenceLast: dumpAt.Add(time.Duration(i+1) * time.Hour)})
		if l == nil {
			if i == 0 {
				t.Fatal("a group passing a dump round is no leak candidate")
			}
			continue
		}
		k := leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: l}.Key()
		if i == 0 {
			key = k
		}
		if k != key || len(l.Supersedes) != 0 {
			t.Fatalf("version %d: key %s superseding %q, want the first version's %s", i, k, l.Supersedes, key)
		}
		if !l.Start.Equal(dumpAt.Add(4*time.Minute)) || l.Timing.HoursToSilence != 3.35 {
			t.Errorf("version %d: start %s, %g h before the silence; want its first share of the dump, 18:39, 3.35 h", i, l.Start, l.Timing.HoursToSilence)
		}
	}
	if key != keyOf("group:g-net", 4) {
		t.Errorf("key %s, want the group's name at its first share of the dump", key)
	}
	// The dump's own burst joins the group's incident and, starting earlier, dates it.
	l := d.Burst(*burstAt("url:https://pastebin.com/Ztd6vkjG", 0, 15, "domain:pastebin.com", "term:#macronleaks"))
	if l == nil || !l.Start.Equal(dumpAt) || !slices.Contains(l.Evidence, "group:g-net") || !slices.Equal(l.Supersedes, []string{key}) {
		t.Errorf("with the seed burst: %+v, want one incident from 18:35 holding the group", l)
	}
	// Ten days on, the network pushes another dump under the same hashtag: while it goes on
	// co-sharing for weeks, only its co-shares of the first dump span its membership.
	later := d.Burst(*burstAt("hashtag:macronleaks", 10*24*60, 10*24*60+30, "domain:mega.nz"))
	if later == nil || slices.Contains(later.Evidence, "group:g-net") || len(later.Supersedes) != 0 {
		t.Errorf("a dump ten days later: %+v, want an incident of its own", later)
	}
	// Without evidence a group is dated by its first co-share, and is no candidate.
	if l := d.Group(leakwatch.Group{ID: "g-quiet", Accounts: []string{"x", "y", "z"}, First: days, Last: dumpAt}); l != nil {
		t.Errorf("a group without leak evidence: %+v", l)
	}
}

func TestSortedAccountLists(t *testing.T) {
	for _, c := range []struct {
		a, b, union []string
		meet        bool
	}{
		{nil, []string{"a"}, []string{"a"}, false},
		{[]string{"a", "c"}, nil, []string{"a", "c"}, false},
		{[]string{"a", "c", "e"}, []string{"b", "c", "f"}, []string{"a", "b", "c", "e", "f"}, true},
		{[]string{"a", "b"}, []string{"c", "d"}, []string{"a", "b", "c", "d"}, false},
		{[]string{"x"}, []string{"x"}, []string{"x"}, true},
	} {
		if got := unionSorted(slices.Clone(c.a), c.b); !slices.Equal(got, c.union) {
			t.Errorf("unionSorted(%q, %q) = %q, want %q", c.a, c.b, got, c.union)
		}
		if got := meetSorted(c.a, c.b); got != c.meet {
			t.Errorf("meetSorted(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// TestGroupIncidentFollowsItsLatestVersion: what a group lists depends on when it was
// published (the stream publishes other intermediate versions than the batch), so the
// incident holds what its latest version lists, whatever versions came before.
func TestGroupIncidentFollowsItsLatestVersion(t *testing.T) {
	version := func(objects []string, evidence ...string) leakwatch.Group {
		return leakwatch.Group{ID: "g-net", Accounts: []string{"a", "b", "c"}, First: dumpAt.Add(-time.Hour), Last: dumpAt.Add(2 * time.Hour),
			Objects: objects, Evidence: evidence, EvidenceFirst: dumpAt, EvidenceLast: dumpAt.Add(time.Hour)}
	}
	final := version([]string{"url:https://pastebin.com/x", "hashtag:macronleaks"}, "term:#macronleaks", "domain:pastebin.com")
	seed := burstAt("url:https://pastebin.com/x", 0, 15, "domain:pastebin.com", "term:#macronleaks")

	only := New(DefaultConfig(), leakwatch.Calendar{})
	only.Burst(*seed)
	want := only.Group(final)

	d := New(DefaultConfig(), leakwatch.Calendar{})
	d.Burst(*seed)
	d.Group(version([]string{"hashtag:pokemongo", "url:https://pastebin.com/x"}, "term:#macronleaks", "term:leaked"))
	got := d.Group(final)
	if got == nil || want == nil || !reflect.DeepEqual(got.Evidence, want.Evidence) || got.Score != want.Score {
		t.Errorf("after an earlier version:\n got %+v\nwant %+v", got, want)
	}
}
