package oracle

import (
	"cmp"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/stack"
	"github.com/custody-go/custody/internal/waits"
)

// A finding is one block of a verdict: an event, or leaked goroutines alike
// enough to be read as one.
type finding struct {
	kind  custody.Kind
	ev    custody.Event      // the event, for event findings
	who   *custody.Goroutine // the goroutine involved: ev.Goroutine, or found through labels
	leaks []*leak            // for leak findings: one or more goroutines
	note  string             // why it is reported where it is, for orphans
}

// A leak is a goroutine that belongs to a test, or to nobody, and outlived
// it.
type leak struct {
	g       stack.Goroutine
	owned   *owned             // its record, if it is an owned goroutine; nil for a raw one
	who     *custody.Goroutine // the identity its labels name; nil if none
	adopter *custody.Goroutine // the test that adopted it, when its own chain names no test
	proven  bool               // the goroutineleak profile proved it can never be woken
	ignored *custody.Event     // its ignored cancellation, folded into the leak
	at      time.Time          // when the verdict looked
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
	if len(f.leaks) > 0 {
		writeLeaks(&b, line, f.leaks)
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
		spawnLines(line, f.who, nil)
	case custody.GoroutineIgnoredCancel:
		fmt.Fprintf(&b, "goroutine %s ignored its context\n", name(f.who))
		spawnLines(line, f.who, nil)
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
		if p := e.Earlier; p != nil {
			by := ""
			if p.Goroutine != nil {
				by = " by " + strconv.Quote(p.Goroutine.Name)
			}
			line("stored at %s%s", p.Site, by)
		}
		if fn := e.Site.Frame().Function; fn == verdictFunc || fn == oraclePkg+"VerifyTestMain" {
			line("change found when the test ended: nothing touched the key after it")
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

// groupLeaks returns one finding per group of leaks alike enough to be
// read as one: same identity (or owner name and spawn site, for owned
// goroutines), same creator, same stack and state, same proof; in the order
// the groups' first goroutines were started.
func groupLeaks(ls []*leak) []finding {
	ls = slices.Clone(ls)
	slices.SortFunc(ls, func(a, b *leak) int { return cmp.Compare(a.g.ID, b.g.ID) }) // the order they were started in
	var out []finding
	index := map[string]int{}
	for _, l := range ls {
		k := l.groupKey()
		if i, ok := index[k]; ok {
			out[i].leaks = append(out[i].leaks, l)
			continue
		}
		index[k] = len(out)
		out = append(out, finding{kind: custody.GoroutineLeaked, leaks: []*leak{l}})
	}
	return out
}

func (l *leak) groupKey() string {
	var b strings.Builder
	if o := l.owned; o != nil {
		fmt.Fprintf(&b, "owned\x00%s\x00%d\x00%s\x00%v\x00%v\x00", o.g.Name, o.g.Spawn, o.g.Chain(), o.done.IsZero(), l.ignored != nil)
	} else if l.who != nil {
		fmt.Fprintf(&b, "raw\x00%d\x00", l.who.ID)
	}
	fmt.Fprintf(&b, "%s\x00%v\x00%s:%d\x00%s\x00", l.g.State, l.proven, l.g.CreatedBy.File, l.g.CreatedBy.Line, l.g.CreatedBy.Func)
	for _, f := range l.g.Frames {
		fmt.Fprintf(&b, "%s\x00%s:%d\x00", f.Func, f.File, f.Line)
	}
	if w, ok := l.wait(); ok {
		fmt.Fprintf(&b, "%s\x00%s\x00", w.Op, w.Chan)
	}
	return b.String()
}

func writeLeaks(b *strings.Builder, line func(string, ...any), ls []*leak) {
	l, n := ls[0], len(ls)
	g := l.g
	subject := "leaked goroutine"
	if n > 1 {
		subject = strconv.Itoa(n) + " leaked goroutines"
	}
	afterFunc := g.CreatedBy.Func == "time.goFunc"
	switch o := l.owned; {
	case o != nil:
		fmt.Fprintf(b, "%s %s (running %s)\n", subject, name(o.g), running(ls))
		spawnLines(line, o.g, l.adopter)
		switch {
		case o.done.IsZero():
			line("its context was never done: nothing asked it to stop")
		case n == 1:
			line("context done (%v) %s ago; the goroutine ignored it and did not return", errText(o.doneBy), dur(l.at.Sub(o.done)))
		default:
			line("context done (%v) %s ago; the goroutines ignored it and did not return", errText(o.doneBy), dur(l.at.Sub(o.done)))
		}
	default:
		how := "a raw go statement"
		if afterFunc {
			how = "time.AfterFunc"
		}
		where := " in " + name(l.who)
		if l.who == nil {
			where = ", which no checked test owns"
		}
		fmt.Fprintf(b, "%s %s, started by %s%s\n", subject, ids(ls), how, where)
		if afterFunc {
			cb := "a raw time.AfterFunc's callback"
			last, _ := lastUserFrame(g.Frames)
			if first, _ := firstUserFrame(g.Frames); last.Func != first.Func {
				cb += ", " + last.Func + ","
			}
			line("%s blocked: safego.AfterFunc stops the timer when its context is done, so that the callback never starts", cb)
		} else if g.CreatedBy.Func != "" {
			line("created by %s at %s:%d", g.CreatedBy.Func, core.RelFile(g.CreatedBy.File), g.CreatedBy.Line)
		}
		if l.who != nil && l.who.Parent != nil {
			line("owner chain: %s", l.who.Chain())
		}
	}
	if l.proven {
		line("blocked forever: the goroutineleak profile found nothing that can wake it")
	}
	writeWhere(line, l)
	if g.Err != nil {
		line("its stack could not all be read (%v); the dump shows what could", g.Err)
	}
	b.WriteString(indent(dumpText(g, ls[1:]), "    "))
}

// writeWhere says where the leak is stuck: in a chanown operation, in a
// receive from a chanown channel's C, or at its first frame in the
// project's code.
func writeWhere(line func(string, ...any), l *leak) {
	g := l.g
	f, ok := firstUserFrame(g.Frames)
	at := "?" // the caller of Send or Recv, which chanown does not record: it costs more than the wait
	if ok {
		at = core.RelFile(f.File) + ":" + strconv.Itoa(f.Line)
	}
	if w, ok := l.wait(); ok {
		line("blocked in chanown.%s on %q (cap %d, len %d) for %s, at %s,", opName(w.Op), w.Chan, w.Cap, w.Len, dur(l.at.Sub(w.Since)), at)
		line("    %s", chanText(w))
		return
	}
	if !ok {
		return
	}
	if g.Blocking() == stack.NotParked && g.State != "syscall" {
		line("still running (spinning?) at %s in %s", at, f.Func)
		return
	}
	if t, sure, ok := l.taken(f); ok {
		if sure {
			line("blocked receiving from %q (its C() taken at %s), in %s,", t.Chan, t.Site, f.Func)
		} else {
			line("blocked in %s at %s, probably receiving from %q (whose C() %s took at %s),", f.Func, at, t.Chan, name(l.who), t.Site)
		}
		line("    %s", chanText(t.Wait))
		return
	}
	line("blocked in %s at %s", f.Func, at)
}

func chanText(w waits.Wait) string {
	closed := "never closed"
	if w.Closed {
		closed = "closed"
	}
	owner := "nobody"
	if w.Owner != nil {
		owner = w.Owner.Name
	}
	return fmt.Sprintf("owned by %s, made at %s, %s", owner, w.Made, closed)
}

// taken returns the chanown channel a goroutine blocked in a receive or a
// select at its frame f waits on, as far as the records of who took which
// channel's C tell: sure when C was taken at f's line (a range over it),
// a guess when its identity took one channel's C elsewhere.
func (l *leak) taken(f stack.Frame) (t waits.Taking, sure, ok bool) {
	if l.who == nil || l.g.Blocking() != stack.OnChan || strings.HasPrefix(l.g.State, "chan send") {
		return waits.Taking{}, false, false
	}
	ts := waits.Taken(l.who.ID)
	for _, t := range ts {
		if fr := t.Site.Frame(); fr.File == f.File && fr.Line == f.Line {
			return t, true, true
		}
	}
	if len(ts) == 1 {
		return ts[0], false, true
	}
	return waits.Taking{}, false, false
}

// wait returns the chanown operation an owned goroutine is blocked in.
func (l *leak) wait() (waits.Wait, bool) {
	if l.owned == nil {
		return waits.Wait{}, false
	}
	return waits.Of(l.owned.g)
}

// running returns how long the oldest goroutine of ls has run.
func running(ls []*leak) string {
	var d time.Duration
	for _, l := range ls {
		d = max(d, l.at.Sub(l.owned.g.Start))
	}
	return dur(d)
}

// ids returns the goroutine IDs of ls: "22", or "(22, 23, 24)", at most ten.
func ids(ls []*leak) string {
	if len(ls) == 1 {
		return strconv.FormatUint(ls[0].g.ID, 10)
	}
	var b strings.Builder
	b.WriteByte('(')
	for i, l := range ls {
		if i == 10 {
			b.WriteString(", ...")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatUint(l.g.ID, 10))
	}
	b.WriteByte(')')
	return b.String()
}

func opName(op string) string {
	if op == "recv" {
		return "Recv"
	}
	return "Send"
}

const oraclePkg = modulePath + "/oracle."

// runtimeFrames are the prefixes of the runtime's and the sync package's
// functions, which a goroutine waits in.
var runtimeFrames = []string{"runtime.", "internal/", "sync."}

// mainModule is the module path of the program's main package, if known.
var mainModule = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Path
	}
	return ""
}()

// firstUserFrame returns the innermost frame in the project's code: not
// the standard library's, not custody's own but for its tests'.
func firstUserFrame(frames []stack.Frame) (stack.Frame, bool) {
	for _, f := range frames {
		if isUserFrame(f) {
			return f, true
		}
	}
	return stack.Frame{}, false
}

// lastUserFrame returns the outermost frame in the project's code.
func lastUserFrame(frames []stack.Frame) (stack.Frame, bool) {
	for i := len(frames) - 1; i >= 0; i-- {
		if isUserFrame(frames[i]) {
			return frames[i], true
		}
	}
	return stack.Frame{}, false
}

func isUserFrame(f stack.Frame) bool {
	fn := f.Func
	if fn == "" {
		return false
	}
	if strings.HasPrefix(fn, modulePath+".") || strings.HasPrefix(fn, modulePath+"/") {
		return strings.HasSuffix(f.File, "_test.go") || strings.HasPrefix(fn, modulePath+"/e2e/") ||
			strings.HasPrefix(fn, modulePath+"/examples/")
	}
	if mainModule != "" && (strings.HasPrefix(fn, mainModule+".") || strings.HasPrefix(fn, mainModule+"/")) {
		return true
	}
	// The standard library's package paths have no dot in their first
	// element; everything else, and package main, is the project's.
	first, _, _ := strings.Cut(fn, "/")
	if !strings.Contains(fn, "/") {
		first, _, _ = strings.Cut(fn, ".")
		return first == "main"
	}
	return strings.Contains(first, ".")
}

// firstFrameOutside returns the innermost frame whose function has none of
// the prefixes.
func firstFrameOutside(frames []stack.Frame, prefixes []string) (stack.Frame, bool) {
	for _, f := range frames {
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(f.Func, p) }) {
			return f, true
		}
	}
	return stack.Frame{}, false
}

// dumpText returns the goroutine's dump with module-relative paths and at
// most maxFrames frames; the header lists the goroutines of more, whose
// stacks are the same.
func dumpText(g stack.Goroutine, more []*leak) string {
	const maxFrames = 12
	var b strings.Builder
	fmt.Fprintf(&b, "goroutine %d [%s]", g.ID, g.State)
	if len(more) > 0 {
		fmt.Fprintf(&b, ", and %d more like it", len(more))
	}
	b.WriteString(":\n")
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

// spawnLines says where and by whom g was started; adopter is the test
// that adopted g when g's own chain names no test's identity.
func spawnLines(line func(string, ...any), g, adopter *custody.Goroutine) {
	if g == nil {
		return
	}
	switch {
	case g.Parent != nil:
		line("spawned at %s by %s", g.Spawn, g.Parent.Name)
		if g.Parent.Parent != nil {
			line("owner chain: %s", g.Chain())
		}
	case g.Spawn != 0 && adopter != nil:
		line("spawned at %s by %s, with a context that carries no test's identity", g.Spawn, adopter.Name)
	case g.Spawn != 0:
		line("spawned at %s", g.Spawn)
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
