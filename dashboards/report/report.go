// Package report renders the retrospective a researcher attaches to a post-election review:
// one self-contained HTML page with SVG pictures (volume per candidate against the campaign
// calendar, burst and leak markers), the coordinated groups with their evidence, and the
// timing of each leak against the calendar.
//
// It renders from values (detections, volume series, calendar); reading them from files or
// ClickHouse is the caller's job. It must not import stream or warehouse.
package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/volume"
)

// Input is everything the report shows.
type Input struct {
	Title     string
	Source    string // what was analysed: a file name, or "ClickHouse FROM..TO"
	Calendar  leakwatch.Calendar
	Series    []volume.Series
	Signals   []leakwatch.Signal
	Generated time.Time
	// NoVolume says why there are no Series ("volume.json not found"): the chart says so
	// rather than "no posts in range", and still places the markers on the calendar.
	NoVolume string
	// Warnings head the page: what a reader must know before trusting it.
	Warnings []string
}

// Render writes the report page. The timeline is inline SVG, so the page is one file that
// opens anywhere, also offline.
func Render(w io.Writer, in Input) error {
	v := rank(in.Signals)
	v.Input = in
	v.Timeline = template.HTML(timeline(v, 1100, 320))
	return page.Execute(w, v)
}

// Timeline is the page's picture alone, width by height: what goes to timeline.svg.
func Timeline(in Input, width, height int) string {
	v := rank(in.Signals)
	v.Input = in
	return timeline(v, width, height)
}

// rank sorts the detections as the page and the digest show them: bursts by score, groups
// by size, leak incidents by when they began.
func rank(sigs []leakwatch.Signal) view {
	var v view
	for _, s := range sigs {
		switch s.Kind {
		case leakwatch.SignalBurst:
			v.Bursts = append(v.Bursts, *s.Burst)
		case leakwatch.SignalGroup:
			v.Groups = append(v.Groups, *s.Group)
		case leakwatch.SignalLeak:
			v.Leaks = append(v.Leaks, *s.Leak)
		case leakwatch.SignalEdge:
			v.Edges++
		}
	}
	sort.SliceStable(v.Bursts, func(i, j int) bool { return v.Bursts[i].Score > v.Bursts[j].Score })
	sort.Slice(v.Groups, func(i, j int) bool {
		if len(v.Groups[i].Accounts) != len(v.Groups[j].Accounts) {
			return len(v.Groups[i].Accounts) > len(v.Groups[j].Accounts)
		}
		return v.Groups[i].ID < v.Groups[j].ID
	})
	// A leak is drawn and timed where its incident began; records written before incidents
	// had a start began at their onset.
	for i := range v.Leaks {
		if v.Leaks[i].Start.IsZero() {
			v.Leaks[i].Start = v.Leaks[i].Onset
		}
	}
	sort.SliceStable(v.Leaks, func(i, j int) bool { return v.Leaks[i].Start.Before(v.Leaks[j].Start) })
	return v
}

// ForeignEvents are the calendar events sigs were placed against (their calendar offsets
// and timing) that cal does not have, by id: signals timed against another campaign.
func ForeignEvents(sigs []leakwatch.Signal, cal leakwatch.Calendar) []string {
	known := map[string]bool{}
	for _, ev := range cal.Events {
		known[ev.ID] = true
	}
	seen := map[string]bool{}
	var out []string
	check := func(id string) {
		if id != "" && !known[id] && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	place := func(refs []leakwatch.CalendarRef, t *leakwatch.Timing) {
		for _, r := range refs {
			check(r.Event)
		}
		if t != nil {
			check(t.Silence)
			check(t.NextVote)
		}
	}
	for _, s := range sigs {
		switch {
		case s.Burst != nil:
			place(s.Burst.Calendar, s.Burst.Timing)
		case s.Group != nil:
			place(s.Group.Calendar, s.Group.Timing)
		case s.Leak != nil:
			place(s.Leak.Calendar, &s.Leak.Timing)
		}
	}
	sort.Strings(out)
	return out
}

// Digest writes the first findings of sigs as plain text, ranked as the page ranks them: every
// leak incident with its timing, the n largest groups and the n strongest bursts, each on one
// line with its place on the calendar. It is what `analyze` prints under its counts, so a
// first look at an archive needs no browser.
func Digest(w io.Writer, sigs []leakwatch.Signal, n int) error {
	v := rank(sigs)
	var b strings.Builder
	if len(v.Leaks) > 0 {
		fmt.Fprintf(&b, "  leak incidents\n")
		for _, l := range first(v.Leaks, n) {
			t := l.Timing
			fmt.Fprintf(&b, "    %s  %s%s", utc(l.Start), l.Object, about(l.Candidates))
			if t.InSilence || t.Silence != "" || t.NextVote != "" { // placed on a calendar
				fmt.Fprintf(&b, "  timing %.2f", t.Score)
			}
			switch {
			case t.InSilence:
				fmt.Fprintf(&b, ", in the silence %s", t.Silence)
			case t.Silence != "" && t.HoursToSilence > 0:
				fmt.Fprintf(&b, ", %s before the silence %s", ahead(t.HoursToSilence), t.Silence)
			}
			if t.NextVote != "" && t.HoursToVote > 0 {
				fmt.Fprintf(&b, ", %s before %s", ahead(t.HoursToVote), t.NextVote)
			}
			fmt.Fprintf(&b, "; evidence %s", strings.Join(first(l.Evidence, 3), ", "))
			// The network that passed the dump round is what an analyst looks for next.
			for _, e := range l.Evidence {
				id, ok := strings.CutPrefix(e, "group:")
				if !ok {
					continue
				}
				for _, g := range v.Groups {
					if g.ID == id {
						fmt.Fprintf(&b, "; amplified by %d coordinated accounts, first movers %s", len(g.Accounts), strings.Join(first(g.FirstMovers, 3), ", "))
					}
				}
			}
			b.WriteByte('\n')
		}
		if len(v.Leaks) > n {
			fmt.Fprintf(&b, "    and %d more\n", len(v.Leaks)-n)
		}
	}
	if len(v.Groups) > 0 {
		fmt.Fprintf(&b, "  largest coordinated groups\n")
		for _, g := range first(v.Groups, n) {
			kinds := make([]string, len(g.ObjectKinds))
			for i, k := range g.ObjectKinds {
				kinds[i] = string(k)
			}
			leak := ""
			if len(g.Evidence) > 0 {
				leak = "; leak evidence " + strings.Join(first(g.Evidence, 3), ", ")
				switch {
				case g.EvidenceFirst.IsZero():
				case g.EvidenceLast.Equal(g.EvidenceFirst):
					leak += " at " + utc(g.EvidenceFirst)
				default:
					leak += " from " + utc(g.EvidenceFirst) + " to " + utc(g.EvidenceLast)
				}
			}
			fmt.Fprintf(&b, "    %d accounts, %d edges (%s), %s to %s%s; first movers %s; shared %s%s%s\n",
				len(g.Accounts), g.Edges, strings.Join(kinds, ", "), utc(g.First), utc(g.Last), about(g.Candidates),
				strings.Join(first(g.FirstMovers, 3), ", "), strings.Join(first(g.Objects, 2), ", "), leak, near(g.Calendar))
		}
	}
	if len(v.Bursts) > 0 {
		fmt.Fprintf(&b, "  strongest bursts\n")
		for _, x := range first(v.Bursts, n) {
			learning := ""
			if x.Learning {
				learning = " (baseline learning)" // its first day: rules raise no alert on it
			}
			fmt.Fprintf(&b, "    %s  %s%s  %d posts by %d accounts against %.1f expected, score %.1f%s%s\n",
				utc(x.Onset), x.Object, about(x.Candidates), x.Count, x.Accounts, x.Baseline, x.Score, learning, near(x.Calendar))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// about names the candidates a finding is about, for a one-line finding.
func about(candidates []string) string {
	if len(candidates) == 0 {
		return ""
	}
	return "  about " + strings.Join(candidates, ", ")
}

// ahead says how long before an event something landed: hours while they count (a leak
// hours before a silence), days beyond three.
func ahead(h float64) string {
	if h < 72 {
		return fmt.Sprintf("%.1f h", h)
	}
	return fmt.Sprintf("%.0f days", h/24)
}

// near is the nearest calendar event of refs, for a one-line finding.
func near(refs []leakwatch.CalendarRef) string {
	if len(refs) == 0 {
		return ""
	}
	best := refs[0]
	for _, r := range refs[1:] {
		if abs(r.OffsetS) < abs(best.OffsetS) {
			best = r
		}
	}
	return "; " + offsets([]leakwatch.CalendarRef{best})
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

type view struct {
	Input
	Bursts   []leakwatch.Burst
	Groups   []leakwatch.Group
	Leaks    []leakwatch.Leak
	Edges    int
	Timeline template.HTML
}

// palette colours the candidates' lines. Orange (burst onsets) and red (leaks) are left out,
// so a marker is never taken for a candidate's line.
var palette = []string{"#1f77b4", "#9467bd", "#2ca02c", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"}

// timeline draws volume per candidate (the "all" series is left out when candidates exist),
// silence periods shaded, conventions and campaign periods as bands, debates and votes as
// dashed lines, bursts as ticks and leaks as red lines.
func timeline(v view, width, height int) string {
	const padL, padR, padT, padB = 48, 12, 22, 40
	cal, bursts, leaks := v.Calendar, v.Bursts, v.Leaks
	var named []volume.Series
	for _, s := range v.Series {
		if s.Name != "all" {
			named = append(named, s)
		}
	}
	if len(named) == 0 {
		named = v.Series
	}
	var t0, t1 time.Time
	vmax := 1
	span := func(t time.Time) {
		if t0.IsZero() || t.Before(t0) {
			t0 = t
		}
		if t.After(t1) {
			t1 = t
		}
	}
	for _, s := range named {
		for _, p := range s.Points {
			span(p.T)
			vmax = max(vmax, p.N)
		}
	}
	// Without the volume the markers still belong on the calendar: the chart spans them, in
	// whole days.
	noVolume := t0.IsZero() && v.NoVolume != ""
	if noVolume {
		for _, bu := range bursts {
			span(bu.Onset)
		}
		for _, l := range leaks {
			span(l.Start)
		}
		if !t0.IsZero() {
			t0, t1 = t0.Truncate(24*time.Hour), t1.Truncate(24*time.Hour).Add(24*time.Hour)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="volume per candidate against the campaign calendar" font-family="sans-serif" font-size="11">`, width, height)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#fff"/>`, width, height)
	empty := "no posts in range"
	if v.NoVolume != "" {
		empty = "no volume data (" + v.NoVolume + ")"
	}
	if t0.IsZero() {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#666">%s</text></svg>`, width/2, height/2, esc(empty))
		return b.String()
	}
	if !t1.After(t0) {
		t1 = t0.Add(time.Hour)
	}
	plotW, plotH := float64(width-padL-padR), float64(height-padT-padB)
	x := func(t time.Time) float64 {
		return padL + plotW*float64(t.Sub(t0))/float64(t1.Sub(t0))
	}
	clampX := func(t time.Time) float64 { return math.Max(padL, math.Min(float64(width-padR), x(t))) }
	y := func(n int) float64 { return padT + plotH*(1-float64(n)/float64(vmax)) }
	for _, ev := range cal.Sorted() {
		if ev.End.Before(t0) || ev.Start.After(t1) {
			continue
		}
		x0, x1 := clampX(ev.Start), clampX(ev.End)
		switch ev.Kind {
		case leakwatch.EventSilence:
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%.1f" fill="#d62728" opacity="0.13"><title>%s</title></rect>`, x0, padT, math.Max(1, x1-x0), plotH, esc(ev.Title))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#a11">%s</text>`, x0+2, padT-6, esc(ev.ID))
		case leakwatch.EventVote, leakwatch.EventDebate:
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#555" stroke-dasharray="4 3"><title>%s</title></line>`, x0, x0, padT, padT+plotH, esc(ev.Title))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#333">%s</text>`, x0+2, padT-6, esc(ev.ID))
		default:
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="6" fill="#888" opacity="0.35"><title>%s</title></rect>`, x0, padT+plotH+2, math.Max(1, x1-x0), esc(ev.Title))
		}
	}
	// Axes: a few value ticks and one tick a day.
	for i := 0; i <= 4 && !noVolume; i++ {
		n := vmax * i / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end" fill="#666">%d</text>`, padL, width-padR, y(n), y(n), padL-4, y(n)+4, n)
	}
	if noVolume {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#666">%s</text>`, padL+plotW/2, padT+plotH/2, esc(empty))
	}
	step := 24 * time.Hour
	if t1.Sub(t0) > 21*24*time.Hour {
		step = 7 * 24 * time.Hour
	}
	for d := t0.Truncate(24 * time.Hour).Add(24 * time.Hour); d.Before(t1); d = d.Add(step) {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#999"/><text x="%.1f" y="%.1f" fill="#666">%s</text>`, x(d), x(d), padT+plotH, padT+plotH+12, x(d)+2, padT+plotH+22, d.Format("Jan 02"))
	}
	gcd := bucketGCD(named)
	for i, s := range named {
		var pts strings.Builder
		for _, p := range filled(s, gcd, t0, t1) {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(p.T), y(p.N))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.4"/>`, strings.TrimSpace(pts.String()), palette[i%len(palette)])
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="4" fill="%s"/><text x="%d" y="%d" fill="#333">%s</text>`, padL+i*120, height-10, palette[i%len(palette)], padL+i*120+14, height-6, esc(s.Name))
	}
	for _, bu := range bursts {
		if bu.Onset.Before(t0) || bu.Onset.After(t1) {
			continue
		}
		fmt.Fprintf(&b, `<path d="M%.1f %.1f l-4 -7 h8 z" fill="#ff7f0e"><title>burst %s: %d posts from %s</title></path>`, x(bu.Onset), padT+plotH, esc(bu.Object), bu.Count, bu.Onset.UTC().Format(time.RFC3339))
	}
	lastLabel := math.Inf(-1)
	for _, l := range leaks {
		at := l.Start
		if at.IsZero() {
			at = l.Onset
		}
		lx := clampX(at)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#d62728" stroke-width="2"><title>leak %s from %s</title></line>`, lx, lx, padT, padT+plotH, esc(l.Object), at.UTC().Format(time.RFC3339))
		// One label per cluster of leaks: overlapping labels read as noise.
		if lx-lastLabel > 40 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#d62728" font-weight="bold">leak</text>`, lx+3, padT+12)
			lastLabel = lx
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// filled is s's points with the buckets between t0 and t1 that have none drawn as zero: the
// line drops to the axis where a candidate had no posts instead of joining the points on
// either side. Only the edges of a gap are added, so a quiet month costs two points. The
// bucket is the series' own, else guess (files written before series kept it).
func filled(s volume.Series, guess time.Duration, t0, t1 time.Time) []volume.Point {
	d := time.Duration(s.BucketS) * time.Second
	if d <= 0 {
		d = guess
	}
	if d <= 0 {
		return s.Points
	}
	out := make([]volume.Point, 0, len(s.Points)+4)
	next := t0 // the first bucket not drawn yet
	for _, p := range s.Points {
		if !p.T.Before(next.Add(d)) { // a whole bucket without posts before p
			out = append(out, volume.Point{T: next})
			if last := p.T.Add(-d); last.After(next) {
				out = append(out, volume.Point{T: last})
			}
		}
		out = append(out, p)
		next = p.T.Add(d)
	}
	if !next.After(t1) {
		out = append(out, volume.Point{T: next})
		if t1.After(next) {
			out = append(out, volume.Point{T: t1})
		}
	}
	return out
}

// bucketGCD is the widest bucket every gap between two points of series is a multiple of:
// the bucket width of series that do not say it, as long as some two buckets were adjacent.
func bucketGCD(series []volume.Series) time.Duration {
	var g time.Duration
	for _, s := range series {
		for i := 1; i < len(s.Points); i++ {
			d := s.Points[i].T.Sub(s.Points[i-1].T)
			for d > 0 {
				g, d = d, g%d
			}
		}
	}
	return g
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func hours(h float64) string {
	switch {
	case h == 0:
		return "—"
	case h < 0:
		return fmt.Sprintf("%.1f h after", -h)
	}
	return fmt.Sprintf("%.1f h", h)
}

func offsets(refs []leakwatch.CalendarRef) string {
	parts := make([]string, 0, len(refs))
	for _, r := range refs {
		d := time.Duration(r.OffsetS) * time.Second
		sign := "+"
		if d < 0 {
			sign, d = "−", -d
		}
		m := int64(d.Round(time.Minute) / time.Minute)
		parts = append(parts, fmt.Sprintf("%s %s%dh%02dm", r.Event, sign, m/60, m%60))
	}
	return strings.Join(parts, ", ")
}

func first[T any](xs []T, n int) []T {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"utc": utc, "hours": hours, "offsets": offsets,
	"firstS": first[string], "firstB": first[leakwatch.Burst],
	"join": strings.Join,
	"kinds": func(ks []leakwatch.ObjectKind) string {
		s := make([]string, len(ks))
		for i, k := range ks {
			s[i] = string(k)
		}
		return strings.Join(s, ", ")
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;max-width:1160px;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#666} table{border-collapse:collapse;width:100%;font-size:.88rem} th{text-align:left;color:#555;border-bottom:2px solid #ddd}
td{border-bottom:1px solid #eee;padding:.25rem .4rem .25rem 0;vertical-align:top} .num{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:.85em;word-break:break-all} .silence{color:#b00;font-weight:bold} .figure{border:1px solid #ddd;padding:.3rem}
.summary span{display:inline-block;margin-right:1.4rem} .summary b{font-size:1.3rem}
.warning{background:#fff3cd;border:1px solid #e0c36c;padding:.4rem .6rem}
</style></head><body>
<h1>{{.Title}}</h1>
<p class="meta">{{.Calendar.Name}} · source: {{.Source}} · generated {{utc .Generated}}</p>
{{range .Warnings}}<p class="warning">Warning: {{.}}</p>
{{end}}<p class="summary"><span><b>{{len .Bursts | printf "%d"}}</b> bursts</span><span><b>{{.Edges}}</b> co-share edges</span><span><b>{{printf "%d" (len .Groups)}}</b> coordinated groups</span><span><b>{{printf "%d" (len .Leaks)}}</b> leaks</span></p>
<h2>Volume against the campaign calendar</h2>
<div class="figure">{{.Timeline}}</div>
<p class="meta">Shaded red: legal campaign silence. Dashed: debates and votes. Grey bands: campaign periods and conventions. Orange: burst onsets. Red lines: where each leak incident began.</p>
<h2>Leak timing</h2>
{{if .Leaks}}<table><tr><th>object</th><th>about</th><th>began</th><th>in silence</th><th>to silence</th><th>to vote</th><th>timing score</th><th>calendar</th><th>evidence</th></tr>
{{range .Leaks}}<tr><td><code>{{.Object}}</code></td><td>{{join .Candidates ", "}}</td><td>{{utc .Start}}</td><td>{{if .Timing.InSilence}}<span class="silence">yes ({{.Timing.Silence}})</span>{{else}}no{{end}}</td>
<td>{{if not .Timing.InSilence}}{{hours .Timing.HoursToSilence}} {{.Timing.Silence}}{{end}}</td><td>{{hours .Timing.HoursToVote}} {{.Timing.NextVote}}</td>
<td class="num">{{printf "%.2f" .Timing.Score}}</td><td>{{offsets .Calendar}}</td><td>{{join (firstS .Evidence 6) ", "}}</td></tr>
{{end}}</table>{{else}}<p>No leak detected.</p>{{end}}
<h2>Coordinated groups</h2>
{{if .Groups}}<table><tr><th>group</th><th>accounts</th><th>about</th><th>object kinds</th><th>first</th><th>last</th><th>first movers</th><th>objects</th><th>leak evidence</th></tr>
{{range .Groups}}<tr><td><code>{{.ID}}</code></td><td class="num" title="{{join .Accounts " "}}">{{len .Accounts}}</td><td>{{join .Candidates ", "}}</td><td>{{kinds .ObjectKinds}}</td><td>{{utc .First}}</td><td>{{utc .Last}}</td>
<td>{{join (firstS .FirstMovers 5) ", "}}</td><td><code>{{join (firstS .Objects 4) " "}}</code></td><td>{{if .Evidence}}{{join (firstS .Evidence 4) ", "}}{{if not .EvidenceFirst.IsZero}} from {{utc .EvidenceFirst}} to {{utc .EvidenceLast}}{{end}}{{end}}</td></tr>
{{end}}</table>{{else}}<p>No coordinated group.</p>{{end}}
<h2>Strongest bursts</h2>
{{if .Bursts}}<table><tr><th>object</th><th>about</th><th>onset</th><th>peak</th><th>end</th><th>posts</th><th>baseline</th><th>score</th><th>calendar</th></tr>
{{range firstB .Bursts 40}}<tr><td><code>{{.Object}}</code></td><td>{{join .Candidates ", "}}</td><td>{{utc .Onset}}</td><td>{{utc .Peak}}</td><td>{{utc .End}}</td><td class="num">{{.Count}}</td><td class="num">{{printf "%.1f" .Baseline}}</td><td class="num">{{printf "%.1f" .Score}}</td><td>{{offsets .Calendar}}</td></tr>
{{end}}</table>{{else}}<p>No burst.</p>{{end}}
<h2>Method</h2>
<p>Detections follow the definitions in leakwatch's docs/DETECTION.md: co-share edges join two accounts that shared the same object within the window, at least the minimum number of times; groups are connected components of those edges weighed against how popular their objects were; bursts compare each object's volume with a baseline that knows the daily rhythm; leaks are bursts or groups pointing to dumps or following a site change, timed against the campaign calendar.</p>
</body></html>
`))
