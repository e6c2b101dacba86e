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
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	// NetworkFile, when set, is the name of the GraphML file written beside the page
	// (WriteGraphML), which the page links to under its network picture.
	NetworkFile string
}

// strays finds in the whole stream's series the buckets dated far from the rest (a 1995 typed
// for 2017, a broken export's dates; analyze warns of them too), which would
// stretch the timeline over the empty years between and squeeze the campaign into a line. It
// returns the range the chart keeps, [lo, hi] (zero when nothing strays), and a sentence for
// the page's warnings.
func strays(series []volume.Series) (lo, hi time.Time, note string) {
	i := slices.IndexFunc(series, func(s volume.Series) bool { return s.Name == volume.All })
	if i < 0 {
		return
	}
	all := series[i]
	total := 0
	for _, p := range all.Points {
		total += p.N
	}
	head, tail := volume.Stray(all, volume.StrayGap, max(1, total/volume.StrayShare))
	if len(head) == 0 && len(tail) == 0 {
		return
	}
	kept := all.Points[len(head) : len(all.Points)-len(tail)]
	lo, hi = kept[0].T, kept[len(kept)-1].T
	var parts []string
	for _, ps := range [][]volume.Point{head, tail} {
		if len(ps) == 0 {
			continue
		}
		n := 0
		for _, p := range ps {
			n += p.N
		}
		from, to := ps[0].T.UTC().Format("2006-01-02"), ps[len(ps)-1].T.UTC().Format("2006-01-02")
		when := "dated " + from
		if to != from {
			when = "dated " + from + " to " + to
		}
		noun := "posts"
		if n == 1 {
			noun = "post"
		}
		parts = append(parts, fmt.Sprintf("%d %s %s", n, noun, when))
	}
	note = fmt.Sprintf("The timeline leaves out %s, more than %d days from all the other posts: wrong dates? They are still counted in the detections.",
		strings.Join(parts, " and "), int(volume.StrayGap.Hours()/24))
	return lo, hi, note
}

// clip keeps of the series' points and of the markers what lies in [lo, hi] (a marker: what
// overlaps it).
func clip(series []volume.Series, bursts []leakwatch.Burst, leaks []leakwatch.Leak, lo, hi time.Time) ([]volume.Series, []leakwatch.Burst, []leakwatch.Leak) {
	in := func(t time.Time) bool { return !t.Before(lo) && !t.After(hi) }
	out := make([]volume.Series, len(series))
	for i, s := range series {
		out[i] = s
		out[i].Points = slices.DeleteFunc(slices.Clone(s.Points), func(p volume.Point) bool { return !in(p.T) })
	}
	bursts = slices.DeleteFunc(slices.Clone(bursts), func(b leakwatch.Burst) bool { return b.End.Before(lo) || b.Onset.After(hi) })
	leaks = slices.DeleteFunc(slices.Clone(leaks), func(l leakwatch.Leak) bool { return !in(leakAt(l)) })
	return out, bursts, leaks
}

// Render writes the report page. The timeline is inline SVG, so the page is one file that
// opens anywhere, also offline.
func Render(w io.Writer, in Input) error {
	v := prepare(in)
	v.Timeline = template.HTML(timeline(v, 1100, 320))
	if len(v.Groups) > 0 {
		v.Network = template.HTML(NetworkSVG(BuildNetwork(in.Signals), 1100))
	}
	return page.Execute(w, v)
}

// Timeline is the page's picture alone, width wide and height high, higher when its legend
// or calendar labels need more than a row: what goes to timeline.svg.
func Timeline(in Input, width, height int) string {
	return timeline(prepare(in), width, height)
}

// prepare is the view of in: its detections ranked, and the posts that stray far from the
// rest found once, for the timeline to leave out and the page to warn of.
func prepare(in Input) view {
	v := rank(in.Signals)
	v.Input = in
	var note string
	if v.keepFrom, v.keepTo, note = strays(in.Series); note != "" {
		v.Warnings = append(slices.Clip(v.Warnings), note)
	}
	return v
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
	slices.SortStableFunc(v.Bursts, leakwatch.CompareBursts)
	for _, x := range v.Bursts {
		if x.Learning {
			v.Learning++
		}
	}
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
			fmt.Fprintf(&b, "    %s  %s%s", utc(l.Start), printable(l.Object), about(l.Candidates))
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
			fmt.Fprintf(&b, "; evidence %s", strings.Join(printables(first(l.Evidence, 3)), ", "))
			// The network that passed the dump round is what an analyst looks for next.
			for _, e := range l.Evidence {
				id, ok := strings.CutPrefix(e, "group:")
				if !ok {
					continue
				}
				for _, g := range v.Groups {
					if g.ID == id {
						fmt.Fprintf(&b, "; amplified by %d coordinated accounts, first movers %s", len(g.Accounts), strings.Join(printables(first(g.FirstMoverNames(), 3)), ", "))
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
				leak = "; leak evidence " + strings.Join(printables(first(g.Evidence, 3)), ", ")
				switch {
				case g.EvidenceFirst.IsZero():
				case g.EvidenceLast.Equal(g.EvidenceFirst):
					leak += " at " + utc(g.EvidenceFirst)
				default:
					leak += " from " + utc(g.EvidenceFirst) + " to " + utc(g.EvidenceLast)
				}
			}
			fmt.Fprintf(&b, "    %d accounts, %d edges (%s), %s%s; first movers %s; shared %s%s%s\n",
				len(g.Accounts), g.Edges, strings.Join(kinds, ", "), groupSpan(&g), about(g.Candidates),
				strings.Join(printables(first(g.FirstMoverNames(), 3)), ", "), strings.Join(printables(first(g.Objects, 2)), ", "), leak, near(g.Calendar))
		}
	}
	if len(v.Bursts) > 0 {
		fmt.Fprintf(&b, "  strongest bursts\n")
		for _, x := range first(v.Bursts, n) {
			learning := tags(x) // its first day, or the hour scale: rules raise no alert on it
			fmt.Fprintf(&b, "    %s  %s%s  %d posts by %d accounts against %.1f expected, score %.1f%s%s\n",
				utc(x.Onset), printable(x.Object), about(x.Candidates), x.Count, x.Accounts, x.Baseline, x.Score, learning, near(x.Calendar))
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
	Learning int // bursts whose baseline was still learning (Burst.Learning)
	Timeline template.HTML
	Network  template.HTML // the groups' picture, when there are groups
	// keepFrom and keepTo are the range the timeline keeps when posts stray far from the
	// rest (strays); zero when none does.
	keepFrom, keepTo time.Time
}

// palette colours the candidates' lines: twelve hues and shades told apart on white. Orange
// (burst onsets) and red (silences, leaks) are left out, so a marker is never taken for a
// candidate's line.
var palette = []string{
	"#1f77b4", // blue
	"#9467bd", // purple
	"#2ca02c", // green
	"#8c564b", // brown
	"#e377c2", // pink
	"#17becf", // cyan
	"#bcbd22", // olive
	"#7f7f7f", // grey
	"#222222", // black
	"#393b79", // navy
	"#637939", // moss
	"#7b4173", // plum
}

// dashes are the line patterns of the palette's first, second, ... round ("" is solid): past
// twelve series the colours come again, dashed, so no two of the first 72 series look alike.
var dashes = []string{"", "7 3", "2 2", "9 3 2 3", "4 4", "12 3 2 3 2 3"}

// lineStyle is the stroke attributes of series i, for its line and its legend entry.
func lineStyle(i int) string {
	s := fmt.Sprintf(`stroke="%s"`, palette[i%len(palette)])
	if d := dashes[(i/len(palette))%len(dashes)]; d != "" {
		s += fmt.Sprintf(` stroke-dasharray="%s"`, d)
	}
	return s
}

// textW is about how wide s is drawn in the chart's 11 px sans-serif, erring wide (DejaVu
// Sans is among the widest): what is placed by it stays inside the picture.
func textW(s string) float64 { return 7 * float64(utf8.RuneCountInString(s)) }

// timeline draws volume per candidate (the "all" series is left out when candidates exist),
// silence periods shaded, conventions and campaign periods as bands, debates and votes as
// dashed lines, bursts as ticks and leaks as red lines. The picture is width wide and height
// high with one row of calendar labels, of time labels and of legend; it grows by the rows
// that more labels, dates under the hours or candidates need.
func timeline(v view, width, height int) string {
	const padL, padR = 58, 12
	cal, bursts, leaks := v.Calendar, v.Bursts, v.Leaks
	series := v.Series
	if !v.keepFrom.IsZero() {
		series, bursts, leaks = clip(series, bursts, leaks, v.keepFrom, v.keepTo)
	}
	var named, all []volume.Series // all: the whole stream's, not drawn beside candidates
	for _, s := range series {
		if s.Name != volume.All {
			named = append(named, s)
		} else {
			all = append(all, s)
		}
	}
	counted := "mentions" // of each candidate
	if len(named) == 0 {
		named, all, counted = series, nil, "posts"
	}
	var t0, t1 time.Time
	vmax := 1
	span := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if t0.IsZero() || t.Before(t0) {
			t0 = t
		}
		if t.After(t1) {
			t1 = t
		}
	}
	gcd := bucketGCD(named)
	noVolume := true
	for _, s := range named {
		d := bucketWidth(s, gcd)
		for _, p := range s.Points {
			noVolume = false
			// A point counts its whole bucket: the axis runs to the bucket's end, so the last
			// bucket is drawn across its width and a burst within it is on the chart.
			span(p.T)
			span(p.T.Add(d))
			vmax = max(vmax, p.N)
		}
	}
	// The whole stream's range too, when only the candidates' lines are drawn: the chart
	// covers the posts analysed, and a candidate not mentioned in the last hours drops to zero
	// there rather than the axis stopping at the last mention.
	for _, s := range all {
		d := bucketWidth(s, gcd)
		for _, p := range s.Points {
			span(p.T)
			span(p.T.Add(d))
		}
	}
	// Every marker drawn is on the chart, also one after the last bucket with a mention (the
	// whole stream's bursts are counted in no candidate's line) or before the first.
	for _, bu := range bursts {
		span(bu.Onset)
		span(bu.End)
	}
	for _, l := range leaks {
		span(leakAt(l))
	}
	// Without the volume the chart spans the markers in whole days.
	if noVolume && !t0.IsZero() {
		t0, t1 = t0.Truncate(24*time.Hour), t1.Truncate(24*time.Hour).Add(24*time.Hour)
	}
	var b strings.Builder
	svg := func(h float64) {
		fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %.0f" width="100%%" role="img" aria-label="volume per candidate against the campaign calendar" font-family="sans-serif" font-size="11">`, width, h)
		fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%.0f" fill="#fff"/>`, width, h)
	}
	empty := "no posts in range"
	if v.NoVolume != "" {
		empty = "no volume data (" + v.NoVolume + ")"
	}
	if t0.IsZero() {
		svg(float64(height))
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#666">%s</text></svg>`, width/2, height/2, esc(empty))
		return b.String()
	}
	if !t1.After(t0) {
		t1 = t0.Add(time.Hour)
	}
	plotW, plotH := float64(width-padL-padR), float64(max(height-66, 60))
	right := float64(width - padR)
	x := func(t time.Time) float64 {
		return padL + plotW*float64(t.Sub(t0))/float64(t1.Sub(t0))
	}
	clampX := func(t time.Time) float64 { return math.Max(padL, math.Min(right, x(t))) }

	// The layout: calendar labels in rows above the plot, tick labels and the legend's rows
	// below it.
	var events []leakwatch.Event
	for _, ev := range cal.Sorted() {
		if !ev.End.Before(t0) && !ev.Start.After(t1) {
			events = append(events, ev)
		}
	}
	labels, labelRows := eventLabels(events, clampX, float64(width))
	padT := float64(10 + 12*labelRows)
	axisY := padT + plotH
	step, top := yScale(vmax)
	y := func(n int) float64 { return padT + plotH*(1-float64(n)/float64(top)) }
	major, minor, subDay := xTicks(t0, t1, plotW)
	tickY := axisY + 20 // first line of the tick labels; the dates of a sub-day axis under it
	legendY := tickY + 16
	if subDay {
		legendY += 12
	}
	var legendCols int
	if !noVolume {
		colW := 0.0
		for _, s := range named {
			colW = math.Max(colW, 30+textW(s.Name)+16) // swatch, gap, name, space to the next
		}
		legendCols = max(1, int(plotW/colW)) // as many columns as the plot's width holds
	}
	legendRows := 0
	if legendCols > 0 {
		legendRows = (len(named) + legendCols - 1) / legendCols
	}
	h := legendY - 8
	if legendRows > 0 {
		h = legendY + float64(legendRows-1)*16 + 8
	}
	svg(h)

	for _, ev := range events {
		x0, x1 := clampX(ev.Start), clampX(ev.End)
		switch ev.Kind {
		case leakwatch.EventSilence:
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.1f" fill="#d62728" opacity="0.13"><title>%s</title></rect>`, x0, padT, math.Max(1, x1-x0), plotH, esc(ev.Title))
		case leakwatch.EventVote, leakwatch.EventDebate:
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.1f" stroke="#555" stroke-dasharray="4 3"><title>%s</title></line>`, x0, x0, padT, axisY, esc(ev.Title))
		default:
			if x1-x0 < 3 {
				// An event of minutes (a speech) is a dotted line, not a band no one sees.
				fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.1f" stroke="#888" stroke-dasharray="1 3"><title>%s</title></line>`, x0, x0, padT, axisY, esc(ev.Title))
				continue
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="6" fill="#888" opacity="0.35"><title>%s</title></rect>`, x0, axisY+2, math.Max(1, x1-x0), esc(ev.Title))
		}
	}
	for _, l := range labels {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f"%s fill="%s">%s</text>`, l.x, padT-6-12*float64(l.row), l.anchor, l.fill, esc(l.text))
	}

	// Value axis: round steps, titled with what is counted per what bucket.
	if !noVolume {
		for n := 0; n <= top; n += step {
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end" fill="#666">%d</text>`, padL, width-padR, y(n), y(n), padL-4, y(n)+4, n)
		}
		mid := padT + plotH/2
		fmt.Fprintf(&b, `<text x="14" y="%.1f" transform="rotate(-90 14 %.1f)" text-anchor="middle" fill="#444">%s %s</text>`, mid, mid, counted, perBucket(bucketOf(named)))
	} else {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#666">%s</text>`, padL+plotW/2, padT+plotH/2, esc(empty))
	}

	// Time axis, in UTC as the rest of the page.
	for _, t := range minor {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#bbb"/>`, x(t), x(t), axisY, axisY+3)
	}
	for i, t := range major {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.1f" stroke="#f2f2f2"/><line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#999"/>`, x(t), x(t), padT, axisY, x(t), x(t), axisY, axisY+6)
		date := t.UTC().Format("Jan 02")
		if t0.Year() != t1.Year() {
			date += t.UTC().Format(" 2006")
		}
		lines := []string{date}
		if subDay {
			lines = []string{t.UTC().Format("15:04")}
			if i == 0 || t.UTC().YearDay() != major[i-1].UTC().YearDay() {
				lines = append(lines, date) // where the day changes
			}
		}
		for j, s := range lines {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f"%s fill="#666">%s</text>`, x(t), tickY+12*float64(j), centred(x(t), textW(s), float64(width)), s)
		}
	}
	fmt.Fprintf(&b, `<text x="4" y="%.1f" fill="#666">UTC</text>`, tickY)

	for i, s := range named {
		var pts strings.Builder
		for _, p := range steps(s, gcd, t0, t1) {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(p.T), y(p.N))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" %s stroke-width="1.4"/>`, strings.TrimSpace(pts.String()), lineStyle(i))
	}
	if legendCols > 0 {
		colW := plotW / float64(legendCols)
		b.WriteString(`<g class="legend">`)
		for i, s := range named {
			lx, ly := padL+colW*float64(i%legendCols), legendY+16*float64(i/legendCols)
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" %s stroke-width="2.5"/><text x="%.1f" y="%.1f" fill="#333">%s</text>`, lx, lx+24, ly-4, ly-4, lineStyle(i), lx+30, ly, esc(s.Name))
		}
		b.WriteString(`</g>`)
	}
	for _, bu := range bursts {
		fill, learning := `fill="#ff7f0e"`, tags(bu)
		if learning != "" { // hollow: the alert rules skip it
			fill = `fill="#fff" stroke="#ff7f0e"`
		}
		fmt.Fprintf(&b, `<path d="M%.1f %.1f l-4 -7 h8 z" %s><title>burst %s: %d posts from %s%s</title></path>`, x(bu.Onset), axisY, fill, esc(bu.Object), bu.Count, bu.Onset.UTC().Format(time.RFC3339), learning)
	}
	lastLabel := math.Inf(-1)
	for _, l := range leaks {
		at := leakAt(l)
		lx := clampX(at)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.1f" stroke="#d62728" stroke-width="2"><title>leak %s from %s</title></line>`, lx, lx, padT, axisY, esc(l.Object), at.UTC().Format(time.RFC3339))
		// One label per cluster of leaks: overlapping labels read as noise.
		if lx-lastLabel > 40 {
			tx, anchor := lx+3, ""
			if tx+textW("leak") > right { // at the right edge: left of its line
				tx, anchor = lx-3, ` text-anchor="end"`
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f"%s fill="#d62728" font-weight="bold">leak</text>`, tx, padT+12, anchor)
			lastLabel = lx
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// eventLabel is the id of a calendar event written above the plot, in row 0 (next to the
// plot) or a row above it.
type eventLabel struct {
	x          float64
	anchor     string // text-anchor attribute, "" for start
	row        int
	text, fill string
}

// eventLabels places the ids of the silences, votes and debates of events above the plot:
// right of the event's line, or left of it where the text would pass the picture's right
// edge, and a row higher where it would run into a label already placed. It returns the
// labels and how many rows they take (at least one).
func eventLabels(events []leakwatch.Event, x func(time.Time) float64, width float64) ([]eventLabel, int) {
	var out []eventLabel
	var ends []float64 // per row, where its last label ends
	for _, ev := range events {
		fill := "#333"
		switch ev.Kind {
		case leakwatch.EventSilence:
			fill = "#a11"
		case leakwatch.EventVote, leakwatch.EventDebate:
		default:
			// Conventions, speeches and campaign periods: the summary times findings against
			// them too ("rnc-acceptance −15h57m"), so the picture names them, in grey.
			fill = "#777"
		}
		at, w := x(ev.Start), textW(ev.ID)
		l := eventLabel{x: at + 2, text: ev.ID, fill: fill}
		left := l.x
		if l.x+w > width-2 {
			l.x, l.anchor, left = at-2, ` text-anchor="end"`, at-2-w
		}
		for l.row < len(ends) && left < ends[l.row]+6 {
			l.row++
		}
		if l.row == len(ends) {
			ends = append(ends, 0)
		}
		ends[l.row] = left + w
		out = append(out, l)
	}
	return out, max(1, len(ends))
}

// xTicks are the times of the labelled ticks of a time axis from t0 to t1 plotW wide, and
// of the unlabelled ticks between them: the finest spacing of 15 minutes to 4 weeks whose
// labels do not crowd, at round times of UTC (hours that divide the day, midnights, Mondays).
// subDay says the labels show the hour.
func xTicks(t0, t1 time.Time, plotW float64) (major, minor []time.Time, subDay bool) {
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	steps := []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, day, 2 * day, week, 2 * week, 4 * week}
	span := t1.Sub(t0)
	fits := func(d time.Duration, label string) bool {
		return plotW*float64(d)/float64(span) >= textW(label)+16
	}
	date := "Jan 02"
	if t0.Year() != t1.Year() {
		date = "Jan 02 2006"
	}
	var step time.Duration
	for _, d := range steps {
		if fits(d, date) { // the widest label: a date, under the hour on a sub-day axis
			step = d
			break
		}
	}
	if step == 0 { // years: whole multiples of four weeks
		step = 4 * week
		for !fits(step, date) {
			step += 4 * week
		}
	}
	// Truncate counts from the zero time, a Monday at midnight UTC: a step that divides the
	// day or the week falls on round hours, midnights and Mondays.
	for t := t0.Truncate(step); !t.After(t1); t = t.Add(step) {
		if !t.Before(t0) {
			major = append(major, t)
		}
	}
	var fine time.Duration // the widest step of the list finer than step that divides it
	for _, d := range steps {
		if d < step && step%d == 0 {
			fine = d
		}
	}
	if fine > 0 && plotW*float64(fine)/float64(span) >= 4 {
		for t := t0.Truncate(fine); !t.After(t1); t = t.Add(fine) {
			if !t.Before(t0) && t.Sub(t.Truncate(step)) != 0 {
				minor = append(minor, t)
			}
		}
	}
	return major, minor, step < day
}

// centred is the text-anchor attribute of a label centred at x, w wide, in a picture width
// wide: at an edge it ends (or starts) at x instead of passing the edge.
func centred(x, w, width float64) string {
	switch {
	case x+w/2 > width-2:
		return ` text-anchor="end"`
	case x-w/2 < 2:
		return ""
	}
	return ` text-anchor="middle"`
}

// yScale is the value axis for counts up to vmax: a round step (1, 2 or 5 times a power of
// ten) that takes at most seven to reach vmax, and the top it reaches.
func yScale(vmax int) (step, top int) {
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			step = m * p
			if n := (vmax + step - 1) / step; n <= 7 {
				return step, max(n, 1) * step
			}
		}
	}
}

// bucketOf is the bucket the volume lines count in: the one series say, else the one their
// points show (files written before series kept it), 0 when neither tells.
func bucketOf(series []volume.Series) time.Duration {
	for _, s := range series {
		if s.BucketS > 0 {
			return time.Duration(s.BucketS) * time.Second
		}
	}
	return bucketGCD(series)
}

// perBucket names a bucket for the value axis: "per hour", "per 15 min", "per day".
func perBucket(d time.Duration) string {
	one := func(n int64, unit, units string) string {
		if n == 1 {
			return "per " + unit
		}
		return fmt.Sprintf("per %d %s", n, units)
	}
	switch {
	case d <= 0:
		return "per bucket"
	case d%(24*time.Hour) == 0:
		return one(int64(d/(24*time.Hour)), "day", "days")
	case d%time.Hour == 0:
		return one(int64(d/time.Hour), "hour", "h")
	case d%time.Minute == 0:
		return one(int64(d/time.Minute), "minute", "min")
	}
	return one(int64(d/time.Second), "second", "s")
}

// leakAt is where a leak incident is drawn: where it began, else (a record written before
// incidents kept their start) its key's onset.
func leakAt(l leakwatch.Leak) time.Time {
	if l.Start.IsZero() {
		return l.Onset
	}
	return l.Start
}

// bucketWidth is the bucket s counts in: its own, else guess (files written before series
// kept it); 0 when neither is known.
func bucketWidth(s volume.Series, guess time.Duration) time.Duration {
	if d := time.Duration(s.BucketS) * time.Second; d > 0 {
		return d
	}
	return guess
}

// steps is the vertices of s drawn as steps: each bucket a level segment across its width at
// its count, so an hour's posts are drawn over that hour (a 19:00–20:00 peak neither rises
// before 19:00 nor is drawn at 19:00 alone), and the buckets between t0 and t1 without
// posts drawn at zero: the line drops to the axis where a candidate had no posts instead of
// joining the counts on either side. A quiet month costs two vertices. Without a known
// bucket (a single point of an old file) the points are joined as they are.
func steps(s volume.Series, guess time.Duration, t0, t1 time.Time) []volume.Point {
	d := bucketWidth(s, guess)
	if d <= 0 {
		return s.Points
	}
	out := make([]volume.Point, 0, 2*len(s.Points)+4)
	next := t0 // where the line has got to
	for _, p := range s.Points {
		if p.T.After(next) { // no posts from next to p
			out = append(out, volume.Point{T: next}, volume.Point{T: p.T})
		}
		out = append(out, p, volume.Point{T: p.T.Add(d), N: p.N})
		next = p.T.Add(d)
	}
	if t1.After(next) {
		out = append(out, volume.Point{T: next}, volume.Point{T: t1})
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

// esc escapes s for the page and its SVG pictures. Characters XML 1.0 forbids (the C0
// controls but tab and line ends, U+FFFE and U+FFFF) become U+FFFD: one ESC in a handle made
// network.svg and timeline.svg unreadable to every XML reader, browsers opening them alone
// included.
func esc(s string) string {
	if strings.IndexFunc(s, notXML) >= 0 {
		s = strings.Map(func(r rune) rune {
			if notXML(r) {
				return utf8.RuneError
			}
			return r
		}, s)
	}
	return template.HTMLEscapeString(s)
}

func notXML(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
}

// printable is s for a terminal: control characters (line ends, ESC and the rest) become
// U+FFFD, so a handle or a hashtag cannot forge a line of the digest or send the analyst's
// terminal escape sequences.
func printable(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

// printables is printable for each of ss.
func printables(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = printable(s)
	}
	return out
}

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
.tag{display:inline-block;margin-left:.4rem;padding:0 .3rem;border:1px solid #ccc;border-radius:3px;color:#666;font-size:.8em;white-space:nowrap}
</style></head><body>
<h1>{{.Title}}</h1>
<p class="meta">{{.Calendar.Name}} · source: {{.Source}} · generated {{utc .Generated}}</p>
{{range .Warnings}}<p class="warning">Warning: {{.}}</p>
{{end}}<p class="summary"><span><b>{{len .Bursts | printf "%d"}}</b> bursts</span><span><b>{{.Edges}}</b> co-share edges</span><span><b>{{printf "%d" (len .Groups)}}</b> coordinated groups</span><span><b>{{printf "%d" (len .Leaks)}}</b> leaks</span></p>
<h2>Volume against the campaign calendar</h2>
<div class="figure">{{.Timeline}}</div>
<p class="meta">Lines: posts mentioning each candidate per bucket (the whole stream when no candidate is named), each bucket a level step across its width, times in UTC. Shaded red: legal campaign silence. Dashed: debates and votes. Grey bands: campaign periods and conventions; dotted grey: speeches; grey labels name them at their start. Orange: burst onsets (hollow: baseline learning). Red lines: where each leak incident began.</p>
<p class="meta">Calendar offsets count from the start of the event: <code>debate +0h34m</code> is 34 minutes after it began, a negative offset such as <code>silence −3h25m</code> is 3 h 25 min before it.</p>
<h2>Leak timing</h2>
{{if .Leaks}}<table><tr><th>object</th><th>about</th><th>began</th><th>in silence</th><th>to silence</th><th>to vote</th><th>timing score</th><th>calendar</th><th>evidence</th></tr>
{{range .Leaks}}<tr><td><code>{{.Object}}</code></td><td>{{join .Candidates ", "}}</td><td>{{utc .Start}}</td><td>{{if .Timing.InSilence}}<span class="silence">yes ({{.Timing.Silence}})</span>{{else if .Timing.Silence}}no{{else}}—{{end}}</td>
<td>{{if not .Timing.InSilence}}{{hours .Timing.HoursToSilence}} {{.Timing.Silence}}{{end}}</td><td>{{hours .Timing.HoursToVote}} {{.Timing.NextVote}}</td>
<td class="num">{{if or .Timing.Silence .Timing.NextVote}}{{printf "%.2f" .Timing.Score}}{{else}}<span title="no silence or vote to time it against">—</span>{{end}}</td><td>{{offsets .Calendar}}</td><td>{{join (firstS .Evidence 6) ", "}}</td></tr>
{{end}}</table>{{else}}<p>No leak detected.</p>{{end}}
<h2>Coordinated groups</h2>
{{if .Groups}}<div class="figure">{{.Network}}</div>
<p class="meta">Each group in its own box, largest first: a dot is an account (ringed and named: a first mover), a line a pair of accounts that co-shared, thicker for more co-shares; hover for names and counts.{{if .NetworkFile}} Every account with a co-share edge, grouped or not, and every pair with its co-shares by kind: <a href="{{.NetworkFile}}">{{.NetworkFile}}</a> (GraphML, for Gephi, Cytoscape, networkx or igraph).{{end}}</p>
<table><tr><th>group</th><th>accounts</th><th>about</th><th>object kinds</th><th>first co-share</th><th>coordinated from</th><th>last</th><th>first movers</th><th>objects</th><th>leak evidence</th></tr>
{{range .Groups}}<tr><td><code>{{.ID}}</code></td><td class="num" title="{{join .Accounts " "}}">{{len .Accounts}}</td><td>{{join .Candidates ", "}}</td><td>{{kinds .ObjectKinds}}</td><td>{{utc .First}}</td><td>{{utc .CoordinatedAt}}</td><td>{{utc .Last}}</td>
<td>{{join (firstS .FirstMoverNames 5) ", "}}</td><td><code>{{join (firstS .Objects 4) " "}}</code></td><td>{{if .Evidence}}{{join (firstS .Evidence 4) ", "}}{{if not .EvidenceFirst.IsZero}} from {{utc .EvidenceFirst}} to {{utc .EvidenceLast}}{{end}}{{end}}</td></tr>
{{end}}</table>{{else}}<p>No coordinated group.</p>{{end}}
<h2>Strongest bursts</h2>
{{if .Bursts}}<table><tr><th>object</th><th>about</th><th>onset</th><th>peak</th><th>end</th><th>posts</th><th>baseline</th><th>score</th><th>calendar</th></tr>
{{range firstB .Bursts 40}}<tr><td><code>{{.Object}}</code>{{if .Learning}}<span class="tag" title="began on the input's first day: the alert rules skip it">baseline learning</span>{{end}}{{if .Slow}}<span class="tag" title="found at the hour scale: a rise too slow for minutes; times are to the hour and the alert rules skip it">slow</span>{{end}}</td><td>{{join .Candidates ", "}}</td><td>{{utc .Onset}}</td><td>{{utc .Peak}}</td><td>{{utc .End}}</td><td class="num">{{.Count}}</td><td class="num">{{printf "%.1f" .Baseline}}</td><td class="num">{{printf "%.1f" .Score}}</td><td>{{offsets .Calendar}}</td></tr>
{{end}}</table>
{{if .Learning}}<p class="meta">{{.Learning}} of the {{len .Bursts}} bursts are marked <i>baseline learning</i>: they began within the first day of the input (<code>burst.learning</code>, 24 h) on an object active from its start, whose baseline had not yet seen a whole day of its daily rhythm and may take an ordinary rise for a burst. They are kept and still join leak incidents, but the alert rules skip them unless a rule sets <code>learning: true</code> (docs/DETECTION.md).</p>
{{end}}{{else}}<p>No burst.</p>{{end}}
<h2>Method</h2>
<p>Detections follow the definitions in leakwatch's docs/DETECTION.md: co-share edges join two accounts that shared the same object within the window, at least the minimum number of times; groups are connected components of those edges weighed against how popular their objects were; bursts compare each object's volume with a baseline that knows the daily rhythm; leaks are bursts or groups pointing to dumps or following a site change, timed against the campaign calendar.</p>
</body></html>
`))

// groupSpan is when a group acted: from when it became coordinated to its last co-share, with
// its first co-share when that came before (a chance one can be days earlier, and the
// group's calendar offsets count from when it became coordinated).
func groupSpan(g *leakwatch.Group) string {
	from := utc(g.CoordinatedAt())
	if first := utc(g.First); first != from {
		return "coordinated " + from + " to " + utc(g.Last) + " (first co-share " + first + ")"
	}
	return from + " to " + utc(g.Last)
}

// tags says why the alert rules skip burst b by default, if they do: its baseline was still
// learning, or it was counted by the hour.
func tags(b leakwatch.Burst) string {
	var s string
	if b.Learning {
		s = " (baseline learning)"
	}
	if b.Slow {
		s += " (slow: counted by the hour)"
	}
	return s
}
