package oracle

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/safego"
)

// TestStackHeader: a checked test sees the stack traces and the
// environment an unchecked one sees (pond's TestPoolSubmitWithPanic matches
// this header, and failed under an oracle that set tracebacklabels).
func TestStackHeader(t *testing.T) {
	before, set := os.LookupEnv("GODEBUG")
	Check(t)
	s := debug.Stack()
	if !regexp.MustCompile(`^goroutine \d+ \[running\]:\n`).Match(s) {
		t.Fatalf("%q", s[:80])
	}
	after, stillSet := os.LookupEnv("GODEBUG")
	assert.Equal(t, set, stillSet)
	assert.Equal(t, before, after, "GODEBUG, which child processes inherit")
}

// TestVerdictsWhateverGODEBUG: a user who sets tracebacklabels, either
// way, still gets verdicts, with owners; each setting runs in a child
// process of this test binary, as the runtime reads GODEBUG at start.
func TestVerdictsWhateverGODEBUG(t *testing.T) {
	if os.Getenv("ORACLE_CHILD") == "godebug" {
		fake := newFake("TestChild")
		ctx := Check(fake, Settle(50*time.Millisecond))
		release := make(chan struct{})
		go func() { <-release }()
		safego.Go(ctx, "owned", func(context.Context) { <-release })
		fake.finish()
		close(release)
		fmt.Print(fake.verdict())
		return
	}
	for _, godebug := range []string{"tracebacklabels=0", "tracebacklabels=1"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestVerdictsWhateverGODEBUG$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ORACLE_CHILD=godebug", "GODEBUG="+godebug)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "GODEBUG=%s:\n%s", godebug, out)
		assert.Contains(t, string(out), "oracle: TestChild: 2 findings", godebug)
		assert.Contains(t, string(out), `leaked goroutine "owned"`, godebug)
		assert.Contains(t, string(out), `started by a raw go statement in "TestChild"`, godebug)
	}
}

// TestReportAtTestLine: the verdict is reported at the line that called
// Check, in a testing/synctest bubble too (where testing attributes a
// cleanup's Errorf to its own testing.go: the bubble's test marks helpers on
// its parent), and the test fails rather than the binary. The leaked
// goroutine is released by a cleanup that runs after the verdict, so that
// the bubble can end. Each case runs in a child process, whose test fails.
func TestReportAtTestLine(t *testing.T) {
	switch os.Getenv("ORACLE_CHILD") {
	case "plain":
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		Check(t, Settle(time.Minute)) // reported here: plain
		go parkUntil(release)
		return
	case "bubble":
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			Check(t, Settle(time.Minute)) // reported here: bubble
			go parkUntil(release)
		})
		return
	}
	for _, c := range []string{"plain", "bubble"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReportAtTestLine$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ORACLE_CHILD="+c)
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "the child's test fails:\n%s", out)
		line := lineOf(t, "sideeffects_test.go", "// reported here: "+c)
		assert.Contains(t, string(out), fmt.Sprintf("sideeffects_test.go:%d: oracle: TestReportAtTestLine: 1 finding", line), c)
		assert.Contains(t, string(out), "--- FAIL: TestReportAtTestLine", c)
		assert.NotContains(t, string(out), "testing.go:", c)
		assert.NotContains(t, string(out), "verdict.go:", c)
		assert.NotContains(t, string(out), "panic", c)
	}
}

// lineOf returns the number of the first line of file that contains
// marker.
func lineOf(t *testing.T, file, marker string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, marker) && !strings.Contains(l, "lineOf(") {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, marker)
	return 0
}
