// Package rules turns signals (bursts, edges, groups, leaks) and site changes into alerts by a
// configured policy: thresholds, timing against the calendar, severity, and the candidate and
// object labels that route an alert. Alert ids are stable for the same rule and subject, so a
// signal seen again (a burst that grew) dedupes downstream.
//
// The package is pure: no I/O, and it must not import alerts, stream, warehouse or any HTTP,
// Kafka or ClickHouse client.
package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/ascii"
)

// Evaluate returns the alerts the rules of cfg raise for sig, in rule order.
func Evaluate(cfg Config, sig leakwatch.Signal) []leakwatch.Alert {
	s, ok := describe(sig)
	if !ok {
		return nil
	}
	return evaluate(cfg, sig, s, candidateOf(cfg.candidateMatchers(), s.object, s.texts))
}

// EvaluateAbout is Evaluate for a signal whose candidates the caller has named already
// (CandidatesOf, as the burst, group and leak records carry them): the first is the alerts'
// candidate label. It saves matching every signal's texts twice.
func EvaluateAbout(cfg Config, sig leakwatch.Signal, about []string) []leakwatch.Alert {
	s, ok := describe(sig)
	if !ok {
		return nil
	}
	candidate := ""
	if len(about) > 0 {
		candidate = about[0]
	}
	return evaluate(cfg, sig, s, candidate)
}

func evaluate(cfg Config, sig leakwatch.Signal, s subject, candidate string) []leakwatch.Alert {
	s.candidate = candidate
	var out []leakwatch.Alert
	for _, r := range cfg.Rules {
		if r.Kind != sig.Kind || !s.passes(r) {
			continue
		}
		a := s.alert(r, sig.Key(), cfg)
		a.Supersedes = supersededAlerts(cfg, sig)
		out = append(out, a)
	}
	return mostSevere(cfg, out)
}

// supersededAlerts are the ids any rule of the signal's kind may have raised on the records
// sig supersedes: a leak incident that moved to an earlier member or absorbed another, a
// group that merged with another. Consumers drop those alerts, so one incident or one network
// is one alert from then on, as it is one record.
func supersededAlerts(cfg Config, sig leakwatch.Signal) []string {
	var keys []string
	switch sig.Kind {
	case leakwatch.SignalLeak:
		keys = sig.Leak.Supersedes // keys already
	case leakwatch.SignalGroup:
		for _, id := range sig.Group.Supersedes {
			keys = append(keys, leakwatch.GroupKey(id))
		}
	}
	var ids []string
	for _, k := range keys {
		for _, r := range cfg.Rules {
			if r.Kind == sig.Kind {
				ids = append(ids, AlertID(r.Name, k))
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// mostSevere keeps, unless cfg.EveryRule, only the most severe of the alerts raised for one
// subject (the first in rule order among equals): a leak three hours before the silence is
// one critical page, not also a warning about the same incident.
func mostSevere(cfg Config, as []leakwatch.Alert) []leakwatch.Alert {
	if cfg.EveryRule || len(as) < 2 {
		return as
	}
	best := 0
	for i, a := range as {
		if slices.Index(Severities, a.Severity) > slices.Index(Severities, as[best].Severity) {
			best = i
		}
	}
	return as[best : best+1]
}

// EvaluateChange returns the alerts the site_change rules of cfg raise for sc. The subject is
// the target and the new content, so the same defaced page seen twice is one alert.
func EvaluateChange(cfg Config, sc leakwatch.SiteChange) []leakwatch.Alert {
	s := subject{
		kind:     KindSiteChange,
		object:   "site:" + sc.Target,
		starts:   sc.ObservedAt,
		raised:   sc.ObservedAt,
		evidence: sc.Reasons,
		texts:    []string{sc.Target, sc.URL},
	}
	s.candidate = candidateOf(cfg.candidateMatchers(), "", s.texts)
	what := strings.Join(sc.Changed, ", ")
	switch {
	case sc.Defacement:
		s.summary = fmt.Sprintf("Site %s (%s) looks defaced at %s: %s", sc.Target, sc.URL, stamp(sc.ObservedAt), strings.Join(sc.Reasons, "; "))
	case slices.Contains(sc.Changed, "unreachable"):
		s.summary = fmt.Sprintf("Site %s (%s) unreachable at %s: %s", sc.Target, sc.URL, stamp(sc.ObservedAt), sc.Error)
	default:
		s.summary = fmt.Sprintf("Site %s (%s) changed at %s: %s", sc.Target, sc.URL, stamp(sc.ObservedAt), what)
	}
	key := "site|" + sc.Target + "|" + sc.TextHash + "|" + what
	if sc.TextHash == "" {
		// No page to tell one change from another (the site did not answer): each outage
		// is its own event, which the watcher reports once. Keyed by target alone, a
		// second outage the same day was a repeat of the first, suppressed by delivery.
		key += "|" + sc.ObservedAt.UTC().Format(time.RFC3339Nano)
	}
	var out []leakwatch.Alert
	for _, r := range cfg.Rules {
		if r.Kind != KindSiteChange {
			continue
		}
		if r.Defacement && !sc.Defacement {
			continue
		}
		if len(r.Changed) > 0 && !slices.ContainsFunc(r.Changed, func(k string) bool { return slices.Contains(sc.Changed, k) }) {
			continue
		}
		if len(r.Candidates) > 0 && !slices.Contains(r.Candidates, s.candidate) {
			continue
		}
		out = append(out, s.alert(r, key, cfg))
	}
	return mostSevere(cfg, out)
}

// subject is what the rules look at, whatever the signal kind.
type subject struct {
	kind       leakwatch.SignalKind
	object     string
	objectKind leakwatch.ObjectKind
	candidate  string
	score      float64
	count      int
	accounts   int
	weight     int
	evidence   []string
	timing     *leakwatch.Timing
	starts     time.Time
	raised     time.Time
	summary    string
	texts      []string // where candidate names are looked for
	learning   bool     // a burst whose baseline had not seen a whole day
	slow       bool     // a burst of the hour scale
}

func describe(sig leakwatch.Signal) (subject, bool) {
	s := subject{kind: sig.Kind}
	switch sig.Kind {
	case leakwatch.SignalBurst:
		b := sig.Burst
		if b == nil {
			return s, false
		}
		s.object, s.score, s.count, s.accounts, s.evidence, s.timing = b.Object, b.Score, b.Count, b.Accounts, b.Evidence, b.Timing
		s.learning, s.slow = b.Learning, b.Slow
		s.starts, s.raised = b.Onset, b.End
		s.texts = append([]string{b.Object}, b.Evidence...)
		what := "Burst"
		if b.Slow {
			what = "Slow burst (counted by the hour)"
		}
		s.summary = fmt.Sprintf("%s on %s from %s: %d mentions by %d accounts, %.1f expected (score %.1f)%s",
			what, b.Object, stamp(b.Onset), b.Count, b.Accounts, b.Baseline, b.Score, timingText(b.Timing))
	case leakwatch.SignalGroup:
		g := sig.Group
		if g == nil {
			return s, false
		}
		// The group's name, not its top object: that changes as the group grows, and
		// Alertmanager, which tells alerts apart by their labels, would hold each version
		// of the group's alert as another alert until it timed out.
		s.object = "group:" + g.ID
		s.score, s.accounts, s.evidence, s.timing = g.Score, len(g.Accounts), g.Evidence, g.Timing
		// It starts when it became coordinated: its first co-share may be a chance one days
		// before, and an alert dated then reads as old news.
		s.starts, s.raised = g.CoordinatedAt(), g.Last
		s.texts = append(slices.Clone(g.Objects), g.Evidence...)
		kinds := make([]string, len(g.ObjectKinds))
		for i, k := range g.ObjectKinds {
			kinds[i] = string(k)
		}
		s.summary = fmt.Sprintf("Coordinated group %s: %d accounts co-sharing %s, coordinated from %s to %s%s",
			g.ID, len(g.Accounts), strings.Join(kinds, ", "), stamp(g.CoordinatedAt()), stamp(g.Last), objectsText(g.Objects))
	case leakwatch.SignalLeak:
		l := sig.Leak
		if l == nil {
			return s, false
		}
		s.object, s.score, s.evidence, s.timing = l.Object, l.Score, l.Evidence, &l.Timing
		s.starts, s.raised = l.Onset, l.Onset
		if !l.Start.IsZero() {
			s.starts = l.Start // an incident's real beginning; Onset is its key
		}
		s.texts = append([]string{l.Object}, l.Evidence...)
		// An incident lists up to dozens of objects: the summary names its leak values and
		// counts the rest.
		var values []string
		objects := 0
		for _, e := range l.Evidence {
			switch {
			case strings.HasPrefix(e, "object:"):
				objects++
			case !strings.HasPrefix(e, "group:") && len(values) < 6:
				values = append(values, e)
			}
		}
		more := ""
		if objects > 1 {
			more = fmt.Sprintf(" (%d objects)", objects)
		}
		s.summary = fmt.Sprintf("Possible leak on %s at %s%s: %s%s", l.Object, stamp(s.starts), more, strings.Join(values, ", "), timingText(&l.Timing))
	case leakwatch.SignalEdge:
		e := sig.Edge
		if e == nil {
			return s, false
		}
		s.object, s.objectKind, s.score, s.weight = "", e.ObjectKind, e.Score, e.Weight
		s.starts, s.raised = e.First, e.Last
		s.summary = fmt.Sprintf("Accounts %s and %s co-shared %d %s objects between %s and %s", e.A, e.B, e.Weight, e.ObjectKind, stamp(e.First), stamp(e.Last))
	default:
		return s, false
	}
	if ref, err := leakwatch.ParseObjectKey(s.object); err == nil {
		s.objectKind = ref.Kind
	}
	return s, true
}

func (s subject) passes(r Rule) bool {
	if len(r.ObjectKinds) > 0 && !slices.Contains(r.ObjectKinds, s.objectKind) {
		return false
	}
	if s.learning && !r.Learning || s.slow && !r.Slow {
		return false
	}
	if len(r.Candidates) > 0 && !slices.Contains(r.Candidates, s.candidate) {
		return false
	}
	if len(r.Evidence) > 0 && !slices.ContainsFunc(s.evidence, func(e string) bool {
		return slices.ContainsFunc(r.Evidence, func(p string) bool { return strings.HasPrefix(e, p) })
	}) {
		return false
	}
	if s.score < r.MinScore || s.count < r.MinCount || s.accounts < r.MinAccounts || s.weight < r.MinWeight {
		return false
	}
	if r.MinTimingScore > 0 || r.MaxHoursToSilence > 0 || r.MaxHoursToVote > 0 || r.InSilence {
		t := s.timing
		if t == nil {
			return false
		}
		if t.Score < r.MinTimingScore || (r.InSilence && !t.InSilence) {
			return false
		}
		if r.MaxHoursToSilence > 0 && (t.Silence == "" || t.HoursToSilence > r.MaxHoursToSilence) {
			return false
		}
		if r.MaxHoursToVote > 0 && (t.NextVote == "" || t.HoursToVote > r.MaxHoursToVote) {
			return false
		}
	}
	return true
}

func (s subject) alert(r Rule, key string, cfg Config) leakwatch.Alert {
	labels := make(map[string]string, 5+len(cfg.Labels)+len(r.Labels))
	maps.Copy(labels, cfg.Labels)
	maps.Copy(labels, r.Labels)
	labels["alertname"], labels["severity"], labels["kind"] = r.Name, r.Severity, string(s.kind)
	if s.candidate != "" {
		labels["candidate"] = s.candidate
	}
	if s.object != "" {
		labels["object"] = s.object
	}
	return leakwatch.Alert{
		ID:        AlertID(r.Name, key),
		Detection: key,
		Rule:      r.Name,
		Severity:  r.Severity,
		Kind:      s.kind,
		Object:    s.object,
		Candidate: s.candidate,
		Summary:   s.summary,
		Evidence:  s.evidence,
		Link:      s.link(cfg.Link),
		StartsAt:  s.starts,
		RaisedAt:  s.raised,
		Labels:    labels,
	}
}

func (s subject) link(tmpl string) string {
	if tmpl == "" {
		return ""
	}
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	from, to := linkWindow(s.starts, s.raised)
	return strings.NewReplacer(
		"{object}", url.QueryEscape(s.object),
		"{candidate}", url.QueryEscape(s.candidate),
		"{kind}", url.QueryEscape(string(s.kind)),
		"{from_ms}", ms(from),
		"{to_ms}", ms(to),
	).Replace(tmpl)
}

// minLinkWindow is the shortest time range a link opens: an incident's start and onset are
// often the same minute, and a dashboard over one minute shows nothing around it.
const minLinkWindow = time.Hour

// linkWindow is the signal's span, from start to raise, widened evenly to minLinkWindow.
func linkWindow(starts, raised time.Time) (time.Time, time.Time) {
	if raised.Before(starts) {
		raised = starts
	}
	if span := raised.Sub(starts); span < minLinkWindow {
		pad := (minLinkWindow - span) / 2
		return starts.Add(-pad), raised.Add(pad)
	}
	return starts, raised
}

// AlertID is the stable id of rule's alert on a subject key (Signal.Key for signals).
func AlertID(rule, key string) string {
	h := sha256.Sum256([]byte(rule + "\x00" + key))
	return hex.EncodeToString(h[:12])
}

// joinWords writes words together. One for all: making a Replacer costs more than using it,
// and making one per match string of every candidate for every signal was a tenth of
// analyze's CPU on an archive with candidates.
var joinWords = strings.NewReplacer(" ", "", "-", "")

// candidateOf names the candidate a signal is about: the value of a candidate:ID object;
// else of the first "object:candidate:ID" in the evidence (a leak incident that merged a
// candidate's burst); else the candidate whose match string occurs first in texts (the
// object, then the evidence, most frequent first), a match string also counting written
// together ("le pen" in "#lepenleaks") when that is at least 4 letters.
func candidateOf(ms []matcher, object string, texts []string) string {
	if ids := candidates(ms, object, texts, false); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// CandidatesOf names every candidate sig is about, in candidateOf's order (the alerts'
// candidate label is the first): the records carry them so a retrospective can ask which
// leaks named whom.
func CandidatesOf(cfg Config, sig leakwatch.Signal) []string {
	s, ok := describe(sig)
	if !ok {
		return nil
	}
	return candidates(cfg.candidateMatchers(), s.object, s.texts, true)
}

// NamedIn names every candidate texts name (a hashtag, a link, a leak value), in
// CandidatesOf's order: how a group's objects and evidence are labelled.
func NamedIn(cfg Config, texts ...string) []string {
	return candidates(cfg.candidateMatchers(), "", texts, true)
}

// matcher is one folded match string of a candidate.
type matcher struct {
	id string
	s  string
	// joined is s without its spaces and hyphens when that leaves at least 4 bytes: "lepen"
	// for "le pen", so "#lepenleaks" and "en-marche" for "#EnMarche" are found; "" keeps s
	// as written (a short string joined would find pieces of words).
	joined string
}

// compileMatchers folds every match string of cands.
func compileMatchers(cands []Candidate) []matcher {
	var ms []matcher
	for _, c := range cands {
		for _, m := range c.Match {
			fm := strings.TrimSpace(fold(m))
			if fm == "" {
				continue
			}
			x := matcher{id: c.ID, s: fm}
			if j := joinWords.Replace(fm); len(j) >= 4 {
				x.joined = j
			}
			ms = append(ms, x)
		}
	}
	return ms
}

// candidates returns the candidate ids object and texts name, the first only unless all.
func candidates(ms []matcher, object string, texts []string, all bool) []string {
	const prefix = string(leakwatch.KindCandidate) + ":"
	var ids []string
	found := func(id string) bool {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
		return !all && len(ids) > 0
	}
	if id, ok := strings.CutPrefix(object, prefix); ok && found(id) {
		return ids
	}
	for _, t := range texts {
		if id, ok := strings.CutPrefix(t, "object:"+prefix); ok && found(id) {
			return ids
		}
	}
	if len(ms) == 0 {
		return ids
	}
	for _, t := range texts {
		ft := fold(t)
		for _, m := range ms {
			if slices.Contains(ids, m.id) {
				continue
			}
			if m.in(ft) && found(m.id) {
				return ids
			}
		}
	}
	return ids
}

// in says whether m occurs in the folded text s as the extraction would find it
// (docs/DETECTION.md, "Candidates"): starting at a word start and ending at a word end
// ("macron" in "url:https://en-marche.fr/macron-leaks", not "rn" in "internal"), spaces and
// hyphens ignored on both sides when m has at least 4 bytes without them ("le pen" in
// "le-pen", "#EnMarche" in "site:en-marche"), and as the start of a hashtag ("le pen" in
// "hashtag:lepenleaks" and "term:#lepenleaks"). A match that ignored a separator of s must end
// at a word end: "le pen" is not in "le-penalty", a football link.
func (m matcher) in(s string) bool {
	first := m.s[0]
	for i := 0; i < len(s); i++ {
		// Only where the first byte is (most texts name no candidate).
		j := strings.IndexByte(s[i:], first)
		if j < 0 {
			return false
		}
		if i += j; i > 0 && isWordBefore(s, i) {
			continue
		}
		if m.joined == "" {
			if strings.HasPrefix(s[i:], m.s) && !isWordAt(s, i+len(m.s)) {
				return true
			}
			continue
		}
		k, apart, ok := matchJoined(s, i, m.joined)
		if !ok {
			continue
		}
		if !isWordAt(s, k) || !apart && startsHashtag(s, i) {
			return true
		}
	}
	return false
}

// matchJoined matches joined in s from i, passing over spaces and hyphens of s between its
// bytes; it returns where the match ends and whether it passed over any.
func matchJoined(s string, i int, joined string) (end int, apart, ok bool) {
	k := i
	for j := 0; j < len(joined); j++ {
		for j > 0 && k < len(s) && (s[k] == ' ' || s[k] == '-') {
			k++
			apart = true
		}
		if k >= len(s) || s[k] != joined[j] {
			return 0, false, false
		}
		k++
	}
	return k, apart, true
}

// startsHashtag says whether the word at i is a hashtag: written after '#', or the value of a
// hashtag object.
func startsHashtag(s string, i int) bool {
	const tag = string(leakwatch.KindHashtag) + ":"
	return i > 0 && s[i-1] == '#' || i == len(tag) && strings.HasPrefix(s, tag)
}

// isWordBefore says whether the character ending at s[:i] is a letter or digit.
func isWordBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isWordRune(r)
}

// isWordAt says whether the character at s[i:] is a letter or digit (false at the end).
func isWordAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// fold lower-cases and strips accents so "Mélenchon" matches "melenchon". ASCII, as most
// match strings and signal texts are, has no accents and only ASCII case: candidateOf folds
// every candidate's match strings for every signal, and through the normalizer that was
// 1.3 % of a batch analysis' instructions with candidates.
func fold(s string) string {
	if ascii.Prefix(s) == len(s) {
		return strings.ToLower(s)
	}
	return foldRunes(s)
}

// foldRunes is fold through the normalizer, for any text.
func foldRunes(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func timingText(t *leakwatch.Timing) string {
	if t == nil {
		return ""
	}
	var parts []string
	switch {
	case t.InSilence:
		parts = append(parts, "during the campaign silence "+t.Silence)
	case t.Silence != "":
		parts = append(parts, fmt.Sprintf("%s before the silence %s", hoursText(t.HoursToSilence), t.Silence))
	}
	if t.NextVote != "" {
		if t.HoursToVote == 0 {
			parts = append(parts, "during the vote "+t.NextVote)
		} else {
			parts = append(parts, fmt.Sprintf("%s before the vote %s", hoursText(t.HoursToVote), t.NextVote))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("; %s (timing score %.2f)", strings.Join(parts, ", "), t.Score)
}

func hoursText(h float64) string {
	d := time.Duration(h * float64(time.Hour)).Round(time.Minute)
	return strings.TrimSuffix(d.String(), "0s")
}

func objectsText(objects []string) string {
	if len(objects) == 0 {
		return ""
	}
	return "; top objects " + strings.Join(objects[:min(3, len(objects))], ", ")
}
