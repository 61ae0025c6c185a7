package harness

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strings"
	"sync"

	"github.com/custody-go/custody/oracle"
)

// Test is a test of its own inside a benchmark: oracle.Check can watch it
// (it implements oracle.TB) and goleak.VerifyNone can fail it (it has
// Error). A benchmark cannot start a real subtest per round of its loop, so
// it makes a Test, runs the round under it and ends it with End, which gives
// the verdict. A Test's zero value is not usable; make one with NewTest.
type Test struct {
	name     string
	ctx      context.Context
	cancel   context.CancelFunc
	mu       sync.Mutex
	cleanups []func()
	errs     []string
	ended    bool
}

var _ oracle.TB = (*Test)(nil)

// NewTest returns a running test named name whose context is derived from
// parent.
func NewTest(parent context.Context, name string) *Test {
	ctx, cancel := context.WithCancel(parent)
	return &Test{name: name, ctx: ctx, cancel: cancel}
}

// Name returns the test's name.
func (t *Test) Name() string { return t.name }

// Helper does nothing.
func (t *Test) Helper() {}

// Context returns the test's context, canceled when End starts.
func (t *Test) Context() context.Context { return t.ctx }

// Cleanup registers fn to run at End, after the cleanups registered later.
func (t *Test) Cleanup(fn func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, fn)
}

// Errorf fails the test with a message.
func (t *Test) Errorf(format string, args ...any) { t.fail(fmt.Sprintf(format, args...)) }

// Error fails the test with a message, as testing.T's Error does.
func (t *Test) Error(args ...any) { t.fail(strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }

// Logf does nothing: a verdict's notes are not measured.
func (t *Test) Logf(string, ...any) {}

func (t *Test) fail(msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.errs = append(t.errs, msg)
}

// Failed reports whether the test failed, and why.
func (t *Test) Failed() (bool, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.errs) > 0, strings.Join(t.errs, "\n")
}

// End ends the test as the testing package does: it cancels the test's
// context, then runs the cleanups, the last registered first (oracle.Check's
// verdict is one). It then clears the calling goroutine's pprof labels, which
// oracle.Check set, so that what the benchmark starts next belongs to no test.
// It reports whether the test failed, and why. End panics when called twice.
func (t *Test) End() (failed bool, why string) {
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		panic("harness: End called twice for " + t.name)
	}
	t.ended = true
	cleanups := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	t.cancel()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	pprof.SetGoroutineLabels(context.Background())
	return t.Failed()
}
