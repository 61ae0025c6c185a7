package oracle

import (
	"bytes"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/mapcheck"
	"github.com/custody-go/custody/internal/stack"
)

// verdict waits for the test's goroutines to exit, then fails t with what
// is left and with the findings filed under the test.
func (s *sink) verdict(t TB, root *custody.Goroutine, cfg *config) {
	t.Helper()
	leaks := s.settle(root, cfg)
	s.mu.Lock()
	alone := len(s.tests) == 1
	s.mu.Unlock()
	if alone {
		// Values mutated after their last operation show only when asked.
		// With tests running in parallel, a mutation found now could be
		// another test's: then the later operations on the key, or
		// VerifyTestMain, report it.
		mapcheck.CheckAll()
	}

	s.mu.Lock()
	tst := s.tests[root.ID]
	delete(s.tests, root.ID)
	s.finished[root.ID] = true
	var fs []finding
	for _, l := range leaks {
		if l.owned != nil {
			if o := s.live[l.owned.g.ID]; o != nil {
				c := *o // the newest context-done time; a copy, as the report is written unlocked
				l.owned = &c
			}
		}
		fs = append(fs, finding{kind: custody.GoroutineLeaked, leak: l})
		s.reported[l.dump.ID] = true
		if l.owned != nil {
			s.leaked[l.owned.g.ID] = true
		}
	}
	fs = append(fs, mergeIgnored(fs, tst.findings)...)
	if s.mainRuns == 0 && len(s.orphans) > 0 {
		fs = append(fs, s.orphans...)
		s.orphans = nil
	}
	if len(leaks) == 0 {
		// Nothing of the test's runs on: its records can go. Those of a
		// test that leaked stay, to name it in what its goroutines do later.
		for id, g := range s.records {
			if s.rootOf(g) == root {
				delete(s.records, id)
				delete(s.live, id)
			}
		}
		for id, parent := range s.gone { // before the adoptions, which rootOf reads
			if s.rootOf(&custody.Goroutine{ID: id, Parent: parent}) == root {
				delete(s.gone, id)
			}
		}
		for id, r := range s.adopted {
			if r == root {
				delete(s.adopted, id)
			}
		}
	} else {
		s.leaky[root.ID] = true
	}
	checker := tst.checker
	s.mu.Unlock()

	if self := stack.Current().ID; checker != self {
		t.Errorf("oracle: Check was called for %s from goroutine %d, not from the test's goroutine (%d): "+
			"the test's goroutine does not carry its labels, so what it started was not watched", t.Name(), checker, self)
	}

	var failed []finding
	for _, f := range fs {
		if cfg.allow[f.kind] {
			t.Logf("oracle: allowed %s:\n%s", f.kind, f)
			continue
		}
		failed = append(failed, f)
	}
	if len(failed) > 0 {
		t.Errorf("%s", formatReport(t.Name(), failed))
	}
	pprof.SetGoroutineLabels(t.Context())
}

// mergeIgnored returns the event findings, folding an ignored-cancellation
// finding into the leak finding of the same goroutine.
func mergeIgnored(leaks, events []finding) []finding {
	var out []finding
	for _, f := range events {
		if f.kind == custody.GoroutineIgnoredCancel && f.who != nil {
			i := slices.IndexFunc(leaks, func(l finding) bool {
				return l.leak.owned != nil && l.leak.owned.g.ID == f.who.ID
			})
			if i >= 0 {
				continue // the leak's block says its context was done
			}
		}
		out = append(out, f)
	}
	return out
}

// settle waits, with a backoff, until no goroutine of the test's is left,
// and returns those left once the settle time has been spent waiting.
// Only time asleep counts: on a loaded machine the dumps themselves can take
// longer than the settle time. Goroutines the goroutineleak profile proves
// blocked forever are not waited for; goroutines that are runnable, or
// inside custody's own reporting, get one more settle time.
func (s *sink) settle(root *custody.Goroutine, cfg *config) []*leak {
	self := stack.Current().ID
	var waited time.Duration
	backoff := 100 * time.Microsecond
	var proven map[uint64]bool
	var profiled time.Time
	for {
		mine := s.belonging(root, self, cfg, sharedDump())
		if len(mine) == 0 {
			return nil
		}
		// The goroutineleak profile runs a full GC: ask it at once, then no
		// more often than every 20ms while unproven goroutines remain.
		if cfg.leakProfile && time.Since(profiled) >= 20*time.Millisecond {
			if p := leakedGoroutines(); p != nil {
				proven, profiled = p, time.Now()
				mine = s.belonging(root, self, cfg, sharedDump()) // the profile's GC may have let some finish
			} else {
				cfg.leakProfile = false // not in this binary
			}
		}
		waiting, busy := false, false
		for _, l := range mine {
			l.proven = proven[l.dump.ID] || l.dump.Leaked
			waiting = waiting || !l.proven
			busy = busy || isBusy(l.dump)
		}
		if !waiting || waited >= 2*cfg.settle || (waited >= cfg.settle && !busy) {
			return mine
		}
		start := time.Now()
		time.Sleep(backoff)
		waited += time.Since(start)
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// isBusy reports whether a goroutine is making progress rather than
// waiting for something that may never come: runnable (on a loaded machine
// it may not have been scheduled yet), or inside custody's own reporting
// (waiting for the oracle's lock or for its context watch to report).
func isBusy(g stack.Goroutine) bool {
	switch g.State {
	case "runnable", "running", "syscall":
		return true
	}
	f, _ := firstFrameOutside(g, runtimeFrames) // past the runtime and sync
	return strings.HasPrefix(f.Func, oraclePkg+"(*sink)") || f.Func == "github.com/custody-go/custody.Emit" ||
		strings.HasPrefix(f.Func, "github.com/custody-go/custody/safego.(*owned)")
}

// dumps lets verdicts that run at once share goroutine dumps: a dump stops
// the world, and with many tests in parallel their dumps would queue. A
// verdict may use only a dump that began after it asked: an older one may
// predate the goroutines it is looking for.
var dumps struct {
	mu      sync.Mutex
	started atomic.Uint64 // dumps begun
	done    uint64        // the number of the dump in gs
	gs      []stack.Goroutine
}

// sharedDump returns a goroutine dump that began after the call did: one a
// concurrent caller took while this one waited for it, or a new one.
func sharedDump() []stack.Goroutine {
	after := dumps.started.Load()
	dumps.mu.Lock()
	defer dumps.mu.Unlock()
	if dumps.done > after {
		return dumps.gs
	}
	n := dumps.started.Add(1)
	dumps.gs, dumps.done = stack.All(), n
	return dumps.gs
}

// belonging returns the goroutines of the dump that the test's identity
// started, directly or transitively, except self and owned goroutines that
// have reported their exit and are on their way out.
func (s *sink) belonging(root *custody.Goroutine, self uint64, cfg *config, all []stack.Goroutine) []*leak {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*leak
	for _, g := range all {
		if g.ID == self || (len(g.Frames) == 0 && g.Err == nil) {
			continue // a goroutine with no frames is on its way out; one the parser could not read is not
		}
		id, err := strconv.ParseUint(g.Labels[core.LabelID], 10, 64)
		if err != nil {
			continue
		}
		rec := s.labelled(id, g.Labels)
		if rec == nil || s.rootOf(rec) != root {
			continue
		}
		if slices.Contains(cfg.ignoreTop, g.Top().Func) {
			// Known to outlive the test: neither a leak nor, when what it
			// reports later arrives, anyone else's finding.
			s.reported[g.ID] = true
			if isOwnedBody(g) {
				s.leaked[id] = true
			}
			continue
		}
		l := &leak{dump: g, labeled: rec, at: now}
		if isOwnedBody(g) {
			// The labels are those of the goroutine's own record once it
			// runs, its parent's until then.
			if o := s.live[id]; o != nil {
				c := *o
				l.owned = &c
			} else if rec.Parent != nil {
				continue // an owned goroutine that reported its exit
			}
		}
		out = append(out, l)
	}
	return out
}

// isOwnedBody reports whether g is an owned goroutine itself rather than a
// raw goroutine that inherited its labels: safego starts the former, or
// errgroup does for a Group, running safego's member function.
func isOwnedBody(g stack.Goroutine) bool {
	if strings.HasPrefix(g.CreatedBy.Func, safegoPkg) {
		return true
	}
	return slices.ContainsFunc(g.Frames, func(f stack.Frame) bool {
		return strings.HasPrefix(f.Func, safegoPkg+"(*Group).member")
	})
}

const safegoPkg = "github.com/custody-go/custody/safego."

// leakedGoroutines runs the goroutineleak profile, when the binary has it
// (GOEXPERIMENT=goroutineleakprofile), and returns the IDs of the goroutines
// it proves blocked forever; nil when the profile is not available.
func leakedGoroutines() map[uint64]bool {
	p := pprof.Lookup("goroutineleak")
	if p == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := p.WriteTo(&buf, 2); err != nil {
		return nil
	}
	gs, _ := stack.Parse(buf.Bytes())
	out := map[uint64]bool{}
	for _, g := range gs {
		if g.Leaked {
			out[g.ID] = true
		}
	}
	return out
}
