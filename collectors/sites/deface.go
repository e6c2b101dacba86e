package sites

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Defacement vocabulary. Strong phrases are what defacers sign with; on their own they mark a
// change as a defacement. Weak words also occur in news ("the party was hacked"), so they
// count only together with another signal.
var (
	strongTerms = []string{
		"hacked by", "h4ck3d by", "hacked by:", "defaced by", "owned by hackers", "pwned by",
		"0wned by", "greetz", "greetings to all hackers", "security is an illusion", "piraté par", "pirate par", "hacké par", "hacke par",
		"site piraté", "hackeado por", "gehackt von", "взломан", "hacklendi",
	}
	weakTerms = []string{"was here", "hacked", "owned", "pwned", "defaced", "piraté", "hacker", "anonymous", "cyber army", "cyber team"}
	// leet matches hacker spellings of the same words in a title.
	leet = regexp.MustCompile(`(?i)\b(h[a4@]ck[e3]d|[o0]wn[e3]d|pwn[e3]?d|d[e3]f[a4]c[e3]d|h[a4@]x[o0]r)\b`)
)

// defacement describes the signals in a change; the caller sets SiteChange.Defacement when
// one strong signal or two weak ones are present.
type defacement struct {
	strong, weak int
	reasons      []string
}

func (d *defacement) add(strong bool, format string, args ...any) {
	if strong {
		d.strong++
	} else {
		d.weak++
	}
	d.reasons = append(d.reasons, fmt.Sprintf(format, args...))
}

func (d *defacement) is() bool { return d.strong > 0 || d.weak >= 2 }

// assessInput is the before and after a defacement check compares.
type assessInput struct {
	edits                    []edit // line edits of the watched text (nil if unchanged)
	oldTitle, newTitle       string
	oldScripts, newScripts   []string
	siteDomain               string
	commonScripts            []string // Config.CommonScriptDomains
	replacedFraction         float64
	extraTerms               []string
	minOldChars              int
	titleChanged, hadContent bool
}

func assess(in assessInput) defacement {
	var d defacement
	var removed, total int
	var added strings.Builder
	for _, e := range in.edits {
		switch e.op {
		case '-':
			removed += len(e.line)
			total += len(e.line)
		case ' ':
			total += len(e.line)
		case '+':
			added.WriteString(strings.ToLower(e.line))
			added.WriteByte('\n')
		}
	}
	if in.hadContent && total >= in.minOldChars && float64(removed) >= in.replacedFraction*float64(total) {
		d.add(false, "%d%% of the text replaced", removed*100/total)
	}
	addedText := added.String()
	strong := slices.Concat(strongTerms, lower(in.extraTerms))
	if t := firstTerm(addedText, strong); t != "" {
		d.add(true, "text contains %q", t)
	} else if t := firstTerm(addedText, weakTerms); t != "" {
		d.add(false, "text contains %q", t)
	}
	if in.titleChanged {
		lt := strings.ToLower(in.newTitle)
		if t := firstTerm(lt, slices.Concat(strong, weakTerms)); t != "" {
			d.add(true, "title changed to %q (contains %q)", in.newTitle, t)
		} else if m := leet.FindString(in.newTitle); m != "" {
			d.add(true, "title changed to %q (contains %q)", in.newTitle, m)
		}
	}
	for _, s := range in.newScripts {
		if s != in.siteDomain && !slices.Contains(in.oldScripts, s) && !slices.Contains(in.commonScripts, s) {
			d.add(false, "new script domain %s", s)
		}
	}
	return d
}

func firstTerm(text string, terms []string) string {
	for _, t := range terms {
		if t != "" && strings.Contains(text, t) {
			return t
		}
	}
	return ""
}

func lower(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.ToLower(v)
	}
	return out
}
