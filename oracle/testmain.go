package oracle

import (
	"fmt"
	"maps"
	"os"
	"strings"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/mapcheck"
	"github.com/custody-go/custody/internal/stack"
)

// TestingM is the subset of [testing.M] VerifyTestMain needs.
type TestingM interface {
	Run() int
}

// VerifyTestMain runs the tests of a package, then gives a package-wide
// verdict: findings that no single test could be blamed for, always, and,
// if the tests passed, goroutines that no checked test owns still running
// after them. It reports on standard error and exits with status 1 when it
// finds anything, else with the tests' status. Use it from TestMain:
//
//	func TestMain(m *testing.M) { oracle.VerifyTestMain(m) }
//
// Of the options, Settle, Allow and the Ignore options apply.
func VerifyTestMain(m TestingM, opts ...Option) {
	if m == nil {
		panic("oracle: VerifyTestMain called with a nil TestingM")
	}
	cfg := newConfig(opts)
	exit := cfg.exit
	if exit == nil {
		exit = os.Exit
	}
	s := theSink()
	s.mu.Lock()
	s.mainRuns++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.mainRuns--
		s.mu.Unlock()
	}()

	code := m.Run()

	if code == 0 {
		acquire()
		mapcheck.CheckAll()
		release()
	}
	s.mu.Lock()
	orphans := s.orphans
	s.orphans = nil
	s.mu.Unlock()
	var shown []finding
	for _, f := range orphans {
		if !cfg.allow[f.kind] {
			shown = append(shown, f)
		}
	}
	if code == 0 && !cfg.allow[custody.GoroutineLeaked] {
		shown = append(shown, groupLeaks(s.unowned(cfg))...)
	}
	if len(shown) > 0 {
		fmt.Fprint(os.Stderr, formatReport("the package", shown))
		code = 1
	}
	exit(code)
}

// unowned waits, as a test's verdict does, for the goroutines that no
// checked test owns and that nothing lets go to exit, and returns those
// left. It reads goroutine dumps, whose goroutine IDs tell those a test's
// verdict reported already; custody's internal/stack reads them. goleak,
// the tool this verdict stands in for, is not used here: it reads dumps
// of its own and reports them as text; it stays the peer that the
// package's benchmarks (BenchmarkVerdict) and the e2e/goker corpus
// measure the oracle against, and its default filters are the model of
// standardGoroutine.
func (s *sink) unowned(cfg *config) []*leak {
	self := stack.Current().ID
	s.mu.Lock()
	reported := maps.Clone(s.reported)
	s.mu.Unlock()
	pick := func(g stack.Goroutine) bool {
		if g.ID == self || reported[g.ID] || cfg.ignoreIDs[g.ID] || cfg.ignored(g.Frames) || standardGoroutine(g) {
			return false
		}
		if len(g.Frames) == 0 && g.Err == nil {
			return false // on its way out
		}
		who := identityOf(g.Labels)
		if !who.ok {
			return true
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.labelled(who.id, who.name) == nil // else a checked test's, which its verdict judged
	}
	deadline := time.Now().Add(cfg.settle)
	quiet := cfg.quiet()
	since := map[string]time.Time{}
	var proven map[string]int
	backoff := 20 * time.Microsecond
	for {
		now := time.Now()
		gs := stack.Labelled()
		var left []stack.Goroutine
		seen := map[string]bool{}
		for _, g := range gs {
			if !pick(g) {
				continue
			}
			left = append(left, g)
			k := g.State + "\x00" + leakKey(0, g.Frames)
			seen[k] = true
			if _, ok := since[k]; !ok || g.Blocking() == stack.NotParked {
				since[k] = now
			}
		}
		if len(left) == 0 {
			return nil
		}
		for k := range since {
			if !seen[k] {
				delete(since, k)
			}
		}
		if cfg.leakProfile && proven == nil {
			if recs, ok := sharedLeakProfile(); ok {
				proven = map[string]int{}
				for _, r := range recs {
					if !identityOf(r.Labels).ok {
						proven[leakKey(0, r.Frames)] += r.Count
					}
				}
			}
		}
		done := true
		counted := maps.Clone(proven)
		var leaks []*leak
		for _, g := range left {
			l := &leak{g: g, at: now}
			if k := leakKey(0, g.Frames); counted[k] > 0 {
				counted[k]--
				l.proven = true
			} else if !quietKind(g.Blocking()) || now.Sub(since[g.State+"\x00"+k]) < quiet {
				done = false
			}
			leaks = append(leaks, l)
		}
		if done || !now.Before(deadline) {
			return leaks
		}
		time.Sleep(min(backoff, max(time.Until(deadline), 0)))
		backoff = min(2*backoff, 20*time.Millisecond)
	}
}

// standardGoroutine reports whether g is one of the goroutines the testing
// package and the standard library keep running while tests do: the test
// runner waiting for a test, the signal handler, a trace reader, a cgo
// callback thread's goroutine in a system call.
func standardGoroutine(g stack.Goroutine) bool {
	switch g.Top().Func {
	case "testing.RunTests", "testing.(*T).Run", "testing.(*T).Parallel", "testing.runFuzzing", "testing.runFuzzTests":
		return strings.HasPrefix(g.State, "chan receive")
	case "os/signal.signal_recv", "os/signal.loop":
		return true
	}
	if g.State == "syscall" && len(g.Frames) > 0 && g.Frames[len(g.Frames)-1].Func == "runtime.goexit" {
		return true
	}
	return g.Has("runtime.ensureSigM") || g.Has("runtime.ReadTrace")
}
