package oracle

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/mapcheck"

	"go.uber.org/goleak"
)

// TestingM is the subset of [testing.M] VerifyTestMain needs.
type TestingM interface {
	Run() int
}

// VerifyTestMain runs the tests of a package, then gives a package-wide
// verdict: findings that no single test could be blamed for, always, and,
// if the tests passed, goroutines still running after them (found by
// go.uber.org/goleak, which waits for them to settle). Goroutines a test's
// verdict already reported as leaked, or let go with IgnoreTopFunction, are
// not reported again. It reports on standard error and exits with status 1
// when it finds anything, else with the tests' status. Use it from TestMain:
//
//	func TestMain(m *testing.M) { oracle.VerifyTestMain(m) }
//
// Of the options, IgnoreTopFunction and Allow apply to this verdict.
//
// VerifyTestMain does not keep custody in verify mode for the whole run:
// the oracle's sink is installed only while some test that called [Check]
// runs, so tests and benchmarks of off and observe mode measure what they
// mean to.
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

	var b strings.Builder
	if code == 0 {
		acquire()
		mapcheck.CheckAll()
		release()
	}
	s.mu.Lock()
	orphans := s.orphans
	s.orphans = nil
	reported := maps.Clone(s.reported)
	s.mu.Unlock()
	var shown []finding
	for _, f := range orphans {
		if !cfg.allow[f.kind] {
			shown = append(shown, f)
		}
	}
	if len(shown) > 0 {
		b.WriteString(formatReport("the package", shown))
	}
	if code == 0 {
		if err := goleak.Find(cfg.goleakOptions()...); err != nil && !cfg.allow[custody.GoroutineLeaked] && !onlyReported(err, reported) {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "oracle: goroutines nobody owns outlived the tests:\n%v\n", err)
		}
	}
	if b.Len() > 0 {
		fmt.Fprint(os.Stderr, b.String())
		code = 1
	}
	exit(code)
}

// goleakID finds the goroutine IDs in goleak's error text, which lists each
// goroutine as "Goroutine N in state ...".
var goleakID = regexp.MustCompile(`(?m)Goroutine (\d+) in state`)

// onlyReported reports whether every goroutine goleak found was already
// reported as a leak by a test's verdict: a test that leaked has failed on
// its own account, and its leak is not the package's.
func onlyReported(err error, reported map[uint64]bool) bool {
	ids := goleakID.FindAllStringSubmatch(err.Error(), -1)
	if len(ids) == 0 {
		return false
	}
	for _, m := range ids {
		id, _ := strconv.ParseUint(m[1], 10, 64)
		if !reported[id] {
			return false
		}
	}
	return true
}
