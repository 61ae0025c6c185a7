package oracle

import (
	"fmt"
	"os"
	"strings"

	"go.uber.org/goleak"
)

// TestingM is the subset of [testing.M] VerifyTestMain needs.
type TestingM interface {
	Run() int
}

// VerifyTestMain runs the tests of a package with the oracle installed for
// the whole run, then, if they passed, gives a package-wide verdict: findings
// that no single test could be blamed for, and goroutines that nobody owns
// still running after the tests (found by go.uber.org/goleak, which waits
// for them to settle). It reports on standard error and exits with status 1
// when it finds anything, else with the tests' status. Use it from TestMain:
//
//	func TestMain(m *testing.M) { oracle.VerifyTestMain(m) }
//
// Of the options, IgnoreTopFunction and Allow apply to this verdict.
func VerifyTestMain(m TestingM, opts ...Option) {
	if m == nil {
		panic("oracle: VerifyTestMain called with a nil TestingM")
	}
	cfg := newConfig(opts)
	exit := cfg.exit
	if exit == nil {
		exit = os.Exit
	}
	s := acquire()
	s.mu.Lock()
	s.mainRuns = true
	s.mu.Unlock()

	code := m.Run()

	var b strings.Builder
	if code == 0 {
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
		if len(shown) > 0 {
			b.WriteString(formatReport("the package", shown))
		}
		if err := goleak.Find(cfg.goleakOptions()...); err != nil {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "oracle: goroutines nobody owns outlived the tests:\n%v\n", err)
		}
	}
	release()
	if b.Len() > 0 {
		fmt.Fprint(os.Stderr, b.String())
		code = 1
	}
	exit(code)
}
