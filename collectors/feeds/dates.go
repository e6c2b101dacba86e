package feeds

import (
	"fmt"
	"strings"
	"time"
)

// dateLayouts are the date forms feeds use: RFC 822/1123 as RSS requires (with and without
// weekday, one- or two-digit day, two- or four-digit year, seconds optional), RFC 3339 as Atom and
// JSON Feed require, and the ISO variants generators write instead.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02",
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 06 15:04:05 -0700",
	"Mon, 2 January 2006 15:04:05 -0700",
	"Monday, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05",
	"Mon Jan 2 15:04:05 -0700 2006",
	"Mon, Jan 2 2006 15:04:05 -0700",
}

// zoneOffsets names the zones RFC 822 allows plus the ones feeds in practice write. Go parses
// an unknown abbreviation as UTC+0, which would shift "EST" items by five hours.
var zoneOffsets = map[string]string{
	"UT": "+0000", "UTC": "+0000", "GMT": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"CET": "+0100", "CEST": "+0200", "MET": "+0100", "MEST": "+0200",
	"WET": "+0000", "WEST": "+0100", "EET": "+0200", "EEST": "+0300",
	"BST": "+0100", "IST": "+0530", "MSK": "+0300", "JST": "+0900",
	"AEST": "+1000", "AEDT": "+1100",
}

// parseDate reads a feed date. A date without zone is taken as UTC.
func parseDate(s string) (time.Time, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return time.Time{}, fmt.Errorf("empty date")
	}
	// "Tue, 10 Jun 2003 04:00:00 +0000 (UTC)": drop a trailing comment.
	if i := strings.IndexByte(s, '('); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	// Replace a trailing zone name with its numeric offset so one layout set covers both.
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		if off, ok := zoneOffsets[strings.ToUpper(s[i+1:])]; ok {
			s = s[:i] + " " + off
		}
	}
	// Some feeds drop the comma after the weekday, or put a period after the month name.
	s = strings.Replace(s, ". ", " ", 1)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
		if strings.HasPrefix(layout, "Mon, ") {
			if t, err := time.Parse("Mon "+layout[5:], s); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised date %q", s)
}
