//go:build !amd64

package entities

const minhashVector = false

func minhashAVX512(sig, a, b, shingles []uint64) {
	panic("entities: no vector MinHash on this architecture")
}
