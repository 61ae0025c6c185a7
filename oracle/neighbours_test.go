package oracle

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

// A service installs the OpenTelemetry bridge in its constructor, inside a
// checked test: the oracle must keep its verdict, and a panic in an owned
// goroutine must still fail the test rather than crash the binary.
func TestBridgeInsideCheckedTest(t *testing.T) {
	defer clearLabels()
	fake := newFake("TestService")
	ctx := Check(fake, Settle(0), CancelGrace(20*time.Millisecond))
	uninstall := otelbridge.Install()
	exits := make(chan string, 10)
	defer custody.Install(exitSink(exits))()
	results := chanown.Make[int](ctx, "results", 0)
	require.NoError(t, results.Close(ctx))
	require.Error(t, results.Close(ctx))
	release := make(chan struct{})
	started := make(chan struct{})
	safego.Go(ctx, "stuck", func(context.Context) {
		close(started)
		<-release
	})
	<-started
	panicked := make(chan struct{})
	safego.Go(ctx, "panicky", func(context.Context) {
		defer close(panicked)
		panic("boom")
	})
	<-panicked
	require.Equal(t, "panicky", <-exits, "the panic is reported before the exit")
	fake.finish()
	uninstall()
	close(release)
	v := fake.verdict()
	assert.Contains(t, v, `double close of channel "results"`)
	assert.Contains(t, v, `leaked goroutine "stuck"`)
	assert.Contains(t, v, `panic in goroutine "panicky": boom`)
}

// exitSink sends the name of each owned goroutine that exits.
type exitSink chan string

func (s exitSink) Emit(_ context.Context, e custody.Event) {
	if e.Kind == custody.GoroutineExited {
		s <- e.Goroutine.Name
	}
}

// TestGoleakBeside: goleak registered as a cleanup before Check runs after
// the verdict, when the test's goroutines have stopped: both pass. A
// deferred goleak.VerifyNone runs before the test's context is canceled and
// reports the owned goroutine still waiting for that: the pattern the
// package documentation warns against.
func TestGoleakBeside(t *testing.T) {
	test := func(name string, before func(*fakeTB, goleak.Option), atEnd func(*fakeTB, goleak.Option)) *fakeTB {
		ignore := goleak.IgnoreCurrent()
		fake := newFake(name)
		before(fake, ignore)
		ctx := Check(fake, Settle(time.Second))
		safego.Go(ctx, "waiter", func(ctx context.Context) { <-ctx.Done() })
		atEnd(fake, ignore)
		fake.finish()
		return fake
	}
	nothing := func(*fakeTB, goleak.Option) {}
	cleanup := test("TestCleanup", func(f *fakeTB, ignore goleak.Option) {
		f.Cleanup(func() { goleak.VerifyNone(f, ignore) })
	}, nothing)
	assert.Empty(t, cleanup.verdict())

	deferred := test("TestDeferred", nothing, func(f *fakeTB, ignore goleak.Option) {
		goleak.VerifyNone(f, ignore) // where a deferred call runs: before the context is canceled
	})
	assert.Contains(t, deferred.verdict(), "found unexpected goroutines")
	assert.Contains(t, deferred.verdict(), "TestGoleakBeside")
}
