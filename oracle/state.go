package oracle

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/labels"
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
	tests    map[uint64]*test // by root ID
	finished map[uint64]bool  // roots whose verdict is given
	// records holds the records seen, until their goroutine exits or their
	// test's verdict; gone the parent of each exited owned goroutine of a
	// running test or of one whose verdict left goroutines running (leaked
	// or ignored), whose labels raw goroutines may still carry.
	records shrinking[*custody.Goroutine]
	gone    shrinking[*custody.Goroutine]
	live    shrinking[*owned]             // owned goroutines still running
	adopted shrinking[*custody.Goroutine] // test roots by the ID of an owned goroutine started on a test's goroutine with another identity
	kept    map[uint64]bool               // roots whose verdict left goroutines running: their records stay
	// reported holds the runtime IDs of goroutines a verdict reported or
	// let go, and leaked the record IDs of such owned goroutines, whose
	// later ignored cancellation is no one's finding.
	reported map[uint64]bool
	leaked   map[uint64]bool
	orphans  []finding // findings no test could be found for
	mainRuns int       // VerifyTestMain calls running: they report orphans
}

func newSink() *sink {
	return &sink{
		tests:    map[uint64]*test{},
		finished: map[uint64]bool{},
		kept:     map[uint64]bool{},
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
		by = s.fromLabels(callerIdentity())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remember(g)
	s.live.set(g.ID, &owned{g: g})
	if by != nil {
		if r := s.rootOf(by); s.tests[r.ID] != nil {
			s.adopted.set(g.ID, r)
		}
	}
}

// An identity is what a goroutine's custody labels say.
type identity struct {
	id   uint64
	name string
	ok   bool
}

// callerIdentity returns the calling goroutine's custody labels: read
// directly where internal/labels can, else from a goroutine profile.
func callerIdentity() identity {
	if id, name, ok := labels.Identity(); ok || labels.Readable() {
		return identity{id, name, ok}
	}
	return identityOf(stack.CurrentLabels())
}

// identityOf returns the identity that pprof labels name.
func identityOf(ls map[string]string) identity {
	id, err := strconv.ParseUint(ls[core.LabelID], 10, 64)
	if err != nil {
		return identity{}
	}
	return identity{id, ls[core.LabelName], true}
}

// rootOf returns the identity g belongs to: the test that adopted g or its
// nearest adopted ancestor, else the root of g's parent chain. s.mu must be
// held.
func (s *sink) rootOf(g *custody.Goroutine) *custody.Goroutine {
	for a := g; a != nil; a = a.Parent {
		if t := s.adopted.get(a.ID); t != nil {
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
	if o := s.live.get(g.ID); o != nil {
		o.done, o.doneBy = at, err
	}
}

// exited forgets the record of the owned goroutine g, which is returning,
// keeping only a pointer to its parent while its test runs (or after its
// verdict left goroutines running): raw goroutines g started may outlive
// it, and their labels name it; so may values it stored in a safemap.
//
//go:noinline
func (s *sink) exited(g *custody.Goroutine) {
	if g == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live.del(g.ID)
	if s.records.get(g.ID) == nil {
		return
	}
	s.records.del(g.ID)
	if root := s.rootOf(g); s.tests[root.ID] != nil || s.kept[root.ID] {
		s.gone.set(g.ID, g.Parent)
	}
}

// remember records g and its ancestors so that labels naming them can be
// mapped back to their test.
func (s *sink) remember(g *custody.Goroutine) {
	for ; g != nil; g = g.Parent {
		if s.records.get(g.ID) != nil {
			return
		}
		s.records.set(g.ID, g)
	}
}

// found files the finding e under the test it belongs to: a value mutated
// after it was stored under the test that stored it, any other under the
// test of the goroutine involved. It is kept out of Emit so that Emit's
// frame stays small: Emit runs at the end of every owned goroutine, whose
// stack a large frame would make grow.
//
//go:noinline
func (s *sink) found(ev *custody.Event) {
	e := *ev
	g := e.Goroutine
	var labelled *custody.Goroutine
	if e.Kind == custody.MapMutatedAfterStore && e.Earlier != nil && e.Earlier.Goroutine != nil {
		// The storer, named by the labels it stored with.
		st := e.Earlier.Goroutine
		labelled = s.fromLabels(identity{st.ID, st.Name, true})
		g = labelled
	} else if g == nil {
		// No record: ask the labels of the goroutine performing the operation.
		labelled = s.fromLabels(callerIdentity())
		g = labelled
	}
	f := newFinding(e, labelled)
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

// fromLabels returns the record that an identity from labels names.
func (s *sink) fromLabels(who identity) *custody.Goroutine {
	if !who.ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.labelled(who.id, who.name)
}

// labelled returns the record with the ID id, which labels name: the
// record itself while its goroutine runs, or after it exited a stand-in
// with the name from the labels and the record's parent. s.mu must be held.
func (s *sink) labelled(id uint64, name string) *custody.Goroutine {
	if rec := s.records.get(id); rec != nil {
		return rec
	}
	if parent, ok := s.gone.lookup(id); ok {
		return &custody.Goroutine{ID: id, Name: name, Parent: parent}
	}
	return nil
}

// belongs reports whether the identity id is root's or one under it. s.mu
// must be held.
func (s *sink) belongs(id uint64, root *custody.Goroutine) bool {
	if id == root.ID {
		return true
	}
	g := s.labelled(id, "")
	return g != nil && s.rootOf(g) == root
}

// A shrinking is a map by ID that is made anew when it has shrunk to a
// small part of its peak size: Go maps never give back the memory of
// deleted entries, and one test may start a million goroutines.
type shrinking[V any] struct {
	m    map[uint64]V
	peak int
}

func (m *shrinking[V]) get(id uint64) V { return m.m[id] }

func (m *shrinking[V]) lookup(id uint64) (V, bool) {
	v, ok := m.m[id]
	return v, ok
}

func (m *shrinking[V]) set(id uint64, v V) {
	if m.m == nil {
		m.m = map[uint64]V{}
	}
	m.m[id] = v
	m.peak = max(m.peak, len(m.m))
}

func (m *shrinking[V]) del(id uint64) {
	delete(m.m, id)
	m.shrink()
}

// shrink makes the map anew if it holds less than an eighth of its peak.
func (m *shrinking[V]) shrink() {
	if n := len(m.m); m.peak > 1024 && n < m.peak/8 {
		fresh := make(map[uint64]V, n)
		for k, v := range m.m {
			fresh[k] = v
		}
		m.m, m.peak = fresh, n
	}
}

func (m *shrinking[V]) len() int { return len(m.m) }

// deleteFunc deletes the entries f accepts.
func (m *shrinking[V]) deleteFunc(f func(id uint64, v V) bool) {
	for id, v := range m.m {
		if f(id, v) {
			delete(m.m, id)
		}
	}
	m.shrink()
}
