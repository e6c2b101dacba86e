// Package strhash hashes strings eight bytes a step, for keys that live only in one process
// (sets of account pairs and of objects): FNV-1a, a byte a step, hashed every account name of
// every co-share twice and was a hundredth of a batch analysis. String's values are the same
// on every run and machine, so a result never depends on a random seed, but they are not a
// format: anything stored or sent between processes keeps its own hash. Mix, splitmix64's
// finaliser, and FNV, FNV-1a, are fixed for good: the extractor's text and band keys and the
// group ids, which every instance must make alike, are built with them.
package strhash

import "encoding/binary"

// Mix is the splitmix64 finaliser: a bijection that spreads every bit of x over the result.
// It must never change (see the package documentation).
func Mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Word is s's first eight bytes as one number, or, for a shorter s, a number made of all its
// bytes: strings of one length give one word only if their first eight bytes are the same.
func Word(s string) uint64 {
	switch n := len(s); {
	case n >= 8:
		return binary.LittleEndian.Uint64([]byte(s[:8]))
	case n >= 4:
		// Two four-byte loads that overlap cover the string.
		return uint64(binary.LittleEndian.Uint32([]byte(s[:4]))) | uint64(binary.LittleEndian.Uint32([]byte(s[n-4:])))<<32
	default:
		var w uint64
		for i := n - 1; i >= 0; i-- {
			w = w<<8 | uint64(s[i])
		}
		return w
	}
}

// String hashes s, continuing from h (a seed, or the hash of what came before s).
func String(h uint64, s string) uint64 {
	n := len(s)
	h ^= uint64(n) * 0x9e3779b97f4a7c15 // the length: tails padded alike still differ
	if n < 8 {
		// With the length mixed in above, no two short strings give one word.
		return Mix(h ^ Word(s))
	}
	for i := 0; i < n-8; i += 8 {
		h = Mix(h ^ binary.LittleEndian.Uint64([]byte(s[i:i+8])))
	}
	// The last eight bytes, overlapping what was hashed: no byte-by-byte tail.
	return Mix(h ^ binary.LittleEndian.Uint64([]byte(s[n-8:])))
}

// FNV-1a's offset basis: the h to start FNV from.
const FNVOffset = 14695981039346656037

// FNV is FNV-1a of s, continuing from h (FNVOffset to start), written out so hashing a token
// allocates nothing. A byte a step, it is slower than String, but its values are a format:
// they name texts and groups across processes and runs, so it must never change.
func FNV(h uint64, s string) uint64 {
	const prime = 1099511628211
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return h
}
