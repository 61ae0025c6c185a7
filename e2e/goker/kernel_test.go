package goker_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custody-go/custody/oracle"
)

// A kernel is one GoKer bug, in three variants: raw (the kernel as Go's
// testdata has it), owned (ported to safego/chanown, bug kept) and fixed (the
// upstream fix, or the obvious one: a false-positive control). Each variant
// starts the kernel and returns; the test body then waits as Go's own
// harness does before it takes its goroutineleak profile.
type kernel struct {
	name string // project and pull request, as GoKer names the bug
	what string // the primitives involved, for the table
	// flaky says why a run of the raw or owned variant may not leak; empty
	// when every run leaks. The corpus asserts detection only of kernels
	// whose flaky is empty.
	flaky string
	// wait is how long the test body waits after starting the kernel before
	// it returns (so that the leaking goroutines have reached the state
	// they leak in); 0 means ten calls to runtime.Gosched, as Go's harness.
	wait  time.Duration
	short bool // part of the fast subset (GOKER_SHORT or go test -short)
	raw   func(ctx context.Context)
	owned func(ctx context.Context)
	fixed func(ctx context.Context)
}

func (k kernel) variant(name string) func(ctx context.Context) {
	switch name {
	case "raw":
		return k.raw
	case "owned":
		return k.owned
	case "fixed":
		return k.fixed
	}
	panic("goker: unknown variant " + name)
}

var variants = []string{"raw", "owned", "fixed"}

// checkers are the leak checkers a kernel runs under, chosen in a child
// process by GOKER_CHECKER.
var checkers = []string{"oracle", "goleak"}

// TestKernel runs every kernel variant as a subtest
// (TestKernel/<kernel>/<variant>) under the checker that GOKER_CHECKER names.
// The leaking variants fail, by design: TestCorpus runs each of them in a
// child process and reads its verdict. To see one report:
//
//	GOKER_CHECKER=oracle go test -run 'TestKernel/cockroach584/raw' .
func TestKernel(t *testing.T) {
	checker := os.Getenv("GOKER_CHECKER")
	if checker == "" {
		t.Skip("GOKER_CHECKER is not set: TestCorpus runs these in child processes")
	}
	for _, k := range corpus() {
		t.Run(k.name, func(t *testing.T) {
			for _, v := range variants {
				t.Run(v, func(t *testing.T) {
					switch checker {
					case "oracle":
						underOracle(t, k, k.variant(v))
					case "goleak":
						underGoleak(t, k, k.variant(v))
					default:
						t.Fatalf("GOKER_CHECKER=%q: want oracle or goleak", checker)
					}
				})
			}
		})
	}
}

// verdictMark starts the line a child prints with the verdict's wall time:
// from the end of the test body to the end of the checker's verdict.
const verdictMark = "goker-verdict-ns:"

func underOracle(t *testing.T, k kernel, run func(context.Context)) {
	var end time.Time
	// Registered before Check, so it runs after the oracle's verdict.
	t.Cleanup(func() { fmt.Printf("%s %d\n", verdictMark, time.Since(end).Nanoseconds()) })
	ctx := oracle.Check(t)
	run(ctx)
	settle(k)
	end = time.Now()
}

func underGoleak(t *testing.T, k kernel, run func(context.Context)) {
	defer func() {
		end := time.Now()
		goleak.VerifyNone(t)
		fmt.Printf("%s %d\n", verdictMark, time.Since(end).Nanoseconds())
	}()
	run(t.Context())
	settle(k)
}

// settle lets the kernel's goroutines reach the state they leak in, as Go's
// testgoroutineleakprofile harness does before it takes its profile.
func settle(k kernel) {
	if k.wait > 0 {
		time.Sleep(k.wait)
		return
	}
	for range 10 {
		runtime.Gosched()
	}
}
