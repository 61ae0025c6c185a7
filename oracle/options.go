package oracle

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/stack"
)

// An Option changes what the oracle checks or how long it waits.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	settle      time.Duration
	grace       time.Duration
	allow       map[custody.Kind]bool
	ignoreTop   []string
	ignoreAny   []string
	ignoreIDs   map[uint64]bool // goroutines running when IgnoreCurrent was called
	leakProfile bool
	exit        func(int) // VerifyTestMain's os.Exit, replaced in tests
}

const (
	defaultSettle = 2 * time.Second
	defaultGrace  = 500 * time.Millisecond
	// maxQuiet bounds how long a goroutine blocked on a channel, a lock or
	// I/O must stay so, unmoved, before it counts as leaked.
	maxQuiet = 250 * time.Millisecond
)

func newConfig(opts []Option) *config {
	c := &config{
		settle:      defaultSettle,
		grace:       defaultGrace,
		allow:       map[custody.Kind]bool{},
		leakProfile: true,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	return c
}

// quiet is how long a goroutine parked on a channel, a lock or I/O must
// stay unmoved before the verdict takes it for leaked.
func (c *config) quiet() time.Duration { return min(maxQuiet, c.settle/2) }

// ignored reports whether the options let a goroutine with these frames go.
func (c *config) ignored(frames []stack.Frame) bool {
	if len(frames) > 0 && slices.Contains(c.ignoreTop, frames[0].Func) {
		return true
	}
	for _, f := range c.ignoreAny {
		if (stack.Goroutine{Frames: frames}).Has(f) {
			return true
		}
	}
	return false
}

// Settle sets the longest the verdict waits for the test's goroutines to
// exit; the default is 2s. Goroutines blocked on a channel, a lock or I/O
// that do not move for a while (a fraction of the settle time) are
// reported without waiting it out, and so are goroutines the runtime's
// goroutineleak profile proves blocked forever. Settle panics if d is
// negative.
func Settle(d time.Duration) Option {
	if d < 0 {
		panic(fmt.Sprintf("oracle: Settle(%v): the duration must not be negative", d))
	}
	return optionFunc(func(c *config) { c.settle = d })
}

// CancelGrace sets how long an owned goroutine may run on after its context
// is done before it counts as ignoring cancellation; the default is 500ms.
// While tests overlap, the shortest grace any of them asked for applies.
// CancelGrace panics if d is not positive.
func CancelGrace(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("oracle: CancelGrace(%v): the grace must be positive", d))
	}
	return optionFunc(func(c *config) { c.grace = d })
}

// Allow lets findings of the given kinds pass: they are logged with t.Log
// instead of failing the test. Use [custody.GoroutineLeaked] to allow
// leaks.
func Allow(kinds ...custody.Kind) Option {
	return optionFunc(func(c *config) {
		for _, k := range kinds {
			c.allow[k] = true
		}
	})
}

// IgnoreTopFunction ignores goroutines whose innermost function is f, a
// fully qualified name such as "net/http.(*persistConn).readLoop", as
// goleak's option of that name does. It panics if f is not such a name.
func IgnoreTopFunction(f string) Option {
	validFunc("IgnoreTopFunction", f)
	return optionFunc(func(c *config) { c.ignoreTop = append(c.ignoreTop, f) })
}

// IgnoreAnyFunction ignores goroutines with f anywhere in their stack, as
// goleak's option of that name does. It panics if f is not a fully
// qualified function name.
func IgnoreAnyFunction(f string) Option {
	validFunc("IgnoreAnyFunction", f)
	return optionFunc(func(c *config) { c.ignoreAny = append(c.ignoreAny, f) })
}

// IgnoreCurrent ignores the goroutines running when it is called, as
// goleak's option of that name does: with [VerifyTestMain], those that the
// package's init functions or TestMain started before the tests.
func IgnoreCurrent() Option {
	ids := map[uint64]bool{}
	for _, g := range stack.All() {
		ids[g.ID] = true
	}
	return optionFunc(func(c *config) {
		if c.ignoreIDs == nil {
			c.ignoreIDs = map[uint64]bool{}
		}
		for id := range ids {
			c.ignoreIDs[id] = true
		}
	})
}

// validFunc panics unless f looks like a function name as goroutine dumps
// print it: a package path, a dot, a name; no spaces and no argument list.
func validFunc(option, f string) {
	why := ""
	pkgEnd := strings.LastIndexByte(f, '/') + 1
	switch {
	case f == "":
		why = "the function name is empty"
	case strings.ContainsAny(f, " \t\n"):
		why = "a function name has no spaces"
	case strings.HasSuffix(f, ")") && !strings.HasSuffix(f, "])"):
		why = "name the function without its argument list"
	case !strings.Contains(f[pkgEnd:], ".") || strings.HasPrefix(f[pkgEnd:], ".") || strings.HasSuffix(f, "."):
		why = `want a fully qualified name such as "net/http.(*persistConn).readLoop"`
	}
	if why != "" {
		panic(fmt.Sprintf("oracle: %s(%q): %s", option, f, why))
	}
}

// withoutLeakProfile makes the verdict ignore the goroutineleak profile even
// where the runtime has it, so that tests reach the path of runtimes
// without it.
func withoutLeakProfile() Option {
	return optionFunc(func(c *config) { c.leakProfile = false })
}

// withExit replaces os.Exit in VerifyTestMain; for tests.
func withExit(f func(int)) Option {
	return optionFunc(func(c *config) { c.exit = f })
}
