package oracle

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/stack"
)

// How the verdict waits: it polls the goroutine profile, which lists every
// goroutine's pprof labels and stack grouped and costs a fraction of a
// goroutine dump, and between two profiles only a census (how many
// goroutines started and ended), which costs next to nothing. The test's
// goroutines are those whose custody.id label names its identity. The wait
// ends as soon as none is left (a clean verdict: one census and one profile
// when the goroutines are already gone), or when every one left is either
// proven blocked forever by the goroutineleak profile (where the runtime
// has it) or parked on a channel, a lock or I/O with a stack that has not
// changed for cfg.quiet(), or at the settle time. One goroutine dump, taken
// then, confirms that those are not runnable (woken, not yet run: the
// profile cannot tell) and gives the report its goroutine IDs, states and
// creators; a profile begun after it gives the dump's goroutines their
// labels.

// A sighting is what one profile showed of the test's goroutines with one
// identity label and one stack.
type sighting struct {
	key       string // the identity and the stack
	count     int
	block     stack.Blocking
	inCustody bool // inside custody's own code: starting, reporting, on its way out
}

// A wait is what a verdict's wait found.
type wait struct {
	leaks []*leak
	// letGo holds the record IDs of owned goroutines the options let go
	// (IgnoreTopFunction...), whose later ignored cancellation is no one's
	// finding; any says whether the options let any goroutine go, whose
	// runtime IDs the sink's reported then holds.
	letGo map[uint64]bool
	any   bool
}

// letGo notes a goroutine with these frames and identity label that the
// options let go.
func (w *wait) letGoOf(id uint64, frames []stack.Frame) {
	w.any = true
	if isOwnedFrames(frames) {
		if w.letGo == nil {
			w.letGo = map[uint64]bool{}
		}
		w.letGo[id] = true
	}
}

// sightings returns the test's goroutines in recs, by key.
func (s *sink) sightings(root *custody.Goroutine, cfg *config, recs []stack.Record, w *wait) map[string]*sighting {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out map[string]*sighting
	for _, r := range recs {
		who := identityOf(r.Labels)
		if !who.ok || !s.belongs(who.id, root) || r.Has(verdictFunc) {
			continue
		}
		if cfg.ignored(r.Frames) {
			w.letGoOf(who.id, r.Frames)
			continue
		}
		k := leakKey(who.id, r.Frames)
		if out == nil {
			out = map[string]*sighting{}
		}
		if sg := out[k]; sg != nil {
			sg.count += r.Count
			continue
		}
		out[k] = &sighting{key: k, count: r.Count, block: r.Blocking(), inCustody: inCustody(r.Frames)}
	}
	return out
}

// leakKey is what a profile's record and a dump's goroutine of the same
// identity and stack share.
func leakKey(id uint64, frames []stack.Frame) string {
	return strconv.FormatUint(id, 10) + "\x00" + stack.Key(frames)
}

// quietKind reports whether a goroutine parked so, and unmoved for a
// while, is as good as proven leaked: what wakes it is another goroutine
// (or a peer process), not the clock.
func quietKind(b stack.Blocking) bool {
	return b == stack.OnChan || b == stack.OnLock || b == stack.OnIO
}

// settle waits for the test's goroutines to exit, as described above, and
// returns those left. self is the calling goroutine.
func (s *sink) settle(root *custody.Goroutine, cfg *config, me stack.Goroutine) *wait {
	self := me.ID
	w := &wait{}
	start := time.Now()
	deadline := start.Add(cfg.settle)
	quiet := cfg.quiet()
	refresh := max(quiet/4, time.Millisecond)

	var (
		census   stack.Census
		recs     []stack.Record
		mine     map[string]*sighting
		profiled time.Time
		since    = map[string]time.Time{} // when each sighting was first seen as it is
		proven   map[string]int           // goroutines proven blocked forever, by key
		leakRun  time.Time
		leakAt   stack.Census
		extended bool
	)
	backoff := 20 * time.Microsecond
	for {
		now := time.Now()
		c := stack.TakeCensus()
		if recs == nil || c != census || now.Sub(profiled) >= refresh {
			census, profiled = c, now
			recs = sharedProfile()
			prev := mine
			if mine = s.sightings(root, cfg, recs, w); len(mine) == 0 {
				if w.any {
					// Goroutines let go: their IDs, so that the package
					// verdict does not report them.
					s.confirm(root, cfg, self, nil, w)
				}
				return w
			}
			for k, sg := range mine {
				if p := prev[k]; p == nil || p.count != sg.count || p.block != sg.block {
					since[k] = now
				}
			}
		}
		if cfg.leakProfile && unproven(mine, proven) &&
			(leakRun.IsZero() || c != leakAt && now.Sub(leakRun) >= 20*time.Millisecond || now.Sub(leakRun) >= 100*time.Millisecond) {
			lrecs, ok := sharedLeakProfile()
			if !ok {
				cfg.leakProfile = false // not on this runtime
			} else {
				proven, leakRun, leakAt = provenCounts(lrecs), time.Now(), c
			}
		}
		late := !time.Now().Before(deadline)
		if late || settled(mine, proven, since, quiet, now) {
			leaks, moving := s.confirm(root, cfg, self, proven, w)
			if late && len(moving) > 0 && !extended && me.Bubble == 0 {
				// Runnable at the end: on a loaded machine, perhaps never
				// scheduled yet. They get the settle time once more (not
				// in a synctest bubble, whose clock stands still for them).
				deadline, extended = time.Now().Add(cfg.settle), true
				late = false
			}
			if late || len(moving) == 0 {
				w.leaks = leaks
				return w
			}
			for _, k := range moving {
				since[k] = time.Now() // runnable: woken, not yet run
			}
		}
		time.Sleep(min(backoff, max(time.Until(deadline), 0)))
		backoff = min(2*backoff, 10*time.Millisecond, refresh)
	}
}

// unproven reports whether some goroutine of mine is not proven blocked
// forever.
func unproven(mine map[string]*sighting, proven map[string]int) bool {
	for k, sg := range mine {
		if proven[k] < sg.count {
			return true
		}
	}
	return false
}

// settled reports whether every goroutine of mine is proven blocked
// forever or parked unmoved for quiet.
func settled(mine map[string]*sighting, proven map[string]int, since map[string]time.Time, quiet time.Duration, now time.Time) bool {
	for k, sg := range mine {
		if proven[k] >= sg.count {
			continue
		}
		if sg.inCustody || !quietKind(sg.block) || now.Sub(since[k]) < quiet {
			return false
		}
	}
	return true
}

// provenCounts counts the goroutineleak profile's goroutines by key.
func provenCounts(recs []stack.Record) map[string]int {
	out := map[string]int{}
	for _, r := range recs {
		who := identityOf(r.Labels)
		if !who.ok {
			continue
		}
		out[leakKey(who.id, r.Frames)] += r.Count
	}
	return out
}

// confirm takes a goroutine dump and returns the test's goroutines in it
// as leaks, and the keys of those that are running or runnable and not
// proven blocked forever: those may still be on their way out.
//
// The dump's labels come from a goroutine profile begun after the dump,
// joined by stack, not from the poll's profile: joined to an older one, a
// goroutine that reached a stack since would take the labels of one that
// had that stack then and has ended since (another test's goroutine, or
// one an earlier verdict let go), and be taken for that one's.
func (s *sink) confirm(root *custody.Goroutine, cfg *config, self uint64, proven map[string]int, w *wait) ([]*leak, []string) {
	var gs []stack.Goroutine
	var recs []stack.Record
	for try := 0; try < 2; try++ {
		c := stack.TakeCensus()
		gs = sharedDump()
		recs = sharedProfile()
		if stack.TakeCensus() == c {
			break // no goroutine started or ended between the two
		}
	}
	// The calling goroutine's labels are the test's; the profile left it
	// out. Known, they tell its raw children's apart from other tests'
	// goroutines with the same stack.
	for i := range gs {
		if gs[i].ID == self {
			gs[i].Labels = map[string]string{core.LabelID: strconv.FormatUint(root.ID, 10), core.LabelName: root.Name}
			gs[i].LabelsFrom = stack.LabelsDump
		}
	}
	stack.SetLabels(gs, recs)
	if slices.ContainsFunc(gs, func(g stack.Goroutine) bool { return g.LabelsFrom == stack.LabelsUnknown && g.ID != self }) {
		stack.SetLabels(gs, stack.Profile()) // those that moved between the two
	}
	return s.leaksIn(root, cfg, self, gs, proven, w)
}

// leaksIn returns the test's goroutines of the dump gs as leaks, and the
// keys of those running or runnable and not proven, as confirm does.
func (s *sink) leaksIn(root *custody.Goroutine, cfg *config, self uint64, gs []stack.Goroutine, proven map[string]int, w *wait) ([]*leak, []string) {
	proven = maps.Clone(proven)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var leaks []*leak
	var moving []string
	for _, g := range gs {
		if g.ID == self || len(g.Frames) == 0 && g.Err == nil || g.Has(verdictFunc) {
			// A goroutine with no frames is on its way out (one the parser
			// could not read is not); one giving a verdict is a test's.
			continue
		}
		who := identityOf(g.Labels)
		if !who.ok || !s.belongs(who.id, root) {
			continue
		}
		rec := s.labelled(who.id, who.name)
		if cfg.ignored(g.Frames) || cfg.ignoreIDs[g.ID] {
			// Known to outlive the test: neither a leak nor, when what it
			// reports later arrives, anyone else's finding.
			s.reported[g.ID] = true
			w.letGoOf(who.id, g.Frames)
			continue
		}
		l := &leak{g: g, who: rec, at: now}
		if isOwnedBody(g) {
			// The labels are those of the goroutine's own record once it
			// runs, its parent's until then.
			if o := s.live.get(who.id); o != nil && o.g == rec {
				c := *o
				l.owned = &c
			}
		}
		k := leakKey(who.id, g.Frames)
		if proven[k] > 0 {
			proven[k]--
			l.proven = true
		} else if g.Blocking() == stack.NotParked && g.State != "syscall" {
			moving = append(moving, k)
		}
		leaks = append(leaks, l)
	}
	return leaks, moving
}

// inCustody reports whether a goroutine with these frames is inside
// custody's own code rather than blocked in the code under test: the first
// frame outside the runtime and the standard library's synchronization is
// custody's, and no frame is the project's (see isUserFrame). So an owned
// goroutine not started yet, or reporting its exit, a context watch's or a
// grace timer's callback are; a goroutine blocked in chanown.Send or
// Group.Wait on behalf of the code that called them is not.
func inCustody(frames []stack.Frame) bool {
	f, ok := firstFrameOutside(frames, runtimeFrames)
	if !ok || !strings.HasPrefix(f.Func, modulePath+".") && !strings.HasPrefix(f.Func, modulePath+"/") || isUserFrame(f) {
		return false
	}
	return !slices.ContainsFunc(frames, isUserFrame)
}

const modulePath = "github.com/custody-go/custody"

// verdictFunc runs a test's verdict, on the test's goroutine.
const verdictFunc = modulePath + "/oracle.(*sink).verdict"

// isOwnedBody reports whether g is an owned goroutine itself rather than a
// raw goroutine that inherited its labels: safego starts the former, or
// errgroup does for a Group, running safego's member function.
func isOwnedBody(g stack.Goroutine) bool {
	return strings.HasPrefix(g.CreatedBy.Func, safegoPkg) || isOwnedFrames(g.Frames)
}

// isOwnedFrames reports whether a goroutine with these frames runs an
// owned goroutine's function: safego's is the outermost frame, or
// errgroup's for a Group's member, which runs safego's.
func isOwnedFrames(frames []stack.Frame) bool {
	for i := len(frames) - 1; i >= 0; i-- {
		f := frames[i].Func
		switch {
		case strings.HasPrefix(f, safegoPkg):
			return true
		case strings.HasPrefix(f, "golang.org/x/sync/errgroup."):
			continue
		}
		return false
	}
	return false
}

const safegoPkg = modulePath + "/safego."

// sharedLeakProfile returns the records of a goroutineleak profile that
// began after the call did: verdicts running at once share one, as each
// runs a garbage collection. ok is false where the runtime has no such
// profile.
func sharedLeakProfile() (recs []stack.Record, ok bool) {
	return leakProfiles.get(func() leakProfile {
		recs, ok := stack.LeakProfile()
		return leakProfile{recs, ok}
	}).unpack()
}

type leakProfile struct {
	recs []stack.Record
	ok   bool
}

func (p leakProfile) unpack() ([]stack.Record, bool) { return p.recs, p.ok }

var leakProfiles shared[leakProfile]

// sharedProfile returns the records of a goroutine profile that began
// after the call did: verdicts running at once share one. It lists the
// goroutines of other verdicts, which the callers skip, but not the one of
// the goroutine that took it.
func sharedProfile() []stack.Record {
	return profiles.get(stack.Profile)
}

var profiles shared[[]stack.Record]

// sharedDump returns a goroutine dump that began after the call did, to
// change at will: verdicts running at once share one, as a dump stops the
// world while it is written.
func sharedDump() []stack.Goroutine {
	return slices.Clone(dumps.get(stack.All))
}

var dumps shared[[]stack.Goroutine]

// A shared is a value that callers running at once can share: each gets
// one computed after it asked.
type shared[T any] struct {
	mu      sync.Mutex
	started atomic.Uint64 // computations begun
	done    uint64        // the number of the computation in v
	v       T
}

func (s *shared[T]) get(compute func() T) T {
	after := s.started.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done > after {
		return s.v
	}
	n := s.started.Add(1)
	s.v, s.done = compute(), n
	return s.v
}
