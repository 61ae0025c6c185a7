package a

import "runtime"

// Tests may simulate preemption.
func simulatePreemption() {
	runtime.Gosched()
}
