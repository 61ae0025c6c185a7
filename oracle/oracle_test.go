package oracle

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/internal/stack"
	"github.com/custody-go/custody/safego"
)

func TestMain(m *testing.M) { VerifyTestMain(m) }

func TestRawGoroutineLeakIsAttributed(t *testing.T) {
	fake := newFake("TestLeaky")
	ctx := Check(fake, Settle(50*time.Millisecond))
	require.Same(t, spine.Root(custody.FromContext(ctx)), custody.FromContext(ctx))

	release := make(chan struct{})
	go func() { <-release }() // leaks until the end of this test
	fake.finish()
	close(release)

	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestLeaky: 1 finding\n")
	assert.Contains(t, v, `leaked goroutine `)
	assert.Contains(t, v, `started by a raw go statement in "TestLeaky"`)
	assert.Contains(t, v, "created by github.com/custody-go/custody/oracle.TestRawGoroutineLeakIsAttributed")
	assert.Contains(t, v, "oracle_test.go:")
}

func TestCleanTestPasses(t *testing.T) {
	fake := newFake("TestClean")
	ctx := Check(fake, Settle(time.Second))
	var wg sync.WaitGroup
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ctx.Done() // stops when the test ends
		}()
	}
	fake.finish()
	wg.Wait()
	assert.Empty(t, fake.verdict())
}

func TestParallelTestsGetTheirOwnVerdicts(t *testing.T) {
	leaky, clean := newFake("TestA"), newFake("TestB")
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // TestA, in a goroutine of its own as t.Parallel runs it
		defer wg.Done()
		Check(leaky, Settle(100*time.Millisecond))
		go func() { <-release }()
		leaky.finish()
	}()
	go func() {
		defer wg.Done()
		ctx := Check(clean, Settle(100*time.Millisecond))
		done := make(chan struct{})
		go func() { <-ctx.Done(); close(done) }()
		clean.finish()
		<-done
	}()
	wg.Wait()
	close(release)
	assert.Contains(t, leaky.verdict(), "oracle: TestA: 1 finding")
	assert.Empty(t, clean.verdict(), "the clean test must not pay for its neighbour's leak")
}

func TestEventFindingsGoToTheirTest(t *testing.T) {
	fake := newFake("TestDoubleClose")
	ctx := Check(fake, Settle(10*time.Millisecond))
	g := custody.FromContext(ctx)
	first := time.Now()
	spine.Emit(ctx, &custody.Event{
		Kind: custody.ChanDoubleClose, Site: spine.Caller(0), Goroutine: g,
		Object: "results", Owner: g, Made: spine.Caller(0),
		Earlier: &custody.Event{Kind: custody.ChanClosed, Site: spine.Caller(0), Goroutine: g, Time: first},
	})
	fake.finish()
	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestDoubleClose: 1 finding")
	assert.Contains(t, v, `double close of channel "results"`)
	assert.Contains(t, v, `second close by "TestDoubleClose" at oracle/oracle_test.go:`)
}

func TestAllow(t *testing.T) {
	fake := newFake("TestAllowed")
	ctx := Check(fake, Settle(10*time.Millisecond), Allow(custody.ChanDoubleClose))
	spine.Emit(ctx, &custody.Event{Kind: custody.ChanDoubleClose, Goroutine: custody.FromContext(ctx), Object: "x"})
	fake.finish()
	assert.Empty(t, fake.verdict())
	require.Len(t, fake.logs, 1)
	assert.Contains(t, fake.logs[0], "oracle: allowed chan.double_close")
}

func TestAttributionThroughLabels(t *testing.T) {
	// An event without a record (safemap has no ctx) is attributed through
	// the labels of the goroutine that emitted it.
	a, b := newFake("TestLabelsA"), newFake("TestLabelsB")
	ctxB := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		Check(b, Settle(10*time.Millisecond))
		<-ctxB
		b.finish()
	}()
	Check(a, Settle(10*time.Millisecond))
	spine.Emit(t.Context(), &custody.Event{Kind: custody.MapZeroLoaded, Object: "order-1", Site: spine.Caller(0)})
	a.finish()
	close(ctxB)
	wg.Wait()
	assert.Contains(t, a.verdict(), `zero value loaded with ok == true, key "order-1"`)
	assert.Contains(t, a.verdict(), `by "TestLabelsA"`)
	assert.Empty(t, b.verdict())
}

// TestBadInput walks the inputs that panic, each with a message starting
// "oracle: ".
func TestBadInput(t *testing.T) {
	twice := newFake("TestTwice")
	Check(twice, Settle(0))
	defer twice.finish()
	ended := newFake("TestEnded")
	ended.cancel()
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"oracle: Check called with a nil TB", func() { Check(nil) }},
		{"oracle: Check called with a nil *testing.T", func() { Check((*testing.T)(nil)) }},
		{"oracle: Check called twice for TestTwice", func() { Check(twice) }},
		{"oracle: Check called after TestEnded ended", func() { Check(ended) }},
		{"oracle: VerifyTestMain called with a nil TestingM", func() { VerifyTestMain(nil) }},
		{"oracle: Settle(-1ns): the duration must not be negative", func() { Settle(-1) }},
		{"oracle: CancelGrace(0s): the grace must be positive", func() { CancelGrace(0) }},
		{"oracle: CancelGrace(-1s): the grace must be positive", func() { CancelGrace(-time.Second) }},
		{`oracle: IgnoreTopFunction(""): the function name is empty`, func() { IgnoreTopFunction("") }},
		{`oracle: IgnoreTopFunction("main"): want a fully qualified name such as "net/http.(*persistConn).readLoop"`, func() { IgnoreTopFunction("main") }},
		{`oracle: IgnoreTopFunction("net/http."): want a fully qualified name such as "net/http.(*persistConn).readLoop"`, func() { IgnoreTopFunction("net/http.") }},
		{`oracle: IgnoreAnyFunction("example.com/p"): want a fully qualified name such as "net/http.(*persistConn).readLoop"`, func() { IgnoreAnyFunction("example.com/p") }},
		{`oracle: IgnoreAnyFunction("main.f()"): name the function without its argument list`, func() { IgnoreAnyFunction("main.f()") }},
		{`oracle: IgnoreAnyFunction("main.f 0x1"): a function name has no spaces`, func() { IgnoreAnyFunction("main.f 0x1") }},
	} {
		assert.PanicsWithValue(t, c.want, c.f)
	}
	for _, good := range []string{"main.main", "net/http.(*persistConn).readLoop", "example.com/p.F[...]", "example.com/p.(*T[...]).M", "p.F.func1"} {
		assert.NotPanics(t, func() { IgnoreTopFunction(good); IgnoreAnyFunction(good) }, good)
	}
}

func TestSinkIsReferenceCounted(t *testing.T) {
	before := core.Load()
	a, b := newFake("TestRefA"), newFake("TestRefB")
	Check(a, Settle(0))
	Check(b, Settle(0))
	assert.Equal(t, core.Verify, spine.Mode())
	a.finish()
	assert.Equal(t, core.Verify, spine.Mode(), "b still runs")
	b.finish()
	assert.Equal(t, before, core.Load())
	runtime.Gosched()
}

func parkForTest(release chan struct{}) { <-release }

func TestIgnoreTopFunctionAndAllowLeaks(t *testing.T) {
	release := make(chan struct{})
	defer close(release)

	ignoring := newFake("TestIgnoring")
	Check(ignoring, Settle(20*time.Millisecond),
		IgnoreTopFunction("github.com/custody-go/custody/oracle.parkForTest"))
	go parkForTest(release)
	ignoring.finish()
	assert.Empty(t, ignoring.verdict(), "the known-harmless goroutine is ignored")

	allowing := newFake("TestAllowing")
	Check(allowing, Settle(20*time.Millisecond), Allow(custody.GoroutineLeaked))
	go func() { <-release }()
	allowing.finish()
	assert.Empty(t, allowing.verdict())
	require.Len(t, allowing.logs, 1)
	assert.Contains(t, allowing.logs[0], "oracle: allowed goroutine.leaked")
}

func TestManyParallelVerdicts(t *testing.T) {
	// Thirty tests run at once, each with owned and raw goroutines that stop
	// with its context; every fifth also leaks one, in one of three ways.
	// Only those fail, each with its own one finding.
	release := make(chan struct{})
	defer close(release)
	const n = 30
	fakes := make([]*fakeTB, n)
	var wg sync.WaitGroup
	for i := range n {
		fakes[i] = newFake(fmt.Sprintf("TestParallel%02d", i))
		wg.Go(func() {
			ctx := Check(fakes[i], Settle(500*time.Millisecond))
			for range 10 {
				safego.Go(ctx, "worker", func(ctx context.Context) { <-ctx.Done() })
				go func() { <-ctx.Done() }()
			}
			if i%5 == 0 {
				switch i % 3 {
				case 0:
					go func() { <-release }()
				case 1:
					safego.Go(ctx, "leaker", func(context.Context) { <-release })
				case 2:
					go func() { go func() { <-release }() }()
				}
			}
			fakes[i].finish()
		})
	}
	wg.Wait()
	for i, f := range fakes {
		if i%5 == 0 {
			assert.Contains(t, f.verdict(), fmt.Sprintf("oracle: TestParallel%02d: 1 finding\n", i))
		} else {
			assert.Empty(t, f.verdict(), "TestParallel%02d is clean", i)
		}
	}
}

// parkBelow parks in parkUntil: IgnoreAnyFunction finds it below the top.
//
//go:noinline
func parkBelow(release chan struct{}) { parkUntil(release) }

func TestIgnoreAnyFunction(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	const below = "github.com/custody-go/custody/oracle.parkBelow"
	for i, c := range []struct {
		opt   Option
		leaks bool
	}{
		{IgnoreAnyFunction(below), false},
		{IgnoreTopFunction(below), true}, // not at the top: parkUntil is
		{IgnoreAnyFunction("github.com/custody-go/custody/oracle.parkElsewhere"), true},
	} {
		fake := newFake("TestIgnoreAny")
		Check(fake, Settle(50*time.Millisecond), c.opt)
		go parkBelow(release)
		// Parked in parkUntil: not started yet, parkBelow is at the top.
		require.Eventually(t, func() bool { return parkedBelow(below) == i+1 }, 5*time.Second, 100*time.Microsecond)
		fake.finish()
		if c.leaks {
			assert.Contains(t, fake.verdict(), "leaked goroutine")
		} else {
			assert.Empty(t, fake.verdict())
		}
	}
}

// parkedBelow counts the goroutines parked in parkUntil called by fn.
func parkedBelow(fn string) int {
	n := 0
	for _, g := range stack.All() {
		if g.State == "chan receive" && len(g.Frames) >= 2 &&
			g.Frames[0].Func == "github.com/custody-go/custody/oracle.parkUntil" && g.Frames[1].Func == fn {
			n++
		}
	}
	return n
}

// TestIgnoreCurrent: the package verdict lets go the goroutines running
// when IgnoreCurrent was called, and only those.
func TestIgnoreCurrent(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	go pprofFree(func() { go parkUntil(release); close(started) })
	<-started
	ignore := IgnoreCurrent()
	out := captureStderr(t, func() {
		VerifyTestMain(fakeM(func() int { return 0 }), withExit(func(int) {}), ignore, Settle(100*time.Millisecond))
	})
	assert.Empty(t, out)
	out = captureStderr(t, func() {
		VerifyTestMain(fakeM(func() int {
			go pprofFree(func() { go parkUntil(release) }) // after IgnoreCurrent
			return 0
		}), withExit(func(int) {}), ignore, Settle(100*time.Millisecond))
	})
	assert.Contains(t, out, "oracle: the package: 1 finding")
	assert.Contains(t, out, "leaked goroutine ")
}
