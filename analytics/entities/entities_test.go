package entities_test

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/entities"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// frCandidates are the 2017 French candidates as a user would configure them.
var frCandidates = []entities.Candidate{
	{ID: "macron", Names: []string{"Macron", "Emmanuel Macron"}, Handles: []string{"EmmanuelMacron", "emmanuelmacron.bsky.social"}, Hashtags: []string{"EnMarche"}},
	{ID: "lepen", Names: []string{"Le Pen", "Marine Le Pen"}, Aliases: []string{"MLP"}, Handles: []string{"MLP_officiel"}, Hashtags: []string{"Marine2017"}},
	{ID: "fillon", Names: []string{"Fillon", "François Fillon"}, Handles: []string{"FrancoisFillon"}},
	{ID: "melenchon", Names: []string{"Mélenchon", "Jean-Luc Mélenchon"}, Aliases: []string{"JLM"}, Handles: []string{"JLMelenchon"}, Hashtags: []string{"JLM2017"}},
	{ID: "hamon", Names: []string{"Hamon", "Benoît Hamon"}, Handles: []string{"benoithamon", "benoit-h.bsky.social"}},
}

func newExtractor(t testing.TB) *entities.Extractor {
	t.Helper()
	cfg := entities.DefaultConfig()
	cfg.Candidates = frCandidates
	x, err := entities.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func objects(ms []leakwatch.Mention, kind string) []string {
	var out []string
	for _, m := range ms {
		if strings.HasPrefix(m.Object, kind+":") {
			out = append(out, strings.TrimPrefix(m.Object, kind+":"))
		}
	}
	slices.Sort(out)
	return out
}

var at = time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)

func post(text string) leakwatch.Post {
	return leakwatch.Post{Platform: "twitter", ID: "1", URI: "twitter:1", CreatedAt: at, Author: leakwatch.Account{ID: "42"}, Text: text}
}

func TestCandidates(t *testing.T) {
	x := newExtractor(t)
	tests := []struct {
		text string
		want []string
	}{
		{"Débat: MÉLENCHON répond à Fillon", []string{"fillon", "melenchon"}},
		{"l'élection d'Emmanuel Macron", []string{"macron"}},
		{"Le programme de Marine LE PEN", []string{"lepen"}},
		{"Qu’en pense @EmmanuelMacron ?", []string{"macron"}},
		{"#Macron2017 #LePenLeaks", []string{"lepen", "macron"}},
		{"#MacronLeaks", []string{"macron"}},
		{"#JLM2017 en direct", []string{"melenchon"}},
		{"@mlp_officiel et @benoithamon", []string{"hamon", "lepen"}},
		// Whole words only: neither a longer word nor a name split across sentences.
		{"les macronistes et le penchant", nil},
		{"Hamonisation", nil},
		{"Le. Pen", nil},
		{"Jean-Luc Mélenchon", []string{"melenchon"}},
		{"jean luc melenchon", []string{"melenchon"}},
		// Any white space keeps a name together: a line break, a no-break space.
		{"Marine Le\nPen", []string{"lepen"}},
		{"Marine Le\r\nPen", []string{"lepen"}},
		{"Marine\u00a0Le\u202fPen", []string{"lepen"}},
		// A domain-style handle is one handle: it matches a dotted handle configured, not
		// the account of the same name on another platform, nor does an e-mail address.
		{"@emmanuelmacron.bsky.social bonjour", []string{"macron"}},
		{"@EmmanuelMacron.bsky.social", []string{"macron"}},
		{"@jlmelenchon.bsky.social bonjour", nil},
		{"avec @Benoit-H.bsky.social", []string{"hamon"}},
		{"écrire à contact@benoithamon.fr", nil},
		{"merci @JLMelenchon.", []string{"melenchon"}},
		{"@JLMelenchon-style", []string{"melenchon"}},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			got := objects(x.Extract(post(tc.text)), "candidate")
			if !slices.Equal(got, tc.want) {
				t.Fatalf("candidates %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOwnAccount: a candidate's own posts (a thread replying to itself) do not mention the
// candidate by its handle; its name or hashtag still does, and other candidates' handles too.
func TestOwnAccount(t *testing.T) {
	x := newExtractor(t)
	tests := []struct {
		name           string
		handle, id     string
		text           string
		mentions, tags []string
		want           []string
	}{
		{"thread, mention list", "EmmanuelMacron", "1976143068", "Suite du fil : merci à tous pour ce soir", []string{"EmmanuelMacron"}, nil, nil},
		{"thread, handle in text", "EmmanuelMacron", "1976143068", "@EmmanuelMacron suite du fil, merci à tous", nil, nil, nil},
		{"archive naming accounts by handle", "", "@EmmanuelMacron", "@emmanuelmacron suite du fil", nil, nil, nil},
		{"own name", "EmmanuelMacron", "1", "@EmmanuelMacron Emmanuel Macron vous répond", nil, nil, []string{"macron"}},
		{"own hashtag", "EmmanuelMacron", "1", "Suite du fil #EnMarche", []string{"EmmanuelMacron"}, []string{"EnMarche"}, []string{"macron"}},
		{"a rival's handle", "EmmanuelMacron", "1", "Réponse à @MLP_officiel", []string{"EmmanuelMacron"}, nil, []string{"lepen"}},
		{"someone else", "jdupont", "2", "Suite du fil de @EmmanuelMacron", []string{"EmmanuelMacron"}, nil, []string{"macron"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := post(tc.text)
			p.Author = leakwatch.Account{ID: tc.id, Handle: tc.handle}
			p.Mentions, p.Hashtags = tc.mentions, tc.tags
			if got := objects(x.Extract(p), "candidate"); !slices.Equal(got, tc.want) {
				t.Fatalf("candidates %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHashtagsAndURLs(t *testing.T) {
	x := newExtractor(t)
	ms := x.Extract(post("#MacronLeaks #macronleaks #Élysée voir https://WWW.Example.COM:443/a/b/?utm_source=tw&b=2&a=1#frag et http://pastebin.com/abc."))
	if got, want := objects(ms, "hashtag"), []string{"elysee", "macronleaks"}; !slices.Equal(got, want) {
		t.Errorf("hashtags %v, want %v", got, want)
	}
	if got, want := objects(ms, "url"), []string{"http://pastebin.com/abc", "https://example.com/a/b?a=1&b=2"}; !slices.Equal(got, want) {
		t.Errorf("urls %v, want %v", got, want)
	}
	if got, want := objects(ms, "domain"), []string{"example.com", "pastebin.com"}; !slices.Equal(got, want) {
		t.Errorf("domains %v, want %v", got, want)
	}
}

// A retweet over 140 characters was cut by the platform, often inside a tag or a handle: the
// cut name is another tag or account, so it names nothing, while whole ones before it count.
func TestCutTagsAndHandlesNameNothing(t *testing.T) {
	x := newExtractor(t)
	for _, text := range []string{
		"RT @LCI: #LeGrandDebat Mélenchon parle #JLM2017 #FranceInsoumi…",
		"RT @LCI: #LeGrandDebat Mélenchon parle #JLM2017 #legranddeb...",
		"RT @LCI: #LeGrandDebat Mélenchon parle #JLM2017 @EmmanuelMacr… https://t.co/x9Zk",
	} {
		ms := x.Extract(post(text))
		if got, want := objects(ms, "hashtag"), []string{"jlm2017", "legranddebat"}; !slices.Equal(got, want) {
			t.Errorf("%s: hashtags %v, want %v (no cut tag)", text, got, want)
		}
		if got, want := objects(ms, "candidate"), []string{"melenchon"}; !slices.Equal(got, want) {
			t.Errorf("%s: candidates %v, want %v", text, got, want)
		}
	}
	ms := x.Extract(post("#Macron... quelle soirée #MacronLeaks… regardez #JLM2… https://t.co/lgI7RuCdXJ"))
	if got, want := objects(ms, "hashtag"), []string{"macron", "macronleaks"}; !slices.Equal(got, want) {
		t.Errorf("hashtags %v, want %v (dots followed by words cut nothing; a tag cut before the link to the whole post names nothing)", got, want)
	}
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"HTTPS://Example.com/", "https://example.com"},
		{"https://example.com", "https://example.com"},
		{"http://example.com:80/x", "http://example.com/x"},
		{"http://example.com:8080/x", "http://example.com:8080/x"},
		{"https://www.lemonde.fr/politique/article.html?fbclid=XYZ&gclid=1&igshid=2#comments", "https://lemonde.fr/politique/article.html"},
		{"https://x.org/p/?z=1&a=2&a=1&utm_campaign=c", "https://x.org/p?a=1&a=2&z=1"},
		{"https://x.org/Case/Path", "https://x.org/Case/Path"},
	}
	for _, tc := range tests {
		got, err := entities.NormalizeURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"ftp://x.org/a", "mailto:a@b.c", "https://", "not a url"} {
		if got, err := entities.NormalizeURL(bad); err == nil {
			t.Errorf("NormalizeURL(%q) = %q, want an error", bad, got)
		}
	}
}

// TestURLSpellings: every spelling of one link gives one url object, and links that differ
// stay apart.
func TestURLSpellings(t *testing.T) {
	tests := []struct {
		want      string
		spellings []string
	}{
		// Escaped unreserved characters decoded, the rest escaped with upper-case hex digits.
		{"https://example.org/a~b", []string{"https://example.org/a%7Eb", "https://example.org/a%7eb", "https://example.org/a~b"}},
		{"https://example.org/caf%C3%A9", []string{"https://example.org/café", "https://example.org/caf%c3%a9", "https://example.org/caf%C3%A9"}},
		{"https://example.org/a%20b", []string{"https://example.org/a b", "https://example.org/a%20b"}},
		{"https://example.org/A-1", []string{"https://example.org/%41%2D%31"}},
		// An escaped slash or other reserved character is not the character itself.
		{"https://example.org/a%2Fb/%C3%A9", []string{"https://example.org/a%2fb/é"}},
		{"https://example.org/a/b", []string{"https://example.org/a/b/"}},
		{"https://example.org/a%3Bb", []string{"https://example.org/a%3bb"}},
		{"https://example.org/a;b", []string{"https://example.org/a;b"}},
		// Query values too.
		{"https://example.org/p?q=caf%C3%A9+~", []string{"https://example.org/p?q=caf%c3%a9%20%7E", "https://example.org/p?q=café+~"}},
		// Internationalised hosts in their ASCII form, domain objects too.
		{"https://xn--bcher-kva.de/x", []string{"https://Bücher.de/x", "https://BÜCHER.DE/x", "https://www.bücher.de./x", "https://xn--bcher-kva.de/x", "https://b%C3%BCcher.de/x"}},
		// ';' separates parameters: tracking parameters after one are dropped.
		{"https://example.org/a?b=1&c=2", []string{"https://example.org/a?b=1;utm_source=x;c=2", "https://example.org/a?c=2&b=1&utm_source=x"}},
		// IPv6 hosts keep their brackets.
		{"https://[::1]:8080/a", []string{"https://[::1]:8080/a"}},
		{"https://[2001:db8::1]/a", []string{"https://[2001:DB8::1]:443/a/"}},
	}
	for _, tc := range tests {
		for _, s := range tc.spellings {
			if got, err := entities.NormalizeURL(s); err != nil || got != tc.want {
				t.Errorf("NormalizeURL(%q) = %q, %v; want %q", s, got, err, tc.want)
			}
		}
	}
	x := newExtractor(t)
	ms := x.Extract(post("https://Bücher.de/x https://www.xn--bcher-kva.de/y"))
	if got, want := objects(ms, "domain"), []string{"xn--bcher-kva.de"}; !slices.Equal(got, want) {
		t.Errorf("domains %v, want %v", got, want)
	}
}

func TestRegistrableDomain(t *testing.T) {
	for in, want := range map[string]string{
		"news.bbc.co.uk": "bbc.co.uk", "en-marche.fr": "en-marche.fr", "a.b.blogspot.com": "b.blogspot.com",
		"WWW.Le-Pen.FR.": "le-pen.fr", "192.0.2.1": "192.0.2.1",
		"shop.Bücher.de": "xn--bcher-kva.de", "xn--bcher-kva.de": "xn--bcher-kva.de",
	} {
		if got := entities.RegistrableDomain(in); got != want {
			t.Errorf("RegistrableDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTargetsMediaObjects(t *testing.T) {
	x := newExtractor(t)
	p := post("un texte assez long pour avoir une empreinte")
	p.ReshareOf, p.QuoteOf, p.ReplyTo = "twitter:7", "twitter:8", "twitter:9"
	p.Media = []leakwatch.Media{{Type: "photo", Hash: "ABCDEF"}}
	p.Objects = []leakwatch.ObjectRef{{Kind: leakwatch.KindURL, Value: "23678"}}
	ms := x.Extract(p)
	if ms[0].Object != leakwatch.AllPosts {
		t.Errorf("first mention %q, want %q", ms[0].Object, leakwatch.AllPosts)
	}
	for _, want := range []string{"reshare_of:twitter:7", "reshare_of:twitter:8", "reply_to:twitter:9", "image:abcdef", "url:23678"} {
		if !slices.ContainsFunc(ms, func(m leakwatch.Mention) bool { return m.Object == want }) {
			t.Errorf("no mention of %s in %v", want, ms)
		}
	}
	for _, m := range ms {
		if m.Account != "42" || m.Post != "twitter:1" || !m.At.Equal(at) || m.Platform != "twitter" {
			t.Fatalf("mention %+v does not carry the post's account, uri, time and platform", m)
		}
	}
}

func TestTextFingerprints(t *testing.T) {
	x := newExtractor(t)
	base := "Les documents de la campagne ont été publiés ce soir sur plusieurs sites"
	fp := func(text string) []string { return objects(x.Extract(post(text)), "text") }
	near := func(text string) []string { return objects(x.Extract(post(text)), "neartext") }
	same := []string{
		"LES DOCUMENTS de la campagne ont ete publies ce soir sur plusieurs sites https://t.co/abc",
		"Les  documents de la campagne, ont été publiés ce soir sur plusieurs sites !",
	}
	for _, s := range same {
		if got, want := fp(s), fp(base); !slices.Equal(got, want) || len(got) != 1 {
			t.Errorf("text of %q = %v, want %v", s, got, want)
		}
	}
	if got := fp("Merci à tous"); got != nil {
		t.Errorf("short text got a fingerprint %v", got)
	}
	// One word changed in a 27-word post (Jaccard 0.85 over word pairs): a different exact
	// text, but the near-duplicate bands overlap (probability 1-(1-0.85^6)^9 > 0.99).
	long := base + " quelques heures avant la fin officielle de la campagne et personne ne peut plus y répondre"
	edited := strings.Replace(long, "soir", "matin", 1)
	if shared := 0; true {
		for _, b := range near(edited) {
			if slices.Contains(near(long), b) {
				shared++
			}
		}
		if shared == 0 {
			t.Errorf("near-duplicate texts share no LSH band: %v vs %v", near(edited), near(long))
		}
	}
	if slices.Equal(fp(edited), fp(base)) {
		t.Error("edited text has the same exact fingerprint")
	}
	unrelated := "Le candidat présentera demain son programme économique devant les journalistes à Paris"
	for _, b := range near(unrelated) {
		if slices.Contains(near(base), b) {
			t.Errorf("unrelated texts share band %s", b)
		}
	}
	if got := len(near(base)); got != entities.DefaultConfig().NearText.Bands {
		t.Errorf("%d neartext bands, want %d", got, entities.DefaultConfig().NearText.Bands)
	}
	// Retweets written into the text name their target, and are not texts of their own.
	if got := fp("RT @someone: " + base); got != nil {
		t.Errorf("retweet got a text object %v", got)
	}
	rs := post(base)
	rs.ReshareOf = "twitter:9"
	if got := objects(x.Extract(rs), "text"); got != nil {
		t.Errorf("reshare with a target got a text object %v", got)
	}
	rt := objects(x.Extract(post("RT @JLMelenchon: "+base)), "reshare_of")
	rt2 := objects(x.Extract(post("RT @jlmelenchon: "+base+" https://t.co/x")), "reshare_of")
	if len(rt) != 1 || !slices.Equal(rt, rt2) || !strings.HasPrefix(rt[0], "@jlmelenchon/") {
		t.Errorf("retweet targets %v and %v, want one shared @jlmelenchon/... target", rt, rt2)
	}
}

// TestFrenchDebateTweets runs extraction over real tweets of the 2017 debates: each candidate
// account's own tweets, and the mentions of rivals a reader can check.
func TestFrenchDebateTweets(t *testing.T) {
	path := testenv.SharedData(t, "data/fr-2017-debates/tweets_debat_20170404.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	x := newExtractor(t)
	counts := map[string]int{}
	hashtags := map[string]int{}
	for i, row := range rows[1:] {
		p := post(row[2])
		p.Author.ID = strings.TrimPrefix(row[0], "@")
		for _, m := range x.Extract(p) {
			if m.Account != p.Author.ID {
				t.Fatalf("row %d: mention account %q, want %q", i+2, m.Account, p.Author.ID)
			}
			if c, ok := strings.CutPrefix(m.Object, "candidate:"); ok {
				counts[c]++
			}
			if h, ok := strings.CutPrefix(m.Object, "hashtag:"); ok {
				hashtags[h]++
			}
		}
	}
	// Every monitored candidate is mentioned in a debate night's tweets of eleven candidates,
	// and the debate hashtag, written #LeGrandDebat / #legranddébat, folds to one object.
	for _, c := range frCandidates {
		if counts[c.ID] == 0 {
			t.Errorf("candidate %s never found (counts %v)", c.ID, counts)
		}
	}
	if hashtags["legranddebat"] < 20 {
		t.Errorf("hashtag legranddebat found %d times, want the debate's tag on many tweets; top: %v", hashtags["legranddebat"], hashtags)
	}
	t.Logf("candidate mentions: %v", counts)
}

func TestConfigValidate(t *testing.T) {
	cfg := entities.DefaultConfig()
	cfg.Candidates = []entities.Candidate{{ID: "a b", Names: []string{"A"}}, {ID: "c"}}
	cfg.NearText.Bands = 0
	err := cfg.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"candidates[0].id", "candidates[1] (c)", "near_text.bands"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// wordEvidence is an Evidencer for tests: a "term:" for each listed word in the text, and a
// "domain:" for each link the post lists.
type wordEvidence []string

func (w wordEvidence) Evidence(p leakwatch.Post) []string {
	var out []string
	for _, word := range w {
		if strings.Contains(strings.ToLower(p.Text), word) {
			out = append(out, "term:"+word)
		}
	}
	for _, l := range p.URLs {
		out = append(out, "domain:"+l.Domain)
	}
	return out
}

// TestRepeatedPostsKeepTheirObjects: an extractor that has seen a post's text before (it
// remembers posts' objects by their content, and texts' near-duplicate bands by their words)
// gives a post exactly what a fresh extractor gives it, evidence and bands included: for
// repeated texts with candidates, hashtags, handles, links, "RT @" prefixes and leak words,
// for texts that differ only in case (the same words: bands from the texts remembered), and
// for one text posted with and without a hashtag, a handle, a link, a target or an object of
// its own. The hashtag lists are one buffer reused post after post, as a reader recycling
// its posts does.
func TestRepeatedPostsKeepTheirObjects(t *testing.T) {
	words := strings.Fields("Macron Le Pen #EnMarche @JLMelenchon leak dump vote https://ex.fr/a?utm_source=x https://t.co/ab… emails campagne débat urne silence d'Hamon")
	r := rand.New(rand.NewPCG(7, 8))
	var texts []string
	for range 200 {
		var b strings.Builder
		if r.IntN(10) == 0 {
			b.WriteString("RT @relay: ")
		}
		for i := range 2 + r.IntN(14) {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		texts = append(texts, b.String())
	}
	cfg := entities.DefaultConfig()
	cfg.Candidates = frCandidates
	ev := wordEvidence{"leak", "dump"}
	long, err := entities.New(cfg, ev)
	if err != nil {
		t.Fatal(err)
	}
	tags := make([]string, 1)
	extras := []func(*leakwatch.Post){
		func(*leakwatch.Post) {}, func(*leakwatch.Post) {}, func(*leakwatch.Post) {},
		func(p *leakwatch.Post) { tags[0] = "Marine2017"; p.Hashtags = tags },
		func(p *leakwatch.Post) { tags[0] = "JLM2017"; p.Hashtags = tags },
		func(p *leakwatch.Post) { p.Mentions = []string{"@EmmanuelMacron"} },
		func(p *leakwatch.Post) {
			p.URLs = []leakwatch.Link{{Raw: "https://t.co/x", Normalized: "https://pastebin.com/x", Domain: "pastebin.com"}}
		},
		func(p *leakwatch.Post) { p.ReshareOf = "twitter:9" },
		func(p *leakwatch.Post) { p.ReplyTo = "twitter:8" },
		// The candidate's own account: its handle in the text is no mention of it.
		func(p *leakwatch.Post) { p.Author.Handle = "JLMelenchon" },
		func(p *leakwatch.Post) {
			p.Objects = []leakwatch.ObjectRef{{Kind: leakwatch.KindURL, Value: "https://ex.fr/b"}}
		},
	}
	banded := 0
	repeats := entities.RepeatedPosts(r, texts, 20000, func(i int, p leakwatch.Post) {
		extras[r.IntN(len(extras))](&p)
		fresh, err := entities.New(cfg, ev)
		if err != nil {
			t.Fatal(err)
		}
		got, want := long.Extract(p), fresh.Extract(p)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("post %d %+v:\n got %v\nwant %v", i, p, got, want)
		}
		if slices.ContainsFunc(got, func(m leakwatch.Mention) bool { return strings.HasPrefix(m.Object, "neartext:") }) {
			banded++
		}
	})
	if repeats < 10000 || banded < 5000 {
		t.Fatalf("%d repeated texts, %d with bands: the test does not exercise the memory", repeats, banded)
	}
}

// A post's objects are deduped by a scan while they are few and through an index past
// scanKeys: a post of 40,000 hashtags (a hostile instance's) took seconds, the scan being
// quadratic. Every object comes once, in the order the post names it first, either way.
func TestManyObjectsDedupe(t *testing.T) {
	x := newExtractor(t)
	for _, n := range []int{10, 32, 33, 200, 5000} {
		p := post("a post")
		for i := range n {
			p.Hashtags = append(p.Hashtags, fmt.Sprintf("t%d", i), fmt.Sprintf("T%d", i/2)) // each of the second kind twice, case folded
		}
		var got []string
		for _, m := range x.Extract(p) {
			if strings.HasPrefix(m.Object, "hashtag:") {
				got = append(got, m.Object)
			}
		}
		if distinct := len(slices.Compact(slices.Sorted(slices.Values(got)))); len(got) != n || distinct != n {
			t.Errorf("%d distinct hashtags: %d objects, %d distinct", n, len(got), distinct)
		}
		if got[0] != "hashtag:t0" || got[len(got)-1] != fmt.Sprintf("hashtag:t%d", n-1) {
			t.Errorf("%d hashtags: first %s last %s, want them in the post's order", n, got[0], got[len(got)-1])
		}
	}
}
