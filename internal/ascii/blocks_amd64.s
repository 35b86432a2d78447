//go:build amd64 && !purego

#include "textflag.h"

// Both loops answer for a whole text of at least 16 bytes: after its
// whole blocks they read the last 16 bytes again, overlapping bytes
// already read, which hold no byte they stop at.

// FOUND returns AX plus the offset of DX's lowest set bit: the block at AX
// holds the first byte the loop stops at.
#define FOUND \
	BSFL DX, DX \
	ADDQ DX, AX \
	MOVQ AX, ret+24(FP) \
	RET

// func asciiBlocks(b []byte) int
TEXT ·asciiBlocks(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX
	XORQ AX, AX

ascii32: // two blocks at a time while there are two
	LEAQ 32(AX), DX
	CMPQ DX, BX
	JA   ascii16
	MOVOU (SI)(AX*1), X0
	MOVOU 16(SI)(AX*1), X1
	POR   X0, X1
	PMOVMSKB X1, DX
	TESTL DX, DX
	JNZ   asciiPair
	ADDQ  $32, AX
	JMP   ascii32

asciiPair: // the first of the two blocks, then the second
	PMOVMSKB X0, DX
	TESTL DX, DX
	JNZ   asciiFound
	ADDQ  $16, AX
	MOVOU (SI)(AX*1), X0
	PMOVMSKB X0, DX
	JMP   asciiFound

ascii16:
	LEAQ 16(AX), DX
	CMPQ DX, BX
	JA   asciiLast
	MOVOU (SI)(AX*1), X0
	PMOVMSKB X0, DX
	TESTL DX, DX
	JNZ   asciiFound
	ADDQ  $16, AX

asciiLast:
	CMPQ AX, BX
	JAE  asciiDone
	LEAQ -16(BX), AX
	MOVOU (SI)(AX*1), X0
	PMOVMSKB X0, DX
	TESTL DX, DX
	JNZ   asciiFound
	MOVQ  BX, AX

asciiDone:
	MOVQ AX, ret+24(FP)
	RET

asciiFound:
	FOUND

// NOTPLAIN sets DX to a bit per byte of X0 that is not plain: not above
// 0x1f as a signed byte (that is, below 0x20 or 0x80 and above), or 0x7f,
// '"' or '\\'. X5..X8 hold 0x1f, 0x7f, '"' and '\\' in every byte; X0..X3
// are clobbered.
#define NOTPLAIN \
	MOVO     X0, X1 \
	PCMPGTB  X5, X1 \
	MOVO     X0, X2 \
	PCMPEQB  X6, X2 \
	MOVO     X0, X3 \
	PCMPEQB  X7, X3 \
	PCMPEQB  X8, X0 \
	POR      X3, X2 \
	POR      X0, X2 \
	PANDN    X1, X2 \
	PMOVMSKB X2, DX \
	XORL     $0xffff, DX

// func plainBlocks(b []byte) int
TEXT ·plainBlocks(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX
	MOVQ BX, CX
	ANDQ $~15, CX
	XORQ AX, AX
	MOVQ $0x1f1f1f1f1f1f1f1f, DX
	MOVQ DX, X5
	PUNPCKLQDQ X5, X5
	MOVQ $0x7f7f7f7f7f7f7f7f, DX
	MOVQ DX, X6
	PUNPCKLQDQ X6, X6
	MOVQ $0x2222222222222222, DX
	MOVQ DX, X7
	PUNPCKLQDQ X7, X7
	MOVQ $0x5c5c5c5c5c5c5c5c, DX
	MOVQ DX, X8
	PUNPCKLQDQ X8, X8

plain16:
	CMPQ AX, CX
	JAE  plainLast
	MOVOU (SI)(AX*1), X0
	NOTPLAIN
	JNZ  plainFound
	ADDQ $16, AX
	JMP  plain16

plainLast:
	CMPQ AX, BX
	JAE  plainDone
	LEAQ -16(BX), AX
	MOVOU (SI)(AX*1), X0
	NOTPLAIN
	JNZ  plainFound
	MOVQ BX, AX

plainDone:
	MOVQ AX, ret+24(FP)
	RET

plainFound:
	FOUND
