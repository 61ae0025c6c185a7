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

func TestBadUse(t *testing.T) {
	assert.PanicsWithValue(t, "oracle: Check called with a nil TB", func() { Check(nil) })

	fake := newFake("TestTwice")
	Check(fake, Settle(0))
	assert.PanicsWithValue(t, "oracle: Check called twice for TestTwice", func() { Check(fake) })
	fake.finish()

	ended := newFake("TestEnded")
	ended.cancel()
	assert.PanicsWithValue(t, "oracle: Check called after TestEnded ended", func() { Check(ended) })

	assert.PanicsWithValue(t, "oracle: Settle with a negative duration", func() { Settle(-1) })
	assert.PanicsWithValue(t, "oracle: CancelGrace with a duration that is not positive", func() { CancelGrace(0) })
	assert.PanicsWithValue(t, "oracle: VerifyTestMain called with a nil TestingM", func() { VerifyTestMain(nil) })
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

func TestCheckNeedsLabelsInDumps(t *testing.T) {
	t.Setenv("GODEBUG", "tracebacklabels=0")
	fake := newFake("TestNoLabels")
	assert.PanicsWithValue(t,
		"oracle: goroutine dumps do not show pprof labels; the oracle needs GODEBUG=tracebacklabels=1 (it sets it unless GODEBUG already sets tracebacklabels)",
		func() { Check(fake) })
	assert.NotEqual(t, core.Verify, spine.Mode(), "a failed Check leaves nothing installed")
}
