package a

import "runtime"

func onlyUse() {
	x := 1
	runtime.Gosched() // want `runtime.Gosched in production code`
	_ = x
}
