package oracle

import (
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/spine"
)

type fakeM func() int

func (f fakeM) Run() int { return f() }

// captureStderr runs f and returns what it wrote to os.Stderr, which must
// fit in the pipe's buffer (no reader goroutine: the package verdict under
// test would see it).
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	prev := os.Stderr
	os.Stderr = w
	f()
	os.Stderr = prev
	require.NoError(t, w.Close())
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}

func TestVerifyTestMainClean(t *testing.T) {
	code := -1
	out := captureStderr(t, func() {
		VerifyTestMain(fakeM(func() int { return 0 }), withExit(func(c int) { code = c }))
	})
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
}

func TestVerifyTestMainKeepsFailingStatus(t *testing.T) {
	code := -1
	VerifyTestMain(fakeM(func() int { return 3 }), withExit(func(c int) { code = c }))
	assert.Equal(t, 3, code)
}

func TestVerifyTestMainFindsUnownedGoroutine(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	code := -1
	out := captureStderr(t, func() {
		VerifyTestMain(fakeM(func() int {
			// Started from a goroutine with no custody labels: nobody owns it.
			started := make(chan struct{})
			go pprofFree(func() {
				go func() { <-release }()
				close(started)
			})
			<-started
			return 0
		}), withExit(func(c int) { code = c }))
	})
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "oracle: the package: 1 finding")
	assert.Contains(t, out, "started by a raw go statement, which no checked test owns")
	assert.Contains(t, out, "TestVerifyTestMainFindsUnownedGoroutine")
}

func TestVerifyTestMainReportsOrphans(t *testing.T) {
	// Two tests run in parallel; a finding without record or labels cannot
	// be blamed on either and goes to the package verdict.
	a, b := newFake("TestOrphanA"), newFake("TestOrphanB")
	code := -1
	out := captureStderr(t, func() {
		VerifyTestMain(fakeM(func() int {
			Check(a, Settle(0))
			Check(b, Settle(0))
			done := make(chan struct{})
			go pprofFree(func() {
				spine.Emit(t.Context(), &custody.Event{Kind: custody.MapMutatedAfterStore, Object: "k"})
				close(done)
			})
			<-done
			a.finish()
			b.finish()
			return 0
		}), withExit(func(c int) { code = c }))
	})
	assert.Empty(t, a.verdict())
	assert.Empty(t, b.verdict())
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "oracle: the package: 1 finding")
	assert.Contains(t, out, `value under key "k" mutated in place after it was stored`)
	assert.Contains(t, out, "by a goroutine no checked test owns")
}

// pprofFree runs f in a goroutine without custody labels, as a goroutine
// started by the runtime or a library would be.
func pprofFree(f func()) {
	clearLabels()
	f()
}
