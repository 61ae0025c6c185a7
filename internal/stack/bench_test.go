package stack_test

import (
	"context"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/custody-go/custody/internal/stack"
)

// background starts n goroutines blocked on a channel until the benchmark
// ends; with unique set, each has labels of its own, as n owned goroutines
// have, else none.
func background(b *testing.B, n int, unique bool) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		if unique {
			labels := pprof.Labels("custody.id", strconv.Itoa(i), "custody.name", "worker")
			go pprof.Do(context.Background(), labels, func(context.Context) { benchBlocked(&wg, release) })
		} else {
			go benchBlocked(&wg, release)
		}
	}
	b.Cleanup(func() {
		close(release)
		wg.Wait()
	})
}

func benchBlocked(wg *sync.WaitGroup, release <-chan struct{}) {
	defer wg.Done()
	<-release
}

// benchPoll measures one poll of the process's goroutines by each way
// there is to take one: raw is goleak's (runtime.Stack and its parser, run
// by IgnoreCurrent); dump is runtime.Stack alone; all is this package's
// All; profile is Profile (the goroutine profile, debug 1, parsed);
// labelled is Labelled when the dump prints no labels (a dump, a profile,
// the join) and labelled-dump when it does (GODEBUG=tracebacklabels=1).
func benchPoll(b *testing.B, n int, unique bool) {
	background(b, n, unique)
	buf := make([]byte, 64<<20)
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			goleak.IgnoreCurrent()
		}
	})
	b.Run("dump", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			runtime.Stack(buf, true)
		}
	})
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			stack.All()
		}
	})
	b.Run("profile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			stack.Profile()
		}
	})
	b.Run("labelled", func(b *testing.B) {
		b.Setenv("GODEBUG", "tracebacklabels=0")
		b.ReportAllocs()
		for b.Loop() {
			stack.Labelled()
		}
	})
	b.Run("labelled-dump", func(b *testing.B) {
		b.Setenv("GODEBUG", "tracebacklabels=1")
		b.ReportAllocs()
		for b.Loop() {
			stack.Labelled()
		}
	})
}

// BenchmarkPollN polls with N goroutines that each have labels of their
// own (the profile's worst case: one record per goroutine).
func BenchmarkPoll10(b *testing.B)    { benchPoll(b, 10, true) }
func BenchmarkPoll100(b *testing.B)   { benchPoll(b, 100, true) }
func BenchmarkPoll1000(b *testing.B)  { benchPoll(b, 1000, true) }
func BenchmarkPoll10000(b *testing.B) { benchPoll(b, 10000, true) }

// BenchmarkPollSharedN polls with N goroutines with one stack and no
// labels (the profile's best case: one record for them all).
func BenchmarkPollShared100(b *testing.B)   { benchPoll(b, 100, false) }
func BenchmarkPollShared1000(b *testing.B)  { benchPoll(b, 1000, false) }
func BenchmarkPollShared10000(b *testing.B) { benchPoll(b, 10000, false) }

// benchLeakProfile measures one goroutineleak profile (LeakProfile) with n
// goroutines blocked on channels that stay reachable, none leaked: raw is
// the GC cycle the profile runs (runtime.GC); profile and goleak are
// polls, for scale.
func benchLeakProfile(b *testing.B, n int) {
	if _, ok := stack.LeakProfile(); !ok {
		b.Skip("no goroutineleak profile in this runtime")
	}
	background(b, n, true)
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			runtime.GC()
		}
	})
	b.Run("leakprofile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			stack.LeakProfile()
		}
	})
	b.Run("profile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			stack.Profile()
		}
	})
	b.Run("goleak", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			goleak.IgnoreCurrent()
		}
	})
}

func BenchmarkLeakProfile1000(b *testing.B)   { benchLeakProfile(b, 1000) }
func BenchmarkLeakProfile10000(b *testing.B)  { benchLeakProfile(b, 10000) }
func BenchmarkLeakProfile100000(b *testing.B) { benchLeakProfile(b, 100000) }
