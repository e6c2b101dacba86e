package rules

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/entities"
)

var onset = time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)

var macronTiming = leakwatch.Timing{Silence: "silence-r2", HoursToSilence: 3.4167, NextVote: "vote-r2", HoursToVote: 35.4167, Score: 1}

func leakSignal(object string, tm leakwatch.Timing, evidence ...string) leakwatch.Signal {
	return leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: object, Onset: onset, Evidence: evidence, Timing: tm, Score: 0.8}}
}

func burstSignal(object string, score float64) leakwatch.Signal {
	return leakwatch.Signal{Kind: leakwatch.SignalBurst, Burst: &leakwatch.Burst{
		Object: object, Onset: onset, Peak: onset.Add(5 * time.Minute), End: onset.Add(40 * time.Minute),
		Count: 900, Baseline: 12.5, Score: score, Accounts: 300,
	}}
}

// learningBurst is a burst of the input's first day on an object active from its start.
func learningBurst(object string) leakwatch.Signal {
	s := burstSignal(object, 10)
	s.Burst.Learning = true
	return s
}

func slowBurst(object string) leakwatch.Signal {
	s := burstSignal(object, 10)
	s.Burst.Slow = true
	return s
}

func names(as []leakwatch.Alert) string {
	var n []string
	for _, a := range as {
		n = append(n, a.Rule+"/"+a.Severity)
	}
	return strings.Join(n, " ")
}

func TestEvaluateDefaults(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Candidates = []Candidate{{ID: "macron", Match: []string{"macron", "en-marche"}}, {ID: "lepen", Match: []string{"le pen", "marine2017"}}}
	cases := []struct {
		name      string
		sig       leakwatch.Signal
		want      string // rules that fire
		candidate string
	}{
		{"#MacronLeaks three hours before the silence: only the critical alert", leakSignal("hashtag:macronleaks", macronTiming, "domain:pastebin.com", "term:#macronleaks"),
			"LeakBeforeSilence/critical", "macron"},
		{"incident named after all:posts, candidate from its merged objects", leakSignal("all:posts", macronTiming, "term:#lepenleaks", "domain:pastebin.com", "object:all:posts", "object:hashtag:lepenleaks"),
			"LeakBeforeSilence/critical", "lepen"},
		{"incident that merged a candidate burst", leakSignal("all:posts", macronTiming, "domain:pastebin.com", "object:all:posts", "object:candidate:lepen", "object:hashtag:macron"),
			"LeakBeforeSilence/critical", "lepen"},
		{"a leak a month before the vote", leakSignal("url:https://wikileaks.org/podesta-emails/", leakwatch.Timing{NextVote: "vote", HoursToVote: 758.47}, "domain:wikileaks.org"),
			"LeakCandidate/warning", ""},
		{"a news article saying hacking", leakwatch.Signal{Kind: leakwatch.SignalLeak, Leak: &leakwatch.Leak{Object: "url:https://lefigaro.fr/x", Onset: onset,
			Evidence: []string{"term:piratage"}, Timing: macronTiming, Score: 0.3}}, "", ""},
		{"candidate burst", burstSignal("candidate:lepen", 40), "CandidateBurst/warning", "lepen"},
		{"weak candidate burst", burstSignal("candidate:lepen", 4), "", "lepen"},
		{"stream burst", burstSignal("all:posts", 9), "StreamBurst/info", ""},
		{"hashtag burst has no default rule", burstSignal("hashtag:debat", 50), "", ""},
		{"small group", leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g", Accounts: []string{"a", "b", "c"}}}, "", ""},
		{"group of five", leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g", Accounts: []string{"a", "b", "c", "d", "e"}, ObjectKinds: []leakwatch.ObjectKind{"hashtag"}, First: onset, Last: onset.Add(time.Hour), Objects: []string{"hashtag:marine2017"}}}, "CoordinatedGroup/warning", "lepen"},
		{"edge has no default rule", leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: "url", A: "a", B: "b", Weight: 9}}, "", ""},
		{"signal without its body", leakwatch.Signal{Kind: leakwatch.SignalBurst}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			as := Evaluate(cfg, c.sig)
			if got := names(as); got != c.want {
				t.Fatalf("alerts %q, want %q", got, c.want)
			}
			for _, a := range as {
				if a.Candidate != c.candidate || a.Labels["candidate"] != c.candidate && c.candidate != "" {
					t.Errorf("%s: candidate %q labels %v, want %q", a.Rule, a.Candidate, a.Labels, c.candidate)
				}
				if a.Labels["alertname"] != a.Rule || a.Labels["severity"] != a.Severity || a.Labels["kind"] != string(c.sig.Kind) || a.Labels["object"] != a.Object {
					t.Errorf("labels %v", a.Labels)
				}
				if len(a.ID) != 24 || a.Summary == "" || a.StartsAt.IsZero() {
					t.Errorf("alert %+v", a)
				}
			}
		})
	}
}

func TestSummaryAndID(t *testing.T) {
	cfg := DefaultConfig()
	sig := leakSignal("hashtag:macronleaks", macronTiming, "domain:pastebin.com")
	as := Evaluate(cfg, sig)
	want := "Possible leak on hashtag:macronleaks at 2017-05-05 18:35 UTC: domain:pastebin.com; 3h25m before the silence silence-r2, 35h25m before the vote vote-r2 (timing score 1.00)"
	if as[0].Summary != want {
		t.Errorf("summary\n got %q\nwant %q", as[0].Summary, want)
	}
	incident := leakSignal("all:posts", macronTiming, "term:#macronleaks", "domain:pastebin.com", "group:g-1", "object:all:posts", "object:url:https://pastebin.com/x")
	incident.Leak.Start = onset.Add(-3 * time.Minute)
	inc := Evaluate(cfg, incident)
	if want := "Possible leak on all:posts at 2017-05-05 18:32 UTC (2 objects): term:#macronleaks, domain:pastebin.com; 3h25m before the silence silence-r2, 35h25m before the vote vote-r2 (timing score 1.00)"; inc[0].Summary != want || !inc[0].StartsAt.Equal(incident.Leak.Start) {
		t.Errorf("incident summary\n got %q\nwant %q; starts_at %s", inc[0].Summary, want, inc[0].StartsAt)
	}
	// The same subject seen again with more evidence keeps its id; another rule or onset does not.
	again := Evaluate(cfg, leakSignal("hashtag:macronleaks", macronTiming, "domain:pastebin.com", "term:#macronleaks"))
	if again[0].ID != as[0].ID {
		t.Errorf("id changed for the same rule and subject: %s vs %s", again[0].ID, as[0].ID)
	}
	every := cfg
	every.EveryRule = true
	both := Evaluate(every, sig)
	if names(both) != "LeakBeforeSilence/critical LeakCandidate/warning" {
		t.Fatalf("every_rule: alerts %q", names(both))
	}
	if both[0].ID != as[0].ID || both[0].ID == both[1].ID {
		t.Error("two rules share an id, or every_rule changed the id")
	}
	if want := AlertID("LeakBeforeSilence", sig.Key()); as[0].ID != want {
		t.Errorf("id %s, want AlertID(rule, incident key) %s", as[0].ID, want)
	}
	later := leakSignal("hashtag:macronleaks", macronTiming)
	later.Leak.Onset = onset.Add(time.Hour)
	if Evaluate(cfg, later)[0].ID == as[0].ID {
		t.Error("another onset has the same id")
	}
	cfg.Link = "https://grafana.example/d/leakwatch?var-object={object}&from={from_ms}&to={to_ms}"
	b := Evaluate(cfg, burstSignal("candidate:macron", 41.5))
	// The burst's 40 minutes, widened to the hour around them.
	if want := "https://grafana.example/d/leakwatch?var-object=candidate%3Amacron&from=1494008700000&to=1494012300000"; b[0].Link != want {
		t.Errorf("link\n got %q\nwant %q", b[0].Link, want)
	}
	// An incident that starts at its onset: the half hour on either side.
	l := Evaluate(cfg, leakSignal("hashtag:macronleaks", macronTiming, "domain:pastebin.com"))
	if from, to := onset.Add(-30*time.Minute).UnixMilli(), onset.Add(30*time.Minute).UnixMilli(); !strings.HasSuffix(l[0].Link, fmt.Sprintf("&from=%d&to=%d", from, to)) {
		t.Errorf("leak link %q, want from %d to %d", l[0].Link, from, to)
	}
	if want := "Burst on candidate:macron from 2017-05-05 18:35 UTC: 900 mentions by 300 accounts, 12.5 expected (score 41.5)"; b[0].Summary != want {
		t.Errorf("summary\n got %q\nwant %q", b[0].Summary, want)
	}
}

func TestThresholds(t *testing.T) {
	tm := macronTiming
	silent := leakwatch.Timing{InSilence: true, Silence: "silence-r2", NextVote: "vote-r2", HoursToVote: 14, Score: 1}
	cases := []struct {
		name string
		rule Rule
		sig  leakwatch.Signal
		want bool
	}{
		{"hours to silence within", Rule{MaxHoursToSilence: 6}, leakSignal("hashtag:x", tm), true},
		{"hours to silence beyond", Rule{MaxHoursToSilence: 3}, leakSignal("hashtag:x", tm), false},
		{"inside silence counts as zero", Rule{MaxHoursToSilence: 1}, leakSignal("hashtag:x", silent), true},
		{"no silence ahead", Rule{MaxHoursToSilence: 100}, leakSignal("hashtag:x", leakwatch.Timing{NextVote: "v", HoursToVote: 5}), false},
		{"hours to vote", Rule{MaxHoursToVote: 36}, leakSignal("hashtag:x", tm), true},
		{"hours to vote beyond", Rule{MaxHoursToVote: 35}, leakSignal("hashtag:x", tm), false},
		{"in silence required", Rule{InSilence: true}, leakSignal("hashtag:x", tm), false},
		{"in silence", Rule{InSilence: true}, leakSignal("hashtag:x", silent), true},
		{"evidence prefix", Rule{Evidence: []string{"domain:"}}, leakSignal("hashtag:x", tm, "term:leak", "domain:mega.nz"), true},
		{"evidence prefix missing", Rule{Evidence: []string{"domain:"}}, leakSignal("hashtag:x", tm, "term:leak"), false},
		{"object kind", Rule{ObjectKinds: []leakwatch.ObjectKind{"url"}}, leakSignal("hashtag:x", tm), false},
		{"burst without timing fails timing rules", Rule{Kind: leakwatch.SignalBurst, MinTimingScore: 0.5}, burstSignal("hashtag:x", 10), false},
		{"burst min count", Rule{Kind: leakwatch.SignalBurst, MinCount: 901}, burstSignal("hashtag:x", 10), false},
		{"burst min accounts", Rule{Kind: leakwatch.SignalBurst, MinAccounts: 300}, burstSignal("hashtag:x", 10), true},
		{"learning burst skipped", Rule{Kind: leakwatch.SignalBurst}, learningBurst("candidate:x"), false},
		{"learning burst asked for", Rule{Kind: leakwatch.SignalBurst, Learning: true}, learningBurst("candidate:x"), true},
		{"slow burst skipped", Rule{Kind: leakwatch.SignalBurst}, slowBurst("candidate:x"), false},
		{"slow burst asked for", Rule{Kind: leakwatch.SignalBurst, Slow: true}, slowBurst("candidate:x"), true},
		{"edge weight", Rule{Kind: leakwatch.SignalEdge, MinWeight: 3, ObjectKinds: []leakwatch.ObjectKind{"url"}},
			leakwatch.Signal{Kind: leakwatch.SignalEdge, Edge: &leakwatch.Edge{ObjectKind: "url", A: "a", B: "b", Weight: 3}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.rule
			r.Name, r.Severity = "R", "info"
			if r.Kind == "" {
				r.Kind = leakwatch.SignalLeak
			}
			cfg := Config{Rules: []Rule{r}}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := len(Evaluate(cfg, c.sig)) == 1; got != c.want {
				t.Errorf("fired = %v, want %v", got, c.want)
			}
		})
	}
}

// A record names every candidate it is about, in the order the alert's label takes the
// first: merged candidate objects, then names in its object and evidence.
func TestCandidatesOf(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Candidates = []Candidate{{ID: "macron", Match: []string{"macron", "en-marche"}}, {ID: "lepen", Match: []string{"le pen"}}, {ID: "fillon", Match: []string{"fillon"}}}
	for _, c := range []struct {
		name string
		sig  leakwatch.Signal
		want []string
	}{
		{"hashtag and a merged candidate burst", leakSignal("hashtag:macronleaks", macronTiming, "term:#macronleaks", "object:candidate:lepen", "term:#lepenleaks"), []string{"lepen", "macron"}},
		{"names in evidence, each once", leakSignal("all:posts", macronTiming, "term:#lepenleaks", "domain:pastebin.com", "term:#macrongate", "term:#macronleaks"), []string{"lepen", "macron"}},
		{"none named", leakSignal("all:posts", macronTiming, "domain:pastebin.com"), nil},
	} {
		got := CandidatesOf(cfg, c.sig)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if as := Evaluate(cfg, c.sig); len(as) > 0 && len(got) > 0 && as[0].Candidate != got[0] {
			t.Errorf("%s: alert candidate %q, want the first, %q", c.name, as[0].Candidate, got[0])
		}
	}
}

func TestEvaluateChange(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Candidates = []Candidate{{ID: "macron", Match: []string{"En-Marche"}}}
	at := time.Date(2017, 5, 5, 12, 0, 0, 0, time.UTC)
	deface := leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: at, Changed: []string{"content", "title"},
		TextHash: "abc", Defacement: true, Reasons: []string{"text 95% replaced", "title \"hacked by X\""}}
	as := EvaluateChange(cfg, deface)
	if names(as) != "SiteDefacement/critical" || as[0].Candidate != "macron" || as[0].Object != "site:en-marche" || as[0].Kind != KindSiteChange {
		t.Fatalf("alerts %+v", as)
	}
	if want := `Site en-marche (https://en-marche.fr/) looks defaced at 2017-05-05 12:00 UTC: text 95% replaced; title "hacked by X"`; as[0].Summary != want {
		t.Errorf("summary %q", as[0].Summary)
	}
	seenAgain := deface
	seenAgain.ObservedAt = at.Add(10 * time.Minute)
	if EvaluateChange(cfg, seenAgain)[0].ID != as[0].ID {
		t.Error("the same defaced page seen again has a new id")
	}
	down := leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: at, Changed: []string{"unreachable"}, Error: "dial tcp: timeout"}
	if got := names(EvaluateChange(cfg, down)); got != "SiteUnreachable/warning" {
		t.Errorf("unreachable: %q", got)
	}
	// The site came back and went down again in the afternoon: another outage, another
	// alert (the watcher reports each outage once), not a repeat delivery suppresses.
	again := down
	again.ObservedAt = at.Add(5 * time.Hour)
	if a, b := EvaluateChange(cfg, down)[0], EvaluateChange(cfg, again)[0]; a.ID == b.ID || a.Detection == b.Detection {
		t.Errorf("a second outage has the first one's id %s and detection %s", a.ID, a.Detection)
	}
	edit := leakwatch.SiteChange{Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: at, Changed: []string{"content"}}
	if got := EvaluateChange(cfg, edit); len(got) != 0 {
		t.Errorf("content edit raised %+v", got)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want string // substring of the error; "" for valid
	}{
		{"valid", "rules:\n  - {name: A, kind: leak, severity: critical, min_timing_score: 0.8, max_hours_to_silence: 6}\n", ""},
		{"unknown kind", "rules:\n  - {name: A, kind: tweet, severity: info}\n", `rules[0] "A": kind: "tweet" unknown`},
		{"severity", "rules:\n  - {name: A, kind: leak, severity: high}\n", `severity: "high" unknown`},
		{"duplicate name", "rules:\n  - {name: A, kind: leak, severity: info}\n  - {name: A, kind: burst, severity: info}\n", `rules[1] "A": name: duplicate of rules[0]`},
		{"bad name", "rules:\n  - {name: 'a b', kind: leak, severity: info}\n", "name: use letters"},
		{"field for another kind", "rules:\n  - {name: A, kind: burst, severity: info, defacement: true}\n", "defacement: does not apply to burst rules"},
		{"labels", "labels: {election: fr-2017-r2}\nrules:\n  - {name: A, kind: leak, severity: info, labels: {team: security}}\n", ""},
		{"label redefining what the signal sets", "rules:\n  - {name: A, kind: leak, severity: info, labels: {severity: low}}\n", `labels: "severity" is set from the signal`},
		{"label name", "labels: {election-round: 2}\n", `rules: labels: "election-round" is not a label name`},
		{"empty label value", "rules:\n  - {name: A, kind: leak, severity: info, labels: {team: ''}}\n", `labels: "team": empty value`},
		{"candidates on edges, which name none", "rules:\n  - {name: A, kind: edge, severity: info, candidates: [macron]}\n", "candidates: does not apply to edge rules"},
		{"timing on site change", "rules:\n  - {name: A, kind: site_change, severity: info, in_silence: true}\n", "in_silence: does not apply to site_change rules"},
		{"timing score range", "rules:\n  - {name: A, kind: leak, severity: info, min_timing_score: 2}\n", "min_timing_score: must be in [0,1]"},
		{"candidate without match", "candidates:\n  - {id: macron}\n", `candidates[0] "macron": match: empty`},
		{"relative link", "link: /d/leakwatch?var-object={object}\n", "rules: link"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cfg Config
			if err := yaml.Unmarshal([]byte(c.yaml), &cfg); err != nil {
				t.Fatal(err)
			}
			err := cfg.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("Validate() = %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("Validate() = %v, want %q", err, c.want)
			}
		})
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

func TestCandidatesFrom(t *testing.T) {
	cands := CandidatesFrom([]entities.Candidate{
		{ID: "macron", Names: []string{"Emmanuel Macron", "Macron"}, Handles: []string{"EmmanuelMacron"}, Hashtags: []string{"EnMarche"}},
		{ID: "lepen", Names: []string{"Marine Le Pen", "Le Pen"}, Aliases: []string{"MLP"}, Hashtags: []string{"Marine2017"}},
		{ID: "nobody"},
	})
	if len(cands) != 2 || cands[0].ID != "macron" || len(cands[0].Match) != 4 || cands[1].Match[3] != "Marine2017" {
		t.Fatalf("CandidatesFrom = %+v", cands)
	}
	cfg := DefaultConfig().WithCandidates(cands)
	own := Config{Rules: DefaultConfig().Rules, Candidates: []Candidate{{ID: "lepen", Match: []string{"rn"}}}}.WithCandidates(cands)
	if len(own.Candidates) != 2 || own.Candidates[0].Match[0] != "rn" || own.Candidates[1].ID != "macron" {
		t.Errorf("WithCandidates kept %+v, want the configured lepen first, then macron", own.Candidates)
	}
	cases := []struct {
		name string
		sig  leakwatch.Signal
		want string
	}{
		{"hashtag prefix written together", leakSignal("hashtag:lepenleaks", macronTiming, "domain:pastebin.com"), "lepen"},
		{"evidence most frequent first", leakSignal("all:posts", macronTiming, "term:#macronleaks", "domain:pastebin.com", "object:hashtag:marine2017"), "macron"},
		{"handle in a reshare target", leakSignal("reshare_of:https://twitter.com/EmmanuelMacron/status/1", macronTiming, "domain:mega.nz"), "macron"},
		{"short alias needs a whole word", leakSignal("url:https://pastebin.com/mlpx", macronTiming, "domain:pastebin.com", "term:internal documents"), ""},
		{"short alias as a word", leakSignal("hashtag:mlp", macronTiming, "domain:pastebin.com"), "lepen"},
		{"nothing about a candidate", leakSignal("url:https://pastebin.com/x", macronTiming, "domain:pastebin.com"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			as := Evaluate(cfg, c.sig)
			if len(as) != 1 {
				t.Fatalf("alerts %q, want one", names(as))
			}
			if as[0].Candidate != c.want || as[0].Labels["candidate"] != c.want {
				t.Errorf("candidate %q (label %q), want %q", as[0].Candidate, as[0].Labels["candidate"], c.want)
			}
		})
	}
}

// TestFoldASCIIMatchesNormalizer: fold's ASCII shortcut gives what the normalizer path gives,
// on every ASCII byte and on random ASCII strings; other text still takes that path.
func TestFoldASCIIMatchesNormalizer(t *testing.T) {
	var all []byte
	for c := range utf8.RuneSelf {
		all = append(all, byte(c))
	}
	inputs := []string{"", string(all), "Hillary Clinton", "#MacronLeaks", "LE-PEN 2017"}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 10000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = byte(rng.IntN(utf8.RuneSelf))
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		if got, want := fold(s), foldRunes(s); got != want {
			t.Fatalf("fold(%q) = %q, the normalizer gives %q", s, got, want)
		}
	}
	if got := fold("Mélenchon ÉCOLOGIE"); got != "melenchon ecologie" {
		t.Fatalf("fold of accented text = %q", got)
	}
}

// A consumer drops the alerts an alert supersedes, so one network or one leak incident is one
// alert: a group that merged with another supersedes the alerts raised on the other's id, a
// leak incident those raised on the keys it was published under before.
func TestSupersededAlerts(t *testing.T) {
	cfg := DefaultConfig()
	five := []string{"a", "b", "c", "d", "e"}
	young := Evaluate(cfg, leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-young", Accounts: five}})
	merged := Evaluate(cfg, leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g-old", Accounts: append(five, "f"), Supersedes: []string{"g-young"}}})
	if len(young) != 1 || len(merged) != 1 {
		t.Fatalf("want one CoordinatedGroup alert each: %q, %q", names(young), names(merged))
	}
	if got := merged[0].Supersedes; len(got) != 1 || got[0] != young[0].ID {
		t.Errorf("merged group's alert supersedes %v, want the younger group's alert %s", got, young[0].ID)
	}

	before := Evaluate(cfg, leakSignal("hashtag:macronleaks", macronTiming, "domain:pastebin.com"))
	moved := leakSignal("url:https://pastebin.com/x", macronTiming, "domain:pastebin.com")
	moved.Leak.Supersedes = []string{leakSignal("hashtag:macronleaks", macronTiming).Key()}
	after := Evaluate(cfg, moved)
	if len(before) != 1 || len(after) != 1 || !slices.Contains(after[0].Supersedes, before[0].ID) {
		t.Errorf("a leak incident that moved: alert %v supersedes %v, want it to list %v", names(after), after, names(before))
	}
	if plain := Evaluate(cfg, burstSignal("candidate:macron", 40)); len(plain) != 1 || plain[0].Supersedes != nil {
		t.Errorf("a burst supersedes nothing: %+v", plain)
	}
}

// Operators route on their own labels (the election, the team on call): the config's go on
// every alert, a rule's on its alerts and over the config's, and neither can redefine what
// the signal sets.
func TestConfiguredLabels(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Labels = map[string]string{"election": "fr-2017-r2", "team": "desk"}
	cfg.Rules[0].Labels = map[string]string{"team": "security"} // LeakBeforeSilence
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	leak := Evaluate(cfg, leakSignal("hashtag:macronleaks", macronTiming, "domain:pastebin.com"))
	burst := Evaluate(cfg, burstSignal("all:posts", 9))
	if len(leak) != 1 || len(burst) != 1 {
		t.Fatalf("alerts %q and %q", names(leak), names(burst))
	}
	if l := leak[0].Labels; l["election"] != "fr-2017-r2" || l["team"] != "security" || l["alertname"] != "LeakBeforeSilence" || l["severity"] != "critical" {
		t.Errorf("leak alert labels %v", l)
	}
	if l := burst[0].Labels; l["election"] != "fr-2017-r2" || l["team"] != "desk" || l["alertname"] != "StreamBurst" {
		t.Errorf("burst alert labels %v", l)
	}
	if again := Evaluate(cfg, leakSignal("hashtag:macronleaks", macronTiming, "domain:pastebin.com")); again[0].ID != leak[0].ID {
		t.Errorf("labels must not change the alert id")
	}
}

// A group's alert keeps its identity in Alertmanager, which tells alerts apart by their
// labels, while the group grows and its most shared objects change places.
func TestGroupAlertLabelsStayAsTheGroupGrows(t *testing.T) {
	cfg := DefaultConfig()
	version := func(objects ...string) leakwatch.Alert {
		as := Evaluate(cfg, leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: &leakwatch.Group{ID: "g", Accounts: []string{"a", "b", "c", "d", "e"},
			ObjectKinds: []leakwatch.ObjectKind{"hashtag", "url"}, First: onset, Last: onset.Add(time.Hour), Objects: objects}})
		if len(as) != 1 {
			t.Fatalf("%d alerts for a group of five, want one", len(as))
		}
		return as[0]
	}
	a, b := version("hashtag:marine2017", "url:https://example.org/x"), version("url:https://example.org/x", "hashtag:marine2017")
	if a.ID != b.ID || a.Object != b.Object || !maps.Equal(a.Labels, b.Labels) || a.Candidate != b.Candidate || a.Object != "group:g" {
		t.Errorf("two versions of one group: %s %s %v %s, then %s %s %v %s; want one identity named group:g",
			a.ID, a.Object, a.Labels, a.Candidate, b.ID, b.Object, b.Labels, b.Candidate)
	}
}

// TestLabelsAgreeWithExtraction: a hashtag is about the candidates the extraction counts it
// for, no more and no fewer, so a burst's `about` and the candidate's volume line agree; and a
// link is about a candidate only where whole words name them.
func TestLabelsAgreeWithExtraction(t *testing.T) {
	ecands := []entities.Candidate{
		{ID: "macron", Names: []string{"Emmanuel Macron", "Macron"}, Handles: []string{"EmmanuelMacron"}, Hashtags: []string{"EnMarche"}},
		{ID: "lepen", Names: []string{"Marine Le Pen", "Le Pen"}, Aliases: []string{"MLP"}, Hashtags: []string{"Marine2017"}},
		{ID: "melenchon", Names: []string{"Jean-Luc Mélenchon", "Mélenchon"}, Aliases: []string{"JLM"}, Hashtags: []string{"FranceInsoumise"}},
	}
	ecfg := entities.DefaultConfig()
	ecfg.Candidates = ecands
	x, err := entities.New(ecfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig().WithCandidates(CandidatesFrom(ecands))
	at := time.Date(2017, 4, 4, 20, 0, 0, 0, time.UTC)
	for _, tag := range []string{"MLP", "mlpx", "LePen", "LePenLeaks", "lepenible", "Pen2017", "Marine2017", "Marine", "Macron", "MacronLeaks",
		"EnMarche", "JLM", "JLM2017", "Mélenchon", "melenchon2017", "FranceInsoumise", "FranceInsoumi", "EmmanuelMacron", "LeGrandDebat"} {
		var extracted []string
		for _, m := range x.Extract(leakwatch.Post{Platform: "twitter", ID: "1", URI: "twitter:1", CreatedAt: at, Author: leakwatch.Account{ID: "a"}, Hashtags: []string{tag}}) {
			if id, ok := strings.CutPrefix(m.Object, "candidate:"); ok {
				extracted = append(extracted, id)
			}
		}
		slices.Sort(extracted)
		labelled := NamedIn(cfg, "hashtag:"+entities.Fold(tag))
		slices.Sort(labelled)
		if !slices.Equal(labelled, extracted) {
			t.Errorf("#%s: labelled %q, extraction counts %q", tag, labelled, extracted)
		}
	}
	for _, c := range []struct {
		text string
		want []string
	}{
		{"url:https://lequipe.fr/Football/Actualites/le-penalty-de-trop/790123", nil},
		{"url:https://example.fr/lepenalty", nil}, // a name starts a hashtag, not a word of a link
		{"url:https://example.fr/le-pen-parle", []string{"lepen"}},
		{"domain:en-marche.fr", []string{"macron"}},
		{"term:#macronleaks", []string{"macron"}},
		{"term:le pen", []string{"lepen"}},
		{"url:https://example.fr/le-penible", nil},
		{"url:https://example.fr/jean-luc-melenchon", []string{"melenchon"}},
		{"url:https://example.fr/mlpx", nil},
	} {
		if got := NamedIn(cfg, c.text); !slices.Equal(got, c.want) {
			t.Errorf("%s: labelled %q, want %q", c.text, got, c.want)
		}
	}
}

// A group's alert starts when the group became coordinated, not at a chance co-share days
// before: dated then, it reads as old news on the pager.
func TestGroupAlertStartsWhenFormed(t *testing.T) {
	g := &leakwatch.Group{ID: "g-1", Accounts: []string{"a", "b", "c", "d", "e"}, ObjectKinds: []leakwatch.ObjectKind{"url"},
		First: onset.Add(-127 * time.Hour), Formed: onset.Add(3 * time.Minute), Last: onset.Add(time.Hour), Objects: []string{"url:https://pastebin.com/x"}}
	as := Evaluate(DefaultConfig(), leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: g})
	if len(as) != 1 {
		t.Fatalf("alerts %q, want one", names(as))
	}
	want := "Coordinated group g-1: 5 accounts co-sharing url, coordinated from 2017-05-05 18:38 UTC to 2017-05-05 19:35 UTC; top objects url:https://pastebin.com/x"
	if !as[0].StartsAt.Equal(g.Formed) || as[0].Summary != want {
		t.Errorf("starts_at %s, summary\n got %q\nwant starts_at %s and %q", as[0].StartsAt, as[0].Summary, g.Formed, want)
	}
	g.Formed = time.Time{} // a record of an earlier version
	if as := Evaluate(DefaultConfig(), leakwatch.Signal{Kind: leakwatch.SignalGroup, Group: g}); !as[0].StartsAt.Equal(g.First) {
		t.Errorf("without formed: starts_at %s, want first %s", as[0].StartsAt, g.First)
	}
}
