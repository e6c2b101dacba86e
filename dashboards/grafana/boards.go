package grafana

import (
	"fmt"

	"github.com/leakwatch/leakwatch/warehouse"
)

// Every panel query groups time with toDateTime(intDiv(toUInt32(ts), $__interval_s) *
// $__interval_s): the plugin's $__timeGroup/$__timeInterval need functions ClickHouse 18.16
// lacks. Tables are ReplacingMergeTree: queries read them FINAL or count distinct ids, so a
// redelivered record never shows twice. Records whose time column (the partition key) can
// move between versions, edges, groups, alerts and calendar events, are read through
// warehouse.Latest instead, since FINAL merges within a partition only. Groups, leaks and
// alerts that a later record superseded are left out (warehouse.NotSuperseded).

// bucket groups a DateTime column into the panel's interval.
func bucket(col string) string {
	return "toDateTime(intDiv(toUInt32(" + col + "), $__interval_s) * $__interval_s)"
}

// Boards returns the four leakwatch boards.
func Boards() []Spec {
	return []Spec{overview(), leakTiming(), coordination(), sites()}
}

// activeIn keeps the groups and edges active in the time range: co-sharing in it, however
// long before it they began (warehouse.Groups and Edges read the same way). A filter on
// first_at alone hid a network at work all week from a dashboard on dump night.
const activeIn = "first_at <= $__toTime AND last_at >= $__fromTime"

// firstMovers shows a group's first movers by their handles where the warehouse has them
// (first_mover_names), else by account: an account id says nothing to an analyst.
const firstMovers = "arrayStringConcat(if(empty(first_mover_names), first_movers, first_mover_names), ', ') AS first_movers"

// accountsInGroups counts each account's groups by its id, and shows it by its latest known
// handle (else its id): an account in groups stored before the warehouse kept handles
// (account_names empty) and in groups stored after was counted as two accounts, its id and
// its handle. account_names holds an account's own id where its handle is unknown.
//
// The account is named account_id, not id: an alias shadows the column it names, and the
// superseded-groups filter (id NOT IN …supersedes) then compared accounts with group ids and
// left every merged-away group in, each ring account counted in its group and the ones it
// replaced.
var accountsInGroups = "SELECT if(handle = '', account_id, handle) AS account, groups, last FROM (" +
	"SELECT account_id, argMaxIf(name, last_at, name != '' AND name != account_id) AS handle, count() AS groups, max(last_at) AS last FROM " + warehouse.Latest("groups") + " " +
	"ARRAY JOIN accounts AS account_id, arrayResize(account_names, length(accounts)) AS name " +
	"WHERE " + activeIn + " AND " + aboutCandidates + " AND " + warehouse.NotSuperseded("groups") + " GROUP BY account_id) " +
	"ORDER BY groups DESC, account LIMIT 200"

// aboutCandidates keeps the bursts, groups and leak incidents that name a chosen candidate,
// and those that name none (a dump nobody is named in is still news to every desk).
const aboutCandidates = "(empty(candidates) OR hasAny(candidates, [${candidate:singlequote}]))"

// alertAboutCandidates keeps the alerts tied to no candidate, those whose candidate is chosen,
// and those raised on a burst, group or leak (alerts.detection is its id) naming a chosen
// candidate: an alert carries one candidate, its record's first, and the alert of a group
// about "macron, lepen" shown under lepen must show there too. A record's candidates only grow
// across its versions, so any version naming one will do, without FINAL.
const alertAboutCandidates = "(candidate = '' OR candidate IN (${candidate:singlequote})" +
	" OR detection IN (SELECT id FROM bursts WHERE hasAny(candidates, [${candidate:singlequote}]))" +
	" OR detection IN (SELECT id FROM groups WHERE hasAny(candidates, [${candidate:singlequote}]))" +
	" OR detection IN (SELECT id FROM leaks WHERE hasAny(candidates, [${candidate:singlequote}])))"

func overview() Spec {
	return Spec{
		// candidate narrows Volume per candidate, the bursts, groups and alerts tables (the
		// counts stay the whole campaign's); platform narrows Posts and Volume per platform.
		// Signals and alerts carry no platform, and the rollup none either.
		UID: "leakwatch-overview", Title: "leakwatch — Overview", Tags: []string{"overview"},
		Vars: []string{"candidate", "platform"}, Calendar: true,
		Panels: []PanelSpec{
			{Title: "Posts", Type: "stat", QueryType: QueryTable, W: 6, H: 4, Columns: []string{"posts"},
				SQL: "SELECT count() AS posts FROM posts FINAL WHERE $__timeFilter(created_at) AND platform IN (${platform:singlequote})"},
			{Title: "Bursts", Type: "stat", QueryType: QueryTable, W: 6, H: 4, Columns: []string{"bursts"},
				SQL: "SELECT uniqExact(id) AS bursts FROM bursts WHERE $__timeFilter(onset_at)"},
			{Title: "Coordinated groups", Type: "stat", QueryType: QueryTable, W: 6, H: 4, Columns: []string{"groups"},
				SQL: "SELECT count() AS groups FROM " + warehouse.Latest("groups") + " WHERE " + activeIn + " AND " + warehouse.NotSuperseded("groups")},
			{Title: "Leaks", Type: "stat", QueryType: QueryTable, W: 6, H: 4, Columns: []string{"leaks"},
				SQL: "SELECT uniqExact(id) AS leaks FROM leaks WHERE $__timeFilter(onset_at) AND " + warehouse.NotSuperseded("leaks")},
			{Title: "Volume per candidate", Type: "timeseries", QueryType: QueryTimeSeries, W: 24, H: 9,
				Description: "Distinct posts naming each candidate (names, aliases, handles, hashtags).",
				Columns:     []string{"time", "candidate", "posts"},
				SQL: "SELECT " + bucket("minute") + " AS time, substring(object, 11) AS candidate, uniqExactMerge(posts) AS posts " +
					"FROM mentions_per_minute WHERE kind = 'candidate' AND $__timeFilter(minute) AND substring(object, 11) IN (${candidate:singlequote}) " +
					"GROUP BY time, candidate ORDER BY time, candidate"},
			{Title: "Volume per platform", Type: "timeseries", QueryType: QueryTimeSeries, W: 12, H: 8,
				Columns: []string{"time", "platform", "posts"},
				SQL: "SELECT " + bucket("created_at") + " AS time, platform, count() AS posts FROM posts FINAL " +
					"WHERE $__timeFilter(created_at) AND platform IN (${platform:singlequote}) GROUP BY time, platform ORDER BY time, platform"},
			{Title: "Active bursts", Type: "table", QueryType: QueryTable, W: 12, H: 8,
				Description: "Bursts that began in the time range, strongest first; about: the candidates each names (candidate narrows them; those naming none always show); scale: minute, or hour for a rise too slow for minutes (times to the hour), listed after the minute bursts since their scores do not compare.",
				Columns:     []string{"object", "scale", "about", "onset", "peak", "ends", "posts", "baseline", "score", "accounts"},
				SQL: "SELECT object, if(slow = 1, 'hour', 'minute') AS scale, arrayStringConcat(candidates, ', ') AS about, onset_at AS onset, peak_at AS peak, end_at AS ends, count AS posts, round(baseline, 1) AS baseline, round(score, 1) AS score, accounts " +
					"FROM bursts FINAL WHERE $__timeFilter(onset_at) AND " + aboutCandidates + " ORDER BY slow, score DESC LIMIT 50"},
			{Title: "Active coordinated groups", Type: "table", QueryType: QueryTable, W: 12, H: 8,
				Description: "Groups that co-shared in the time range, most recently active first: a network at work all week shows on dump night. about: the candidates the objects it co-shared (on two edges or more) and its evidence name.",
				Columns:     []string{"last", "first", "size", "about", "kinds", "first_movers", "objects", "id"},
				SQL: "SELECT last_at AS last, first_at AS first, size, arrayStringConcat(candidates, ', ') AS about, arrayStringConcat(object_kinds, ', ') AS kinds, " + firstMovers + ", " +
					"arrayStringConcat(objects, ' ') AS objects, id FROM " + warehouse.Latest("groups") + " WHERE " + activeIn + " AND " + aboutCandidates + " AND " + warehouse.NotSuperseded("groups") + " ORDER BY last_at DESC LIMIT 50"},
			{Title: "Newest alerts", Type: "table", QueryType: QueryTable, W: 12, H: 8,
				Description: "Alerts raised in the time range (a group's at its latest co-share), newest first; candidate narrows them to the alerts about a chosen candidate or raised on a burst, group or leak that names one (as the tables beside it), and alerts tied to none always show.",
				Columns:     []string{"time", "severity", "rule", "summary", "object", "candidate"},
				SQL: "SELECT raised_at AS time, severity, rule, summary, object, candidate FROM " + warehouse.Latest("alerts") + " " +
					"WHERE $__timeFilter(raised_at) AND " + alertAboutCandidates + " AND " + warehouse.NotSuperseded("alerts") + " ORDER BY raised_at DESC LIMIT 100"},
		},
	}
}

// hoursTo is a timing column of hours rounded to digits, NULL (an empty cell, no bar) when
// the calendar had no such event ahead: the warehouse stores 0 there, which read as "now".
func hoursTo(event, col string, digits int) string {
	return fmt.Sprintf("if(%s = '', NULL, round(%s, %d)) AS %s", event, col, digits, col)
}

func leakTiming() Spec {
	return Spec{
		// candidate narrows the leaks and bursts (a record names its candidates; one that
		// names none always shows); the volume and the calendar belong to no candidate, and
		// nothing here to a platform.
		UID: "leakwatch-leak-timing", Title: "leakwatch — Leak timing", Tags: []string{"leaks", "calendar"},
		Vars: []string{"candidate"}, Calendar: true,
		Panels: []PanelSpec{
			{Title: "Volume against the campaign calendar", Type: "timeseries", QueryType: QueryTimeSeries, W: 24, H: 9,
				Description: "All posts and posts carrying leak evidence. Annotations: calendar events; silence periods are regions.",
				Columns:     []string{"time", "all posts", "with leak evidence"},
				SQL: "SELECT " + bucket("at") + " AS time, uniqExact(post) AS `all posts`, uniqExactIf(post, notEmpty(evidence)) AS `with leak evidence` " +
					"FROM mentions WHERE object = 'all:posts' AND $__timeFilter(at) GROUP BY time ORDER BY time"},
			{Title: "Leaks against the calendar", Type: "table", QueryType: QueryTable, W: 24, H: 8,
				Description: "start: when the incident began (its earliest burst or group); the timing columns are taken there. about: the candidates it names. hours_to_silence and hours_to_vote are empty when the calendar has no silence or vote ahead.",
				Columns:     []string{"start", "onset", "object", "about", "in_silence", "silence", "hours_to_silence", "next_vote", "hours_to_vote", "timing_score", "evidence"},
				SQL: "SELECT start_at AS start, onset_at AS onset, object, arrayStringConcat(candidates, ', ') AS about, in_silence, silence, " + hoursTo("silence", "hours_to_silence", 2) + ", next_vote, " +
					hoursTo("next_vote", "hours_to_vote", 2) + ", round(timing_score, 2) AS timing_score, arrayStringConcat(evidence, ', ') AS evidence " +
					"FROM leaks FINAL WHERE $__timeFilter(onset_at) AND " + aboutCandidates + " AND " + warehouse.NotSuperseded("leaks") + " ORDER BY start_at"},
			{Title: "Hours to the vote at each leak", Type: "barchart", QueryType: QueryTable, W: 12, H: 8,
				Description: "No bar for a leak with no vote ahead on the calendar.",
				Columns:     []string{"object", "hours_to_vote"},
				SQL:         "SELECT object, " + hoursTo("next_vote", "hours_to_vote", 1) + " FROM leaks FINAL WHERE $__timeFilter(onset_at) AND " + aboutCandidates + " AND " + warehouse.NotSuperseded("leaks") + " ORDER BY onset_at"},
			{Title: "Bursts near silence periods and votes", Type: "table", QueryType: QueryTable, W: 12, H: 8,
				Description: "Bursts by timing score (1 in or up to 6 h before a silence or vote, halving every day further off), then by burst score: with no silence or vote within days, the timing scores are 0 and the strongest bursts come first. Hours are empty when the calendar has no silence or vote ahead.",
				Columns:     []string{"onset", "object", "about", "posts", "score", "timing_score", "in_silence", "hours_to_silence", "hours_to_vote"},
				SQL: "SELECT onset_at AS onset, object, arrayStringConcat(candidates, ', ') AS about, count AS posts, round(score, 1) AS score, timing_score, in_silence, " +
					hoursTo("silence", "hours_to_silence", 1) + ", " + hoursTo("next_vote", "hours_to_vote", 1) + " FROM bursts FINAL WHERE $__timeFilter(onset_at) AND has_timing = 1 AND " + aboutCandidates + " " +
					"ORDER BY timing_score DESC, score DESC LIMIT 50"},
			{Title: "Campaign calendar", Type: "table", QueryType: QueryTable, W: 24, H: 6,
				Columns: []string{"start", "end_time", "kind", "event", "title"},
				SQL: "SELECT start_at AS start, greatest(start_at, end_at) AS end_time, kind, id AS event, title FROM " + warehouse.Latest("calendar_events") + " " +
					"WHERE greatest(start_at, end_at) >= $__fromTime AND start_at <= $__toTime ORDER BY start_at"},
		},
	}
}

func coordination() Spec {
	return Spec{
		// candidate narrows the groups and their accounts (a group names the candidates its
		// co-shared objects and evidence name; one that names none always shows); edges name no
		// candidate.
		UID: "leakwatch-coordination", Title: "leakwatch — Coordination", Tags: []string{"coordination"},
		Vars: []string{"candidate"}, Calendar: true,
		Panels: []PanelSpec{
			{Title: "Coordinated groups", Type: "table", QueryType: QueryTable, W: 24, H: 8,
				Description: "about: the candidates the objects the group co-shared (on two edges or more) and its evidence name. dump_from, dump_to: the group's first and last co-shares naming a dump (a paste or file-sharing link, a leak hashtag); empty when none did.",
				Columns:     []string{"first", "last", "size", "about", "kinds", "score", "first_movers", "objects", "evidence", "dump_from", "dump_to"},
				SQL: "SELECT first_at AS first, last_at AS last, size, arrayStringConcat(candidates, ', ') AS about, arrayStringConcat(object_kinds, ', ') AS kinds, round(score, 2) AS score, " +
					firstMovers + ", arrayStringConcat(objects, ' ') AS objects, arrayStringConcat(evidence, ', ') AS evidence, " +
					"if(toUInt32(evidence_first) = 0, '', toString(evidence_first)) AS dump_from, if(toUInt32(evidence_last) = 0, '', toString(evidence_last)) AS dump_to " +
					"FROM " + warehouse.Latest("groups") + " WHERE " + activeIn + " AND " + aboutCandidates + " AND " + warehouse.NotSuperseded("groups") + " ORDER BY size DESC, first_at LIMIT 100"},
			{Title: "Co-share edge weight over time", Type: "timeseries", QueryType: QueryTimeSeries, W: 12, H: 8,
				Description: "Sum of co-share edge weights by object kind, by the time the pair first co-shared.",
				Columns:     []string{"time", "object_kind", "weight"},
				SQL: "SELECT " + bucket("first_at") + " AS time, object_kind, sum(weight) AS weight FROM " + warehouse.Latest("edges") + " " +
					"WHERE $__timeFilter(first_at) GROUP BY time, object_kind ORDER BY time, object_kind"},
			{Title: "Strongest edges", Type: "table", QueryType: QueryTable, W: 12, H: 8,
				Columns: []string{"a", "b", "object_kind", "weight", "score", "first", "last"},
				SQL: "SELECT if(a_name = '', a, a_name) AS a, if(b_name = '', b, b_name) AS b, object_kind, weight, round(score, 2) AS score, first_at AS first, last_at AS last FROM " + warehouse.Latest("edges") + " " +
					"WHERE " + activeIn + " ORDER BY weight DESC, score DESC LIMIT 100"},
			{Title: "Accounts in coordinated groups", Type: "table", QueryType: QueryTable, W: 24, H: 8,
				Columns: []string{"account", "groups", "last"},
				SQL:     accountsInGroups},
		},
	}
}

func sites() Spec {
	return Spec{
		UID: "leakwatch-sites", Title: "leakwatch — Sites", Tags: []string{"sites"},
		Calendar: true,
		Panels: []PanelSpec{
			{Title: "Site changes", Type: "table", QueryType: QueryTable, W: 24, H: 8,
				Columns: []string{"time", "target", "url", "changed", "status", "defacement", "reasons", "title"},
				SQL: "SELECT observed_at AS time, target, url, arrayStringConcat(changed, ', ') AS changed, status, defacement, " +
					"arrayStringConcat(reasons, '; ') AS reasons, title FROM site_changes FINAL WHERE $__timeFilter(observed_at) ORDER BY observed_at DESC LIMIT 200"},
			{Title: "Changes per target", Type: "timeseries", QueryType: QueryTimeSeries, W: 12, H: 8,
				Columns: []string{"time", "target", "changes"},
				SQL: "SELECT " + bucket("observed_at") + " AS time, target, count() AS changes FROM site_changes FINAL " +
					"WHERE $__timeFilter(observed_at) GROUP BY time, target ORDER BY time, target"},
			{Title: "Defacements", Type: "stat", QueryType: QueryTable, W: 12, H: 8,
				Columns: []string{"defacements"},
				SQL:     "SELECT countIf(defacement = 1) AS defacements FROM site_changes FINAL WHERE $__timeFilter(observed_at)"},
			{Title: "Latest text diffs", Type: "table", QueryType: QueryTable, W: 24, H: 10,
				Columns: []string{"time", "target", "diff"},
				SQL: "SELECT observed_at AS time, target, substring(diff, 1, 2000) AS diff FROM site_changes FINAL " +
					"WHERE $__timeFilter(observed_at) AND diff != '' ORDER BY observed_at DESC LIMIT 50"},
			{Title: "TLS certificates", Type: "table", QueryType: QueryTable, W: 24, H: 6,
				Description: "Latest certificate seen per target; a new fingerprint on a candidate's site is worth a look.",
				Columns:     []string{"target", "fingerprint", "not_after", "seen"},
				SQL: "SELECT target, argMax(tls_sha256, observed_at) AS fingerprint, argMax(tls_not_after, observed_at) AS not_after, max(observed_at) AS seen " +
					"FROM site_changes FINAL WHERE $__timeFilter(observed_at) AND tls_sha256 != '' GROUP BY target ORDER BY target"},
		},
	}
}
