package oracle

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/mapcheck"
	"github.com/custody-go/custody/internal/stack"
	"github.com/custody-go/custody/internal/waits"
)

// verdict waits for the test's goroutines to exit, then fails t with what
// is left and with the findings filed under the test.
func (s *sink) verdict(t TB, root *custody.Goroutine, cfg *config) {
	t.Helper()
	self := stack.Current()
	w := s.settle(root, cfg, self)

	// Values the test stored and changed in place since, with no later
	// operation on their key to notice: reported now, under the storer's
	// test, which is this one.
	mapcheck.CheckStoredBy(func(id uint64) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.belongs(id, root)
	})

	s.mu.Lock()
	tst := s.tests[root.ID]
	delete(s.tests, root.ID)
	s.finished[root.ID] = true
	for id := range w.letGo {
		s.leaked[id] = true
	}
	for _, l := range w.leaks {
		if l.owned != nil {
			if o := s.live.get(l.owned.g.ID); o != nil {
				c := *o // the newest context-done time; a copy, as the report is written unlocked
				l.owned = &c
			}
			s.leaked[l.owned.g.ID] = true
			if l.owned.g.Parent == nil {
				l.adopter = s.rootOf(l.owned.g)
			}
		}
		s.reported[l.g.ID] = true
	}
	events := tst.findings
	var orphans []finding
	if s.mainRuns == 0 && len(s.orphans) > 0 {
		orphans, s.orphans = s.orphans, nil
	}
	keep := len(w.leaks) > 0
	if keep {
		// Its goroutines run on: their records stay, to name the test in
		// what they report later.
		s.kept[root.ID] = true
	}
	s.mu.Unlock()

	fs := groupLeaks(w.leaks)
	fs = append(fs, foldIgnored(w, events)...)
	fs = append(fs, orphans...)
	var failed []finding
	for _, f := range fs {
		if cfg.allow[f.kind] {
			t.Logf("oracle: allowed %s:\n%s", f.kind, f)
			continue
		}
		failed = append(failed, f)
	}
	var text string
	if len(failed) > 0 {
		text = formatReport(t.Name(), failed) // reads the chanown records that forget drops
	}
	s.forget(root, keep)

	if checker := tst.checker; checker != self.ID {
		t.Errorf("oracle: Check was called for %s from goroutine %d, not from the test's goroutine (%d): "+
			"the test's goroutine does not carry its labels, so what it started was not watched", t.Name(), checker, self.ID)
	}
	if text != "" {
		fail(t, root.Spawn, self.Bubble != 0, text)
	}
	pprof.SetGoroutineLabels(t.Context())
}

// foldIgnored returns the event findings, folding an ignored cancellation
// into the leak finding of the same goroutine (one finding per goroutine)
// and dropping that of a goroutine the options let go.
func foldIgnored(w *wait, events []finding) []finding {
	var out []finding
	for _, f := range events {
		if f.kind == custody.GoroutineIgnoredCancel && f.who != nil {
			if w.letGo[f.who.ID] {
				continue
			}
			if l := leakOf(w.leaks, f.who.ID); l != nil {
				e := f.ev
				l.ignored = &e
				continue // the leak's block says its context was done
			}
		}
		out = append(out, f)
	}
	return out
}

func leakOf(ls []*leak, id uint64) *leak {
	for _, l := range ls {
		if l.owned != nil && l.owned.g.ID == id {
			return l
		}
	}
	return nil
}

// forget drops what the sink and the chanown records keep of the test's
// identities, but for the records of a test whose goroutines run on.
func (s *sink) forget(root *custody.Goroutine, keep bool) {
	waits.Forget(func(id uint64) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.belongs(id, root)
	})
	if keep {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// The gone entries first: deciding whose they are reads the adoptions.
	s.gone.deleteFunc(func(id uint64, parent *custody.Goroutine) bool {
		return s.rootOf(&custody.Goroutine{ID: id, Parent: parent}) == root
	})
	s.records.deleteFunc(func(_ uint64, g *custody.Goroutine) bool { return s.rootOf(g) == root })
	s.live.deleteFunc(func(_ uint64, o *owned) bool { return s.rootOf(o.g) == root })
	s.adopted.deleteFunc(func(_ uint64, r *custody.Goroutine) bool { return r == root })
}

// An outputter is a testing.TB's Output and Fail, which a verdict inside a
// synctest bubble uses instead of Errorf.
type outputter interface {
	Output() io.Writer
	Fail()
}

// fail fails t with the report text. Inside a testing/synctest bubble,
// where testing attributes a cleanup's Errorf to its own testing.go line
// (the bubble's test marks helpers on its parent), the report is written
// with the line of the call to Check, as Errorf would outside a bubble.
func fail(t TB, check custody.Site, inBubble bool, text string) {
	t.Helper()
	o, ok := t.(outputter)
	fr := check.Frame()
	if !inBubble || !ok || fr.File == "" {
		t.Errorf("%s", text)
		return
	}
	text = strings.ReplaceAll(strings.TrimSuffix(text, "\n"), "\n", "\n    ")
	fmt.Fprintf(o.Output(), "%s:%d: %s\n", filepath.Base(fr.File), fr.Line, text)
	o.Fail()
}
