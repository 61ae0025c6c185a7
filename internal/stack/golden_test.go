// Golden dumps of Go's goroutine format.
//
// testdata/{blocked,labels,synctest}.txt are real runtime.Stack dumps,
// trimmed to the goroutines of this file's fixture functions; every
// testdata/*.txt has a *.golden file holding its parse as JSON. Regenerate
// both after a Go upgrade, then review the diff, with
//
//	go test ./internal/stack -run TestGolden -update
//
// testdata/handwritten.txt is written by hand (forms a test cannot provoke
// cheaply: "(leaked)", "N minutes", "(scan)", ancestors, elided frames,
// GOTRACEBACK=system headers); -update rewrites only its golden file.
//
// testdata/cgo.txt is the output of a cgo program with a cgo symbolizer
// (C frames in every form the runtime prints them), captured with
//
//	go run ./internal/stack/testdata/cgo > internal/stack/testdata/cgo.txt
//
// which needs a C compiler, so -update rewrites only its golden file too.
package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/internal/stack"
)

var update = flag.Bool("update", false, "regenerate testdata/*.txt dumps and *.golden files")

const (
	pkg = "github.com/custody-go/custody/internal/stack_test."
	// marker is in the name of every fixture function and type.
	marker = "fixture"
	// escapedLabel needs every escape form the runtime's quoting uses.
	escapedLabel = "say \"hi\"\\\n\t\x00Σ\U00045678"
)

// fixtureT gives the fixture a method with a pointer receiver.
type fixtureT struct{ ch chan struct{} }

func (f *fixtureT) fixtureMethod() { <-f.ch }

func fixtureGeneric[T any](ch chan T) { <-ch }

func fixtureChanReceive(ch chan struct{}) { <-ch }

func fixtureSelect(a, b chan struct{}) {
	select {
	case <-a:
	case <-b:
	}
}

func fixtureWaitGroup(wg *sync.WaitGroup) { wg.Wait() }

func fixtureLocked(ch chan struct{}) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	<-ch
}

// fixtureParent starts a child and blocks, so the child's "created by" line
// names a goroutine that is still in the dump.
func fixtureParent(ch chan struct{}) {
	go fixtureChild(ch)
	go func() { <-ch }()
	<-ch
}

func fixtureChild(ch chan struct{}) { <-ch }

func fixtureLabelled(ctx context.Context, ch chan struct{}) {
	pprof.Do(ctx, pprof.Labels("custody.id", "7", "note", escapedLabel), func(context.Context) {
		go fixtureChild(ch) // inherits the labels
		<-ch
	})
}

func fixtureBubble(ch chan struct{}, capture func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go fixtureChanReceive(ch)
	go fixtureWaitGroup(&wg)
	go fixtureSelect(ch, make(chan struct{}))
	go time.Sleep(time.Hour)
	synctest.Wait()
	capture()
	wg.Done()
	close(ch)
	time.Sleep(time.Hour)
}

// trimmed returns the blocks of dump that mention marker, joined as the
// runtime joins them, and how many of them are not yet blocked.
func trimmed(dump []byte) (out []byte, blocks, busy int) {
	var keep []string
	for b := range strings.SplitSeq(strings.TrimSuffix(string(dump), "\n"), "\n\n") {
		if !strings.Contains(b, marker) {
			continue
		}
		keep = append(keep, b)
		if strings.Contains(b, " [running") || strings.Contains(b, " [runnable") {
			busy++
		}
	}
	if len(keep) == 0 {
		return nil, 0, 0
	}
	return []byte(strings.Join(keep, "\n\n") + "\n"), len(keep), busy
}

// captureBlocked waits until want fixture goroutines are all blocked and
// returns the trimmed dump.
func captureBlocked(t *testing.T, want int) []byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		out, n, busy := trimmed(buf[:runtime.Stack(buf, true)])
		if n == want && busy == 0 {
			return out
		}
		require.True(t, time.Now().Before(deadline), "fixture goroutines: %d (%d busy), want %d blocked:\n%s", n, busy, want, out)
		time.Sleep(time.Millisecond)
	}
}

// generate captures the dumps of testdata/{blocked,labels,synctest}.txt.
func generate(t *testing.T) map[string][]byte {
	out := make(map[string][]byte)

	ch := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go fixtureChanReceive(ch)
	go fixtureSelect(ch, make(chan struct{}))
	go fixtureWaitGroup(&wg)
	go fixtureLocked(ch)
	go fixtureParent(ch)
	go fixtureGeneric(ch)
	go (&fixtureT{ch}).fixtureMethod()
	out["blocked"] = captureBlocked(t, 9)
	wg.Done()
	close(ch)

	t.Setenv("GODEBUG", "tracebacklabels=1")
	ch = make(chan struct{})
	go fixtureLabelled(context.Background(), ch)
	out["labels"] = captureBlocked(t, 2)
	close(ch)

	synctest.Test(t, func(t *testing.T) {
		fixtureBubble(make(chan struct{}), func() {
			buf := make([]byte, 1<<20)
			out["synctest"], _, _ = trimmed(buf[:runtime.Stack(buf, true)])
		})
	})
	return out
}

// golden is the JSON form of a parsed goroutine; Full is checked apart.
type golden struct {
	ID        uint64
	State     string
	Wait      string            `json:",omitempty"`
	Durable   bool              `json:",omitempty"`
	Leaked    bool              `json:",omitempty"`
	Bubble    uint64            `json:",omitempty"`
	Locked    bool              `json:",omitempty"`
	Labels    map[string]string `json:",omitempty"`
	Frames    []stack.Frame
	CreatedBy *stack.Frame `json:",omitempty"`
	ParentID  uint64       `json:",omitempty"`
	Err       string       `json:",omitempty"`
}

func toGolden(gs []stack.Goroutine) []byte {
	var out []golden
	for _, g := range gs {
		j := golden{ID: g.ID, State: g.State, Durable: g.Durable, Leaked: g.Leaked, Bubble: g.Bubble,
			Locked: g.Locked, Labels: g.Labels, Frames: g.Frames, ParentID: g.ParentID}
		if g.Wait != 0 {
			j.Wait = g.Wait.String()
		}
		if g.CreatedBy != (stack.Frame{}) {
			j.CreatedBy = &g.CreatedBy
		}
		if g.Err != nil {
			j.Err = g.Err.Error()
		}
		out = append(out, j)
	}
	b, err := json.MarshalIndent(out, "", "\t")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

func TestGolden(t *testing.T) {
	if *update {
		for name, dump := range generate(t) {
			require.NotEmpty(t, dump, name)
			require.NoError(t, os.WriteFile(filepath.Join("testdata", name+".txt"), dump, 0o644))
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	require.NoError(t, err)
	require.Len(t, files, 5)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(name, func(t *testing.T) {
			dump, err := os.ReadFile(file)
			require.NoError(t, err)
			gs, err := stack.Parse(dump)
			require.NoError(t, err)
			got := toGolden(gs)
			goldenFile := strings.TrimSuffix(file, ".txt") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(goldenFile, got, 0o644))
			}
			want, err := os.ReadFile(goldenFile)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))

			var fulls []string
			for _, g := range gs {
				fulls = append(fulls, g.Full)
			}
			assert.Equal(t, string(dump), strings.Join(fulls, "\n"), "the Full texts put together")
		})
	}
}

// find returns the only goroutine with a frame that runs fn exactly.
func find(t *testing.T, gs []stack.Goroutine, fn string) stack.Goroutine {
	t.Helper()
	var found []stack.Goroutine
	for _, g := range gs {
		for _, f := range g.Frames {
			if f.Func == fn {
				found = append(found, g)
				break
			}
		}
	}
	require.Len(t, found, 1, "goroutines running %s", fn)
	return found[0]
}

func parseFile(t *testing.T, name string) []stack.Goroutine {
	t.Helper()
	dump, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	require.NoError(t, err)
	gs, err := stack.Parse(dump)
	require.NoError(t, err)
	return gs
}

// TestGoldenMeaning checks what the golden files must say, independently of
// how they were generated.
func TestGoldenMeaning(t *testing.T) {
	t.Run("blocked", func(t *testing.T) {
		gs := parseFile(t, "blocked")
		g := find(t, gs, pkg+"fixtureChanReceive")
		assert.Equal(t, "chan receive", g.State)
		assert.Equal(t, pkg+"fixtureChanReceive", g.Top().Func)
		assert.True(t, strings.HasSuffix(g.Top().File, "internal/stack/golden_test.go"), g.Top().File)
		assert.Equal(t, pkg+"generate", g.CreatedBy.Func)
		assert.NotZero(t, g.ParentID)

		assert.Equal(t, "select", find(t, gs, pkg+"fixtureSelect").State)
		assert.Equal(t, "sync.WaitGroup.Wait", find(t, gs, pkg+"fixtureWaitGroup").State)
		assert.True(t, find(t, gs, pkg+"fixtureLocked").Locked)
		assert.Equal(t, pkg+"fixtureGeneric[...]", find(t, gs, pkg+"fixtureGeneric[...]").Top().Func)
		assert.Equal(t, pkg+"(*fixtureT).fixtureMethod", find(t, gs, pkg+"(*fixtureT).fixtureMethod").Top().Func)

		parent := find(t, gs, pkg+"fixtureParent")
		child := find(t, gs, pkg+"fixtureChild")
		assert.Equal(t, parent.ID, child.ParentID)
		assert.Equal(t, pkg+"fixtureParent", child.CreatedBy.Func)
		closure := find(t, gs, pkg+"fixtureParent.func1")
		assert.Equal(t, parent.ID, closure.ParentID)
		for _, g := range gs {
			assert.Nil(t, g.Labels, "goroutine %d", g.ID)
			assert.Zero(t, g.Bubble, "goroutine %d", g.ID)
		}
	})
	t.Run("labels", func(t *testing.T) {
		gs := parseFile(t, "labels")
		want := map[string]string{"custody.id": "7", "note": escapedLabel}
		parent := find(t, gs, pkg+"fixtureLabelled")
		assert.Equal(t, want, parent.Labels)
		child := find(t, gs, pkg+"fixtureChild")
		assert.Equal(t, want, child.Labels)
		assert.Equal(t, parent.ID, child.ParentID)
		assert.Equal(t, pkg+"fixtureLabelled.func1", child.CreatedBy.Func)
	})
	t.Run("cgo", func(t *testing.T) {
		gs := parseFile(t, "cgo")
		require.Len(t, gs, 2)
		cFrames := []stack.Frame{
			{Func: "c_entry", File: "/src/lib/entry.c", Line: 12},
			{Func: "c_noFile"},
			{File: "/src/lib/anon.c", Line: 7},
			// "non-Go function" with only a pc is not a frame
			{Func: "inlined_helper", File: "/src/lib/helper.h", Line: 3},
			{Func: "ns::outer(int)", File: "/src/lib/outer.cc", Line: 40},
		}
		for _, g := range gs {
			assert.NoError(t, g.Err, "goroutine %d", g.ID)
			require.Len(t, g.Frames, 3+len(cFrames), "goroutine %d", g.ID)
			assert.Equal(t, cFrames, g.Frames[1:1+len(cFrames)], "goroutine %d", g.ID)
			assert.Equal(t, "_cgo_gotypes.go", g.Frames[1+len(cFrames)].File)
		}
		assert.Equal(t, "main.GoDump", gs[0].Top().Func)
		assert.Equal(t, "main.main", gs[0].Frames[len(gs[0].Frames)-1].Func)
		assert.Equal(t, "main.GoBlock", gs[1].Top().Func)
		assert.Equal(t, "chan receive", gs[1].State)
		assert.Equal(t, "main.main", gs[1].CreatedBy.Func)
		assert.Equal(t, gs[0].ID, gs[1].ParentID)
	})
	t.Run("synctest", func(t *testing.T) {
		gs := parseFile(t, "synctest")
		root := find(t, gs, pkg+"fixtureBubble")
		assert.Equal(t, "running", root.State)
		assert.NotZero(t, root.Bubble)
		for fn, state := range map[string]string{
			pkg + "fixtureChanReceive": "chan receive",
			pkg + "fixtureWaitGroup":   "sync.WaitGroup.Wait",
			pkg + "fixtureSelect":      "select",
			"time.Sleep":               "sleep",
		} {
			g := find(t, gs, fn)
			assert.Equal(t, state, g.State, fn)
			assert.True(t, g.Durable, "%s: %s", fn, g.Full)
			assert.Equal(t, root.Bubble, g.Bubble, fn)
			assert.Equal(t, root.ID, g.ParentID, fn)
		}
	})
}

// TestParseTruncated cuts real dumps as a too small runtime.Stack buffer
// does, at every byte near a line end and at every 7th byte elsewhere:
// Parse must accept every cut after the first line and return a prefix of
// the full parse.
func TestParseTruncated(t *testing.T) {
	for _, name := range []string{"blocked", "cgo"} {
		t.Run(name, func(t *testing.T) { testParseTruncated(t, name) })
	}
}

func testParseTruncated(t *testing.T, name string) {
	dump, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	require.NoError(t, err)
	all, err := stack.Parse(dump)
	require.NoError(t, err)
	first := bytes.IndexByte(dump, '\n')
	for n := range len(dump) {
		nearEnd := bytes.IndexByte(dump[max(n-2, 0):min(n+3, len(dump))], '\n') >= 0
		if !nearEnd && n%7 != 0 {
			continue
		}
		gs, err := stack.Parse(dump[:n])
		if n <= first {
			require.ErrorIs(t, err, stack.ErrNoGoroutine, "cut at %d", n)
			continue
		}
		require.NoError(t, err, "cut at %d", n)
		require.LessOrEqual(t, len(gs), len(all))
		last := len(gs) - 1
		require.Equal(t, all[:last], gs[:last], "cut at %d", n)
		g, w := gs[last], all[last]
		require.Equal(t, w.ID, g.ID)
		if len(g.Frames) > 0 {
			require.Equal(t, w.Frames[:len(g.Frames)], g.Frames, "cut at %d", n)
		}
		require.True(t, strings.HasPrefix(w.Full, g.Full), "cut at %d", n)
		require.NoError(t, g.Err, "cut at %d", n)
	}
}
