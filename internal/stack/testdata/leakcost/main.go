// Command leakcost measures what it costs to find leaked goroutines among
// many: it leaks -leaked goroutines (blocked forever on channels nothing
// else can reach) beside -live goroutines blocked on a channel it keeps,
// half of each with labels of their own (as owned goroutines have) and half
// with one shared label set (as raw goroutines a test started have), then
// times, in interleaved rounds, each way to look at them: the goroutineleak
// profile (LeakProfile), the goroutine profile (Profile), a dump and its
// parse (All), both joined (Labelled), and goleak's dump and parse
// (goleak.IgnoreCurrent). It prints the median of each and its ratio to
// goleak's. The goroutineleak profile needs Go 1.27, or Go 1.26 with
// GOEXPERIMENT=goroutineleakprofile:
//
//	GOTOOLCHAIN=go1.27.3 go run ./internal/stack/testdata/leakcost -leaked 1000 -live 10000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"time"

	"go.uber.org/goleak"

	"github.com/custody-go/custody/internal/stack"
)

func leak(unique bool, i int) {
	body := func(context.Context) { <-make(chan struct{}) }
	if unique {
		pprof.Do(context.Background(), pprof.Labels("custody.id", strconv.Itoa(i), "custody.name", "owned"), body)
		return
	}
	pprof.Do(context.Background(), pprof.Labels("custody.id", "1", "custody.name", "test"), body)
}

func live(unique bool, i int, ch chan struct{}) {
	body := func(context.Context) { <-ch }
	if unique {
		pprof.Do(context.Background(), pprof.Labels("custody.id", strconv.Itoa(i), "custody.name", "owned"), body)
		return
	}
	pprof.Do(context.Background(), pprof.Labels("custody.id", "2", "custody.name", "other"), body)
}

func main() {
	leaked := flag.Int("leaked", 1000, "goroutines to leak")
	nlive := flag.Int("live", 1000, "goroutines blocked on a live channel")
	rounds := flag.Int("rounds", 5, "rounds")
	flag.Parse()
	if _, ok := stack.LeakProfile(); !ok {
		fmt.Fprintln(os.Stderr, "leakcost: no goroutineleak profile in this runtime")
		os.Exit(1)
	}
	ch := make(chan struct{})
	for i := range *leaked {
		go leak(i%2 == 0, i)
	}
	for i := range *nlive {
		go live(i%2 == 0, *leaked+i, ch)
	}
	// Wait until the leak profile finds them all.
	for {
		recs, _ := stack.LeakProfile()
		n := 0
		for _, r := range recs {
			n += r.Count
		}
		if n >= *leaked {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	ways := []struct {
		name string
		f    func()
	}{
		{"goleak", func() { goleak.IgnoreCurrent() }},
		{"LeakProfile", func() { stack.LeakProfile() }},
		{"Profile", func() { stack.Profile() }},
		{"All", func() { stack.All() }},
		{"Labelled", func() { stack.Labelled() }},
	}
	times := make([][]time.Duration, len(ways))
	for range *rounds {
		for i, w := range ways {
			start := time.Now()
			w.f()
			times[i] = append(times[i], time.Since(start))
		}
	}
	fmt.Printf("leaked %d, live %d, %d rounds (median, ratio to goleak's, GODEBUG=%q)\n", *leaked, *nlive, *rounds, os.Getenv("GODEBUG"))
	med := func(ts []time.Duration) time.Duration { ts = slices.Clone(ts); slices.Sort(ts); return ts[len(ts)/2] }
	base := med(times[0])
	for i, w := range ways {
		m := med(times[i])
		fmt.Printf("%-12s %10v %6.2fx\n", w.name, m.Round(10*time.Microsecond), float64(m)/float64(base))
	}
	close(ch)
}
