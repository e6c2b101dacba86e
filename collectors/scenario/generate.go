package scenario

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/entities"
	"github.com/leakwatch/leakwatch/analytics/eval"
	"github.com/leakwatch/leakwatch/collectors/twitter"
)

// Scenario is a generated campaign: posts, site changes, the truth and the calendar.
type Scenario struct {
	// Tweets are Twitter v1.1 tweet objects, one JSON document each, in time order.
	Tweets  [][]byte
	Changes []leakwatch.SiteChange
	Truth   eval.Truth
}

// Posts decodes the tweets, in their order.
func (s *Scenario) Posts() ([]leakwatch.Post, error) {
	posts := make([]leakwatch.Post, 0, len(s.Tweets))
	for i, raw := range s.Tweets {
		p, err := twitter.DecodeV1(raw)
		if err != nil {
			return nil, fmt.Errorf("scenario tweet %d: %w", i, err)
		}
		posts = append(posts, p)
	}
	return posts, nil
}

type role uint8

const (
	roleOrganic role = iota
	roleMedia
	roleHub
	roleRing
	roleBot
	roleSeeder
)

type account struct {
	id                          int64
	idStr, screen, name         string
	bio, location               string
	created                     time.Time
	followers, friends          int
	statuses                    int
	lang                        string
	verified, defaultProfile    bool
	role                        role
	rate                        float64 // organic posts a day
	english                     float64 // probability of writing in English
	retweetShare, articleShare  float64
	media                       int // roleMedia: index in newsDomains
	lastLeakPost, lastReplyPost time.Time
}

type actKind uint8

const (
	actOrganic actKind = iota
	actArticle
	actHub
	actRingRT
	actSeed
	actBotPost
	actBotRT
	actSeederRT
)

// slot carries a tweet from the action that writes it to the actions that retweet it.
type slot struct{ tw *v1Tweet }

type action struct {
	at   time.Time
	seq  int
	acct *account
	kind actKind
	out  *slot   // the tweet this action writes, for later actions
	in   []*slot // candidate tweets to retweet (one is chosen)
	link string  // leak mirror for seeds and bot posts
	lang string
}

type article struct {
	url, title string
	media      *account
	at         time.Time
	pop        float64
}

type gen struct {
	cfg   Config
	rng   *rand.Rand
	start time.Time
	end   time.Time
	seq   int64

	cum       []float64 // cumulative intensity per minute of the window
	organic   []*account
	media     []*account
	hub       *account
	ring      []*account
	bots      []*account
	seeders   []*account
	usedNames map[string]bool
	usedIDs   map[int64]bool

	actions  []*action
	tweets   []*v1Tweet
	pool     []*v1Tweet // popular tweets to retweet and reply to, oldest first
	poolCum  []float64  // prefix sums of their weights
	poolHead int        // first pool entry younger than a day
	articles []*article
	seedTws  []*v1Tweet
	mirrors  []string
	leakAt   time.Time

	deface *leakwatch.SiteChange

	ringTargets []string
	ringOnset   time.Time
	ringEnd     time.Time
	opEnd       time.Time
}

// Generate synthesises the campaign cfg describes. The same cfg always gives the same output.
func Generate(cfg Config) (*Scenario, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &gen{
		cfg:       cfg,
		rng:       rand.New(rand.NewPCG(cfg.Seed, 0x6c65616b77617463)),
		start:     cfg.Start,
		end:       cfg.end(),
		usedNames: map[string]bool{},
		usedIDs:   map[int64]bool{},
		leakAt:    cfg.leakAt(),
	}
	g.intensity()
	g.makeAccounts()
	g.planOrganic()
	g.planMedia()
	if cfg.RetweetRing {
		g.planRing()
	}
	if cfg.LeakDump {
		g.planLeak()
	}
	sort.SliceStable(g.actions, func(i, j int) bool {
		if !g.actions[i].at.Equal(g.actions[j].at) {
			return g.actions[i].at.Before(g.actions[j].at)
		}
		return g.actions[i].seq < g.actions[j].seq
	})
	for _, a := range g.actions {
		if !a.at.Before(g.end) || a.at.Before(g.start) {
			continue
		}
		g.run(a)
	}
	sc := &Scenario{Truth: g.truth()}
	sc.Tweets = make([][]byte, len(g.tweets))
	for i, t := range g.tweets {
		b, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("tweet %s: %w", t.IDStr, err)
		}
		sc.Tweets[i] = b
	}
	sc.Truth.Posts = len(sc.Tweets)
	if cfg.Defacement {
		sc.Changes = g.siteChanges()
	} else {
		sc.Changes = g.benignChanges()
	}
	return sc, nil
}

// ---- time ----

// hourProfile is the relative activity of French Twitter by local hour.
var hourProfile = [24]float64{0.6, 0.35, 0.2, 0.12, 0.1, 0.15, 0.35, 0.7, 0.95, 1, 1, 1.05, 1.15, 1.1, 1, 1, 1, 1.05, 1.15, 1.25, 1.4, 1.5, 1.3, 0.95}

func (g *gen) surge(t time.Time) float64 {
	f := 1.0
	if e, ok := event("debate-r2"); ok {
		switch {
		case !t.Before(e.Start) && t.Before(e.End):
			f *= 4
		case !t.Before(e.Start.Add(-time.Hour)) && t.Before(e.Start), !t.Before(e.End) && t.Before(e.End.Add(90*time.Minute)):
			f *= 2
		}
	}
	if g.cfg.LeakDump {
		if d := t.Sub(g.leakAt); d > 15*time.Minute && d < 6*time.Hour {
			f *= 1.3
		}
	}
	if lt := t.In(paris); lt.Month() == time.May && lt.Day() == 1 && lt.Hour() >= 10 && lt.Hour() < 18 {
		f *= 1.3 // May Day marches, both candidates on the streets
	}
	return f
}

func (g *gen) intensity() {
	n := int(g.end.Sub(g.start) / time.Minute)
	g.cum = make([]float64, n+1)
	for i := 0; i < n; i++ {
		t := g.start.Add(time.Duration(i) * time.Minute)
		g.cum[i+1] = g.cum[i] + hourProfile[t.In(paris).Hour()]*g.surge(t)
	}
}

// sampleTime draws a time with the campaign's rhythm between from and to.
func (g *gen) sampleTime(from, to time.Time) time.Time {
	i0 := max(0, int(from.Sub(g.start)/time.Minute))
	i1 := min(len(g.cum)-1, int(to.Sub(g.start)/time.Minute))
	if i1 <= i0 {
		return from
	}
	u := g.cum[i0] + g.rng.Float64()*(g.cum[i1]-g.cum[i0])
	i := sort.SearchFloat64s(g.cum, u) - 1
	i = max(i0, min(i, i1-1))
	return g.start.Add(time.Duration(i)*time.Minute + time.Duration(g.rng.Int64N(int64(time.Minute))))
}

// fill formats a template that may use only some of its arguments (a headline without
// the candidate's name), without fmt's %!(EXTRA ...) notes.
func fill(format string, args ...any) string {
	s := fmt.Sprintf(format, args...)
	if i := strings.Index(s, "%!(EXTRA"); i >= 0 {
		s = s[:i]
	}
	return s
}

// ---- random helpers ----

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *gen) weighted(w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := g.rng.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

func (g *gen) poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*g.rng.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= g.rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func (g *gen) lognormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*g.rng.NormFloat64())
}

func (g *gen) expDur(mean time.Duration) time.Duration {
	return time.Duration(g.rng.ExpFloat64() * float64(mean))
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (g *gen) token(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[g.rng.IntN(len(alnum))]
	}
	return string(b)
}

func (g *gen) tco() string { return "https://t.co/" + g.token(10) }

// snowflake is a Twitter id for time t, unique per call.
func (g *gen) snowflake(t time.Time) int64 {
	g.seq++
	return (t.UnixMilli()-1288834974657)<<22 | (g.seq & 0x3FFFFF)
}

// ---- accounts ----

func (g *gen) newAccount(r role, created time.Time, screen string) *account {
	for g.usedNames[strings.ToLower(screen)] {
		screen += strconv.Itoa(g.rng.IntN(10))
	}
	g.usedNames[strings.ToLower(screen)] = true
	var id int64
	for id == 0 || g.usedIDs[id] {
		if created.Before(time.Date(2013, 11, 1, 0, 0, 0, 0, time.UTC)) {
			id = 10_000_000 + g.rng.Int64N(2_000_000_000) // sequential-era ids
		} else {
			id = (created.UnixMilli()-1288834974657)<<22 | g.rng.Int64N(1<<22)
		}
	}
	g.usedIDs[id] = true
	return &account{id: id, idStr: strconv.FormatInt(id, 10), screen: screen, created: created, role: r, lang: "fr"}
}

func (g *gen) between(a, b time.Time) time.Time {
	return a.Add(time.Duration(g.rng.Int64N(int64(b.Sub(a)))))
}

func (g *gen) personName() (screen, name string) {
	f, l := g.pick(firstNames), g.pick(lastNames)
	name = strings.ToUpper(f[:1]) + f[1:] + " " + strings.ToUpper(l[:1]) + l[1:]
	switch g.rng.IntN(4) {
	case 0:
		screen = f + "_" + l
	case 1:
		screen = f + l + strconv.Itoa(g.rng.IntN(100))
	case 2:
		screen = f[:1] + l + strconv.Itoa(60+g.rng.IntN(40))
	default:
		screen = f + "_" + strconv.Itoa(1+g.rng.IntN(999))
	}
	return screen, name
}

func (g *gen) makeAccounts() {
	old, recent := time.Date(2008, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2017, 3, 1, 0, 0, 0, 0, time.UTC)
	for range g.cfg.Accounts {
		screen, name := g.personName()
		a := g.newAccount(roleOrganic, g.between(old, g.start.Add(-30*24*time.Hour)), screen)
		a.name = name
		a.followers = int(min(g.lognormal(150, 1.6), 400_000))
		a.friends = int(min(g.lognormal(250, 1), 5000))
		a.statuses = int(g.lognormal(3000, 1.3))
		a.rate = min(g.lognormal(g.cfg.PostsPerDay/math.Exp(0.5), 1), 80)
		a.english = 0.1
		if g.rng.Float64() < 0.2 {
			a.lang, a.english = "en", 0.85
		}
		a.retweetShare = 0.25 + 0.3*g.rng.Float64()
		a.articleShare = 0.1 + 0.2*g.rng.Float64()
		a.defaultProfile = g.rng.Float64() < 0.05
		a.location = g.pick([]string{"", "", "Paris", "Lyon", "Marseille", "France", "Lille", "Bordeaux", "Toulouse", "London", "Bruxelles", "Nantes"})
		g.organic = append(g.organic, a)
	}
	for i, d := range newsDomains {
		a := g.newAccount(roleMedia, g.between(old, recent.AddDate(-5, 0, 0)), d.media)
		a.name, a.lang, a.media, a.verified = strings.ToUpper(d.domain[:1])+d.domain[1:], d.lang, i, true
		a.followers = int(g.lognormal(400_000, 0.8))
		a.friends, a.statuses = 400+g.rng.IntN(800), 50_000+g.rng.IntN(200_000)
		g.media = append(g.media, a)
	}
	if g.cfg.RetweetRing {
		g.hub = g.newAccount(roleHub, g.between(time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)), hubHandle)
		g.hub.name, g.hub.followers, g.hub.friends, g.hub.statuses = "Le Courrier Patriote", 31_000+g.rng.IntN(5000), 900, 41_000
		g.hub.rate, g.hub.bio = 10, "Ce que les médias ne vous disent pas."
		for range g.cfg.Ring {
			screen, name := g.personName()
			a := g.newAccount(roleRing, g.between(time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC), recent), screen)
			a.name, a.followers, a.friends, a.statuses = name, 40+g.rng.IntN(500), 300+g.rng.IntN(1500), 2000+g.rng.IntN(20_000)
			a.rate, a.english, a.retweetShare, a.articleShare = 2+3*g.rng.Float64(), 0.05, 0.5, 0.15
			g.ring = append(g.ring, a)
		}
	}
	if g.cfg.LeakDump {
		for i := range g.cfg.Seeders {
			var a *account
			switch i {
			case 0:
				a = g.newAccount(roleSeeder, time.Date(2011, 3, 14, 9, 12, 0, 0, time.UTC), "truth_reporter_"+strconv.Itoa(10+g.rng.IntN(90)))
				a.followers, a.lang, a.english = 8000+g.rng.IntN(8000), "en", 1
			default:
				a = g.newAccount(roleSeeder, g.between(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), recent), g.pick(botFirst)+"_"+g.token(4))
				a.followers, a.english = 200+g.rng.IntN(1500), 0.5
			}
			a.name, a.friends, a.statuses = strings.ReplaceAll(a.screen, "_", " "), 500+g.rng.IntN(2000), 5000+g.rng.IntN(30_000)
			a.rate, a.retweetShare, a.articleShare = 4, 0.4, 0.2
			g.seeders = append(g.seeders, a)
		}
		for range g.cfg.Bots {
			var a *account
			if g.rng.Float64() < 0.6 {
				// fresh accounts, named like the defaults Twitter suggests
				a = g.newAccount(roleBot, g.between(g.start.Add(-21*24*time.Hour), g.leakAt.Add(-48*time.Hour)), g.pick(firstNames)+strconv.Itoa(10_000_000+g.rng.IntN(89_999_999)))
				a.followers, a.defaultProfile = g.rng.IntN(25), g.rng.Float64() < 0.7
			} else {
				// older accounts repurposed for the operation
				a = g.newAccount(roleBot, g.between(time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC), recent), g.pick(botFirst)+g.pick([]string{"", "_", "4"})+g.pick([]string{"Trump", "MAGA", "USA", "Europe", "Nation"})+strconv.Itoa(g.rng.IntN(100)))
				a.followers = 100 + g.rng.IntN(2500)
			}
			a.name, a.lang, a.english = a.screen, "en", 0.7
			a.friends, a.statuses = 200+g.rng.IntN(3000), 3000+g.rng.IntN(40_000)
			a.rate, a.retweetShare, a.articleShare = 0.8, 0.6, 0.1
			g.bots = append(g.bots, a)
		}
	}
}

// ---- planning ----

func (g *gen) plan(a *action) *action {
	a.seq = len(g.actions)
	g.actions = append(g.actions, a)
	return a
}

func (g *gen) planOrganic() {
	days := float64(g.cfg.Days)
	everyone := slices.Concat(g.organic, g.ring, g.bots, g.seeders)
	for _, a := range everyone {
		n := g.poisson(a.rate * days)
		for range n {
			g.plan(&action{at: g.sampleTime(g.start, g.end), acct: a, kind: actOrganic})
		}
	}
}

func (g *gen) planMedia() {
	for _, m := range g.media {
		n := g.poisson(14 * float64(g.cfg.Days))
		for range n {
			g.plan(&action{at: g.sampleTime(g.start, g.end), acct: m, kind: actArticle})
		}
	}
}

func (g *gen) planRing() {
	n := g.poisson(g.hub.rate * float64(g.cfg.Days))
	for range n {
		at := g.sampleTime(g.start, g.end)
		out := &slot{}
		g.plan(&action{at: at, acct: g.hub, kind: actHub, out: out})
		// The ring runs all week but its first coordinated retweet in the file comes two hours
		// in: a monitor joining a stream cannot time what began before it had a baseline.
		if g.rng.Float64() >= 0.5 || at.Before(g.start.Add(2*time.Hour)) {
			continue
		}
		for _, r := range g.ring {
			if g.rng.Float64() < 0.8 {
				d := 3*time.Second + min(g.expDur(12*time.Second), 50*time.Second)
				g.plan(&action{at: at.Add(d), acct: r, kind: actRingRT, in: []*slot{out}})
			}
		}
	}
}

// planLeak schedules the dump: seed posts at the onset, then waves of bot amplification
// (retweets of the seeds and near-duplicate posts of the mirrors), the first within minutes.
func (g *gen) planLeak() {
	onset := g.leakAt
	domainOf := func(i int) string { return leakDomains[i%len(leakDomains)] }
	mirror := func(i int) string {
		switch domainOf(i) {
		case "pastebin.com":
			return "https://pastebin.com/" + g.token(8)
		case "archive.org":
			return "https://archive.org/details/EMLRK" + strconv.Itoa(1000+g.rng.IntN(9000))
		case "mega.nz":
			return "https://mega.nz/folder/" + g.token(8) + "#" + g.token(22)
		default:
			return "https://anonfile.com/" + g.token(10) + "/campaign_mails_zip"
		}
	}
	waves := []time.Duration{3 * time.Minute, 47 * time.Minute, 2*time.Hour + 15*time.Minute, 13*time.Hour + 10*time.Minute, 18*time.Hour + 30*time.Minute}
	var seeds []*slot
	seed := func(at time.Time, s *account, link string) {
		out := &slot{}
		seeds = append(seeds, out)
		g.mirrors = append(g.mirrors, link)
		g.plan(&action{at: at, acct: s, kind: actSeed, out: out, link: link})
	}
	// the seeders open within minutes of each other, each with its own mirror
	for i, s := range g.seeders {
		at := onset
		if i > 0 {
			at = onset.Add(time.Duration(60+g.rng.IntN(150)*i) * time.Second)
		}
		seed(at, s, mirror(i))
	}
	if g.cfg.Defacement {
		g.plan(&action{at: onset.Add(9*time.Minute + time.Duration(g.rng.IntN(60))*time.Second), acct: g.seeders[0], kind: actSeed, out: &slot{}, link: g.defacement().URL})
	}
	for w, off := range waves {
		start := onset.Add(off)
		if w > 0 {
			// a fresh mirror for each later wave, posted by a seeder just before it
			seed(start.Add(-time.Duration(30+g.rng.IntN(60))*time.Second), g.seeders[w%len(g.seeders)], mirror(len(g.mirrors)))
		}
		known := slices.Clone(seeds)
		mirrors := slices.Clone(g.mirrors)
		// seeders retweet each other as the wave starts
		for _, s := range g.seeders {
			g.plan(&action{at: start.Add(time.Duration(g.rng.IntN(40)) * time.Second), acct: s, kind: actSeederRT, in: known})
		}
		join := 0.8
		if w == 0 {
			join = 0.92
		}
		for _, b := range g.bots {
			if g.rng.Float64() >= join {
				continue
			}
			t0 := start.Add(min(g.expDur(50*time.Second), 4*time.Minute))
			g.plan(&action{at: t0, acct: b, kind: actBotRT, in: known})
			g.plan(&action{at: t0.Add(time.Duration(5+g.rng.IntN(85)) * time.Second), acct: b, kind: actBotPost, link: mirrors[g.rng.IntN(len(mirrors))]})
			if g.rng.Float64() < 0.4 {
				g.plan(&action{at: t0.Add(time.Duration(20+g.rng.IntN(130)) * time.Second), acct: b, kind: actBotRT, in: known})
			}
		}
	}
}

// ---- running ----

func (g *gen) emit(t *v1Tweet) {
	g.tweets = append(g.tweets, t)
	t.author.statuses++
	if t.RetweetedStatus == nil && (t.author.followers >= 3000 || t.author.role == roleSeeder) {
		g.addPopular(t)
	}
	if g.opEnd.Before(t.at) && (t.author.role == roleBot || t.author.role == roleSeeder) && t.at.After(g.leakAt.Add(-time.Second)) {
		g.opEnd = t.at
	}
}

func (g *gen) run(a *action) {
	switch a.kind {
	case actOrganic:
		g.organicPost(a)
	case actArticle:
		g.articlePost(a)
	case actHub:
		a.out.tw = g.hubPost(a)
	case actRingRT:
		if t := a.in[0].tw; t != nil {
			g.emit(g.retweet(a.acct, t, a.at))
			uri := twitter.URI(t.IDStr)
			if len(g.ringTargets) == 0 || g.ringTargets[len(g.ringTargets)-1] != uri {
				g.ringTargets = append(g.ringTargets, uri)
			}
			if g.ringOnset.IsZero() {
				g.ringOnset = a.at
			}
			g.ringEnd = a.at
		}
	case actSeed:
		a.out.tw = g.seedPost(a)
		g.seedTws = append(g.seedTws, a.out.tw)
	case actSeederRT, actBotRT:
		var cands []*v1Tweet
		for _, s := range a.in {
			if s.tw != nil && s.tw.author != a.acct {
				cands = append(cands, s.tw)
			}
		}
		if len(cands) > 0 {
			// most amplify the newest seed; some an older one
			t := cands[len(cands)-1]
			if g.rng.Float64() < 0.35 {
				t = cands[g.rng.IntN(len(cands))]
			}
			g.emit(g.retweet(a.acct, t, a.at))
		}
	case actBotPost:
		g.botPost(a)
	}
}

func (g *gen) tweet(author *account, at time.Time, pieces []piece, lang string) *v1Tweet {
	text, ents := compose(pieces)
	id := g.snowflake(at)
	n := len([]rune(text))
	return &v1Tweet{
		CreatedAt: at.UTC().Format(rubyDate), ID: id, IDStr: strconv.FormatInt(id, 10),
		FullText: text, DisplayTextRange: [2]int{0, n}, Entities: ents,
		Source: g.source(author), User: author.v1(), Lang: lang, at: at, author: author,
	}
}

func (g *gen) source(a *account) string {
	switch a.role {
	case roleBot:
		return `<a href="https://ifttt.com" rel="nofollow">IFTTT</a>`
	case roleMedia:
		return `<a href="https://about.twitter.com/products/tweetdeck" rel="nofollow">TweetDeck</a>`
	}
	return g.pick([]string{
		`<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter for iPhone</a>`,
		`<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>`,
		`<a href="http://twitter.com" rel="nofollow">Twitter Web Client</a>`,
	})
}

// retweet builds a v1.1 retweet: "RT @user: " and the original, truncated to 140 characters.
func (g *gen) retweet(by *account, orig *v1Tweet, at time.Time) *v1Tweet {
	pieces := []piece{{kind: 't', s: "RT "}, {kind: '@', acct: orig.author}, {kind: 't', s: ": "}}
	rtText := "RT @" + orig.author.screen + ": " + orig.FullText
	full := []rune(rtText)
	if len(full) > 140 {
		pieces = append(pieces, piece{kind: 't', s: string(full[len([]rune("RT @"+orig.author.screen+": ")):139]) + "…"})
	} else {
		pieces = append(pieces, textPieces(orig)...)
	}
	t := g.tweet(by, at, pieces, orig.Lang)
	o := *orig
	o.RetweetCount++
	t.RetweetedStatus = &o
	orig.RetweetCount++
	return t
}

// textPieces splits a tweet back into pieces so a retweet keeps its entities.
func textPieces(t *v1Tweet) []piece {
	r := []rune(t.FullText)
	type span struct {
		s, e int
		p    piece
	}
	var spans []span
	for _, h := range t.Entities.Hashtags {
		spans = append(spans, span{h.Indices[0], h.Indices[1], piece{kind: '#', s: h.Text}})
	}
	for _, m := range t.Entities.UserMentions {
		spans = append(spans, span{m.Indices[0], m.Indices[1], piece{kind: '@', mName: m.ScreenName}})
	}
	for _, u := range t.Entities.URLs {
		spans = append(spans, span{u.Indices[0], u.Indices[1], piece{kind: 'u', s: u.URL, exp: u.ExpandedURL}})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].s < spans[j].s })
	var out []piece
	pos := 0
	for _, s := range spans {
		if s.s > pos {
			out = append(out, piece{kind: 't', s: string(r[pos:s.s])})
		}
		out = append(out, s.p)
		pos = s.e
	}
	if pos < len(r) {
		out = append(out, piece{kind: 't', s: string(r[pos:])})
	}
	return out
}

func (g *gen) cand() candidate { return candidates[g.weighted(candWeights)] }

func (g *gen) otherCand(c candidate) candidate {
	for {
		o := g.cand()
		if o.handle != c.handle {
			return o
		}
	}
}

// zipfTag draws a popular hashtag, the first ones far more often.
func (g *gen) zipfTag() string {
	w := make([]float64, len(popularTags))
	for i := range w {
		w[i] = 1 / float64(i+1)
	}
	return popularTags[g.weighted(w)]
}

// opinion writes an original sentence in lang.
func (g *gen) opinion(lang string, debate bool) []piece {
	c, o := g.cand(), candidate{}
	o = g.otherCand(c)
	var s string
	if lang == "en" {
		s = g.pick(openersEN) + fill(g.pick(bodiesEN), c.name, o.name, g.pick(topicsEN), 3+g.rng.IntN(60)) + g.pick(closersEN)
	} else {
		body := g.pick(bodiesFR)
		if debate && g.rng.Float64() < 0.5 {
			body = g.pick(debateFR)
		}
		s = g.pick(openersFR) + fill(body, c.name, o.name, g.pick(topicsFR), 3+g.rng.IntN(60)) + g.pick(closersFR)
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	p := []piece{{kind: 't', s: s}}
	if g.rng.Float64() < 0.12 {
		p = append(p, piece{kind: 't', s: " "}, piece{kind: '@', mName: c.handle})
	}
	return p
}

func (g *gen) addTags(p []piece, debate bool) []piece {
	n := 0
	switch u := g.rng.Float64(); {
	case u < 0.45:
	case u < 0.85:
		n = 1
	default:
		n = 2
	}
	seen := map[string]bool{}
	for range n {
		tag := g.zipfTag()
		if debate && g.rng.Float64() < 0.6 {
			tag = g.pick([]string{"2017LeDebat", "DebatMacronLePen", "LeDebat"})
		}
		if !seen[tag] {
			seen[tag] = true
			p = append(p, piece{kind: 't', s: " "}, piece{kind: '#', s: tag})
		}
	}
	return p
}

func (g *gen) langOf(a *account) string {
	if g.rng.Float64() < a.english {
		return "en"
	}
	return "fr"
}

func (g *gen) inDebate(t time.Time) bool {
	e, ok := event("debate-r2")
	return ok && !t.Before(e.Start.Add(-30*time.Minute)) && t.Before(e.End.Add(time.Hour))
}

// leakInterest is the chance an organic post is about the dump: nothing before people
// notice, rising over the first hour, fading over the next day and a half.
func (g *gen) leakInterest(t time.Time) float64 {
	if !g.cfg.LeakDump || len(g.seedTws) == 0 {
		return 0
	}
	d := t.Sub(g.leakAt)
	if d < 12*time.Minute {
		return 0
	}
	x := (d - 12*time.Minute).Minutes()
	return 0.18 * (1 - math.Exp(-x/40)) * math.Exp(-x/(36*60))
}

// defaceInterest is the chance an organic post is about the defaced site: people notice a
// few minutes after it happened and talk about it for a couple of hours.
func (g *gen) defaceInterest(t time.Time) float64 {
	if !g.cfg.Defacement {
		return 0
	}
	d := t.Sub(g.defacement().ObservedAt)
	if d < 4*time.Minute || d > 4*time.Hour {
		return 0
	}
	x := (d - 4*time.Minute).Minutes()
	return 0.25 * (1 - math.Exp(-x/10)) * math.Exp(-x/80)
}

func (g *gen) organicDeface(acct *account, at time.Time, lang string) {
	site := g.defacement().URL
	var s string
	if lang == "en" {
		s = g.pick([]string{"Macron's campaign website looks hacked right now ", "Is en-marche.fr down or defaced? ", "Someone defaced the En Marche site: "})
	} else {
		s = g.pick([]string{"Le site d'En Marche vient d'être piraté ?! ", "Quelqu'un a vu la page d'accueil d'En Marche ? Piratée ", "Le site de campagne de Macron affiche « Hacked » ", "Défacement du site d'En Marche, à deux jours du vote "})
	}
	g.emit(g.tweet(acct, at, []piece{{kind: 't', s: s}, {kind: 'u', s: g.tco(), exp: site}, {kind: 't', s: g.pick(closersFR)}}, lang))
}

func (g *gen) organicPost(a *action) {
	acct, at := a.acct, a.at
	lang := g.langOf(acct)
	debate := g.inDebate(at)
	u := g.rng.Float64()
	if acct.role == roleOrganic && g.rng.Float64() < g.defaceInterest(at) {
		g.organicDeface(acct, at, lang)
		return
	}
	if acct.role == roleOrganic && g.rng.Float64() < g.leakInterest(at) {
		g.organicLeak(acct, at, lang)
		return
	}
	switch {
	case u < acct.retweetShare:
		if t := g.popular(at, acct); t != nil {
			g.emit(g.retweet(acct, t, at))
			return
		}
	case u < acct.retweetShare+0.07:
		if t := g.popular(at, acct); t != nil {
			g.emit(g.reply(acct, t, at, lang))
			return
		}
	case u < acct.retweetShare+0.07+acct.articleShare:
		if art := g.recentArticle(at); art != nil {
			g.emit(g.shareArticle(acct, art, at, lang))
			return
		}
	}
	g.emit(g.tweet(acct, at, g.addTags(g.opinion(lang, debate), debate), lang))
}

// popular draws a recent popular tweet, weighted by audience and freshness: the weight
// followers^0.7 * exp(-age/2h) is kept as followers^0.7 * exp((posted-start)/2h), whose
// common factor cancels, so a prefix sum over the pool serves every draw.
func (g *gen) popular(at time.Time, by *account) *v1Tweet {
	for g.poolHead < len(g.pool) && at.Sub(g.pool[g.poolHead].at) > 24*time.Hour {
		g.poolHead++
	}
	if g.poolHead >= len(g.pool) {
		return nil
	}
	lo := 0.0
	if g.poolHead > 0 {
		lo = g.poolCum[g.poolHead-1]
	}
	u := lo + g.rng.Float64()*(g.poolCum[len(g.poolCum)-1]-lo)
	i := sort.SearchFloat64s(g.poolCum, u)
	i = max(g.poolHead, min(i, len(g.pool)-1))
	if t := g.pool[i]; t.author != by {
		return t
	}
	return nil
}

func (g *gen) addPopular(t *v1Tweet) {
	w := math.Pow(float64(t.author.followers), 0.7) * math.Exp(t.at.Sub(g.start).Hours()/2)
	prev := 0.0
	if n := len(g.poolCum); n > 0 {
		prev = g.poolCum[n-1]
	}
	g.pool = append(g.pool, t)
	g.poolCum = append(g.poolCum, prev+w)
}

func (g *gen) reply(by *account, to *v1Tweet, at time.Time, lang string) *v1Tweet {
	var s string
	if lang == "en" {
		s = g.pick([]string{"not convinced", "source?", "exactly this", "this is so wrong", "thanks for sharing", "can't believe it", "well said", "we'll see on Sunday"})
	} else {
		s = g.pick([]string{"pas d'accord", "source ?", "exactement", "n'importe quoi", "merci pour l'info", "on verra dimanche", "tout à fait", "c'est faux", "et le programme ?", "bien dit"})
	}
	s += g.pick(closersFR)
	t := g.tweet(by, at, []piece{{kind: '@', acct: to.author}, {kind: 't', s: " " + s}}, lang)
	t.DisplayTextRange[0] = len([]rune("@"+to.author.screen)) + 1
	id, idStr, uid, sn := to.ID, to.IDStr, to.author.idStr, to.author.screen
	t.InReplyToStatusID, t.InReplyToStatusIDStr, t.InReplyToUserIDStr, t.InReplyToScreenName = &id, &idStr, &uid, &sn
	return t
}

func (g *gen) recentArticle(at time.Time) *article {
	cut := 0
	for cut < len(g.articles) && at.Sub(g.articles[cut].at) > 36*time.Hour {
		cut++
	}
	g.articles = g.articles[cut:]
	if len(g.articles) == 0 {
		return nil
	}
	w := make([]float64, len(g.articles))
	for i, a := range g.articles {
		w[i] = a.pop * math.Exp(-at.Sub(a.at).Hours()/6)
	}
	return g.articles[g.weighted(w)]
}

func (g *gen) articleURL(art *article) string {
	if g.rng.Float64() < 0.2 {
		return art.url + "?utm_source=twitter&utm_medium=social&utm_campaign=" + g.pick([]string{"partage", "share", "echobox"})
	}
	return art.url
}

func (g *gen) shareArticle(by *account, art *article, at time.Time, lang string) *v1Tweet {
	var p []piece
	if g.rng.Float64() < 0.4 {
		// the share button's text: identical for everyone who uses it
		p = []piece{{kind: 't', s: art.title + " "}, {kind: 'u', s: g.tco(), exp: g.articleURL(art)}, {kind: 't', s: " via "}, {kind: '@', acct: art.media}}
	} else {
		p = append(g.opinion(lang, false), piece{kind: 't', s: " "}, piece{kind: 'u', s: g.tco(), exp: g.articleURL(art)})
		p = g.addTags(p, false)
	}
	return g.tweet(by, at, p, lang)
}

func (g *gen) articlePost(a *action) {
	m := a.acct
	d := newsDomains[m.media]
	c := g.cand()
	o := g.otherCand(c)
	var title string
	if d.lang == "en" {
		title = fill(g.pick(headlinesEN), c.name, o.name, g.pick(topicsEN))
	} else {
		title = fill(g.pick(headlinesFR), c.name, o.name, g.pick(topicsFR))
	}
	if g.cfg.LeakDump && a.at.After(g.leakAt.Add(50*time.Minute)) && a.at.Before(g.leakAt.Add(30*time.Hour)) && g.rng.Float64() < 0.3 {
		if d.lang == "en" {
			title = "Macron campaign says it was hacked as documents leak online"
		} else {
			title = "Piratage : l'équipe d'Emmanuel Macron dénonce une opération de déstabilisation"
		}
	}
	lt := a.at.In(paris)
	path := fmt.Sprintf("https://www.%s/politique/article/%04d/%02d/%02d/%s-%s_%d", d.domain, lt.Year(), lt.Month(), lt.Day(),
		g.pick(slugWords), g.pick(slugWords), 5_000_000+g.rng.IntN(1_000_000))
	if d.lang == "en" {
		path = fmt.Sprintf("https://www.%s/world/%04d/%s/%02d/france-election-%s-%s", d.domain, lt.Year(), strings.ToLower(lt.Month().String()[:3]), lt.Day(),
			g.pick(slugWords), g.token(6))
	}
	art := &article{url: path, title: title, media: m, at: a.at, pop: math.Pow(g.rng.Float64(), -0.8)}
	g.articles = append(g.articles, art)
	p := []piece{{kind: 't', s: title + " "}, {kind: 'u', s: g.tco(), exp: path}}
	if g.rng.Float64() < 0.5 {
		p = append(p, piece{kind: 't', s: " "}, piece{kind: '#', s: g.zipfTag()})
	}
	g.emit(g.tweet(m, a.at, p, d.lang))
}

func (g *gen) hubPost(a *action) *v1Tweet {
	c := g.cand()
	lt := a.at.In(paris)
	link := fmt.Sprintf("https://www.%s/%04d/%02d/%s-%s-%s", hubDomain, lt.Year(), lt.Month(), g.pick(slugWords), g.pick(slugWords), g.token(5))
	s := fill(g.pick(hubTexts), c.name, "\x00", g.pick(topicsFR))
	before, after, _ := strings.Cut(s, "\x00")
	p := []piece{{kind: 't', s: before}, {kind: 'u', s: g.tco(), exp: link}, {kind: 't', s: after}}
	p = g.addTags(p, false)
	t := g.tweet(a.acct, a.at, p, "fr")
	g.emit(t)
	return t
}

func (g *gen) seedPost(a *action) *v1Tweet {
	lang := "en"
	i := 0
	if g.rng.Float64() < 1-a.acct.english {
		lang, i = "fr", 1
	} else if g.rng.Float64() < 0.5 {
		i = 2 + g.rng.IntN(2)
	}
	s := fill(seedTexts[i], "Macron", "\x00")
	if g.cfg.Defacement && a.link == g.defacement().URL {
		lang, s = "en", "Their campaign website was defaced before the dump, see for yourself \x00 #MacronLeaks"
	}
	before, after, _ := strings.Cut(s, "\x00")
	after = strings.TrimSuffix(after, " #MacronLeaks")
	p := []piece{{kind: 't', s: before}, {kind: 'u', s: g.tco(), exp: a.link}, {kind: 't', s: after + " "}, {kind: '#', s: "MacronLeaks"}}
	t := g.tweet(a.acct, a.at, p, lang)
	g.emit(t)
	return t
}

// botPost is the network's near-duplicate: one base text, a few words changed by each bot.
func (g *gen) botPost(a *action) {
	i := 0
	lang := "en"
	if g.rng.Float64() >= a.acct.english {
		i, lang = 1, "fr"
	}
	s := fill(botBase[i], "Macron", "\x00")
	before, after, _ := strings.Cut(s, "\x00")
	after = strings.TrimSuffix(after, " #MacronLeaks")
	var p []piece
	if g.rng.Float64() < 0.3 {
		p = append(p, piece{kind: '@', mName: g.pick([]string{"EmmanuelMacron", "lemondefr", "AFP", "franceinfo", "BFMTV"})}, piece{kind: 't', s: " "})
	}
	p = append(p, piece{kind: 't', s: before}, piece{kind: 'u', s: g.tco(), exp: a.link}, piece{kind: 't', s: after + " "}, piece{kind: '#', s: "MacronLeaks"})
	if e := g.pick(botEdits); e != "" {
		if strings.HasPrefix(e, " #") {
			p = append(p, piece{kind: 't', s: " "}, piece{kind: '#', s: e[2:]})
		} else {
			p = append(p, piece{kind: 't', s: e})
		}
	}
	g.emit(g.tweet(a.acct, a.at, p, lang))
}

// organicLeak is a person reacting to the dump: commentary, sometimes the link, sometimes a
// retweet of a seed.
func (g *gen) organicLeak(acct *account, at time.Time, lang string) {
	switch u := g.rng.Float64(); {
	case u < 0.25:
		w := make([]float64, len(g.seedTws))
		for i, t := range g.seedTws {
			w[i] = math.Pow(float64(t.author.followers), 0.7)
		}
		g.emit(g.retweet(acct, g.seedTws[g.weighted(w)], at))
	case u < 0.35:
		p := []piece{{kind: 't', s: g.pick([]string{"C'est ça les fameux documents ? ", "Here it is: ", "Les voilà : ", "For those asking: "})}, {kind: 'u', s: g.tco(), exp: g.mirrors[g.rng.IntN(len(g.mirrors))]}, {kind: 't', s: " "}, {kind: '#', s: "MacronLeaks"}}
		g.emit(g.tweet(acct, at, p, lang))
	default:
		list, topics, openers, closers := organicLeakFR, topicsFR, openersFR, closersFR
		if lang == "en" {
			list, topics, openers, closers = organicLeakEN, topicsEN, openersEN, closersEN
		}
		s := g.pick(openers) + fill(g.pick(list), "Macron", g.pick(topics), 5+g.rng.IntN(20))
		s = strings.ToUpper(s[:1]) + s[1:]
		p := []piece{{kind: 't', s: s + " "}, {kind: '#', s: "MacronLeaks"}, {kind: 't', s: g.pick(closers)}}
		if g.rng.Float64() < 0.5 {
			p = []piece{{kind: '#', s: "MacronLeaks"}, {kind: 't', s: " " + s + g.pick(closers)}}
		}
		g.emit(g.tweet(acct, at, g.addTags(p, false), lang))
	}
}

// ---- outputs ----

func (g *gen) truth() eval.Truth {
	t := eval.Truth{
		Scenario: "fr-2017-runoff",
		Seed:     g.cfg.Seed,
		Start:    g.start.UTC(),
		End:      g.end.UTC(),
		Calendar: Calendar().Name,
	}
	for _, a := range slices.Concat(g.organic, g.media) {
		t.OrganicAccounts = append(t.OrganicAccounts, a.idStr)
	}
	if g.cfg.LeakDump && len(g.seedTws) > 0 {
		op := eval.Operation{
			ID:          "leak-dump",
			Kind:        eval.OpLeakDump,
			Description: "document dump seeded on paste and file-sharing sites, amplified by a bot network in waves of near-duplicate posts and retweets",
			Onset:       g.seedTws[0].at.UTC(),
			End:         g.opEnd.UTC(),
		}
		for _, a := range g.seeders {
			op.Seeders = append(op.Seeders, a.idStr)
			op.Accounts = append(op.Accounts, a.idStr)
		}
		for _, a := range g.bots {
			op.Accounts = append(op.Accounts, a.idStr)
		}
		op.Objects = append(op.Objects, "hashtag:"+entities.Fold("MacronLeaks"))
		doms := map[string]bool{}
		for _, m := range g.mirrors {
			if n, err := entities.NormalizeURL(m); err == nil {
				op.Objects = append(op.Objects, "url:"+n)
			}
			d := strings.TrimPrefix(strings.Split(strings.TrimPrefix(m, "https://"), "/")[0], "www.")
			if !doms[d] {
				doms[d] = true
				op.Objects = append(op.Objects, "domain:"+entities.RegistrableDomain(d))
			}
		}
		for _, s := range g.seedTws {
			op.Objects = append(op.Objects, "reshare_of:"+twitter.URI(s.IDStr))
		}
		op.Leak = &eval.ExpectedLeak{Onset: op.Onset, Objects: op.Objects}
		op.Leak.Silence, op.Leak.InSilence, op.Leak.HoursToSilence = silenceTiming(op.Onset)
		t.Operations = append(t.Operations, op)
		if g.cfg.Defacement {
			ch := g.defacement()
			site := []string{"domain:" + entities.RegistrableDomain("en-marche.fr")}
			if n, err := entities.NormalizeURL(ch.URL); err == nil {
				site = append(site, "url:"+n)
			}
			exp := &eval.ExpectedLeak{Onset: ch.ObservedAt.UTC(), Evidence: []string{"defacement:" + ch.Target}}
			exp.Silence, exp.InSilence, exp.HoursToSilence = silenceTiming(ch.ObservedAt)
			t.Operations = append(t.Operations, eval.Operation{
				ID:          "defacement",
				Kind:        eval.OpDefacement,
				Description: "candidate website defaced shortly before the dump; people then post its address",
				Target:      ch.Target,
				Onset:       ch.ObservedAt.UTC(),
				End:         ch.ObservedAt.UTC(),
				Objects:     site,
				Leak:        exp,
			})
		}
	}
	if g.cfg.RetweetRing && !g.ringOnset.IsZero() {
		op := eval.Operation{
			ID:          "retweet-ring",
			Kind:        eval.OpRetweetRing,
			Description: "accounts retweeting one partisan account within seconds of each post, all week",
			Onset:       g.ringOnset.UTC(),
			End:         g.ringEnd.UTC(),
			Seeders:     []string{g.hub.idStr},
			Accounts:    []string{g.hub.idStr},
		}
		for _, a := range g.ring {
			op.Accounts = append(op.Accounts, a.idStr)
		}
		for _, u := range g.ringTargets {
			op.Objects = append(op.Objects, "reshare_of:"+u)
		}
		t.Operations = append(t.Operations, op)
	}
	return t
}

// silenceTiming places t against the calendar's silences as a detection's timing does
// (docs/DETECTION.md, "Timing"): the silence t falls in, with no hours left, or else the next
// one and the hours to it; none after the last. It is worked out here rather than taken from
// analytics/calendar so that eval checks the detector's figure against an independent one.
func silenceTiming(t time.Time) (silence string, in bool, hours float64) {
	for _, e := range parsed().Events { // sorted by start
		if e.Kind != leakwatch.EventSilence {
			continue
		}
		if !t.Before(e.Start) && t.Before(e.End) {
			return e.ID, true, 0
		}
		if e.Start.After(t) {
			return e.ID, false, math.Round(e.Start.Sub(t).Hours()*100) / 100
		}
	}
	return "", false, 0
}

func (g *gen) hash() string { return g.token(16) }

// certificate is the TLS certificate a watcher reports with every change of a target, as
// the sites collector does: one fingerprint per site for the campaign, expiring after it.
func (g *gen) certificate(target string) (string, time.Time) {
	sum := sha256.Sum256([]byte("scenario certificate " + target))
	return hex.EncodeToString(sum[:]), g.cfg.Start.AddDate(0, 3, 0).UTC().Truncate(24 * time.Hour)
}

// defacement is the site change on the leak's target, 47 minutes before the dump.
func (g *gen) defacement() leakwatch.SiteChange {
	if g.deface != nil {
		return *g.deface
	}
	at := g.leakAt.Add(-47 * time.Minute)
	paste := "pastebin.com"
	if len(g.mirrors) > 0 {
		paste = strings.Split(strings.TrimPrefix(g.mirrors[0], "https://"), "/")[0]
	}
	g.deface = &leakwatch.SiteChange{
		Target: "en-marche", URL: "https://en-marche.fr/", ObservedAt: at.UTC().Truncate(time.Second),
		Changed: []string{"content", "title", "links", "scripts"}, Status: 200,
		RawHash: g.hash(), TextHash: g.hash(), PrevTextHash: g.hash(),
		Title:         "Hacked | Les e-mails de la campagne",
		Diff:          "-La France doit être une chance pour tous\n-Le projet d'Emmanuel Macron\n+HACKED\n+Les e-mails de la campagne sont en ligne, lisez-les avant dimanche\n",
		LinkDomains:   []string{paste},
		ScriptDomains: []string{"cdn-static-host.ru"},
		Defacement:    true,
		Reasons:       []string{"text mostly replaced (91%)", "defacement vocabulary: hacked", "new script domain: cdn-static-host.ru"},
	}
	g.deface.TLSSHA256, g.deface.TLSNotAfter = g.certificate(g.deface.Target)
	return *g.deface
}

// benignChanges are the ordinary edits a watcher sees on campaign sites every day.
func (g *gen) benignChanges() []leakwatch.SiteChange {
	var out []leakwatch.SiteChange
	targets := []struct{ id, url string }{{"en-marche", "https://en-marche.fr/"}, {"fn", "https://www.frontnational.com/"}, {"interieur-elections", "https://www.interieur.gouv.fr/Elections"}}
	for d := range g.cfg.Days {
		for _, tg := range targets {
			if g.rng.Float64() < 0.6 {
				at := g.start.Add(time.Duration(d)*24*time.Hour + 8*time.Hour + time.Duration(g.rng.IntN(12*3600))*time.Second)
				fp, exp := g.certificate(tg.id)
				out = append(out, leakwatch.SiteChange{Target: tg.id, URL: tg.url, ObservedAt: at.UTC(), Changed: []string{"content"}, Status: 200,
					RawHash: g.hash(), TextHash: g.hash(), PrevTextHash: g.hash(), Diff: "-Agenda de la semaine\n+Agenda du jour : meeting à 18h\n",
					TLSSHA256: fp, TLSNotAfter: exp})
			}
		}
	}
	return out
}

func (g *gen) siteChanges() []leakwatch.SiteChange {
	out := append(g.benignChanges(), g.defacement())
	sort.SliceStable(out, func(i, j int) bool { return out[i].ObservedAt.Before(out[j].ObservedAt) })
	return out
}
