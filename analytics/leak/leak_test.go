package leak

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/calendar"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

func TestEvidence(t *testing.T) {
	m := NewMatcher(DefaultConfig())
	cases := []struct {
		name string
		post leakwatch.Post
		want []string
	}{
		{"clean", leakwatch.Post{Text: "Débat ce soir à 21h, qui a gagné ?"}, nil},
		{"macronleaks hashtag in text", leakwatch.Post{Text: "Les documents sont là #MacronLeaks"}, []string{"term:#macronleaks"}},
		{"hashtag entity only", leakwatch.Post{Text: "regardez", Hashtags: []string{"MACRONLEAKS"}}, []string{"term:#macronleaks"}},
		{"hashtag term needs the hash", leakwatch.Post{Text: "on parle des macronleaks"}, nil},
		{"french accents and case", leakwatch.Post{Text: "Des COURRIELS internes FUITÉS du parti, boîte PIRATÉE, les Pirates ont gagné"}, []string{"term:courriels", "term:courriels internes", "term:fuites", "term:piratee"}},
		{"decomposed accents", leakwatch.Post{Text: "documents vole\u0301s"}, []string{"term:documents voles"}},
		{"english phrase", leakwatch.Post{Text: "Leaked emails show the DNC..."}, []string{"term:leaked", "term:leaked emails"}},
		{"word boundaries", leakwatch.Post{Text: "a bleak outlook, no leakage, dumpling"}, nil},
		{"franglais", leakwatch.Post{Text: "les mails ont été leakés hier"}, []string{"term:leakes"}},
		{"link domain", leakwatch.Post{Text: "voir", URLs: []leakwatch.Link{{Raw: "https://t.co/x", Expanded: "https://PASTEBIN.com/raw/abc", Domain: "pastebin.com"}}}, []string{"domain:pastebin.com"}},
		{"subdomain", leakwatch.Post{URLs: []leakwatch.Link{{Raw: "https://files.archive.org/details/EMLEAKS"}}}, []string{"domain:archive.org"}},
		{"an upload on archive.org", leakwatch.Post{URLs: []leakwatch.Link{{Raw: "https://t.co/a", Expanded: "https://archive.org/details/EMLEAKS", Domain: "archive.org"}}}, []string{"domain:archive.org"}},
		{"a Wayback snapshot is no dump", leakwatch.Post{Text: "la page d'avant: web.archive.org/web/2017/https://en-marche.fr/programme",
			URLs: []leakwatch.Link{{Raw: "https://t.co/b", Expanded: "https://web.archive.org/web/20170504/https://en-marche.fr/programme", Domain: "archive.org"}}}, nil},
		{"domain written in text", leakwatch.Post{Text: "all here: archive.4plebs.org/pol/thread/1 and mega.nz/#F!x"}, []string{"domain:4plebs.org", "domain:mega.nz"}},
		{"URL with scheme in text", leakwatch.Post{Text: "Tout est là https://PasteBin.com/raw/Ztd6vkjG"}, []string{"domain:pastebin.com"}},
		{"sentence dot is no domain", leakwatch.Post{Text: "I saw the mega. Nz was fun"}, nil},
		{"not a lookalike", leakwatch.Post{URLs: []leakwatch.Link{{Raw: "https://notpastebin.com/x"}, {Raw: "https://pastebin.com.evil.io/x"}}}, nil},
		{"object keys", leakwatch.Post{Objects: []leakwatch.ObjectRef{{Kind: leakwatch.KindURL, Value: "https://anonfiles.com/abc"}, {Kind: leakwatch.KindDomain, Value: "dcleaks.com"}}}, []string{"domain:anonfiles.com", "domain:dcleaks.com"}},
		{"everything once", leakwatch.Post{Text: "LEAK leak Leak pastebin.com/a", URLs: []leakwatch.Link{{Domain: "pastebin.com"}}}, []string{"domain:pastebin.com", "term:leak"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := m.Evidence(c.post); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Evidence = %q, want %q", got, c.want)
			}
		})
	}
}

func TestEvidenceConfigured(t *testing.T) {
	m := NewMatcher(Config{Domains: []string{"leaks.example"}, Terms: []string{"Révélations exclusives", "#Fichier*"}})
	got := m.Evidence(leakwatch.Post{Text: "REVELATIONS exclusives : #FichierSecret sur leaks.example/x ; fichiers"})
	want := []string{"domain:leaks.example", "term:#fichier*", "term:revelations exclusives"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Evidence = %q, want %q", got, want)
	}
}

func TestEvidenceExtra(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ExtraTerms = []string{"#FillonGate"}
	cfg.ExtraDomains = []string{"leaks.example"}
	m := NewMatcher(cfg)
	got := m.Evidence(leakwatch.Post{Text: "#fillongate leaked at https://leaks.example/x"})
	want := []string{"domain:leaks.example", "term:#fillongate", "term:leaked"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Evidence = %q, want %q (defaults kept, extras added)", got, want)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"default", func(*Config) {}, ""},
		{"domain with scheme", func(c *Config) { c.Domains = append(c.Domains, "https://x.org") }, "domains"},
		{"upper-case domain", func(c *Config) { c.Domains = []string{"Pastebin.com"} }, "domains"},
		{"term without word", func(c *Config) { c.Terms = append(c.Terms, "#!") }, "terms"},
		{"nothing to match", func(c *Config) { c.Domains, c.Terms = nil, nil }, "domains"},
		{"bad extra domain", func(c *Config) { c.ExtraDomains = []string{"leaks example"} }, "extra_domains"},
		{"min evidence", func(c *Config) { c.MinEvidence = 0 }, "min_evidence"},
		{"window", func(c *Config) { c.ChangeWindow = 0 }, "change_window"},
		{"change kind", func(c *Config) { c.ChangeKinds = []string{"colour"} }, "change_kinds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.edit(&cfg)
			err := cfg.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.field+":") {
				t.Errorf("Validate() = %v, want an error naming %s", err, c.field)
			}
		})
	}
}

func france(t *testing.T) leakwatch.Calendar {
	t.Helper()
	data, err := os.ReadFile(testenv.SharedData(t, "calendars/fr-2017-presidential.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func TestDetectorBurst(t *testing.T) {
	cal := france(t)
	onset := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC) // 20:35 in Paris
	cases := []struct {
		name  string
		burst leakwatch.Burst
		want  []string // evidence; nil: not a leak
		score float64
	}{
		{"dump link and hashtag", leakwatch.Burst{Object: "hashtag:macronleaks", Onset: onset, Evidence: []string{"domain:archive.4plebs.org", "term:#macronleaks"}},
			[]string{"domain:archive.4plebs.org", "term:#macronleaks", "object:hashtag:macronleaks"}, 0.8},
		{"words and a dump domain", leakwatch.Burst{Object: "candidate:macron", Onset: onset, Evidence: []string{"term:piratage", "domain:mega.nz"}},
			[]string{"domain:mega.nz", "term:piratage", "object:candidate:macron"}, 0.72},
		{"words only: news about a leak", leakwatch.Burst{Object: "url:https://lemonde.fr/a", Onset: onset, Evidence: []string{"term:piratage", "term:hacked"}}, nil, 0},
		{"no evidence", leakwatch.Burst{Object: "hashtag:debat", Onset: onset}, nil, 0},
		{"unknown evidence kinds do not count", leakwatch.Burst{Object: "hashtag:x", Onset: onset, Evidence: []string{"lang:fr"}}, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := New(DefaultConfig(), cal).Burst(c.burst)
			if c.want == nil {
				if l != nil {
					t.Fatalf("leak %+v, want none", l)
				}
				return
			}
			if l == nil {
				t.Fatal("not a leak")
			}
			if !reflect.DeepEqual(l.Evidence, c.want) || l.Object != c.burst.Object || !l.Onset.Equal(onset) || !l.Start.Equal(onset) || l.Score != c.score {
				t.Errorf("leak = %+v, want evidence %q score %g", l, c.want, c.score)
			}
			if l.Timing.Silence != "silence-r2" || l.Timing.HoursToSilence != 3.4167 || l.Timing.Score != 1 {
				t.Errorf("timing = %+v", l.Timing)
			}
			if len(l.Calendar) != 3 || l.Calendar[1] != (leakwatch.CalendarRef{Event: "silence-r2", Kind: "silence", OffsetS: -12300}) {
				t.Errorf("calendar = %+v", l.Calendar)
			}
		})
	}
}

// TestDetectorWordsOnly: with min_dump_evidence 0, words alone make a candidate again.
func TestDetectorWordsOnly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MinDumpEvidence = 0
	l := New(cfg, leakwatch.Calendar{}).Burst(leakwatch.Burst{Object: "candidate:macron", Onset: time.Unix(0, 0), Evidence: []string{"term:piratage"}})
	if l == nil || l.Score != 0.3 {
		t.Errorf("leak = %+v, want a candidate scoring 0.3", l)
	}
}

func TestDetectorSiteChange(t *testing.T) {
	at := time.Date(2017, 5, 5, 12, 0, 0, 0, time.UTC)
	detector := func() *Detector {
		d := New(DefaultConfig(), leakwatch.Calendar{})
		d.Change(leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: at, Changed: []string{"content", "title"}, Defacement: true})
		d.Change(leakwatch.SiteChange{Target: "fn-tls", URL: "https://www.frontnational.com/", ObservedAt: at, Changed: []string{"tls"}}) // tls alone does not count
		return d
	}
	cases := []struct {
		name  string
		burst leakwatch.Burst
		want  []string
	}{
		{"url on the site an hour later", leakwatch.Burst{Object: "url:https://en-marche.fr/articles/x", Onset: at.Add(time.Hour)}, []string{"change:en-marche", "defacement:en-marche", "object:url:https://en-marche.fr/articles/x"}},
		{"domain object", leakwatch.Burst{Object: "domain:en-marche.fr", Onset: at.Add(5 * time.Hour)}, []string{"change:en-marche", "defacement:en-marche", "object:domain:en-marche.fr"}},
		{"before observation within the slack", leakwatch.Burst{Object: "domain:en-marche.fr", Onset: at.Add(-10 * time.Minute)}, []string{"change:en-marche", "defacement:en-marche", "object:domain:en-marche.fr"}},
		{"too early", leakwatch.Burst{Object: "domain:en-marche.fr", Onset: at.Add(-time.Hour)}, nil},
		{"too late", leakwatch.Burst{Object: "domain:en-marche.fr", Onset: at.Add(7 * time.Hour)}, nil},
		{"another site", leakwatch.Burst{Object: "domain:lemonde.fr", Onset: at.Add(time.Hour)}, nil},
		{"uncounted change kind", leakwatch.Burst{Object: "domain:frontnational.com", Onset: at.Add(time.Hour)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := detector().Burst(c.burst)
			switch {
			case c.want == nil && l != nil:
				t.Errorf("leak %+v, want none", l)
			case c.want != nil && (l == nil || !reflect.DeepEqual(l.Evidence, c.want)):
				t.Errorf("leak %+v, want evidence %q", l, c.want)
			}
		})
	}
	// The site restored eleven minutes later is a routine change after the defacement: a
	// burst in between still follows a defacement.
	d := detector()
	d.Change(leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: at.Add(11 * time.Minute), Changed: []string{"content"}})
	if l := d.Burst(leakwatch.Burst{Object: "domain:en-marche.fr", Onset: at.Add(8 * time.Minute)}); l == nil || !slices.Contains(l.Evidence, "defacement:en-marche") {
		t.Errorf("burst between defacement and restore: %+v, want defacement evidence", l)
	}
	g := leakwatch.Group{ID: "g1", Accounts: []string{"a", "b"}, First: at.Add(time.Hour), Last: at.Add(2 * time.Hour), Objects: []string{"url:https://en-marche.fr/x", "hashtag:y"}}
	l := detector().Group(g)
	want := []string{"change:en-marche", "defacement:en-marche", "group:g1", "object:hashtag:y", "object:url:https://en-marche.fr/x"}
	if l == nil || l.Object != "group:g1" || !reflect.DeepEqual(l.Evidence, want) || l.Score != 0.7 {
		t.Errorf("group leak = %+v", l)
	}
	if l := detector().Group(leakwatch.Group{ID: "g2", First: at, Evidence: nil}); l != nil {
		t.Errorf("group without evidence: %+v", l)
	}
}

// TestDefacementDatesItsIncident: the defacement is an incident's first sign and the burst
// about the site the public's reaction: the incident starts, and sits on the calendar, when
// the defacement was observed, also after the site was restored, and never later than the
// burst (a change observed within the slack after the onset).
func TestDefacementDatesItsIncident(t *testing.T) {
	at := time.Date(2017, 5, 5, 17, 48, 0, 0, time.UTC)
	cal := leakwatch.Calendar{Events: []leakwatch.Event{{ID: "silence-r2", Kind: leakwatch.EventSilence,
		Start: time.Date(2017, 5, 5, 22, 0, 0, 0, time.UTC), End: time.Date(2017, 5, 7, 18, 0, 0, 0, time.UTC)}}}
	for _, c := range []struct {
		name      string
		restored  bool
		onset     time.Time
		wantStart time.Time
	}{
		{"burst six minutes later", false, at.Add(6 * time.Minute), at},
		{"after the restore", true, at.Add(40 * time.Minute), at},
		{"burst before the observation", false, at.Add(-10 * time.Minute), at.Add(-10 * time.Minute)},
	} {
		d := New(DefaultConfig(), cal)
		d.Change(leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: at, Changed: []string{"content", "title"}, Defacement: true})
		if c.restored {
			d.Change(leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: at.Add(30 * time.Minute), Changed: []string{"content"}})
		}
		l := d.Burst(leakwatch.Burst{Object: "domain:en-marche.fr", Onset: c.onset, End: c.onset.Add(20 * time.Minute)})
		if l == nil {
			t.Fatalf("%s: no leak", c.name)
		}
		wantHours := cal.Events[0].Start.Sub(c.wantStart).Hours()
		if got := l.Timing.HoursToSilence; !l.Start.Equal(c.wantStart) || got < wantHours-0.01 || got > wantHours+0.01 {
			t.Errorf("%s: start %s, hours to silence %v; want %s, %.2f", c.name, l.Start, l.Timing.HoursToSilence, c.wantStart, wantHours)
		}
		if !l.Onset.Equal(c.onset) {
			t.Errorf("%s: onset %s, want the burst's %s", c.name, l.Onset, c.onset)
		}
	}
}

// A stream's correlate may read a burst before the site change it follows (the two topics
// read at their own paces, a backlog after a restart): the change, read after, makes the
// burst the leak it would have been with the change first. A burst that ended before the
// change was observed stays none, as in a batch, where it came first.
func TestChangeReadAfterItsBurst(t *testing.T) {
	at := time.Date(2017, 5, 5, 12, 0, 0, 0, time.UTC)
	change := leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: at, Changed: []string{"content", "title"}, Defacement: true}
	burst := leakwatch.Burst{Object: "domain:en-marche.fr", Onset: at.Add(-5 * time.Minute), End: at.Add(40 * time.Minute)}

	first := New(DefaultConfig(), leakwatch.Calendar{})
	first.Change(change)
	want := first.Burst(burst)
	if want == nil {
		t.Fatal("no leak with the change first")
	}

	late := New(DefaultConfig(), leakwatch.Calendar{})
	if l := late.Burst(burst); l != nil {
		t.Fatalf("a leak before any change: %+v", l)
	}
	if l := late.Burst(leakwatch.Burst{Object: "hashtag:unrelated", Onset: at, End: at.Add(time.Hour)}); l != nil {
		t.Fatalf("unrelated burst: %+v", l)
	}
	got := late.Change(change)
	if len(got) != 1 || !reflect.DeepEqual(*got[0], *want) {
		t.Errorf("change read after its burst gives %+v, want %+v", got, want)
	}
	if again := late.Change(change); len(again) != 0 {
		t.Errorf("the same change read twice gives %d more leaks", len(again))
	}

	ended := New(DefaultConfig(), leakwatch.Calendar{})
	ended.Burst(leakwatch.Burst{Object: "domain:en-marche.fr", Onset: at.Add(-10 * time.Minute), End: at.Add(-time.Minute)})
	if got := ended.Change(change); len(got) != 0 {
		t.Errorf("a burst over before the change: %+v", got)
	}
}
