package safego_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// stderrWriter is where a subprocess's sink writes.
var stderrWriter = os.Stderr

func lookupEnv(key string) string { return os.Getenv(key) }

// runSelf runs the test named test in a new process of this test binary,
// with env added to the environment, and returns its standard error and
// how it ended.
func runSelf(t *testing.T, test string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return stderr.String(), err
}
