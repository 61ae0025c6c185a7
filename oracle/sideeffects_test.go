package oracle

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"testing"
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
