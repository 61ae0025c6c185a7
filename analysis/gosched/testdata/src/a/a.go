package a

import (
	"runtime"
	"sync"
	"sync/atomic"
)

var ready bool

func startThenYield() {
	go func() { ready = true }()
	runtime.Gosched() // want `runtime.Gosched in production code: it yields but orders nothing`
}

// A spin-wait on an atomic value: the atomic load synchronizes, the yield
// only stops the loop from hogging a core.
func spin(flag *atomic.Bool) {
	for !flag.Load() {
		runtime.Gosched()
	}
}

func spinCAS(n *int32) {
	for !atomic.CompareAndSwapInt32(n, 0, 1) {
		runtime.Gosched()
	}
}

func spinTryLock(mu *sync.Mutex) {
	for !mu.TryLock() {
		runtime.Gosched()
	}
}

// A poll that yields between attempts, as grpc's writer does to let more
// data arrive before it flushes.
func pollQueue(empty func() bool) {
	for empty() {
		runtime.Gosched()
	}
}

func silenced() {
	//custody:ignore gosched the scheduler test harness calls this on purpose
	runtime.Gosched()
	runtime.Gosched() //custody:ignore gosched same as above, on the line
}

func noReason() {
	runtime.Gosched() /* want `runtime.Gosched in production code` `custody:ignore gosched needs a reason` */ //custody:ignore gosched
}

func otherRule() {
	runtime.Gosched() /* want `runtime.Gosched in production code` */ //custody:ignore selectdone wrong rule: this silences nothing here
}

// A call that is not a statement of its own has no fix.
func asValue() func() {
	return runtime.Gosched // a function value is not a call: not reported
}
