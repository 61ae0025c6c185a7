package stack_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/internal/stack"
)

// twin blocks; several goroutines run it to have identical stacks.
func twin(wg *sync.WaitGroup, ready chan<- uint64, release <-chan struct{}) {
	defer wg.Done()
	ready <- stack.Current().ID
	<-release
}

// twinParent starts a twin with its own labels, and blocks on one line or
// another: parents can be told apart by their stacks, their twins only by
// their creators.
func twinParent(ctx context.Context, wg *sync.WaitGroup, labels pprof.LabelSet, first bool, ready chan<- uint64, release <-chan struct{}) {
	defer wg.Done()
	pprof.Do(ctx, labels, func(context.Context) {
		wg.Add(1)
		go twin(wg, ready, release)
		if first {
			<-release
		} else {
			<-release
		}
	})
}

// selfLabelled sets its own labels, as safego's goroutines do, and blocks.
func selfLabelled(ctx context.Context, wg *sync.WaitGroup, labels pprof.LabelSet, ready chan<- uint64, release <-chan struct{}) {
	defer wg.Done()
	pprof.SetGoroutineLabels(pprof.WithLabels(ctx, labels))
	ready <- stack.Current().ID
	<-release
}

// quoteLabels has every form a label can take that its printing must escape.
var quoteLabels = pprof.Labels("custody.id", "5", "custody.name", `say "hi", {a: b}`, "bytes", "\xff\x00", "日本 語", "")

// waitParked waits until the goroutines ids are parked in their channel
// receive: the profile must see them where the dump does.
func waitParked(t *testing.T, ids map[uint64]bool) {
	t.Helper()
	for {
		n := 0
		for _, g := range stack.All() {
			if ids[g.ID] && g.State == "chan receive" {
				n++
			}
		}
		if n == len(ids) {
			return
		}
	}
}

func TestLabelled(t *testing.T) {
	t.Setenv("GODEBUG", "tracebacklabels=0")
	ctx := t.Context()
	release := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(release)
	ready := make(chan uint64)

	// Twins whose creators carry their labels, one whose creator does not,
	// goroutines with identical stacks that label themselves, one of them
	// with labels that need every escape.
	want := map[uint64]map[string]string{}
	for i, name := range []string{"a", "b"} {
		wg.Add(1)
		go twinParent(ctx, &wg, pprof.Labels("custody.name", name), i == 0, ready, release)
		want[<-ready] = map[string]string{"custody.name": name}
	}
	var self []map[string]string
	for i := range 3 {
		l := map[string]string{"custody.id": strconv.Itoa(100 + i)}
		self = append(self, l)
		wg.Add(1)
		go selfLabelled(ctx, &wg, pprof.Labels("custody.id", l["custody.id"]), ready, release)
		want[<-ready] = l
	}
	wg.Add(1)
	go selfLabelled(ctx, &wg, quoteLabels, ready, release)
	quoted := <-ready
	want[quoted] = map[string]string{"custody.id": "5", "custody.name": `say "hi", {a: b}`, "bytes": "\xff\x00", "日本 語": ""}
	wg.Add(1)
	go twin(&wg, ready, release)
	bare := <-ready
	want[bare] = nil
	ids := map[uint64]bool{}
	for id := range want {
		ids[id] = true
	}
	waitParked(t, ids)

	var gs []stack.Goroutine
	pprof.Do(ctx, pprof.Labels("caller", "me"), func(context.Context) { gs = stack.Labelled() })
	assert.Equal(t, map[string]string{"caller": "me"}, gs[0].Labels, "the caller's labels")
	assert.Equal(t, stack.LabelsProfile, gs[0].LabelsFrom)
	assert.Equal(t, pkg+"TestLabelled.func1", gs[0].Top().Func)

	var selfGot []map[string]string
	for _, g := range gs {
		l, ok := want[g.ID]
		if !ok {
			continue
		}
		delete(ids, g.ID)
		if g.Has(pkg + "selfLabelled") {
			assert.Equal(t, stack.LabelsGuessed, g.LabelsFrom, "goroutine %d", g.ID)
			selfGot = append(selfGot, g.Labels)
			continue
		}
		// Three twins with identical stacks, told apart by their creators'
		// labels: two creators carry them, the third (the caller) does not
		// carry the one left.
		assert.Equal(t, pkg+"twin", g.Top().Func)
		assert.Equal(t, stack.LabelsGuessed, g.LabelsFrom, "goroutine %d", g.ID)
		assert.Equal(t, l, g.Labels, "goroutine %d, created by %d", g.ID, g.ParentID)
	}
	assert.Empty(t, ids, "goroutines not in the dump")
	// Which self-labelled goroutine has which labels is a guess; how many
	// have each is not.
	assert.ElementsMatch(t, append(self, want[quoted]), selfGot)
}

// TestLabelledUniqueStack checks a goroutine whose stack no other goroutine
// has: its labels, escapes and bytes that are not UTF-8 included, are
// exact.
func TestLabelledUniqueStack(t *testing.T) {
	t.Setenv("GODEBUG", "tracebacklabels=0")
	release := make(chan struct{})
	defer close(release)
	ready := make(chan uint64)
	go pprof.Do(t.Context(), quoteLabels, func(context.Context) {
		ready <- stack.Current().ID
		<-release
	})
	id := <-ready
	waitParked(t, map[uint64]bool{id: true})
	gs := stack.Labelled()
	i := slices.IndexFunc(gs, func(g stack.Goroutine) bool { return g.ID == id })
	require.GreaterOrEqual(t, i, 0)
	assert.Equal(t, stack.LabelsProfile, gs[i].LabelsFrom)
	assert.Equal(t, map[string]string{"custody.id": "5", "custody.name": `say "hi", {a: b}`, "bytes": "\xff\x00", "日本 語": ""}, gs[i].Labels)
	assert.Nil(t, gs[0].Labels, "the caller has none")
}

// TestLabelledGODEBUG runs TestLabelledChild in a child process with the
// user's GODEBUG: Labelled must give the same labels whether the dump
// prints them or not.
func TestLabelledGODEBUG(t *testing.T) {
	for _, godebug := range []string{"tracebacklabels=0", "tracebacklabels=1", ""} {
		t.Run(godebug, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestLabelledChild$", "-test.v")
			cmd.Env = append(os.Environ(), "STACK_TEST_CHILD=1", "GODEBUG="+godebug)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), "--- PASS: TestLabelledChild")
			switch godebug {
			case "tracebacklabels=0":
				assert.Contains(t, string(out), "labels from profile\n")
			case "tracebacklabels=1":
				assert.Contains(t, string(out), "labels from dump\n")
			default: // the default is the main module's go version's
				assert.Regexp(t, `labels from (dump|profile)\n`, string(out))
			}
		})
	}
}

// TestLabelledChild is TestLabelledGODEBUG's child.
func TestLabelledChild(t *testing.T) {
	if os.Getenv("STACK_TEST_CHILD") == "" {
		t.Skip("run by TestLabelledGODEBUG")
	}
	release := make(chan struct{})
	defer close(release)
	ready := make(chan uint64)
	labels := pprof.Labels("custody.id", "9", "custody.name", `child "x"`)
	go pprof.Do(t.Context(), labels, func(context.Context) {
		ready <- stack.Current().ID
		<-release
	})
	id := <-ready
	waitParked(t, map[uint64]bool{id: true})
	var gs []stack.Goroutine
	pprof.Do(t.Context(), pprof.Labels("caller", "me"), func(context.Context) { gs = stack.Labelled() })
	assert.Equal(t, map[string]string{"caller": "me"}, gs[0].Labels)
	i := slices.IndexFunc(gs, func(g stack.Goroutine) bool { return g.ID == id })
	require.GreaterOrEqual(t, i, 0)
	assert.Equal(t, map[string]string{"custody.id": "9", "custody.name": `child "x"`}, gs[i].Labels)
	assert.Equal(t, gs[0].LabelsFrom, gs[i].LabelsFrom)
	t.Logf("labels from %s", gs[i].LabelsFrom)
	header, _, _ := strings.Cut(gs[i].Full, "\n")
	assert.Equal(t, gs[i].LabelsFrom == stack.LabelsDump, strings.Contains(header, "custody.id"), header)
}

func TestProfile(t *testing.T) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(release)
	ready := make(chan uint64)
	for range 3 {
		wg.Add(1)
		go selfLabelled(t.Context(), &wg, pprof.Labels("custody.name", "triplet"), ready, release)
		<-ready
	}
	var recs []stack.Record
	for {
		recs = stack.Profile()
		i := slices.IndexFunc(recs, func(r stack.Record) bool { return r.Has(pkg + "selfLabelled") })
		if i >= 0 && recs[i].Count == 3 && recs[i].Parked() {
			break
		}
	}
	r := recs[slices.IndexFunc(recs, func(r stack.Record) bool { return r.Has(pkg + "selfLabelled") })]
	assert.Equal(t, map[string]string{"custody.name": "triplet"}, r.Labels)
	assert.Equal(t, pkg+"selfLabelled", r.Top().Func)
	assert.NotEmpty(t, r.PCs)
	for _, r := range recs {
		assert.False(t, r.Has(pkg+"TestProfile"), "the caller is left out: %v", r)
	}

	var labels map[string]string
	pprof.Do(t.Context(), pprof.Labels("caller", `"me"`), func(context.Context) { labels = stack.CurrentLabels() })
	assert.Equal(t, map[string]string{"caller": `"me"`}, labels)
	assert.Nil(t, stack.CurrentLabels())
}

// TestLeakProfile runs TestLeakProfileChild in a child process: the
// goroutine it leaks can never exit, and the package's verdict reports it.
func TestLeakProfile(t *testing.T) {
	if _, ok := stack.LeakProfile(); !ok {
		t.Skip("no goroutineleak profile in this runtime")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLeakProfileChild$", "-test.v")
	cmd.Env = append(os.Environ(), "STACK_TEST_CHILD=1")
	out, _ := cmd.CombinedOutput() // the package's verdict fails it
	require.Contains(t, string(out), "--- PASS: TestLeakProfileChild", "%s", out)
	assert.Equal(t, 2, strings.Count(string(out), "blocked in "+pkg+"leakedRecv at"), "the package's verdict: %s", out)
	assert.Equal(t, 2, strings.Count(string(out), "blocked forever: the goroutineleak profile found nothing that can wake it"), "the package's verdict: %s", out)
}

// leakedRecv blocks on a channel nothing else can reach: leaked.
func leakedRecv() { <-make(chan struct{}) }

// liveRecv blocks on a channel its caller can still close: not leaked.
func liveRecv(ch chan struct{}) { <-ch }

// TestLeakProfileChild is TestLeakProfile's child.
func TestLeakProfileChild(t *testing.T) {
	if os.Getenv("STACK_TEST_CHILD") == "" {
		t.Skip("run by TestLeakProfile")
	}
	live := make(chan struct{})
	defer close(live)
	go liveRecv(live)
	go leakedRecv()
	pprof.Do(t.Context(), pprof.Labels("custody.name", `leaker "one"`), func(context.Context) {
		go leakedRecv()
	})
	for start := time.Now(); time.Since(start) < 10*time.Second; {
		recs, ok := stack.LeakProfile()
		require.True(t, ok)
		var got []string
		for _, r := range recs {
			if r.Has(pkg+"leakedRecv") || r.Has(pkg+"liveRecv") {
				got = append(got, fmt.Sprintf("%s %d %v", r.Top().Func, r.Count, r.Labels))
			}
		}
		slices.Sort(got)
		if len(got) == 2 {
			assert.Equal(t, []string{
				pkg + "leakedRecv 1 map[]",
				pkg + `leakedRecv 1 map[custody.name:leaker "one"]`,
			}, got)
			return
		}
	}
	t.Fatal("the goroutineleak profile did not find the leaked goroutines in 10s")
}
