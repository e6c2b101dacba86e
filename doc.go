// Package leakwatch holds the domain of an election leak and disinformation monitor:
// posts and site changes that collectors observe, the mentions extracted from them,
// the signals detectors raise (bursts, co-share edges, coordinated groups, leaks),
// alerts, and the campaign calendar they are timed against.
//
// It uses the standard library only. Every other package imports it; it imports none of them.
package leakwatch
