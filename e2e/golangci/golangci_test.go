package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlugin builds this golangci-lint with the custodyvet plugin, runs it
// on testdata/bad with .golangci.yml, and compares what it reports with the
// "want: RULE" comments there: every one reported, nothing else.
func TestPlugin(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "golangci-lint-custodyvet")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "go build")

	cmd := exec.Command(bin, "run", "--config", ".golangci.yml", "--output.json.path", "stdout", "--output.text.path", "stderr", "./testdata/bad")
	// A cache of its own: golangci-lint's cache keys do not cover the
	// plugin's code, so results of an older plugin could be replayed.
	cmd.Env = append(os.Environ(), "GOLANGCI_LINT_CACHE="+t.TempDir())
	out, err := cmd.Output()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "golangci-lint exits non-zero when it reports issues; stderr:\n%s", errText(err))
	var report struct {
		Issues []struct {
			FromLinter string
			Text       string
			Pos        struct {
				Filename string
				Line     int
			}
		}
	}
	// The JSON report comes first; a summary of counts follows it.
	require.NoError(t, json.NewDecoder(bytes.NewReader(out)).Decode(&report), "golangci-lint's JSON:\n%s", out)

	var got []string
	for _, is := range report.Issues {
		assert.Equal(t, "custodyvet", is.FromLinter, "%s:%d: %s", is.Pos.Filename, is.Pos.Line, is.Text)
		rule, _, _ := strings.Cut(is.Text, ":")
		got = append(got, filepath.Base(is.Pos.Filename)+":"+itoa(is.Pos.Line)+": "+rule)
	}
	assert.ElementsMatch(t, wants(t, "testdata/bad/bad.go"), got)
}

var want = regexp.MustCompile(`// want: (\w+)`)

// wants returns "bad.go:LINE: RULE" for each want comment of file.
func wants(t *testing.T, file string) []string {
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		if m := want.FindStringSubmatch(line); m != nil {
			out = append(out, filepath.Base(file)+":"+itoa(i+1)+": "+m[1])
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func errText(err error) string {
	if exit, ok := err.(*exec.ExitError); ok {
		return string(exit.Stderr)
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
