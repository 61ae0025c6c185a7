package otelbridge_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/custody-go/custody/internal/stack"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

// leakChildEnv marks the child process of TestLeakDetection.
const leakChildEnv = "OTELBRIDGE_TEST_LEAK_CHILD"

// hasLeakProfile reports whether the runtime has the goroutineleak profile:
// Go 1.27, or Go 1.26 with GOEXPERIMENT=goroutineleakprofile.
func hasLeakProfile() bool { return pprof.Lookup("goroutineleak") != nil }

// TestLeakDetection runs TestLeakDetectionChild in a child process: the
// goroutines it leaks are blocked forever, and no test could undo them. The
// child passes and leaves them to the oracle's package verdict, which fails
// it.
func TestLeakDetection(t *testing.T) {
	if os.Getenv(leakChildEnv) != "" {
		t.Skip("in the child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLeakDetectionChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), leakChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "child: %v", err)
	assert.Equal(t, 1, exit.ExitCode(), "the oracle's package verdict fails the child")
	assert.Contains(t, string(out), "--- PASS: TestLeakDetectionChild")
	assert.Contains(t, string(out), "oracle: ")
	if hasLeakProfile() {
		assert.Contains(t, string(out), "custody.goroutine.leaked: map[", "the child read the metric")
	}
}

// live is a channel that stays reachable: goroutines blocked on it are not
// leaked.
var live = make(chan struct{})

// leakOwned leaks n goroutines named name, each blocked forever sending on
// a channel nobody else has.
func leakOwned(ctx context.Context, name string, n int) {
	for range n {
		safego.Go(ctx, name, func(context.Context) {
			ch := make(chan int)
			ch <- 1
		})
	}
}

// leakChildren leaks n raw goroutines started by an owned goroutine named
// name, which returns: they inherit its pprof labels.
func leakChildren(ctx context.Context, name string, n int) {
	safego.Go(ctx, name, func(context.Context) {
		for range n {
			go func() {
				ch := make(chan int)
				<-ch
			}()
		}
	})
}

// leakTimers leaks n raw time.AfterFunc callbacks, as the payment service
// of the post-mortem did: each sends to a channel nobody receives from.
//
//go:noinline
func leakTimers(n int) {
	for range n {
		timedOut := make(chan struct{})
		time.AfterFunc(time.Millisecond, func() { timedOut <- struct{}{} })
	}
}

// leakWaiters leaks n raw goroutines blocked in the standard library, on a
// WaitGroup nobody will mark done.
//
//go:noinline
func leakWaiters(n int) {
	for range n {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { wg.Wait() }()
	}
}

// blockLive starts n goroutines named name and n raw ones, all blocked on
// live, and returns a WaitGroup done when they have returned.
func blockLive(ctx context.Context, name string, n int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range n {
		wg.Add(2)
		safego.Go(ctx, name, func(context.Context) {
			defer wg.Done()
			<-live
		})
		go func() {
			defer wg.Done()
			<-live
		}()
	}
	return &wg
}

// leakedCounts returns custody.goroutine.leaked's data points, by
// "custody.name=NAME" or "code.function.name=FUNC" ("" for a point
// without attributes); nil if the metric was not collected.
func leakedCounts(t *testing.T, reader sdkmetric.Reader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "custody.goroutine.leaked" {
				continue
			}
			assert.Equal(t, otelbridge.ScopeName, sm.Scope.Name)
			assert.Equal(t, "{goroutine}", m.Unit)
			sum, ok := m.Data.(metricdata.Sum[int64])
			require.True(t, ok, "%s is a %T, want an int64 sum", m.Name, m.Data)
			assert.False(t, sum.IsMonotonic, "an UpDownCounter")
			out := map[string]int64{}
			for _, p := range sum.DataPoints {
				require.LessOrEqual(t, p.Attributes.Len(), 1, "attributes %v", p.Attributes.ToSlice())
				key := ""
				for _, kv := range p.Attributes.ToSlice() {
					key = string(kv.Key) + "=" + kv.Value.Emit()
				}
				out[key] += p.Value
			}
			return out
		}
	}
	return nil
}

// detectorRunning reports whether the bridge's leak detection goroutine is
// running.
func detectorRunning() bool {
	for _, r := range stack.Profile() {
		if r.Has("github.com/custody-go/custody/otelbridge.(*leakDetector).run") {
			return true
		}
	}
	return false
}

// errorHandler records what the bridge reports to otel.Handle until t
// ends.
func errorHandler(t *testing.T) func() []string {
	var mu sync.Mutex
	var errs []string
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err.Error())
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

// TestLeakDetectionChild runs only in TestLeakDetection's child process.
// It leaks goroutines owned by named safego goroutines and raw ones, beside
// goroutines blocked on a channel still reachable, and reads
// custody.goroutine.leaked: per owner, or per function for goroutines
// without one. Where the runtime has no goroutineleak profile, it checks
// that the bridge says so once and does nothing else.
func TestLeakDetectionChild(t *testing.T) {
	if os.Getenv(leakChildEnv) == "" {
		t.Skip("runs in TestLeakDetection's child process")
	}
	errs := errorHandler(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	uninstall := otelbridge.Install(otelbridge.WithMeterProvider(mp), otelbridge.WithLeakDetection(time.Second))
	defer uninstall()

	ctx := t.Context()
	running := blockLive(ctx, "live-worker", 3)
	leakOwned(ctx, "leaky-worker", 3)
	leakChildren(ctx, "leaky-parent", 2)
	leakTimers(4)
	leakWaiters(2)

	if !hasLeakProfile() {
		assert.Equal(t, []string{"otelbridge: the runtime has no goroutineleak profile " +
			"(Go 1.27 has it, Go 1.26 with GOEXPERIMENT=goroutineleakprofile): leak detection is off"}, errs())
		assert.False(t, detectorRunning(), "a leak detection goroutine is running")
		assert.Nil(t, leakedCounts(t, reader), "custody.goroutine.leaked was collected")
	} else {
		want := map[string]int64{
			"custody.name=leaky-worker": 3,
			"custody.name=leaky-parent": 2,
			"code.function.name=github.com/custody-go/custody/otelbridge_test.leakTimers.func1":  4,
			"code.function.name=github.com/custody-go/custody/otelbridge_test.leakWaiters.func1": 2,
		}
		var got map[string]int64
		require.Eventually(t, func() bool {
			got = leakedCounts(t, reader)
			return sum(got) >= sum(want)
		}, 10*time.Second, 50*time.Millisecond, "custody.goroutine.leaked: %v", got)
		t.Logf("custody.goroutine.leaked: %v", got)
		assert.Equal(t, want, got)
		assert.Empty(t, errs())
	}
	close(live)
	running.Wait()
	uninstall()
	assert.False(t, detectorRunning(), "the leak detection goroutine outlived the uninstall")
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// TestLeakDetectionNone: with no goroutine leaked, a pass reports a zero
// without attributes, and the uninstall stops the detection's goroutine
// (the package's oracle verdict checks that no goroutine outlives the
// tests, too).
func TestLeakDetectionNone(t *testing.T) {
	if os.Getenv(leakChildEnv) != "" {
		t.Skip("in the child process")
	}
	errs := errorHandler(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	uninstall := otelbridge.Install(otelbridge.WithMeterProvider(mp), otelbridge.WithLeakDetection(time.Second))
	defer uninstall()
	if !hasLeakProfile() {
		assert.Len(t, errs(), 1)
		assert.False(t, detectorRunning(), "a leak detection goroutine is running")
		return
	}
	require.Eventually(t, detectorRunning, 10*time.Second, time.Millisecond, "no leak detection goroutine")
	assert.Nil(t, leakedCounts(t, reader), "custody.goroutine.leaked before the first pass")
	require.Eventually(t, func() bool { return leakedCounts(t, reader) != nil }, 10*time.Second, 50*time.Millisecond)
	assert.Equal(t, map[string]int64{"": 0}, leakedCounts(t, reader))
	uninstall()
	assert.False(t, detectorRunning(), "the leak detection goroutine outlived the uninstall")
	assert.Nil(t, leakedCounts(t, reader), "custody.goroutine.leaked observed after the uninstall")
	assert.Empty(t, errs())
}

// TestWithLeakDetectionBadInterval walks the intervals WithLeakDetection
// refuses.
func TestWithLeakDetectionBadInterval(t *testing.T) {
	for _, tt := range []struct {
		interval time.Duration
		want     string
	}{
		{0, "otelbridge: WithLeakDetection(0s): the interval must be positive"},
		{-time.Minute, "otelbridge: WithLeakDetection(-1m0s): the interval must be positive"},
		{time.Second - 1, "otelbridge: WithLeakDetection(999.999999ms): the interval must be at least 1s: each pass runs a garbage collection"},
	} {
		assert.PanicsWithValue(t, tt.want, func() { otelbridge.WithLeakDetection(tt.interval) })
	}
	assert.NotPanics(t, func() { otelbridge.WithLeakDetection(time.Second) })
}
