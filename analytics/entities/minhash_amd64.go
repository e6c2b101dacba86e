package entities

import "golang.org/x/sys/cpu"

// minhashVector says the CPU and the OS give AVX-512 with 64-bit multiplications (AVX512DQ):
// the signature's products are then computed eight functions an instruction.
var minhashVector = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ

// minhashAVX512 sets sig[i] to the minimum over shingles of a[i]*v+b[i] (mod 2^64, unsigned),
// for every i. len(sig), len(a) and len(b) are one multiple of 8; shingles is not empty.
//
//go:noescape
func minhashAVX512(sig, a, b, shingles []uint64)
