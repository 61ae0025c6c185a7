// Golden dumps of Go's goroutine format, one directory per Go release:
// testdata/go1.26 and testdata/go1.27. Every dump in them is the output of
// a real program run on that release, and every testdata/*/*.txt has a
// *.golden file holding its parse as JSON. Parse must read every release's
// dumps, whichever Go runs the test. After a Go upgrade, or to add a
// release, regenerate the running release's directory, then review the
// diff, with
//
//	go test ./internal/stack -run TestGolden -update
//	GOTOOLCHAIN=go1.27.3 go test ./internal/stack -run TestGolden -update
//
// The dumps are
//   - blocked, labels, synctest: runtime.Stack dumps of this file's fixture
//     goroutines, trimmed to them;
//   - forms: testdata/forms run with GODEBUG=tracebackancestors=2 (ancestor
//     tracebacks, deep stacks, a system call, a generic method on Go 1.27);
//   - crash: the same program crashing with GOTRACEBACK=system (runtime
//     frames, the runtime's goroutines, "gp=… m=…" headers), from the first
//     goroutine header on;
//   - leaked: testdata/leak, the goroutineleak profile with debug 2 (needs
//     GOEXPERIMENT=goroutineleakprofile on Go 1.26, which -update sets);
//   - goroutine-profile, goroutineleak-profile: the same program's
//     goroutine and goroutineleak profiles with debug 1, which ParseProfile
//     reads (their golden files hold []stack.Record);
//   - cgo: testdata/cgo, C frames described by a cgo symbolizer (needs a C
//     compiler);
//   - generic (from Go 1.27): genericProgram below, a generic method of a
//     generic type. It is kept in a string, built in a module of its own at
//     go 1.27, because Go 1.26's gofmt cannot read it.
//
// testdata/handwritten.txt (Go 1.26's header) and handwritten127.txt (Go
// 1.27's) are written by hand, for forms a program cannot provoke cheaply:
// "N minutes", "(scan)", "stack unavailable"; -update rewrites only their
// golden files.
package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/internal/stack"
)

var update = flag.Bool("update", false, "regenerate the running Go release's testdata dumps and every *.golden file")

const (
	pkg = "github.com/custody-go/custody/internal/stack_test."
	// marker is in the name of every fixture function and type.
	marker = "fixture"
	// escapedLabel needs every escape form the runtime's quoting uses.
	escapedLabel = "say \"hi\"\\\n\t\x00Σ\U00045678"
	// punctLabel holds what would end a label or a header if unquoted.
	punctLabel = `a, b}: {c] "d"`
	// badUTF8 is not UTF-8: Go 1.26 prints it as U+FFFD, Go 1.27 as \xff.
	badUTF8 = "\xff"
)

// releases are the Go releases with golden dumps; dumps are the dumps each
// has.
var (
	releases = []string{"go1.26", "go1.27"}
	dumps    = map[string][]string{
		"go1.26": {"blocked", "labels", "synctest", "forms", "crash", "leaked", "cgo", "goroutine-profile", "goroutineleak-profile"},
		"go1.27": {"blocked", "labels", "synctest", "forms", "crash", "leaked", "cgo", "goroutine-profile", "goroutineleak-profile", "generic"},
	}
)

// genericProgram prints the dump of a goroutine blocked in a generic method
// of a generic type, which Go 1.27 prints as "main.(*box[...]).wait[...]".
const genericProgram = `package main

import (
	"os"
	"runtime"
	"strings"
	"time"
)

type box[T any] struct{ v T }

func (b *box[T]) wait[U any](ch chan U) { <-ch }

func main() {
	go (&box[int]{}).wait(make(chan string))
	buf := make([]byte, 1<<20)
	for {
		dump := string(buf[:runtime.Stack(buf, true)])
		if strings.Contains(dump, "[chan receive]") {
			os.Stdout.WriteString(dump)
			return
		}
		time.Sleep(time.Millisecond)
	}
}
`

// release returns the running Go's release, "go1.26" for "go1.26.8".
func release() string {
	v := runtime.Version()
	if i := strings.IndexByte(v, '.'); i >= 0 {
		if j := strings.IndexByte(v[i+1:], '.'); j >= 0 {
			return v[:i+1+j]
		}
	}
	return v
}

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

// fixtureLabels are the labels of fixtureLabelled: a key and value Go 1.27
// prints bare, one it must quote, an empty key and value, and bytes that
// are not UTF-8.
var fixtureLabels = map[string]string{
	"custody.id": "7", "note": escapedLabel, "punct": punctLabel,
	"": "", "bytes": badUTF8, "unicode name": "日本",
}

func fixtureLabelled(ctx context.Context, ch chan struct{}) {
	var kv []string
	for k, v := range fixtureLabels {
		kv = append(kv, k, v)
	}
	pprof.Do(ctx, pprof.Labels(kv...), func(context.Context) {
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

// generate captures the running release's dumps.
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

	debug := "GODEBUG=tracebackancestors=2,tracebacklabels=1"
	out["forms"] = runProgram(t, "forms", nil, debug)
	crash := runProgram(t, "forms", []string{"crash"}, debug, "GOTRACEBACK=system")
	out["crash"] = crash[bytes.Index(crash, []byte("\ngoroutine "))+1:]
	var experiment []string
	if release() == "go1.26" {
		experiment = []string{"GOEXPERIMENT=goroutineleakprofile"}
	}
	env := append(experiment, "GODEBUG=tracebacklabels=1")
	out["leaked"] = runProgram(t, "leak", []string{"goroutineleak", "2"}, env...)
	out["goroutineleak-profile"] = runProgram(t, "leak", []string{"goroutineleak", "1"}, env...)
	out["goroutine-profile"] = runProgram(t, "leak", []string{"goroutine", "1"}, env...)
	out["cgo"] = runProgram(t, "cgo", nil)
	if release() != "go1.26" {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module generic\n\ngo 1.27\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(genericProgram), 0o644))
		out["generic"] = runProgram(t, dir, nil)
	}
	return out
}

// runProgram builds testdata/name, or the module in the directory name if
// it is absolute, with the running Go release and the environment env, runs
// it with args and env, and returns what it wrote to standard output, or to
// standard error if it crashed.
func runProgram(t *testing.T, name string, args []string, env ...string) []byte {
	t.Helper()
	env = append(os.Environ(), append(env, "GOTOOLCHAIN="+runtime.Version())...)
	bin := filepath.Join(t.TempDir(), "prog")
	build := exec.Command("go", "build", "-o", bin, "./testdata/"+name)
	if filepath.IsAbs(name) {
		build = exec.Command("go", "build", "-o", bin, ".")
		build.Dir = name
	}
	build.Env = env
	b, err := build.CombinedOutput()
	require.NoError(t, err, "%s", b)
	var stdout, stderr bytes.Buffer
	run := exec.Command(bin, args...)
	run.Env, run.Stdout, run.Stderr = env, &stdout, &stderr
	if err := run.Run(); err != nil {
		require.Contains(t, stderr.String(), "\ngoroutine ", "%s %v: %v", name, args, err)
		return stderr.Bytes()
	}
	return stdout.Bytes()
}

// golden is the JSON form of a parsed goroutine; Full is checked apart.
type golden struct {
	ID        uint64
	State     string
	Wait      string   `json:",omitempty"`
	Durable   bool     `json:",omitempty"`
	Leaked    bool     `json:",omitempty"`
	Bubble    uint64   `json:",omitempty"`
	Locked    bool     `json:",omitempty"`
	Labels    []string `json:",omitempty"` // `"key": "value"`, quoted by Go: JSON would lose bytes that are not UTF-8
	Frames    []stack.Frame
	CreatedBy *stack.Frame `json:",omitempty"`
	ParentID  uint64       `json:",omitempty"`
	Err       string       `json:",omitempty"`
}

func toGolden(gs []stack.Goroutine) []byte {
	var out []golden
	for _, g := range gs {
		j := golden{ID: g.ID, State: g.State, Durable: g.Durable, Leaked: g.Leaked, Bubble: g.Bubble,
			Locked: g.Locked, Frames: g.Frames, ParentID: g.ParentID}
		for k, v := range g.Labels {
			j.Labels = append(j.Labels, fmt.Sprintf("%q: %q", k, v))
		}
		slices.Sort(j.Labels)
		if g.Labels != nil && j.Labels == nil {
			j.Labels = []string{} // labels printed as {}
		}
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
		require.Contains(t, releases, release(), "a release without golden dumps: add it to releases")
		for name, dump := range generate(t) {
			require.NotEmpty(t, dump, name)
			require.NoError(t, os.WriteFile(filepath.Join("testdata", release(), name+".txt"), dump, 0o644))
		}
	}
	files := []string{filepath.Join("testdata", "handwritten.txt"), filepath.Join("testdata", "handwritten127.txt")}
	for _, r := range releases {
		for _, d := range dumps[r] {
			files = append(files, filepath.Join("testdata", r, d+".txt"))
		}
	}
	all, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join("testdata", "go1.*", "*.txt"))
	require.NoError(t, err)
	assert.ElementsMatch(t, files, append(all, more...), "the dumps in testdata")
	for _, file := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(file), "testdata/"), ".txt")
		t.Run(name, func(t *testing.T) {
			dump, err := os.ReadFile(file)
			require.NoError(t, err)
			goldenFile := strings.TrimSuffix(file, ".txt") + ".golden"
			if strings.HasSuffix(name, "-profile") {
				recs, err := stack.ParseProfile(dump)
				require.NoError(t, err)
				got, err := json.MarshalIndent(recs, "", "\t")
				require.NoError(t, err)
				if *update {
					require.NoError(t, os.WriteFile(goldenFile, append(got, '\n'), 0o644))
				}
				want, err := os.ReadFile(goldenFile)
				require.NoError(t, err)
				assert.Equal(t, string(want), string(got)+"\n")
				return
			}
			gs, err := stack.Parse(dump)
			require.NoError(t, err)
			got := toGolden(gs)
			if *update {
				require.NoError(t, os.WriteFile(goldenFile, got, 0o644))
			}
			want, err := os.ReadFile(goldenFile)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))

			var fulls []string
			for _, g := range gs {
				assert.NoError(t, g.Err, "goroutine %d", g.ID)
				fulls = append(fulls, g.Full)
			}
			assert.Equal(t, string(dump), strings.Join(fulls, "\n"), "the Full texts put together")
		})
	}
}

// find returns the only goroutine with a frame that runs fn exactly.
func find(t *testing.T, gs []stack.Goroutine, fn string) stack.Goroutine {
	t.Helper()
	found := findAll(gs, fn)
	require.Len(t, found, 1, "goroutines running %s", fn)
	return found[0]
}

// findAll returns the goroutines with a frame that runs fn exactly.
func findAll(gs []stack.Goroutine, fn string) []stack.Goroutine {
	var found []stack.Goroutine
	for _, g := range gs {
		if slices.ContainsFunc(g.Frames, func(f stack.Frame) bool { return f.Func == fn }) {
			found = append(found, g)
		}
	}
	return found
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
	for _, r := range releases {
		t.Run(r, func(t *testing.T) { testGoldenMeaning(t, r) })
	}
}

func testGoldenMeaning(t *testing.T, release string) {
	t.Run("blocked", func(t *testing.T) {
		gs := parseFile(t, release+"/blocked")
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
		gs := parseFile(t, release+"/labels")
		want := maps.Clone(fixtureLabels)
		if release == "go1.26" {
			want["bytes"] = "\uFFFD" // Go 1.26 prints what is not UTF-8 as U+FFFD
		}
		parent := find(t, gs, pkg+"fixtureLabelled")
		assert.Equal(t, want, parent.Labels)
		child := find(t, gs, pkg+"fixtureChild")
		assert.Equal(t, want, child.Labels)
		assert.Equal(t, parent.ID, child.ParentID)
		assert.Equal(t, pkg+"fixtureLabelled.func1", child.CreatedBy.Func)
		header, _, _ := strings.Cut(child.Full, "\n")
		if release == "go1.26" {
			assert.Contains(t, header, ` labels:{"": "", `)
		} else {
			assert.Contains(t, header, `] {: , bytes: "\xff", custody.id: 7, `)
		}
	})
	t.Run("cgo", func(t *testing.T) {
		gs := parseFile(t, release+"/cgo")
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
		gs := parseFile(t, release+"/synctest")
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
	t.Run("leaked", func(t *testing.T) {
		gs := parseFile(t, release+"/leaked")
		for fn, state := range map[string]string{
			"main.leakRecv.func1":      "chan receive",
			"main.leakSelect.func1":    "select",
			"main.leakWaitGroup.func1": "sync.WaitGroup.Wait",
		} {
			g := find(t, gs, fn)
			assert.True(t, g.Leaked, fn)
			assert.Equal(t, state, g.State, fn)
			assert.Nil(t, g.Labels, fn)
		}
		assert.False(t, find(t, gs, "main.blockLive").Leaked, "blocked on a reachable channel")
		sends := findAll(gs, "main.leakSend.func1")
		require.Len(t, sends, 3)
		names := map[string]int{}
		for _, g := range sends {
			assert.True(t, g.Leaked)
			assert.Equal(t, "chan send", g.State)
			names[g.Labels["custody.id"]+" "+g.Labels["custody.name"]]++
		}
		assert.Equal(t, map[string]int{`12 worker "one", {a}`: 2, "13 worker two": 1}, names)
	})
	t.Run("forms", func(t *testing.T) {
		gs := parseFile(t, release+"/forms")
		deep := find(t, gs, "main.blockedDeep")
		assert.Contains(t, deep.Full, " frames elided...\n")
		assert.Len(t, deep.Frames, 100, "50 innermost and 50 outermost frames")

		spawner := find(t, gs, "main.spawnDeep")
		child := find(t, gs, "main.child")
		assert.Equal(t, spawner.ID, child.ParentID)
		assert.Equal(t, "main.spawnDeep.func1", child.CreatedBy.Func)
		assert.Contains(t, child.Full, "\n...additional frames elided...\n")
		assert.Contains(t, child.Full, fmt.Sprintf("\n[originating from goroutine %d]:\n", spawner.ID))
		assert.Equal(t, []string{"main.child"}, funcs(child.Frames), "ancestors are not frames")

		assert.Equal(t, "syscall", find(t, gs, "main.inSyscall").State)
		labelled := find(t, gs, "main.labelled")
		assert.Equal(t, map[string]string{"custody.id": "3", "custody.name": "forms"}, labelled.Labels)
	})
	t.Run("generic", func(t *testing.T) {
		if release == "go1.26" {
			t.Skip("Go 1.26 has no generic methods")
		}
		gs := parseFile(t, release+"/generic")
		g := find(t, gs, "main.(*box[...]).wait[...]")
		assert.Equal(t, "chan receive", g.State)
		assert.Equal(t, "main.main", g.CreatedBy.Func)
	})
	t.Run("crash", func(t *testing.T) {
		gs := parseFile(t, release+"/crash")
		assert.Equal(t, "panic", gs[0].Top().Func)
		assert.Equal(t, "runtime.goexit", gs[0].Frames[len(gs[0].Frames)-1].Func)
		assert.Contains(t, gs[0].Full, " gp=0x")
		assert.Contains(t, gs[0].Full, " fp=0x")
		g := find(t, gs, "main.child")
		assert.Equal(t, "runtime.gopark", g.Top().Func, "runtime frames are shown")
		assert.NotEmpty(t, findAll(gs, "runtime.forcegchelper"), "the runtime's own goroutines are shown")
		assert.Equal(t, map[string]string{"custody.id": "3", "custody.name": "forms"}, find(t, gs, "main.labelled").Labels)
	})
}

func funcs(frames []stack.Frame) []string {
	var out []string
	for _, f := range frames {
		out = append(out, f.Func)
	}
	return out
}

// TestParseTruncated cuts real dumps as a too small runtime.Stack buffer
// does, at every byte near a line end and at every 7th byte elsewhere:
// Parse must accept every cut after the first line and return a prefix of
// the full parse.
func TestParseTruncated(t *testing.T) {
	for _, r := range releases {
		for _, name := range []string{"blocked", "cgo", "labels", "leaked"} {
			t.Run(r+"/"+name, func(t *testing.T) { testParseTruncated(t, r+"/"+name) })
		}
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
