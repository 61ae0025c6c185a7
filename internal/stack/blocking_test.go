package stack_test

import (
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/internal/stack"
)

// Each function blocks in one way until release is closed; the test finds
// its goroutine in a dump and in a profile by the function's name.
func blockedRecv(ch chan int, _ chan struct{}) { <-ch }
func blockedSelect(ch chan int, r chan struct{}) {
	select {
	case <-ch:
	case <-r:
	}
}
func blockedMutex(mu *sync.Mutex)         { mu.Lock(); mu.Unlock() }
func blockedWaitGroup(wg *sync.WaitGroup) { wg.Wait() }
func blockedCond(c *sync.Cond)            { c.L.Lock(); c.Wait(); c.L.Unlock() }
func blockedSleep(r chan struct{}) {
	for {
		select {
		case <-r:
			return
		default:
			time.Sleep(time.Millisecond)
		}
	}
}
func blockedAccept(l net.Listener) { _, _ = l.Accept() }
func spinning(r chan struct{}) {
	for {
		select {
		case <-r:
			return
		default:
		}
	}
}

func TestBlocking(t *testing.T) {
	release := make(chan struct{})
	ch := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	var wg sync.WaitGroup
	wg.Add(1)
	cond := sync.NewCond(&sync.Mutex{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)

	var done sync.WaitGroup
	start := func(f func()) {
		done.Add(1)
		go func() { defer done.Done(); f() }()
	}
	start(func() { blockedRecv(ch, release) })
	start(func() { blockedSelect(ch, release) })
	start(func() { blockedMutex(&mu) })
	start(func() { blockedWaitGroup(&wg) })
	start(func() { blockedCond(cond) })
	start(func() { blockedSleep(release) })
	start(func() { blockedAccept(l) })
	start(func() { spinning(release) })
	defer func() {
		close(release)
		close(ch)
		mu.Unlock()
		wg.Done()
		l.Close()
		for range 100 { // the cond's waiter may not wait yet
			cond.Broadcast()
			runtime.Gosched()
		}
		done.Wait()
	}()

	want := map[string]stack.Blocking{
		"blockedRecv":      stack.OnChan,
		"blockedSelect":    stack.OnChan,
		"blockedMutex":     stack.OnLock,
		"blockedWaitGroup": stack.OnLock,
		"blockedCond":      stack.OnLock,
		"blockedSleep":     stack.OnSleep,
		"blockedAccept":    stack.OnIO,
	}
	const pkg = "github.com/custody-go/custody/internal/stack_test."
	require.Eventually(t, func() bool {
		for name, b := range want {
			if !blockedAs(stack.All(), pkg+name, b) {
				return false
			}
		}
		return true
	}, 10*time.Second, time.Millisecond, "every goroutine reaches its wait")

	assert.Eventually(t, func() bool {
		got := map[string]stack.Blocking{}
		for _, r := range stack.Profile() {
			for name := range want {
				if r.Has(pkg + name) {
					got[name] = r.Blocking()
				}
			}
		}
		// The sleeper is between sleeps at times: ask again then.
		return assert.ObjectsAreEqual(want, got)
	}, 10*time.Second, time.Millisecond)

	for _, g := range stack.All() {
		if g.Has(pkg + "spinning") {
			assert.Contains(t, []stack.Blocking{stack.NotParked, stack.OnOther}, g.Blocking(), g.State)
		}
	}
	assert.Equal(t, stack.NotParked, stack.Record{}.Blocking())
	assert.Equal(t, stack.OnChan, stack.Goroutine{State: "chan receive (nil chan)"}.Blocking())
	assert.Equal(t, stack.OnLock, stack.Goroutine{State: "sync.RWMutex.RLock"}.Blocking())
	assert.Equal(t, stack.OnOther, stack.Goroutine{State: "GC assist wait"}.Blocking())
}

func blockedAs(gs []stack.Goroutine, fn string, b stack.Blocking) bool {
	for _, g := range gs {
		if g.Has(fn) {
			return g.Blocking() == b
		}
	}
	return false
}

func TestKey(t *testing.T) {
	frames := []stack.Frame{
		{Func: "runtime.gopark", File: "/go/src/runtime/proc.go", Line: 1},
		{Func: "main.f[go.shape.int]", File: "/src/main.go", Line: 3},
	}
	assert.Equal(t, stack.Key(frames), stack.Key([]stack.Frame{{Func: "main.f[...]", File: "/src/main.go", Line: 3}}))
	assert.NotEqual(t, stack.Key(frames), stack.Key([]stack.Frame{{Func: "main.f[...]", File: "/src/main.go", Line: 4}}))
}
