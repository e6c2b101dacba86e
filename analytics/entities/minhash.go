package entities

import (
	"math"

	"github.com/leakwatch/leakwatch/internal/strhash"
)

// minhasher computes MinHash signatures with k = bands*rows universal hash functions
// h_i(x) = a_i*x + b_i (mod 2^64, a_i odd) over 64-bit shingle hashes, and folds each band
// of rows values into one band key.
type minhasher struct {
	a, b        []uint64
	bands, rows int
	sig         []uint64 // scratch: the signature, len bands*rows
	// The vector path computes whole vectors of eight functions: a, b and sig's backing
	// array hold k rounded up to eight, the extra functions computed and never read.
	vector bool
}

func newMinhasher(bands, rows int) *minhasher {
	k := bands * rows
	k8 := (k + 7) &^ 7
	m := &minhasher{a: make([]uint64, k8), b: make([]uint64, k8), bands: bands, rows: rows, sig: make([]uint64, k, k8), vector: minhashVector}
	// Fixed seed: signatures must agree across processes and runs. The padding functions
	// continue the sequence, so the first k are the same whatever the padding.
	s := uint64(0x6c65616b77617463) // "leakwatc"
	for i := range k8 {
		s += 0x9e3779b97f4a7c15
		m.a[i] = strhash.Mix(s) | 1
		s += 0x9e3779b97f4a7c15
		m.b[i] = strhash.Mix(s)
	}
	return m
}

// appendBandKeys computes the signature of the shingle hashes and appends each band's key to
// dst, in band order.
func (m *minhasher) appendBandKeys(dst, shingles []uint64) []uint64 {
	if m.vector && len(shingles) > 0 {
		// The same products, sums and unsigned minimums eight functions an instruction:
		// the signature is bit for bit the scalar one (TestMinHashVectorMatchesScalar).
		minhashAVX512(m.sig[:cap(m.sig)], m.a, m.b, shingles)
	} else {
		minhashGo(m.sig, m.a, m.b, shingles)
	}
	return m.appendBands(dst)
}

// minhashGo is minhashAVX512 in Go, for any len(sig) up to len(a) and len(b).
func minhashGo(sig, a, b, shingles []uint64) {
	a, b = a[:len(sig)], b[:len(sig)] // one length: no bounds checks in the loop
	// Three hash functions at a time over all shingles, two shingles a step: the six
	// minimums stay in registers, the six products are independent and each shingle is
	// loaded once for three functions (BenchmarkBandKeys, 11 shingles: 0.58 µs with a shingle
	// at a time loading and storing the whole signature, 0.55-0.59 with one function and
	// four shingles a step, 0.50-0.52 now; two functions and four shingles ran out of
	// registers, 0.57-0.63).
	i := 0
	for ; i+2 < len(sig); i += 3 {
		a0, b0, a1, b1, a2, b2 := a[i], b[i], a[i+1], b[i+1], a[i+2], b[i+2]
		const top = math.MaxUint64
		m0, m1, n0, n1, o0, o1 := uint64(top), uint64(top), uint64(top), uint64(top), uint64(top), uint64(top)
		for j := 1; j < len(shingles); j += 2 { // an index, not x = x[2:]: fewer instructions a step
			v, w := shingles[j-1], shingles[j]
			m0 = min(m0, a0*v+b0)
			m1 = min(m1, a0*w+b0)
			n0 = min(n0, a1*v+b1)
			n1 = min(n1, a1*w+b1)
			o0 = min(o0, a2*v+b2)
			o1 = min(o1, a2*w+b2)
		}
		if len(shingles)%2 == 1 {
			v := shingles[len(shingles)-1]
			m0 = min(m0, a0*v+b0)
			n0 = min(n0, a1*v+b1)
			o0 = min(o0, a2*v+b2)
		}
		sig[i], sig[i+1], sig[i+2] = min(m0, m1), min(n0, n1), min(o0, o1)
	}
	for ; i < len(sig); i++ {
		m0 := uint64(math.MaxUint64)
		for _, v := range shingles {
			m0 = min(m0, a[i]*v+b[i])
		}
		sig[i] = m0
	}
}

// appendBands folds each band of rows values of m.sig into one key and appends it to dst.
func (m *minhasher) appendBands(dst []uint64) []uint64 {
	sig := m.sig
	for band := 0; band < m.bands; band++ {
		h := uint64(strhash.FNVOffset) ^ uint64(band)
		for _, v := range sig[band*m.rows : (band+1)*m.rows] {
			h = strhash.Mix(h ^ v)
		}
		dst = append(dst, h)
	}
	return dst
}
