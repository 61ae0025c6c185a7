package oracle

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/stack"
	"github.com/custody-go/custody/internal/waits"
)

// A finding is one block of a verdict.
type finding struct {
	kind custody.Kind
	ev   custody.Event      // the event, for event findings
	who  *custody.Goroutine // the goroutine involved: ev.Goroutine, or found through labels
	leak *leak              // for leak findings
	note string             // why it is reported where it is, for orphans
}

// A leak is a goroutine that belongs to a test and outlived it.
type leak struct {
	dump    stack.Goroutine
	owned   *owned // its record, if it is an owned goroutine; nil for a raw one
	labeled *custody.Goroutine
	proven  bool      // the goroutineleak profile proved it can never be woken
	at      time.Time // when the verdict looked
}

func newFinding(e custody.Event, labelled *custody.Goroutine) finding {
	who := e.Goroutine
	if who == nil {
		who = labelled
	}
	return finding{kind: e.Kind, ev: e, who: who}
}

// formatReport returns the verdict text: a summary line, then one block per
// finding, separated by blank lines.
func formatReport(name string, fs []finding) string {
	var b strings.Builder
	n := "findings"
	if len(fs) == 1 {
		n = "finding"
	}
	fmt.Fprintf(&b, "oracle: %s: %d %s\n", name, len(fs), n)
	for _, f := range fs {
		b.WriteString("\n")
		b.WriteString(f.String())
	}
	return b.String()
}

func (f finding) String() string {
	var b strings.Builder
	line := func(format string, args ...any) {
		b.WriteString("    ")
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\n")
	}
	if f.leak != nil {
		f.leak.write(&b, line)
		return b.String()
	}
	e := f.ev
	switch e.Kind {
	case custody.GoroutinePanicked:
		if isSendOnClosed(e.Value) {
			fmt.Fprintf(&b, "send on closed channel (runtime panic) in goroutine %s\n", name(f.who))
		} else {
			fmt.Fprintf(&b, "panic in goroutine %s: %v\n", name(f.who), e.Value)
		}
		spawnLines(line, f.who)
	case custody.GoroutineIgnoredCancel:
		fmt.Fprintf(&b, "goroutine %s ignored its context\n", name(f.who))
		spawnLines(line, f.who)
		line("still running %s after its context was done (%v)", dur(e.Latency), errText(e.Err))
	case custody.ChanSendAfterClose:
		fmt.Fprintf(&b, "send on closed channel %q\n", e.Object)
		line("by %s at %s", name(f.who), e.Site)
		earlierLine(line, "closed", e)
		chanLines(line, e)
	case custody.ChanDoubleClose:
		fmt.Fprintf(&b, "double close of channel %q\n", e.Object)
		line("second close by %s at %s", name(f.who), e.Site)
		earlierLine(line, "first closed", e)
		chanLines(line, e)
	case custody.ChanCloseByNonOwner:
		fmt.Fprintf(&b, "channel %q closed by %s, which does not own it\n", e.Object, name(f.who))
		line("closed at %s", e.Site)
		chanLines(line, e)
	case custody.ChanHandoff:
		fmt.Fprintf(&b, "channel %q handed off by %s, which does not own it\n", e.Object, name(f.who))
		line("handed off at %s to %s", e.Site, name(e.NewOwner))
		chanLines(line, e)
	case custody.MapZeroLoaded:
		fmt.Fprintf(&b, "zero value loaded with ok == true, key %q\n", e.Object)
		line("loaded at %s by %s", e.Site, name(f.who))
		if e.Earlier != nil && e.Earlier.Site != 0 {
			line("the zero value was stored at %s", e.Earlier.Site)
		} else {
			line("the zero value was stored while custody was off or in observe mode (no site recorded)")
		}
	case custody.MapMutatedAfterStore:
		fmt.Fprintf(&b, "value under key %q mutated in place after it was stored\n", e.Object)
		if e.Earlier != nil {
			line("stored at %s", e.Earlier.Site)
		}
		if strings.HasPrefix(e.Site.Frame().Function, oraclePkg) {
			line("change found when the test ended (safemap.CheckAll, which checks every live map: the map may belong to code outside the test)")
			e.Stack = nil
		} else {
			line("change noticed at %s by %s", e.Site, name(f.who))
		}
		line("store a new value (Store, Update) instead of changing a stored one")
	default:
		fmt.Fprintf(&b, "%s\n", e.Kind)
		line("at %s by %s", e.Site, name(f.who))
	}
	if f.note != "" {
		line("reported here because it happened %s", f.note)
	}
	if len(e.Stack) > 0 {
		line("stack:")
		b.WriteString(indent(stackText(e.Stack), "        "))
	}
	return b.String()
}

func (l *leak) write(b *strings.Builder, line func(string, ...any)) {
	g := l.dump
	if l.owned != nil {
		o := l.owned
		fmt.Fprintf(b, "leaked goroutine %s (running %s)\n", name(o.g), dur(l.at.Sub(o.g.Start)))
		spawnLines(line, o.g)
		if !o.done.IsZero() {
			line("context done (%v) %s ago; the goroutine did not return", errText(o.doneBy), dur(l.at.Sub(o.done)))
		} else {
			line("its context was never done: nothing asked it to stop")
		}
	} else {
		fmt.Fprintf(b, "leaked goroutine %d, started by a raw go statement in %s\n", g.ID, name(l.labeled))
		if g.CreatedBy.Func != "" {
			line("created by %s at %s:%d", g.CreatedBy.Func, core.RelFile(g.CreatedBy.File), g.CreatedBy.Line)
		}
		if l.labeled != nil && l.labeled.Parent != nil {
			line("owner chain: %s", l.labeled.Chain())
		}
	}
	if l.proven {
		line("blocked forever: the goroutineleak profile found nothing that can wake it")
	}
	if w, ok := l.wait(); ok {
		closed := "never closed"
		if w.Closed {
			closed = "closed"
		}
		owner := "nobody"
		if w.Owner != nil {
			owner = w.Owner.Name
		}
		at := "?" // the caller of Send or Recv, which chanown does not record: it costs more than the wait
		if f, ok := firstUserFrame(g); ok {
			at = core.RelFile(f.File) + ":" + strconv.Itoa(f.Line)
		}
		line("blocked in chanown.%s on %q (cap %d, len %d) for %s, at %s,", opName(w.Op), w.Chan, w.Cap, w.Len, dur(l.at.Sub(w.Since)), at)
		line("    owned by %s, made at %s, %s", owner, w.Made, closed)
	} else if f, ok := firstUserFrame(g); ok {
		line("blocked in %s at %s:%d", f.Func, core.RelFile(f.File), f.Line)
	}
	if g.Err != nil {
		line("its stack could not all be read (%v); the dump shows what could", g.Err)
	}
	b.WriteString(indent(dumpText(g), "    "))
}

// wait returns the chanown operation an owned goroutine is blocked in.
func (l *leak) wait() (waits.Wait, bool) {
	if l.owned == nil {
		return waits.Wait{}, false
	}
	return waits.Of(l.owned.g)
}

func opName(op string) string {
	if op == "recv" {
		return "Recv"
	}
	return "Send"
}

const oraclePkg = "github.com/custody-go/custody/oracle."

// libraryFrames are the prefixes of functions a report skips to find the
// caller's own frame: the runtime's and custody's wrappers.
var libraryFrames = []string{
	"github.com/custody-go/custody/chanown.",
	"github.com/custody-go/custody/safego.",
	"github.com/custody-go/custody/safemap.",
}

// runtimeFrames are the prefixes of the runtime's and the sync package's
// functions, which a goroutine waits in.
var runtimeFrames = []string{"runtime.", "internal/", "sync."}

// firstUserFrame returns the innermost frame outside the runtime and
// custody's wrappers.
func firstUserFrame(g stack.Goroutine) (stack.Frame, bool) {
	return firstFrameOutside(g, runtimeFrames, libraryFrames)
}

// firstFrameOutside returns the innermost frame whose function has none of
// the prefixes.
func firstFrameOutside(g stack.Goroutine, prefixes ...[]string) (stack.Frame, bool) {
	all := slices.Concat(prefixes...)
	for _, f := range g.Frames {
		if !slices.ContainsFunc(all, func(p string) bool { return strings.HasPrefix(f.Func, p) }) {
			return f, true
		}
	}
	return stack.Frame{}, false
}

// dumpText returns the goroutine's dump with module-relative paths and at
// most maxFrames frames.
func dumpText(g stack.Goroutine) string {
	const maxFrames = 12
	var b strings.Builder
	fmt.Fprintf(&b, "goroutine %d [%s]:\n", g.ID, g.State)
	for i, f := range g.Frames {
		if i == maxFrames {
			fmt.Fprintf(&b, "...%d frames elided...\n", len(g.Frames)-maxFrames)
			break
		}
		fmt.Fprintf(&b, "%s\n    %s:%d\n", f.Func, core.RelFile(f.File), f.Line)
	}
	if g.CreatedBy.Func != "" {
		fmt.Fprintf(&b, "created by %s in goroutine %d\n    %s:%d\n", g.CreatedBy.Func, g.ParentID,
			core.RelFile(g.CreatedBy.File), g.CreatedBy.Line)
	}
	return b.String()
}

// stackText formats a captured stack as a dump does, with module-relative
// paths, without the frames every goroutine has at its bottom.
func stackText(st custody.Stack) string {
	var b strings.Builder
	for _, f := range st.Frames() {
		if f.Function == "runtime.goexit" || f.Function == "testing.tRunner" {
			continue
		}
		fmt.Fprintf(&b, "%s\n    %s:%d\n", f.Function, core.RelFile(f.File), f.Line)
	}
	return b.String()
}

func spawnLines(line func(string, ...any), g *custody.Goroutine) {
	if g == nil {
		return
	}
	if g.Parent != nil {
		line("spawned at %s by %s", g.Spawn, g.Parent.Name)
		if g.Parent.Parent != nil {
			line("owner chain: %s", g.Chain())
		}
	}
}

// earlierLine says who closed the channel first, where and when.
func earlierLine(line func(string, ...any), what string, e custody.Event) {
	p := e.Earlier
	if p == nil {
		return
	}
	line("%s at %s by %s, %s earlier", what, p.Site, name(p.Goroutine), since(e.Time, p.Time))
}

func chanLines(line func(string, ...any), e custody.Event) {
	owner := "nobody (made outside any owned goroutine or test)"
	if e.Owner != nil {
		owner = e.Owner.Name
	}
	line("channel made at %s, owned by %s", e.Made, owner)
}

func name(g *custody.Goroutine) string {
	if g == nil {
		return "an unowned goroutine"
	}
	return strconv.Quote(g.Name)
}

func errText(err error) string {
	if err == nil {
		return "done"
	}
	return err.Error()
}

func since(now, then time.Time) string {
	if now.IsZero() || then.IsZero() {
		return "some time"
	}
	return dur(now.Sub(then))
}

// dur rounds d for reading: whole milliseconds above 10ms, microseconds
// below.
func dur(d time.Duration) string {
	switch {
	case d > 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d > 10*time.Microsecond:
		return d.Round(time.Microsecond).String()
	}
	return d.String()
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			continue
		}
		b.WriteString(prefix)
		b.WriteString(l)
	}
	return b.String()
}

func isSendOnClosed(v any) bool {
	err, ok := v.(error)
	return ok && strings.Contains(err.Error(), "send on closed channel")
}
