// Package scenario synthesises a campaign with a known answer: a week of organic French and
// English chatter around the 2017 French run-off (daily rhythm, a debate surge, popular
// hashtags, news links and retweets shared by everyone) with injected operations (a leak
// dump amplified by a bot network, a retweet ring, a site defacement) whose accounts, onsets
// and objects are written to a truth file that analytics/eval scores detections against.
//
// Output is Twitter v1.1 JSON, so the scenario exercises the same decoding path as a real
// archive. Generation is deterministic for a seed. It must not import stream or warehouse.
package scenario
