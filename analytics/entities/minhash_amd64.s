#include "textflag.h"

// func minhashAVX512(sig, a, b, shingles []uint64)
//
// Functions are taken 32 at a time (four vectors of eight), then eight at a time: a pass over
// the shingles broadcasts each shingle once for all the vectors it feeds, and keeps their
// minimums in registers until the pass ends. Z15 is left alone: its low half is X15, which
// Go's internal calling convention keeps zero.
TEXT ·minhashAVX512(SB), NOSPLIT, $0-96
	MOVQ sig_base+0(FP), DI
	MOVQ sig_len+8(FP), CX
	MOVQ a_base+24(FP), R8
	MOVQ b_base+48(FP), R9
	MOVQ shingles_base+72(FP), SI
	MOVQ shingles_len+80(FP), DX
	SHLQ $3, DX
	ADDQ SI, DX // end of the shingles

four:
	CMPQ CX, $32
	JB   one
	VMOVDQU64 (R8), Z0
	VMOVDQU64 64(R8), Z1
	VMOVDQU64 128(R8), Z2
	VMOVDQU64 192(R8), Z3
	VMOVDQU64 (R9), Z4
	VMOVDQU64 64(R9), Z5
	VMOVDQU64 128(R9), Z6
	VMOVDQU64 192(R9), Z7
	VPTERNLOGQ $0xff, Z8, Z8, Z8 // all ones: the largest unsigned value
	VMOVDQA64  Z8, Z9
	VMOVDQA64  Z8, Z10
	VMOVDQA64  Z8, Z11
	MOVQ SI, AX

fourloop:
	VPBROADCASTQ (AX), Z12
	VPMULLQ Z0, Z12, Z13
	VPMULLQ Z1, Z12, Z14
	VPMULLQ Z2, Z12, Z17
	VPMULLQ Z3, Z12, Z16
	VPADDQ  Z4, Z13, Z13
	VPADDQ  Z5, Z14, Z14
	VPADDQ  Z6, Z17, Z17
	VPADDQ  Z7, Z16, Z16
	VPMINUQ Z13, Z8, Z8
	VPMINUQ Z14, Z9, Z9
	VPMINUQ Z17, Z10, Z10
	VPMINUQ Z16, Z11, Z11
	ADDQ $8, AX
	CMPQ AX, DX
	JB   fourloop

	VMOVDQU64 Z8, (DI)
	VMOVDQU64 Z9, 64(DI)
	VMOVDQU64 Z10, 128(DI)
	VMOVDQU64 Z11, 192(DI)
	ADDQ $256, DI
	ADDQ $256, R8
	ADDQ $256, R9
	SUBQ $32, CX
	JMP  four

one:
	CMPQ CX, $8
	JB   done
	VMOVDQU64  (R8), Z0
	VMOVDQU64  (R9), Z4
	VPTERNLOGQ $0xff, Z8, Z8, Z8
	MOVQ SI, AX

oneloop:
	VPBROADCASTQ (AX), Z12
	VPMULLQ Z0, Z12, Z13
	VPADDQ  Z4, Z13, Z13
	VPMINUQ Z13, Z8, Z8
	ADDQ $8, AX
	CMPQ AX, DX
	JB   oneloop

	VMOVDQU64 Z8, (DI)
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $8, CX
	JMP  one

done:
	VZEROUPPER
	RET
