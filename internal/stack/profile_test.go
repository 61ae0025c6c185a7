package stack_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/internal/stack"
)

func TestParseProfile(t *testing.T) {
	text := "goroutine profile: total 4\n" +
		"3 @ 0x47f3aa 0x4e3ede 0x4852e1\n" +
		"# labels: {\"\":\"\", \"a\\\":\\\"b\":\"}, {\", \"k\":\"v\\xff\"}\n" +
		"#\t0x4e3edd\tmain.worker[go.shape.struct {}]+0x1d\t\t/my dir/main.go:38\n" +
		"#\t0x4e3f00\n" +
		"#\t0x4e3e24\tmain.main+0x384\t\t\t\tC:/x:y/main.go:100\n" +
		"\n" +
		"1 @ 0x47f3aa\n"
	recs, err := stack.ParseProfile([]byte(text))
	require.NoError(t, err)
	assert.Equal(t, []stack.Record{
		{
			Count:  3,
			Labels: map[string]string{"": "", `a":"b`: "}, {", "k": "v\xff"},
			Frames: []stack.Frame{
				{Func: "main.worker[...]", File: "/my dir/main.go", Line: 38},
				{Func: "main.main", File: "C:/x:y/main.go", Line: 100},
			},
			PCs: []uintptr{0x47f3aa, 0x4e3ede, 0x4852e1},
		},
		{Count: 1, PCs: []uintptr{0x47f3aa}},
	}, recs)
	assert.False(t, recs[0].Parked(), "pcs of another process")

	for _, bad := range []string{
		"",
		"heap profile: 1: 2 [3: 4] @ heap/1048576\n",
		"goroutine profile: total 1\n# labels: {\"k\":\"v\"}\n",
		"goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tf+0x1\t/x.go:1\n# labels: {\"k\":\"v\"}\n",
		"goroutine profile: total 1\n1 @ 0x1\n# labels: {\"k\":\"v\"}\n# labels: {\"k\":\"v\"}\n",
		"goroutine profile: total 1\n1 @ 0x1\n# labels: {k:v}\n",
		"goroutine profile: total 1\n1 @ 0x1\n# labels: {\"k\":\"v\"} x\n",
		"goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tf+0x1\n",
		"goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tf+0x1\t/x.go:one\n",
		"goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tf+0x1\t/x.go\n",
		"goroutine profile: total 1\n#\t0x1\tf+0x1\t/x.go:1\n",
		"goroutine profile: total 1\n1 @ 0xz\n",
		"goroutine profile: total 1\nx @ 0x1\n",
		"goroutine profile: total 1\n1 0x1\n",
		"goroutine profile: total 1\n1 @ 0x1\n1 @ 0x2\n",
	} {
		if bad == "" {
			recs, err := stack.ParseProfile(nil)
			assert.NoError(t, err)
			assert.Empty(t, recs)
			continue
		}
		_, err := stack.ParseProfile([]byte(bad))
		var se *stack.SyntaxError
		require.True(t, errors.As(err, &se), "ParseProfile(%q) = %v, want a *SyntaxError", bad, err)
		assert.True(t, strings.HasPrefix(err.Error(), "stack: line "), err.Error())
	}
}

func TestPrintedName(t *testing.T) {
	for name, want := range map[string]string{
		"main.main":              "main.main",
		"p.F[go.shape.int]":      "p.F[...]",
		"p.F[...]":               "p.F[...]",
		"p.(*T[go.shape.int]).M": "p.(*T[...]).M",
		"p.(*T[go.shape.int]).M[go.shape.string]":            "p.(*T[...]).M[...]",
		"p.F[map[go.shape.string]go.shape.int].func1":        "p.F[...].func1",
		"p.F[go.shape.struct { A int \"json:\\\"a]\\\"\" }]": "p.F[...]",
		"p.F[":         "p.F[",
		"p.F]x":        "p.F]x",
		"p.F[a]]b[":    "p.F[...]b[",
		"p.F[a]]]b[c]": "p.F[a]]]b[c]",
		"p.(*T[a]).M":  "p.(*T[...]).M",
	} {
		assert.Equal(t, want, stack.PrintedName(name), "printedName(%q)", name)
	}
}

func TestSetLabels(t *testing.T) {
	g := func(id, parent uint64, fn string, line int) stack.Goroutine {
		return stack.Goroutine{ID: id, ParentID: parent, Frames: []stack.Frame{
			{Func: fn, File: "/src/x.go", Line: line},
			{Func: "main.run", File: "/src/x.go", Line: 1},
		}}
	}
	rec := func(count int, labels map[string]string, fn string, line int) stack.Record {
		return stack.Record{Count: count, Labels: labels, Frames: []stack.Frame{
			// what the dump hides and the profile does not
			{Func: "runtime.selectgo", File: "/go/src/runtime/select.go", Line: 351},
			{Func: fn, File: "/src/x.go", Line: line},
			{Func: "main.run", File: "/src/x.go", Line: 1},
		}}
	}
	a, b := map[string]string{"n": "a"}, map[string]string{"n": "b"}
	labelled := g(9, 0, "main.f", 5)
	labelled.Labels, labelled.LabelsFrom = map[string]string{"from": "dump"}, stack.LabelsDump

	gs := []stack.Goroutine{
		g(1, 0, "main.parentB", 2), // creator of 4
		g(4, 1, "main.f", 5),       // its creator has b: it goes first
		g(2, 0, "main.f", 5),
		g(3, 0, "main.f", 5),
		g(5, 0, "main.one[...]", 7),
		g(6, 0, "main.one[...]", 7),
		g(7, 0, "main.moved", 8),
		labelled,
		g(10, 0, "main.bare", 9),
		g(11, 0, "main.f", 5),      // one more than the profile had
		g(12, 1, "main.g", 6),      // both created by 1, which has b,
		g(13, 1, "main.g", 6),      // but only one b is left for them
		g(14, 0, "main.spin", 20),  // moved within its function: a's
		g(15, 0, "main.spin2", 20), // moved, and two label sets nearby
		{ID: 16, Frames: []stack.Frame{ // in a call the profile did not see
			{Func: "sync/atomic.(*Bool).Load", File: "/go/src/sync/atomic/type.go", Line: 19},
			{Func: "main.spin3", File: "/src/x.go", Line: 30},
			{Func: "main.run", File: "/src/x.go", Line: 1},
		}},
	}
	stack.SetLabels(gs, []stack.Record{
		rec(1, b, "main.parentB", 2),
		rec(2, a, "main.f", 5),
		rec(1, b, "main.f", 5),
		rec(2, b, "main.one[go.shape.int]", 7), // generic: named as the runtime prints it
		rec(1, b, "main.one[go.shape.int]", 7), // another pc, same line
		rec(1, nil, "main.bare", 9),
		rec(1, a, "main.elsewhere", 9),
		rec(1, b, "main.g", 6),
		rec(1, a, "main.g", 6),
		rec(1, a, "main.spin", 19),
		rec(1, a, "main.spin2", 19),
		rec(1, b, "main.spin2", 21),
		rec(1, b, "main.spin3", 29),
	})
	type got struct {
		labels map[string]string
		from   stack.LabelSource
	}
	var all []got
	for _, g := range gs {
		all = append(all, got{g.Labels, g.LabelsFrom})
	}
	assert.Equal(t, []got{
		{b, stack.LabelsProfile},
		{b, stack.LabelsGuessed},
		{a, stack.LabelsGuessed},
		{a, stack.LabelsGuessed},
		{b, stack.LabelsProfile},
		{b, stack.LabelsProfile},
		{nil, stack.LabelsUnknown},
		{map[string]string{"from": "dump"}, stack.LabelsDump},
		{nil, stack.LabelsProfile},
		{a, stack.LabelsGuessed},
		{b, stack.LabelsGuessed},
		{a, stack.LabelsGuessed},
		{a, stack.LabelsGuessed},
		{nil, stack.LabelsUnknown},
		{b, stack.LabelsGuessed},
	}, all)
	gs[0].Labels["n"] = "changed"
	assert.Equal(t, "b", gs[4].Labels["n"], "each goroutine has its own map")
}
