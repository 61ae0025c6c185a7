package harness

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/custody-go/custody/oracle"
)

// Rounds cuts a benchmark's b.Loop into rounds of a fixed number of
// iterations. Each round starts with start and ends with the function start
// returned, both with the timer stopped, so what a round sets up and tears
// down (a channel and its receiver, a filled map, a test and its verdict) is
// neither timed nor counted in allocs/op. Every sub-benchmark of an operation
// uses the same rounds, so raw pays for them what verify pays, except the
// oracle's work at the ends of a round.
type Rounds struct {
	b     *testing.B
	n     int
	left  int
	start func() (end func())
	end   func()
}

// NewRounds returns rounds of n iterations of b's loop.
func NewRounds(b *testing.B, n int, start func() (end func())) *Rounds {
	if n < 1 {
		panic(fmt.Sprintf("harness: NewRounds with %d iterations per round", n))
	}
	return &Rounds{b: b, n: n, start: start}
}

// Next is called first in each iteration of b.Loop: it ends the round that is
// over and starts the next one.
func (r *Rounds) Next() {
	if r.left > 0 {
		r.left--
		return
	}
	r.turn()
}

func (r *Rounds) turn() {
	r.b.StopTimer()
	if r.end != nil {
		r.end()
	}
	r.end = r.start()
	r.left = r.n - 1
	r.b.StartTimer()
}

// Done ends the last round. Call it after the loop, where b.Loop has stopped
// the timer.
func (r *Rounds) Done() {
	if r.end != nil {
		r.end()
		r.end = nil
	}
}

// Round begins one round of a sub-benchmark. With verify false it returns
// base and an end that does nothing. With verify true the round is a test
// of its own: Round makes a Test, calls oracle.Check with it and returns
// the context Check returns; end gives the oracle's verdict and fails b
// with it when the round was not clean.
func Round(b testing.TB, base context.Context, verify bool) (ctx context.Context, end func()) {
	if !verify {
		return base, func() {}
	}
	t := NewTest(base, b.Name()+"/round")
	ctx = oracle.Check(t)
	return ctx, func() {
		if failed, why := t.End(); failed {
			b.Fatalf("the oracle failed a round of %s:\n%s", b.Name(), why)
		}
	}
}

// WarmUp is how long Warm runs an operation.
const WarmUp = 200 * time.Millisecond

// Warm runs op over and over for WarmUp, untimed, before an operation's
// sub-benchmarks: the first sub-benchmark of a process otherwise runs
// colder than its siblings (a go statement and a WaitGroup measured first
// ran about 10–40% slower than the same code measured after the others),
// and the first is raw, whose time every ratio divides by.
func Warm(op func()) {
	for start := time.Now(); time.Since(start) < WarmUp; {
		for range 64 {
			op()
		}
	}
}
