package oracle

import (
	"time"

	"go.uber.org/goleak"

	"github.com/custody-go/custody"
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
	leakProfile bool
	exit        func(int) // VerifyTestMain's os.Exit, replaced in tests
}

const (
	defaultSettle = 2 * time.Second
	defaultGrace  = 500 * time.Millisecond
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

// Settle sets how long the verdict waits for the test's goroutines to exit
// before it reports those left as leaked. The wait ends as soon as none is
// left. Only time the verdict spends asleep counts, so that on a loaded
// machine its own goroutine dumps do not use the wait up; a goroutine that
// is runnable, or inside custody's reporting, when the time is up gets up to
// the same time again. The default is 2s.
func Settle(d time.Duration) Option {
	if d < 0 {
		panic("oracle: Settle with a negative duration")
	}
	return optionFunc(func(c *config) { c.settle = d })
}

// CancelGrace sets how long an owned goroutine may keep running after its
// context is done before it counts as ignoring cancellation. The default is
// 500ms. With tests running in parallel the shortest grace asked for by any
// of them applies while they overlap.
func CancelGrace(d time.Duration) Option {
	if d <= 0 {
		panic("oracle: CancelGrace with a duration that is not positive")
	}
	return optionFunc(func(c *config) { c.grace = d })
}

// Allow lets findings of the given kinds pass: they are logged with t.Log
// instead of failing the test. Use [custody.GoroutineLeaked] to allow leaks.
func Allow(kinds ...custody.Kind) Option {
	return optionFunc(func(c *config) {
		for _, k := range kinds {
			c.allow[k] = true
		}
	})
}

// IgnoreTopFunction ignores goroutines whose innermost function is f (fully
// qualified, such as "net/http.(*persistConn).readLoop") when looking for
// leaks, as goleak's option of the same name does.
func IgnoreTopFunction(f string) Option {
	return optionFunc(func(c *config) { c.ignoreTop = append(c.ignoreTop, f) })
}

// NoLeakProfile makes the verdict wait out the settle time even when the
// goroutineleak profile is available. It exists to compare the two paths.
func NoLeakProfile() Option {
	return optionFunc(func(c *config) { c.leakProfile = false })
}

// withExit replaces os.Exit in VerifyTestMain; for tests.
func withExit(f func(int)) Option {
	return optionFunc(func(c *config) { c.exit = f })
}

func (c *config) goleakOptions() []goleak.Option {
	opts := make([]goleak.Option, 0, len(c.ignoreTop))
	for _, f := range c.ignoreTop {
		opts = append(opts, goleak.IgnoreTopFunction(f))
	}
	return opts
}
