package entities

import "math"

// FNV-1a, written out so hashing a token allocates nothing; stable across processes, which
// the repartition by object needs (every extract instance must name a text the same way).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// mix64 is the splitmix64 finaliser: spreads the bits of combined hashes.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// minhasher computes MinHash signatures with k = bands*rows universal hash functions
// h_i(x) = a_i*x + b_i (mod 2^64, a_i odd) over 64-bit shingle hashes, and folds each band
// of rows values into one band key.
type minhasher struct {
	a, b        []uint64
	bands, rows int
	sig         []uint64 // scratch
}

func newMinhasher(bands, rows int) *minhasher {
	k := bands * rows
	m := &minhasher{a: make([]uint64, k), b: make([]uint64, k), bands: bands, rows: rows, sig: make([]uint64, k)}
	// Fixed seed: signatures must agree across processes and runs.
	s := uint64(0x6c65616b77617463) // "leakwatc"
	for i := range k {
		s += 0x9e3779b97f4a7c15
		m.a[i] = mix64(s) | 1
		s += 0x9e3779b97f4a7c15
		m.b[i] = mix64(s)
	}
	return m
}

// bandKeys computes the signature of the shingle hashes and calls emit with each band's key.
func (m *minhasher) bandKeys(shingles []uint64, emit func(band int, key uint64)) {
	sig := m.sig
	a, b := m.a[:len(sig)], m.b[:len(sig)] // one length: no bounds checks in the loop
	// One hash function at a time over all shingles, four shingles a step: the minimum
	// stays in registers and the four products are independent, where a shingle at a time
	// loaded and stored the whole signature for each (BenchmarkBandKeys: 0.58 µs for 11
	// shingles before, 0.55 after; 0.83 and 0.71 for 20).
	for i := range sig {
		ai, bi := a[i], b[i]
		m0, m1, m2, m3 := uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(math.MaxUint64)
		x := shingles
		for ; len(x) >= 4; x = x[4:] {
			m0 = min(m0, ai*x[0]+bi) // branch-free (CMOV)
			m1 = min(m1, ai*x[1]+bi)
			m2 = min(m2, ai*x[2]+bi)
			m3 = min(m3, ai*x[3]+bi)
		}
		for _, v := range x {
			m0 = min(m0, ai*v+bi)
		}
		sig[i] = min(m0, m1, m2, m3)
	}
	for band := 0; band < m.bands; band++ {
		h := uint64(fnvOffset) ^ uint64(band)
		for _, v := range sig[band*m.rows : (band+1)*m.rows] {
			h = mix64(h ^ v)
		}
		emit(band, h)
	}
}
