package grafana

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Range is what Grafana substitutes into panel SQL: the time range, the interval and the
// selected variable values (nil: "All").
type Range struct {
	From, To time.Time
	Interval time.Duration
	Vars     map[string][]string
}

var (
	reTimeFilter = regexp.MustCompile(`\$__timeFilter\(([^)]+)\)`)
	reVar        = regexp.MustCompile(`\$\{(\w+)(?::(\w+))?\}`)
)

// Expand replaces the ClickHouse plugin's macros and the dashboard variables the way Grafana
// does, so tests and the report run panel SQL exactly as a browser would get it.
// Only macros that ClickHouse 18.16 can execute are used by the boards (see DASHBOARDS.md).
// allValues lists every value of each variable, used when a variable is "All".
func Expand(sql string, r Range, allValues map[string][]string) (string, error) {
	from := fmt.Sprintf("toDateTime(%d)", r.From.Unix())
	to := fmt.Sprintf("toDateTime(%d)", r.To.Unix())
	sql = reTimeFilter.ReplaceAllString(sql, "($1 >= "+from+" AND $1 <= "+to+")")
	iv := max(int64(r.Interval/time.Second), 1)
	rep := strings.NewReplacer(
		"$__fromTime", from,
		"$__toTime", to,
		"$__interval_s", strconv.FormatInt(iv, 10),
	)
	sql = rep.Replace(sql)
	var bad error
	sql = reVar.ReplaceAllStringFunc(sql, func(m string) string {
		g := reVar.FindStringSubmatch(m)
		name, format := g[1], g[2]
		vals, ok := r.Vars[name]
		if !ok || vals == nil {
			vals = allValues[name]
		}
		if format != "singlequote" {
			bad = fmt.Errorf("variable %s: format %q not supported, use ${%s:singlequote}", name, format, name)
		}
		if len(vals) == 0 {
			// An empty IN list is a syntax error; a value nothing equals selects nothing.
			return "''"
		}
		q := make([]string, len(vals))
		for i, v := range vals {
			q[i] = "'" + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", `\'`) + "'"
		}
		return strings.Join(q, ",")
	})
	if bad != nil {
		return "", bad
	}
	if strings.Contains(sql, "$__") {
		return "", fmt.Errorf("unexpanded macro in %q", sql)
	}
	return sql, nil
}
