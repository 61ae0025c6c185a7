package oracle

// The verdict text is compared with testdata/*.golden after scrubbing what
// changes from run to run (durations, goroutine numbers, standard library
// and custody's line numbers). Regenerate the golden files with
//
//	go test ./oracle -run TestGolden -update

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/internal/stack"
	"github.com/custody-go/custody/safego"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var scrubs = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b[0-9][0-9.]*(ns|µs|ms|s|m|h)([0-9][0-9.]*(ns|µs|ms|s))*\b`), "DUR"},
	{regexp.MustCompile(`goroutine [0-9]+`), "goroutine N"},
	{regexp.MustCompile(`((?:testing|runtime|time|sync)/[a-z_0-9/]+\.(?:go|s)):[0-9]+`), "$1:N"},
	{regexp.MustCompile(`((?:chanown|safego|safemap)/[a-z_0-9]+\.go):[0-9]+`), "$1:N"},
	{regexp.MustCompile(`\(([0-9]+, )+[0-9]+(, \.\.\.)?\)`), "(IDS)"},
}

func scrub(s string) string {
	for _, r := range scrubs {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./oracle -run TestGolden -update to create it")
	assert.Equal(t, string(want), got)
}

func TestGoldenReport(t *testing.T) {
	fake := newFake("TestHandlePayment")
	ctx := Check(fake, Settle(100*time.Millisecond), CancelGrace(20*time.Millisecond))

	results := chanown.Make[string](ctx, "payment-results", 1)
	started := make(chan struct{})
	safego.Go(ctx, "handler", func(ctx context.Context) {
		safego.Go(ctx, "process-payment", func(ctx context.Context) {
			bg := context.WithoutCancel(ctx)
			_ = results.Send(bg, "paid")
			close(started)
			_ = results.Send(bg, "paid again") // blocks: the buffer is full
		})
	})
	<-started

	audit := chanown.Make[string](ctx, "audit", 0)
	require.NoError(t, audit.Close(ctx))
	require.Error(t, audit.Close(ctx))

	spine.Emit(ctx, &custody.Event{
		Kind: custody.MapZeroLoaded, Object: "order-42", Site: spine.Caller(0),
		Goroutine: custody.FromContext(ctx), Earlier: &custody.Event{Kind: custody.MapZeroStored, Site: spine.Caller(0)},
	})

	// The panic comes last: its event is emitted after the goroutine's own
	// deferred calls, so nothing in the test can wait for it before that.
	safego.Go(ctx, "parser", func(context.Context) {
		panic(errors.New("malformed amount"))
	})
	fake.finish() // the verdict waits for "parser" to exit
	_, _, _ = results.Recv(context.Background())

	golden(t, "report", scrub(fake.verdict()))
}

// parkUntil blocks on release: the leak of the report tests below, started
// from one line so that the goroutines' stacks are alike.
func parkUntil(release chan struct{}) { <-release }

func startParked(n int, release chan struct{}) {
	for range n {
		go parkUntil(release)
	}
}

// TestGoldenGrouped: goroutines alike are one finding with their count,
// raw and owned.
func TestGoldenGrouped(t *testing.T) {
	fake := newFake("TestFanOut")
	ctx := Check(fake, Settle(time.Second), withoutLeakProfile())
	release := make(chan struct{})
	startParked(40, release)
	for range 5 {
		safego.Go(ctx, "worker", func(context.Context) { parkUntil(release) })
	}
	fake.finish()
	close(release)
	golden(t, "grouped", scrub(fake.verdict()))
}

// TestGoldenRangeOverC: a goroutine blocked in a range over a chanown
// channel's C() is reported with the channel's name; one blocked in a
// receive from a C() taken elsewhere, with "probably".
func TestGoldenRangeOverC(t *testing.T) {
	fake := newFake("TestConsumers")
	ctx := Check(fake, Settle(time.Second), CancelGrace(time.Minute), withoutLeakProfile())
	jobs := chanown.Make[int](ctx, "jobs", 0)
	results := chanown.Make[int](ctx, "results", 0)
	release := make(chan struct{})
	safego.Go(ctx, "consumer", func(context.Context) {
		for range jobs.C() { // nobody sends, nobody closes
		}
	})
	safego.Go(ctx, "collector", func(context.Context) {
		c := results.C()
		select {
		case <-c:
		case <-release:
		}
	})
	// Both parked, their C() taken while the test runs (a goroutine that
	// takes it after the verdict began is not recorded).
	const fn = "github.com/custody-go/custody/oracle.TestGoldenRangeOverC."
	require.Eventually(t, func() bool {
		return parkedAt(fn+"func1", "chan receive") == 1 && parkedAt(fn+"func2", "select") == 1
	}, 5*time.Second, 100*time.Microsecond)
	runtime.GC() // nothing references results now but its C(): it is named still
	fake.finish()
	close(release)
	require.NoError(t, jobs.Close(context.Background()))
	golden(t, "range", scrub(fake.verdict()))
}

// spin runs until stop is set, without ever blocking.
func spin(started chan struct{}, stop *atomic.Bool) {
	close(started)
	for !stop.Load() {
	}
}

// TestGoldenSpinning: a goroutine that is running or runnable when the
// settle time is up reads as still running, not as blocked.
func TestGoldenSpinning(t *testing.T) {
	fake := newFake("TestBusy")
	Check(fake, Settle(100*time.Millisecond), withoutLeakProfile())
	var stop atomic.Bool
	started := make(chan struct{})
	go spin(started, &stop)
	<-started // else, on a loaded machine, it may not have run at all: at its first line
	fake.finish()
	stop.Store(true)
	// Its dump shows where the dump found it: not for the golden file.
	v, _, _ := strings.Cut(scrub(fake.verdict()), "    goroutine N [")
	golden(t, "spinning", v)
}

// TestGoldenIgnoredAndLeaked: an owned goroutine that ignores its
// canceled context and then blocks for good is one finding saying both.
func TestGoldenIgnoredAndLeaked(t *testing.T) {
	fake := newFake("TestStubborn")
	ctx := Check(fake, Settle(time.Second), CancelGrace(time.Millisecond), withoutLeakProfile())
	release := make(chan struct{})
	safego.Go(ctx, "stubborn", func(context.Context) { parkUntil(release) })
	fake.finish()
	close(release)
	v := fake.verdict()
	assert.NotContains(t, v, "ignored its context\n", "one finding, not two")
	golden(t, "ignored", scrub(v))
}

// TestGoldenAfterFunc: goroutines of raw time.AfterFunc callbacks, which
// no test owns, are one finding of the package verdict, which says they
// come from time.AfterFunc and points at safego.AfterFunc.
func TestGoldenAfterFunc(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var out string
	out = captureStderr(t, func() {
		VerifyTestMain(fakeM(func() int {
			fired := make(chan struct{}, 40)
			for range 40 {
				time.AfterFunc(0, func() { fired <- struct{}{}; parkUntil(release) })
			}
			for range 40 {
				<-fired
			}
			return 0
		}), withExit(func(int) {}), withoutLeakProfile())
	})
	golden(t, "afterfunc", scrub(out))
}

// parkedAt counts the goroutines in state whose innermost frame is fn.
func parkedAt(fn, state string) int {
	n := 0
	for _, g := range stack.All() {
		if g.State == state && len(g.Frames) > 0 && g.Frames[0].Func == fn {
			n++
		}
	}
	return n
}
