package oracle

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
)

// fakeTB is a TB whose verdict the tests read instead of failing.
type fakeTB struct {
	name     string
	ctx      context.Context
	cancel   context.CancelFunc
	mu       sync.Mutex
	cleanups []func()
	errs     []string
	logs     []string
}

var _ TB = (*fakeTB)(nil)

func newFake(name string) *fakeTB {
	ctx, cancel := context.WithCancel(context.Background())
	return &fakeTB{name: name, ctx: ctx, cancel: cancel}
}

func (f *fakeTB) Name() string             { return f.name }
func (f *fakeTB) Helper()                  {}
func (f *fakeTB) Context() context.Context { return f.ctx }
func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// Error is goleak.TestingT's.
func (f *fakeTB) Error(args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprint(args...))
}

func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

// finish ends the fake test as testing does: the context is canceled, then
// the cleanups run, last first.
func (f *fakeTB) finish() {
	f.cancel()
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func (f *fakeTB) verdict() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.errs, "\n")
}

// clearLabels removes the pprof labels of the calling goroutine.
func clearLabels() { pprof.SetGoroutineLabels(context.Background()) }

var (
	_ TB       = testing.TB(nil)
	_ TestingM = (*testing.M)(nil)
)
