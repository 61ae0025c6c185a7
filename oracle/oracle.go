package oracle

import (
	"context"
	"fmt"
	"reflect"
	"runtime/pprof"
	"strconv"

	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/internal/stack"
)

// TB is the subset of [testing.TB] the oracle needs.
type TB interface {
	Name() string
	Helper()
	Cleanup(func())
	Context() context.Context
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// Check starts the oracle's watch over the test t and returns a context that
// carries the test's identity: owned goroutines and channels started or made
// with it belong to t, and so do raw goroutines started by the goroutine that
// called Check or by any goroutine of t's (they inherit its pprof labels).
// When t ends (through t.Cleanup), Check fails t with one block per finding,
// as the package documentation describes. The context is t.Context() with
// the identity added, so it is canceled as the test ends, before the
// verdict; goroutines that ignore that get reported.
//
// Call Check once per test, first, from the test's goroutine (it sets that
// goroutine's pprof labels): cleanups registered before it run after the
// verdict, so goroutines they stop are reported as leaked. Check panics
// ("oracle: ...") if t is nil, on a second call for one test and after the
// test ended; called from another goroutine, it fails the test at the verdict.
func Check(t TB, opts ...Option) context.Context {
	if t == nil {
		panic("oracle: Check called with a nil TB")
	}
	if v := reflect.ValueOf(t); v.Kind() == reflect.Pointer && v.IsNil() {
		panic(fmt.Sprintf("oracle: Check called with a nil %T", t))
	}
	t.Helper()
	if t.Context().Err() != nil {
		panic(fmt.Sprintf("oracle: Check called after %s ended", t.Name()))
	}
	markChecked(t)
	cfg := newConfig(opts)
	s := acquire()

	root := spine.NewGoroutine(nil, t.Name(), spine.Caller(1))
	ctx := pprof.WithLabels(t.Context(), pprof.Labels(
		core.LabelID, strconv.FormatUint(root.ID, 10),
		core.LabelName, root.Name))
	pprof.SetGoroutineLabels(ctx)
	self := stack.Current()
	s.mu.Lock()
	s.records.set(root.ID, root)
	s.tests[root.ID] = &test{root: root, cfg: cfg, checker: self.ID}
	s.mu.Unlock()

	t.Cleanup(func() {
		t.Helper() // the verdict points at the call to Check
		defer release()
		defer unmarkChecked(t)
		s.verdict(t, root, cfg)
	})
	return spine.WithRecord(ctx, root)
}

func markChecked(t TB) {
	global.mu.Lock()
	defer global.mu.Unlock()
	if global.checked[t] {
		panic(fmt.Sprintf("oracle: Check called twice for %s", t.Name()))
	}
	if global.checked == nil {
		global.checked = map[TB]bool{}
	}
	global.checked[t] = true
}

func unmarkChecked(t TB) {
	global.mu.Lock()
	defer global.mu.Unlock()
	delete(global.checked, t)
}
