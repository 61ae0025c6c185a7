package oracle

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/internal/stack"
)

// global is the oracle's process-wide state: its one sink, made at first
// use and kept, and how many checked tests hold it installed. Between
// checked tests the sink is not installed, so tests and benchmarks of off
// mode run off even under VerifyTestMain.
var global struct {
	mu      sync.Mutex
	refs    int
	sink    *sink
	restore func()
	checked map[TB]bool
}

// theSink returns the oracle's sink, installed or not.
func theSink() *sink {
	global.mu.Lock()
	defer global.mu.Unlock()
	if global.sink == nil {
		global.sink = newSink()
	}
	return global.sink
}

// acquire installs the sink if no one holds it yet and returns it.
func acquire() *sink {
	s := theSink()
	global.mu.Lock()
	defer global.mu.Unlock()
	if global.refs == 0 {
		enableTracebackLabels()
		global.restore = spine.Install(s, core.Verify, 0)
	}
	global.refs++
	return s
}

// release uninstalls the sink when its last holder lets go.
func release() {
	global.mu.Lock()
	defer global.mu.Unlock()
	global.refs--
	if global.refs == 0 {
		global.restore()
		global.restore = nil
	}
}

// enableTracebackLabels makes goroutine dumps show pprof labels, through
// which the oracle maps goroutines to their owners. The runtime rereads
// GODEBUG when the environment variable changes.
//
// The change stays in the process's environment, and so reaches the
// processes tests start.
func enableTracebackLabels() {
	v := os.Getenv("GODEBUG")
	if strings.Contains(v, "tracebacklabels=") {
		return
	}
	if v != "" {
		v += ","
	}
	os.Setenv("GODEBUG", v+"tracebacklabels=1")
}

// A test is what the sink knows of one checked test.
type test struct {
	root     *custody.Goroutine
	cfg      *config
	findings []finding
	checker  uint64 // the runtime ID of the goroutine that called Check
}

// owned is what the sink knows of a running owned goroutine.
type owned struct {
	g      *custody.Goroutine
	done   time.Time // when its context was done; zero if not yet
	doneBy error
}

// sink is the oracle's custody.Sink: it keeps the records the verdicts need.
type sink struct {
	mu       sync.Mutex
	tests    map[uint64]*test              // by root ID
	records  map[uint64]*custody.Goroutine // records seen, until their goroutine exits or their test's verdict
	gone     map[uint64]*custody.Goroutine // the parent record of each exited owned goroutine of a running or leaky test
	leaky    map[uint64]bool               // roots whose verdict reported leaks
	live     map[uint64]*owned             // owned goroutines still running
	finished map[uint64]bool               // roots whose verdict is given
	adopted  map[uint64]*custody.Goroutine // test roots by the ID of an owned goroutine started on a test's goroutine with another identity
	orphans  []finding                     // findings no test could be found for
	reported map[uint64]bool               // runtime IDs of goroutines a verdict reported as leaked, or ignored (IgnoreTopFunction)
	leaked   map[uint64]bool               // record IDs of owned goroutines a verdict reported as leaked, or ignored
	mainRuns int                           // VerifyTestMain calls running: they report orphans
}

func newSink() *sink {
	return &sink{
		tests:    map[uint64]*test{},
		records:  map[uint64]*custody.Goroutine{},
		gone:     map[uint64]*custody.Goroutine{},
		leaky:    map[uint64]bool{},
		live:     map[uint64]*owned{},
		finished: map[uint64]bool{},
		adopted:  map[uint64]*custody.Goroutine{},
		reported: map[uint64]bool{},
		leaked:   map[uint64]bool{},
	}
}

// CancelGrace returns the shortest grace any running test asked for.
func (s *sink) CancelGrace() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d time.Duration
	for _, t := range s.tests {
		if d == 0 || t.cfg.grace < d {
			d = t.cfg.grace
		}
	}
	if d == 0 {
		d = defaultGrace
	}
	return d
}

// Emit keeps its own frame small and passes on only what each kind needs:
// it runs at the start and end of every owned goroutine, whose stack is
// still small then.
func (s *sink) Emit(_ context.Context, e custody.Event) {
	switch e.Kind {
	case custody.GoroutineSpawned:
		s.spawned(e.Goroutine)
	case custody.GoroutineContextDone:
		s.contextDone(e.Goroutine, e.Time, e.Err)
	case custody.GoroutineExited:
		s.exited(e.Goroutine)
	case custody.GoroutinePanicked, custody.GoroutineIgnoredCancel,
		custody.ChanSendAfterClose, custody.ChanDoubleClose, custody.ChanCloseByNonOwner,
		custody.MapZeroLoaded, custody.MapMutatedAfterStore:
		s.found(&e)
	case custody.ChanHandoff:
		if e.Owner != nil && e.Goroutine != e.Owner {
			s.found(&e) // only the owner may pass a channel on
		}
	}
}

// spawned records the owned goroutine g, which is about to start. One whose
// chain leads to no test's identity (safego.Go given t.Context() rather than
// Check's context, or an application's own identity) is adopted by the test
// whose goroutine starts it, as a raw goroutine started there would belong
// to it: spawned runs on that goroutine, which carries the test's labels.
// The adoption is of g alone, and of what g starts: another test may start
// goroutines with the same identity.
//
//go:noinline
func (s *sink) spawned(g *custody.Goroutine) {
	if g == nil {
		return
	}
	s.mu.Lock()
	root := s.rootOf(g)
	known := s.tests[root.ID] != nil || s.finished[root.ID]
	s.mu.Unlock()
	var by *custody.Goroutine
	if !known {
		by = s.fromLabels(stack.Current().Labels)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remember(g)
	s.live[g.ID] = &owned{g: g}
	if by != nil {
		if r := s.rootOf(by); s.tests[r.ID] != nil {
			s.adopted[g.ID] = r
		}
	}
}

// rootOf returns the identity g belongs to: the test that adopted g or its
// nearest adopted ancestor, else the root of g's parent chain. s.mu must be
// held.
func (s *sink) rootOf(g *custody.Goroutine) *custody.Goroutine {
	for a := g; a != nil; a = a.Parent {
		if t := s.adopted[a.ID]; t != nil {
			return t
		}
	}
	return spine.Root(g)
}

//go:noinline
func (s *sink) contextDone(g *custody.Goroutine, at time.Time, err error) {
	if g == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.live[g.ID]; o != nil {
		o.done, o.doneBy = at, err
	}
}

// exited forgets the record of the owned goroutine g, which is returning,
// keeping only a pointer to its parent while its test runs (or after the
// test leaked): raw goroutines g started may outlive it, and their labels
// name it. A test that starts millions of goroutines so keeps a map entry
// for each (two if the test adopted it), not its record.
//
//go:noinline
func (s *sink) exited(g *custody.Goroutine) {
	if g == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, g.ID)
	if _, ok := s.records[g.ID]; !ok {
		return
	}
	delete(s.records, g.ID)
	if root := s.rootOf(g); s.tests[root.ID] != nil || s.leaky[root.ID] {
		s.gone[g.ID] = g.Parent
	}
}

// remember records g and its ancestors so that labels naming them can be
// mapped back to their test.
func (s *sink) remember(g *custody.Goroutine) {
	for ; g != nil; g = g.Parent {
		if _, ok := s.records[g.ID]; ok {
			return
		}
		s.records[g.ID] = g
	}
}

// found files the finding e under the test it belongs to. It is kept out of
// Emit so that Emit's frame stays small: Emit runs at the end of every owned
// goroutine, whose stack a large frame would make grow.
//
//go:noinline
func (s *sink) found(ev *custody.Event) {
	e := *ev
	g := e.Goroutine
	var labelled *custody.Goroutine
	if g == nil {
		// No record: ask the labels of the goroutine performing the operation.
		labelled = s.fromLabels(stack.Current().Labels)
	}
	f := newFinding(e, labelled)
	if g == nil {
		g = labelled
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if g != nil {
		root := s.rootOf(g)
		if t := s.tests[root.ID]; t != nil {
			t.findings = append(t.findings, f)
			return
		}
		if s.finished[root.ID] {
			if s.leaked[g.ID] && e.Kind == custody.GoroutineIgnoredCancel {
				return // its test's verdict reported the goroutine as leaked, or was told to ignore it
			}
			f.note = "after " + root.Name + " ended"
		}
	}
	if g == nil && s.mainRuns == 0 && len(s.tests) == 1 {
		// Without VerifyTestMain to give a package verdict, the lone
		// checked test is the likeliest owner. With it, the package
		// verdict is the honest place: an unchecked test may be running.
		for _, t := range s.tests {
			f.note = "in a goroutine no record or label names, while " + t.root.Name + " was the only checked test running"
			t.findings = append(t.findings, f)
		}
		return
	}
	if f.note == "" {
		f.note = "by a goroutine no checked test owns"
	}
	s.orphans = append(s.orphans, f)
}

// fromLabels returns the record named by a goroutine's custody.id label.
func (s *sink) fromLabels(labels map[string]string) *custody.Goroutine {
	id, err := strconv.ParseUint(labels[core.LabelID], 10, 64)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.labelled(id, labels)
}

// labelled returns the record with the ID id, which labels name: the
// record itself while its goroutine runs, or after it exited a stand-in
// with the name from the labels and the record's parent. s.mu must be held.
func (s *sink) labelled(id uint64, labels map[string]string) *custody.Goroutine {
	if rec := s.records[id]; rec != nil {
		return rec
	}
	if parent, ok := s.gone[id]; ok {
		return &custody.Goroutine{ID: id, Name: labels[core.LabelName], Parent: parent}
	}
	return nil
}
