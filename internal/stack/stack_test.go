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
	} {
		t.Run(tt.header, func(t *testing.T) {
			dump := tt.header + "\nmain.f(...)\n\t/x/main.go:3\n"
			gs, err := stack.Parse([]byte(dump))
			require.NoError(t, err)
			require.Len(t, gs, 1)
			tt.want.Frames = []stack.Frame{{Func: "main.f", File: "/x/main.go", Line: 3}}
			tt.want.Full = dump
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
		"goroutine 1 [running]:\n\t/x.go:1\n",
		"goroutine 1 [running]:\nmain.main()\nmain.f()\n",
		"goroutine 1 [running]:\nmain.main()\n\n",
		"goroutine 1 [running]:\nmain.main()\n\tno line number\n",
		"goroutine 1 [running]:\nnot a call\n",
		"goroutine 1 [running]:\ncreated by \n\t/x.go:1\n",
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
