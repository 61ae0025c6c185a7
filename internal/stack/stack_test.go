package stack_test

import (
	"context"
	"errors"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/internal/stack"
)

func TestParseHeader(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   stack.Goroutine
	}{
		{"goroutine 1 [running]:", stack.Goroutine{ID: 1, State: "running"}},
		{"goroutine 7 [chan receive (nil chan)]:", stack.Goroutine{ID: 7, State: "chan receive (nil chan)"}},
		{"goroutine 7 [chan receive (durable), synctest bubble 3]:", stack.Goroutine{ID: 7, State: "chan receive", Durable: true, Bubble: 3}},
		{"goroutine 7 [sleep (durable), synctest bubble 3]:", stack.Goroutine{ID: 7, State: "sleep", Durable: true, Bubble: 3}},
		{"goroutine 7 [select (leaked), 90 minutes]:", stack.Goroutine{ID: 7, State: "select", Leaked: true, Wait: 90 * time.Minute}},
		{"goroutine 7 [GC worker (idle) (scan), locked to thread]:", stack.Goroutine{ID: 7, State: "GC worker (idle)", Locked: true}},
		{"goroutine 7 gp=0xc000002380 m=nil [semacquire]:", stack.Goroutine{ID: 7, State: "semacquire"}},
		{`goroutine 7 [select labels:{"k": "v"}]:`, stack.Goroutine{ID: 7, State: "select", Labels: map[string]string{"k": "v"}}},
		// Escapes as in the runtime's TestTracebackGoroutineLabels.
		{
			`goroutine 7 [select labels:{"fiz\\zl\re": "\U00045678boop", "fizzle": "b\x1bit", "foo\"ba\x00r": "\u1234\u03a3\n"}]:`,
			stack.Goroutine{ID: 7, State: "select", Labels: map[string]string{
				"fiz\\zl\re": "\U00045678boop", "fizzle": "b\x1bit", "foo\"ba\x00r": "\u1234Σ\n",
			}},
		},
		// Go 1.27: labels after the brackets, quoted only where needed.
		{`goroutine 63 [running] {custody.id: 12, custody.name: "live \"one\""}:`, stack.Goroutine{ID: 63, State: "running",
			Labels: map[string]string{"custody.id": "12", "custody.name": `live "one"`}}},
		{
			`goroutine 7 [select (leaked), 90 minutes, locked to thread, synctest bubble 3] {"a, b": "}]:", "k\xff": "\u03a3", a/b_c.d: X9}:`,
			stack.Goroutine{ID: 7, State: "select", Leaked: true, Wait: 90 * time.Minute, Locked: true, Bubble: 3,
				Labels: map[string]string{"a, b": "}]:", "k\xff": "Σ", "a/b_c.d": "X9"}},
		},
		{`goroutine 7 [select] {k: " labels:{\"a\": \"b\"}]:"}:`, stack.Goroutine{ID: 7, State: "select", Labels: map[string]string{"k": ` labels:{"a": "b"}]:`}}},
		{`goroutine 7 [select] {: , k: }:`, stack.Goroutine{ID: 7, State: "select", Labels: map[string]string{"": "", "k": ""}}},
		{`goroutine 7 gp=0xc000002380 m=nil [semacquire] {k: v}:`, stack.Goroutine{ID: 7, State: "semacquire", Labels: map[string]string{"k": "v"}}},
	} {
		t.Run(tt.header, func(t *testing.T) {
			dump := tt.header + "\nmain.f(...)\n\t/x/main.go:3\n"
			gs, err := stack.Parse([]byte(dump))
			require.NoError(t, err)
			require.Len(t, gs, 1)
			tt.want.Frames = []stack.Frame{{Func: "main.f", File: "/x/main.go", Line: 3}}
			tt.want.Full = dump
			if tt.want.Labels != nil {
				tt.want.LabelsFrom = stack.LabelsDump
			}
			assert.Equal(t, tt.want, gs[0])
		})
	}
}

func TestParseFuncNames(t *testing.T) {
	for line, want := range map[string]string{
		"main.main()":                             "main.main",
		"a/b.(*T).M(0xc000010000, {0x1, 0x2})":    "a/b.(*T).M",
		"a/b.F[...](...)":                         "a/b.F[...]",
		"a/b.(*Map[...]).Load(0x0?)":              "a/b.(*Map[...]).Load",
		"a/b.F.func1.2()":                         "a/b.F.func1.2",
		"a/b.F.gowrap1()":                         "a/b.F.gowrap1",
		"panic({0x4a2b60?, 0xc000012345?})":       "panic",
		"gopkg.in/yaml%2ev3.(*parser).parse(...)": "gopkg.in/yaml%2ev3.(*parser).parse",
	} {
		gs, err := stack.Parse([]byte("goroutine 1 [running]:\n" + line + "\n\t/x.go:1 +0x1\n"))
		require.NoError(t, err, line)
		assert.Equal(t, want, gs[0].Top().Func, "Parse(%q)", line)
	}
}

func TestParseErrors(t *testing.T) {
	for _, dump := range []string{
		"hello\n",
		"panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/x.go:1\n",
		"goroutine x [running]:\n",
		"goroutine 1 running\n",
		"goroutine 1 [running]\n",
		"goroutine 1 [running, 3 hours]:\n",
		"goroutine 1 [select labels:{k: v}]:\n",
		`goroutine 1 [select labels:{"k": "v"]:` + "\n",
		`goroutine 1 [select labels:{"k": "\q"}]:` + "\n",
		"goroutine 1 [running]:\nmain.main()\n\t/x.go:1\n\ngoroutine 2 [a, b]:\n",
		"goroutine 1 [running] {k: v}\n",
		"goroutine 1 [running]{k: v}:\n",
		"goroutine 1 [running] {k v}:\n",
		"goroutine 1 [running] {k: v]:\n",
		"goroutine 1 [running] {k: v, }:\n",
		"goroutine 1 [running] {k: v}: \n",
		"goroutine 1 [running] {k: v} {k: v}:\n",
		`goroutine 1 [running] {k: "v}:` + "\n",
		`goroutine 1 [running labels:{"k": "v"}] {k: v}:` + "\n",

		"goroutine 1 [running]:\nmain.main()\n\t/x.go:1\n\nafter\n",
	} {
		_, err := stack.Parse([]byte(dump))
		require.Error(t, err, "Parse(%q)", dump)
		assert.True(t, strings.HasPrefix(err.Error(), "stack: "), err.Error())
		var se *stack.SyntaxError
		assert.True(t, errors.As(err, &se), "Parse(%q) = %v, want a *SyntaxError", dump, err)
	}

	for _, dump := range []string{"", "\n\n", "goroutine 1 [run"} {
		_, err := stack.Parse([]byte(dump))
		assert.ErrorIs(t, err, stack.ErrNoGoroutine, "Parse(%q)", dump)
	}

	_, err := stack.Parse([]byte(`goroutine 1 [select labels:{"k": "\q"}]:` + "\n"))
	var se *stack.SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 1, se.Line)
	assert.NotNil(t, errors.Unwrap(err))
}

// TestParseUnreadableBlock checks that a line below a readable header that
// Parse cannot read costs that goroutine's frames from there on, not the
// dump.
func TestParseUnreadableBlock(t *testing.T) {
	const (
		good   = "goroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n"
		parent = "created by main.start in goroutine 1\n\t/x.go:9 +0x2\n"
		frame  = "main.f()\n\t/x.go:2\n"
	)
	for _, tt := range []struct {
		name, block string
		line        int // of the error, in the block
		frames      int // frames before the error
		parent      bool
	}{
		{"tab line", "\t/x.go:1\n" + frame + parent, 2, 0, true},
		{"call after call", frame + "main.g()\nmain.h()\n\t/x.go:3\n" + parent, 5, 1, true},
		{"blank after call", frame + "main.g()\n", 5, 1, false},
		{"no line number", "main.g()\n\tno line number\n" + parent, 3, 0, true},
		{"not a call", "not a call\n\t/x.go:1\n" + parent, 2, 0, true},
		{"bad created by", frame + "created by \n\t/x.go:1\n", 4, 1, false},
		{"created by under a call", "main.g()\n" + parent, 3, 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			block := "goroutine 7 [select, 3 minutes]:\n" + tt.block
			dump := good + "\n" + block + "\n" + good
			gs, err := stack.Parse([]byte(dump))
			require.NoError(t, err)
			require.Len(t, gs, 3)
			for _, g := range []stack.Goroutine{gs[0], gs[2]} {
				assert.NoError(t, g.Err)
				assert.Equal(t, good, g.Full)
			}
			g := gs[1]
			var se *stack.SyntaxError
			require.ErrorAs(t, g.Err, &se)
			assert.Equal(t, 4+tt.line, se.Line, "the line in the dump: %v", se)
			assert.Equal(t, uint64(7), g.ID)
			assert.Equal(t, "select", g.State)
			assert.Len(t, g.Frames, tt.frames)
			if tt.parent {
				assert.Equal(t, stack.Frame{Func: "main.start", File: "/x.go", Line: 9}, g.CreatedBy)
				assert.Equal(t, uint64(1), g.ParentID)
			} else {
				assert.Zero(t, g.CreatedBy)
			}
			assert.Equal(t, block, g.Full, "the block as dumped")
		})
	}
}

// TestAllPanicsOnOwnBlock checks that All and Current fail loudly when the
// caller's own block, plain Go code, cannot be read: that is a format this
// package does not know, not one goroutine in an odd state.
func TestAllPanicsOnOwnBlock(t *testing.T) {
	good := "goroutine 1 [running]:\nmain.main()\n\t/x.go:1\n"
	bad := "goroutine 2 [select]:\nmain.f()\n\tsomething new\n"
	assert.PanicsWithError(t, `stack: line 3: want a file line: "\tsomething new"`, func() {
		stack.ParseOwn([]byte(bad + "\n" + good))
	})
	var gs []stack.Goroutine
	require.NotPanics(t, func() { gs = stack.ParseOwn([]byte(good + "\n" + bad)) })
	require.Len(t, gs, 2)
	assert.NoError(t, gs[0].Err)
	assert.Error(t, gs[1].Err)
}

// TestParseCgoFrames checks the C frames that a cgo symbolizer describes,
// printed as runtime.printOneCgoTraceback prints them: the name line as the
// symbolizer wrote it (or "non-Go function"), then a tab, "file:line " if
// known, and the pc.
func TestParseCgoFrames(t *testing.T) {
	for _, tt := range []struct {
		lines string
		want  []stack.Frame
	}{
		{"c_entry\n\t/src/lib/entry.c:12 pc=0x7f3a2c001234\n", []stack.Frame{{Func: "c_entry", File: "/src/lib/entry.c", Line: 12}}},
		{"c_entry\n\tpc=0x7f3a2c001234\n", []stack.Frame{{Func: "c_entry"}}},
		{"non-Go function\n\t/src/lib/anon.c:7 pc=0x1002\n", []stack.Frame{{File: "/src/lib/anon.c", Line: 7}}},
		{"non-Go function\n\tpc=0x1003\n", nil},
		{"ns::outer(int)\n\t/src/lib/outer.cc:40 pc=0x1004\n", []stack.Frame{{Func: "ns::outer(int)", File: "/src/lib/outer.cc", Line: 40}}},
		{"c_f(int, char*)\n\tpc=0x1004\n", []stack.Frame{{Func: "c_f(int, char*)"}}},
		{"C:\\lib\\x.c f\n\tC:\\lib\\x.c:5 pc=0x1\n", []stack.Frame{{Func: "C:\\lib\\x.c f", File: "C:\\lib\\x.c", Line: 5}}},
		// unsymbolized, as before
		{"non-Go function at pc=0x7f0e4c2d1a2b\n", nil},
	} {
		head := "goroutine 9 [chan receive, locked to thread]:\nmain.GoBlock(...)\n\t/x/main.go:22\n"
		tail := "main._Cfunc_c_block()\n\t_cgo_gotypes.go:58 +0x3a\n"
		for _, dump := range []string{head + tt.lines + tail, head + tt.lines} {
			gs, err := stack.Parse([]byte(dump))
			require.NoError(t, err, dump)
			require.Len(t, gs, 1)
			require.NoError(t, gs[0].Err, dump)
			want := append([]stack.Frame{{Func: "main.GoBlock", File: "/x/main.go", Line: 22}}, tt.want...)
			if strings.HasSuffix(dump, tail) {
				want = append(want, stack.Frame{Func: "main._Cfunc_c_block", File: "_cgo_gotypes.go", Line: 58})
			}
			assert.Equal(t, want, gs[0].Frames, "Parse(%q)", dump)
		}
	}

	// A C name at the end of the input is cut off, like a Go call.
	dump := "goroutine 9 [running]:\nmain.f()\n\t/x.go:1\nc_entry\n"
	gs, err := stack.Parse([]byte(dump))
	require.NoError(t, err)
	require.NoError(t, gs[0].Err)
	assert.Equal(t, []stack.Frame{{Func: "main.f", File: "/x.go", Line: 1}}, gs[0].Frames)
	assert.Equal(t, strings.TrimSuffix(dump, "c_entry\n"), gs[0].Full)

	// A name line followed by anything but a file line is not a frame.
	gs, err = stack.Parse([]byte("goroutine 9 [running]:\nc_entry\nmain.f()\n\t/x.go:1\n"))
	require.NoError(t, err)
	var se *stack.SyntaxError
	require.ErrorAs(t, gs[0].Err, &se)
	assert.Equal(t, 2, se.Line)
	assert.Equal(t, `stack: line 2: want a function call: "c_entry"`, se.Error())
}

func TestHas(t *testing.T) {
	g := stack.Goroutine{Frames: []stack.Frame{{Func: "a/b.F.func1"}, {Func: "a/b.G[...]"}, {Func: "a/b.(*T).M"}}}
	for name, want := range map[string]bool{
		"a/b.F":       true,
		"a/b.F.func1": true,
		"a/b.G":       true,
		"a/b.(*T).M":  true,
		"a/b":         true,
		"a/b.Fo":      false,
		"a/b.F.func":  false,
		"a/b.(*T).":   false,
		"a/bc":        false,
		"x.F":         false,
	} {
		assert.Equal(t, want, g.Has(name), "Has(%q)", name)
	}
	assert.Equal(t, stack.Frame{Func: "a/b.F.func1"}, g.Top())
	assert.Zero(t, stack.Goroutine{}.Top())
}

// liveBlocked is started by liveParent and waits with labels for the test.
func liveBlocked(ready chan<- uint64, release <-chan struct{}) {
	ready <- stack.Current().ID
	<-release
}

func liveParent(ctx context.Context, ready chan<- uint64, release <-chan struct{}) {
	pprof.Do(ctx, pprof.Labels("custody.id", "12", "custody.name", "live \"one\""), func(context.Context) {
		go liveBlocked(ready, release)
	})
	ready <- stack.Current().ID
	<-release
}

func TestAll(t *testing.T) {
	t.Setenv("GODEBUG", "tracebacklabels=1")
	ready := make(chan uint64)
	release := make(chan struct{})
	defer close(release)
	go liveParent(t.Context(), ready, release)
	ids := map[uint64]bool{<-ready: true, <-ready: true}

	var child stack.Goroutine
	for !child.Has(pkg + "liveBlocked") {
		// Wait until the child is parked in <-release.
		for _, g := range stack.All() {
			if g.Has(pkg+"liveBlocked") && g.State == "chan receive" {
				child = g
			}
		}
	}
	parentID := child.ParentID
	assert.True(t, ids[child.ID], "child %d among %v", child.ID, ids)
	assert.True(t, ids[parentID], "parent %d among %v", parentID, ids)
	assert.NotEqual(t, child.ID, parentID)
	assert.Equal(t, map[string]string{"custody.id": "12", "custody.name": "live \"one\""}, child.Labels)
	assert.Equal(t, pkg+"liveParent.func1", child.CreatedBy.Func)
	assert.Equal(t, pkg+"liveBlocked", child.Top().Func)

	gs := stack.All()
	assert.Equal(t, stack.Current().ID, gs[0].ID, "the caller comes first")
	assert.Equal(t, pkg+"TestAll", gs[0].Top().Func)
}

func TestCurrent(t *testing.T) {
	g := stack.Current()
	assert.NotZero(t, g.ID)
	assert.Equal(t, "running", g.State)
	assert.Equal(t, pkg+"TestCurrent", g.Top().Func)
	assert.True(t, g.Has(pkg+"TestCurrent"))
	assert.Equal(t, "testing.(*T).Run", g.CreatedBy.Func)
	assert.NotZero(t, g.ParentID)
	assert.True(t, strings.HasPrefix(g.Full, "goroutine "), g.Full)
}
