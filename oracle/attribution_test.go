package oracle

import (
	"context"
	"errors"
	"strconv"
	"strings"
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

// TestOwnedGoroutineWithTestContextIsAdopted: safego.Go given the test's
// own context, which carries no identity, from the test's goroutine: the
// goroutine belongs to the test, as a raw one started there would.
func TestOwnedGoroutineWithTestContextIsAdopted(t *testing.T) {
	fake := newFake("TestAdopts")
	Check(fake, Settle(50*time.Millisecond))
	release := make(chan struct{})
	safego.Go(fake.Context(), "bg", func(context.Context) { <-release })
	g, gctx := safego.WithContext(fake.Context(), "crawl")
	g.Go("fetch", func(context.Context) error { <-release; return nil })
	fake.finish()
	close(release)
	require.NoError(t, g.Wait())
	_ = gctx

	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestAdopts: 2 findings\n")
	assert.Contains(t, v, `leaked goroutine "bg"`)
	assert.Contains(t, v, `leaked goroutine "fetch"`)
}

// TestUnownedEventGoesToThePackage: under VerifyTestMain, an event of an
// owned goroutine that no test's identity or goroutine started is the
// package's, not the lone checked test's: an unchecked test may be running.
func TestUnownedEventGoesToThePackage(t *testing.T) {
	fake := newFake("TestInnocent")
	Check(fake, Settle(10*time.Millisecond))
	done := make(chan struct{})
	go pprofFree(func() { // as an unchecked test's goroutine would be
		safego.Go(context.Background(), "other", func(context.Context) { panic("not TestInnocent's") })
		close(done)
	})
	<-done
	s := theSink()
	require.Eventually(t, func() bool { return len(takeOrphans(s, "not TestInnocent's")) > 0 },
		5*time.Second, time.Millisecond, "the panic is the package's")
	fake.finish()
	assert.Empty(t, fake.verdict())
}

// TestLoneTestTakesUnattributedEventsWithoutTestMain: without
// VerifyTestMain, an event with no record and no labels goes to the only
// checked test, saying why.
func TestLoneTestTakesUnattributedEventsWithoutTestMain(t *testing.T) {
	s := theSink()
	s.mu.Lock()
	runs := s.mainRuns
	s.mainRuns = 0 // as in a package without VerifyTestMain
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.mainRuns = runs
		s.mu.Unlock()
	}()
	fake := newFake("TestLone")
	ctx := Check(fake, Settle(10*time.Millisecond))
	done := make(chan struct{})
	go pprofFree(func() {
		spine.Emit(ctx, &custody.Event{Kind: custody.MapZeroLoaded, Object: "k"})
		close(done)
	})
	<-done
	fake.finish()
	assert.Contains(t, fake.verdict(), "while TestLone was the only checked test running")
}

// TestIgnoredGoroutineReportsNothingLater: a goroutine let go with
// IgnoreTopFunction is no leak, and its ignored cancellation is no one's
// finding, whether it arrives before the verdict or after it. Each order is
// forced: an observer sink says when the event was emitted.
func TestIgnoredGoroutineReportsNothingLater(t *testing.T) {
	ignore := IgnoreTopFunction("github.com/custody-go/custody/oracle.parkIgnoringContext")
	for _, before := range []bool{true, false} {
		ignored := make(chan struct{}, 1)
		defer custody.Install(ignoredSink(ignored))()
		other := newFake("TestOther") // keeps the oracle installed after the verdict
		Check(other, Settle(10*time.Millisecond))
		fake := newFake("TestIgnores")
		ctx := Check(fake, Settle(10*time.Millisecond), CancelGrace(time.Millisecond), ignore)
		release := make(chan struct{})
		gctx, cancel := context.WithCancel(context.WithoutCancel(ctx)) // the test's identity, canceled here only
		defer cancel()
		safego.Go(gctx, "known-harmless", func(context.Context) { parkIgnoringContext(release) })
		if before {
			cancel()
			<-ignored
		}
		fake.finish()
		if !before {
			cancel()
			<-ignored
		}
		assert.Empty(t, fake.verdict(), "before: %v", before)
		assert.Empty(t, takeOrphans(theSink(), "known-harmless"), "before: %v", before)
		close(release)
		other.finish()
		assert.Empty(t, other.verdict())
	}
}

// TestVerdictLabelsTheDumpItTakes: as the verdict begins, a goroutine of
// another test parked where the test's goroutine is about to park ends, and
// the test's goroutine parks there. The verdict's dump is labelled from a
// profile taken after it. Labelled from the poll's profile, taken before
// (on Go 1.27 a goroutineleak profile, a GC cycle, runs between the two),
// the test's goroutine took the ended one's labels and was no one's,
// neither the test's leak nor, when ignored, let go: the cause of
// TestIgnoredGoroutineReportsNothingLater's orphan, once in ~5 package
// runs. Settle(0) confirms right after the first poll, as a long poll
// does; the race is run many times.
func TestVerdictLabelsTheDumpItTakes(t *testing.T) {
	const park = "github.com/custody-go/custody/oracle.parkIgnoringContext"
	open := make(chan struct{})
	close(open)
	for i := range 100 {
		other := newFake("TestOther")
		otherCtx := Check(other, Settle(10*time.Millisecond))
		releaseA, releaseB, gate := make(chan struct{}), make(chan struct{}), make(chan struct{})
		safego.Go(otherCtx, "a", parkOn(open, releaseA))
		fake := newFake("TestLeaks")
		ctx := Check(fake, Settle(0))
		safego.Go(ctx, "b", parkOn(gate, releaseB))
		require.Eventually(t, func() bool {
			return parkedIn(park) == 1 && parkedIn("github.com/custody-go/custody/oracle.parkOn.func1") == 1
		}, 5*time.Second, 100*time.Microsecond)

		close(releaseA) // a ends as the verdict starts
		close(gate)     // and b parks where a was
		fake.finish()
		close(releaseB)
		other.finish()
		require.Contains(t, fake.verdict(), `leaked goroutine "b"`, "run %d", i)
		require.Empty(t, other.verdict(), "run %d", i)
	}
}

// parkOn returns a goroutine body that waits for gate, then parks in
// parkIgnoringContext: goroutines running it have one stack there.
//
//go:noinline
func parkOn(gate, release chan struct{}) func(context.Context) {
	return func(context.Context) {
		<-gate
		parkIgnoringContext(release)
	}
}

// parkedIn counts the goroutines parked with fn at the top of their stack.
func parkedIn(fn string) int {
	n := 0
	for _, g := range stack.All() {
		if g.Top().Func == fn && g.State == "chan receive" {
			n++
		}
	}
	return n
}

// ignoredSink signals each ignored cancellation it receives.
type ignoredSink chan struct{}

func (s ignoredSink) Emit(_ context.Context, e custody.Event) {
	if e.Kind == custody.GoroutineIgnoredCancel {
		s <- struct{}{}
	}
}

//go:noinline
func parkIgnoringContext(release chan struct{}) { <-release }

func TestCheckFromAnotherGoroutine(t *testing.T) {
	fake := newFake("TestWrongGoroutine")
	done := make(chan struct{})
	go func() {
		Check(fake, Settle(10*time.Millisecond))
		close(done)
	}()
	<-done
	fake.finish()
	assert.Contains(t, fake.verdict(), "oracle: Check was called for TestWrongGoroutine from goroutine ")
	assert.Contains(t, fake.verdict(), "not from the test's goroutine")
}

// takeOrphans removes from the sink's orphans those whose text contains
// want, and returns them.
func takeOrphans(s *sink, want string) []finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	var taken, kept []finding
	for _, f := range s.orphans {
		if strings.Contains(f.String(), want) {
			taken = append(taken, f)
		} else {
			kept = append(kept, f)
		}
	}
	s.orphans = kept
	return taken
}

// TestAdoptionIsPerGoroutine: two tests start owned goroutines with one
// application-wide identity at the same time; each test gets its own.
func TestAdoptionIsPerGoroutine(t *testing.T) {
	app := spine.WithRecord(context.Background(), spine.NewGoroutine(nil, "app", spine.Caller(0)))
	a, b := newFake("TestA"), newFake("TestB")
	release := make(chan struct{})
	defer close(release)
	aStarted, bStarted, aDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() { // TestA
		defer close(aDone)
		Check(a, Settle(50*time.Millisecond))
		done := make(chan struct{})
		safego.Go(app, "a-worker", func(context.Context) { close(done) })
		<-done
		close(aStarted)
		<-bStarted // B starts its goroutine while A still runs
		a.finish()
	}()
	<-aStarted
	Check(b, Settle(50*time.Millisecond)) // TestB, on this goroutine
	safego.Go(app, "b-worker", func(context.Context) { <-release })
	close(bStarted)
	<-aDone
	b.finish()
	assert.Empty(t, a.verdict(), "A did not start b-worker")
	assert.Contains(t, b.verdict(), `leaked goroutine "b-worker"`, "B started it on its own goroutine")
}

// TestUnreadableGoroutineIsNotSkipped: a goroutine of the test whose dump
// block the parser could not read is still looked at, not taken for one on
// its way out.
func TestUnreadableGoroutineIsNotSkipped(t *testing.T) {
	fake := newFake("TestUnreadable")
	ctx := Check(fake, Settle(10*time.Millisecond))
	root := custody.FromContext(ctx)
	s := theSink()
	g := stack.Goroutine{ID: 1 << 40, State: "chan receive",
		Labels: map[string]string{core.LabelID: strconv.FormatUint(root.ID, 10)},
		Err:    errors.New("stack: line 3: want a file line")}
	leaks, _ := s.leaksIn(root, newConfig(nil), 0, []stack.Goroutine{g}, nil, &wait{})
	require.Len(t, leaks, 1)
	assert.Contains(t, groupLeaks(leaks)[0].String(), "its stack could not all be read (stack: line 3: want a file line)")
	fake.finish()
	assert.Empty(t, fake.verdict())
}

// TestRawGoroutineOfExitedOwnedGoroutine: the oracle forgets an owned
// goroutine's record when it exits, but a raw goroutine it started, whose
// labels name it, still belongs to the test and names it.
func TestRawGoroutineOfExitedOwnedGoroutine(t *testing.T) {
	fake := newFake("TestRawChild")
	ctx := Check(fake, Settle(50*time.Millisecond))
	release := make(chan struct{})
	parent := make(chan *custody.Goroutine, 1)
	safego.Go(ctx, "parent", func(ctx context.Context) {
		go func() { <-release }() // raw: inherits the parent's labels
		parent <- custody.FromContext(ctx)
	})
	rec := <-parent
	s := theSink()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		_, kept := s.records.lookup(rec.ID)
		parent, gone := s.gone.lookup(rec.ID)
		return !kept && gone && parent == rec.Parent
	}, 5*time.Second, time.Millisecond, "the record is forgotten when the goroutine exits")
	fake.finish()
	close(release)

	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestRawChild: 1 finding\n")
	assert.Contains(t, v, `started by a raw go statement in "parent"`)
	assert.Contains(t, v, "owner chain: parent ← TestRawChild")
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Same(t, rec.Parent, s.gone.get(rec.ID), "kept while the test's leak may still report")
}

// TestExitedRecordsAreForgotten: a clean test leaves nothing of its
// goroutines behind in the oracle.
func TestExitedRecordsAreForgotten(t *testing.T) {
	fake := newFake("TestForgets")
	ctx := Check(fake, Settle(time.Second))
	root := custody.FromContext(ctx)
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		safego.Go(ctx, "short", func(context.Context) { wg.Done() })
	}
	wg.Wait()
	fake.finish()
	assert.Empty(t, fake.verdict())
	s := theSink()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, parent := range s.gone.m {
		assert.NotSame(t, root, s.rootOf(&custody.Goroutine{ID: id, Parent: parent}),
			"goroutine %d's entry outlived its clean test", id)
	}
	for _, g := range s.records.m {
		assert.NotSame(t, root, spine.Root(g), "record %v outlived its clean test", g)
	}
}

// TestOwnerChainOfExitedGoroutine: the raw goroutine a Group member left
// behind is reported with the whole chain of its exited owner.
func TestOwnerChainOfExitedGoroutine(t *testing.T) {
	fake := newFake("TestChain")
	ctx := Check(fake, Settle(50*time.Millisecond))
	release := make(chan struct{})
	innerDone := make(chan struct{})
	safego.Go(ctx, "outer", func(ctx context.Context) {
		g, _ := safego.WithContext(ctx, "crawl")
		g.Go("inner", func(context.Context) error {
			go func() { <-release }() // raw: outlives inner
			return nil
		})
		_ = g.Wait()
		close(innerDone)
		<-release
	})
	<-innerDone
	fake.finish()
	close(release)
	assert.Contains(t, fake.verdict(), "owner chain: inner ← crawl ← outer ← TestChain")
}

// TestNothingKeptAfterCleanVerdict: goroutines that keep running after
// their test's clean verdict (let go with IgnoreTopFunction) and start
// owned goroutines leave nothing behind in the oracle.
func TestNothingKeptAfterCleanVerdict(t *testing.T) {
	fake := newFake("TestLetGo")
	ctx := Check(fake, Settle(20*time.Millisecond),
		IgnoreTopFunction("github.com/custody-go/custody/oracle.parkIgnoringContext"))
	root := custody.FromContext(ctx)
	release, spawn := make(chan struct{}), make(chan struct{})
	safego.Go(ctx, "let-go", func(ctx context.Context) {
		parkIgnoringContext(spawn)
		for range 10 {
			done := make(chan struct{})
			safego.Go(ctx, "short", func(context.Context) { close(done) })
			<-done
		}
		parkIgnoringContext(release)
	})
	safego.Go(ctx, "parked", func(context.Context) { parkIgnoringContext(release) })
	other := newFake("TestOther") // another checked test keeps the oracle installed
	Check(other, Settle(20*time.Millisecond))
	defer func() {
		close(release)
		other.finish()
		assert.Empty(t, other.verdict())
	}()
	fake.finish()
	require.Empty(t, fake.verdict(), "both goroutines are let go")
	close(spawn) // the first goroutine starts its children after the verdict
	time.Sleep(50 * time.Millisecond)
	s := theSink()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, parent := range s.gone.m {
		assert.NotSame(t, root, s.rootOf(&custody.Goroutine{ID: id, Parent: parent}),
			"goroutine %d's entry outlived its clean test", id)
	}
}
