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

// The traps of the second held-out run. pebble's arena skiplist: a delay
// that only its tests turn on.
type skiplist struct{ testing bool }

func (s *skiplist) add() {
	if s.testing {
		runtime.Gosched()
	}
}

// nats-server's flushOutbound: it lets go of the lock and yields so that
// the goroutine contending for it gets in, then takes it back.
type client struct {
	mu       sync.Mutex
	flushing bool
}

func (c *client) flush() bool {
	if c.flushing {
		c.mu.Unlock()
		runtime.Gosched()
		c.mu.Lock()
		return false
	}
	return true
}

// rueidis's retryer: a zero back-off, after which its caller retries.
func waitOrSkipRetry(delay int) bool {
	if delay == 0 {
		runtime.Gosched()
		return true
	}
	return false
}

// etcd's rafthttp: a helper its callers run before cancel "to let other
// goroutines be scheduled", an order the yield does not give.
func waitSchedule() {
	runtime.Gosched() // want `runtime.Gosched in production code`
}
