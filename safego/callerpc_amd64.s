#include "textflag.h"

// func callerPC() uintptr
//
// The return address of the Go function that calls callerPC, read from its
// frame: BP is that function's frame pointer, and the word above the saved
// frame pointer is the address its caller's CALL pushed.
TEXT ·callerPC(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ 8(BP), AX
	MOVQ AX, ret+0(FP)
	RET
