package stack

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
)

// A Record is one record of a goroutine profile: Count goroutines that had
// the same stack and the same pprof labels when the profile was taken. The
// profile knows no goroutine IDs, states, wait times or creators; a dump
// ([All]) does, and [SetLabels] joins the two.
type Record struct {
	// Count is the number of goroutines.
	Count int
	// Labels are their pprof labels; nil if they had none.
	Labels map[string]string
	// Frames are their calls, innermost first, without the runtime's frames
	// at the top and runtime.goexit at the bottom, as the profile prints
	// them. Func is written as [runtime.Stack] writes it: the type
	// arguments of a generic function as "[...]".
	Frames []Frame
	// PCs are the return program counters of the whole stack, runtime
	// frames included, innermost first. They mean something only in the
	// process that wrote the profile. Records of the same stack share their
	// Frames and PCs.
	PCs []uintptr
}

// Top returns the innermost frame, or a zero Frame if there is none.
func (r Record) Top() Frame { return top(r.Frames) }

// Has reports whether any of r's frames runs funcName or a function nested
// under that name, as [Goroutine.Has] does.
func (r Record) Has(funcName string) bool { return has(r.Frames, funcName) }

// Parked reports whether the goroutines were parked by the scheduler (on a
// channel, a lock, a select, a sleep, I/O...) when the profile was taken,
// rather than running, runnable or in a system call. It reads r.PCs, so it
// means something only in the process that wrote the profile. A goroutine
// woken but not yet run again still reads as parked.
func (r Record) Parked() bool {
	if len(r.PCs) == 0 {
		return false
	}
	f := runtime.FuncForPC(r.PCs[0] - 1)
	return f != nil && f.Name() == "runtime.gopark"
}

// Profile returns the goroutine profile of the process
// ([pprof.Lookup]("goroutine") written with debug 1): every goroutine but
// the calling one, grouped by stack and pprof labels. Unlike a dump it
// shows labels whatever GODEBUG's tracebacklabels says, and it stops the
// world only briefly (a dump stops it while the whole dump is written). Its
// cost grows with the number of goroutines and of distinct (stack, labels)
// pairs. It panics, with a message starting "stack: ", if it cannot read
// the profile, which means this package does not know the running Go
// version's format.
func Profile() []Record {
	recs, self := readProfile("goroutine")
	if self >= 0 {
		recs = dropSelf(recs, self)
	}
	return recs
}

// LeakProfile runs the goroutineleak profile and returns its records: the
// goroutines that a garbage collection cycle proved blocked forever, on
// concurrency primitives that nothing running can reach, grouped by stack
// and labels. ok is false, and nothing is run, when the runtime has no such
// profile (Go 1.26 without GOEXPERIMENT=goroutineleakprofile). It costs a
// full GC cycle besides what [Profile] costs, and panics like it.
func LeakProfile() (recs []Record, ok bool) {
	if pprof.Lookup("goroutineleak") == nil {
		return nil, false
	}
	recs, _ = readProfile("goroutineleak")
	return recs, true
}

// CurrentLabels returns the calling goroutine's pprof labels, nil if it has
// none, from the goroutine profile: it costs what [Profile] costs. It
// panics like [Profile], and if the profile has no record of the caller.
func CurrentLabels() map[string]string {
	recs, self := readProfile("goroutine")
	if self < 0 {
		panic("stack: the goroutine profile has no record of the calling goroutine")
	}
	return recs[self].Labels
}

// readProfile writes the named profile with debug 1 and parses it. It
// returns the index of the caller's record, or -1 if there is none (the
// goroutineleak profile does not list running goroutines).
//
//go:noinline
func readProfile(name string) ([]Record, int) {
	var buf bytes.Buffer
	if err := pprof.Lookup(name).WriteTo(&buf, 1); err != nil {
		panic("stack: writing the " + name + " profile: " + err.Error())
	}
	recs, err := ParseProfile(buf.Bytes())
	if err != nil {
		panic(err)
	}
	return recs, selfRecord(recs)
}

// selfRecord returns the index of the record of the goroutine that is
// writing the profile, from readProfile: the only one in readProfile that is
// not parked (others in it wait for the profile's lock).
func selfRecord(recs []Record) int {
	for i, r := range recs {
		if !r.Has(self+"readProfile") || r.Parked() {
			continue
		}
		return i
	}
	return -1
}

// dropSelf returns recs without one goroutine of recs[i].
func dropSelf(recs []Record, i int) []Record {
	if recs[i].Count > 1 {
		recs[i].Count--
		return recs
	}
	return append(recs[:i], recs[i+1:]...)
}

// ParseProfile parses a goroutine or goroutineleak profile written by
// [pprof.Profile.WriteTo] with debug 1:
//
//	goroutine profile: total 3
//	2 @ 0x47f3aa 0x4142dc 0x4e3e5e 0x4852e1
//	# labels: {"custody.id":"12", "custody.name":"worker"}
//	#	0x4e3e5d	main.worker+0x1d	/src/main.go:37
//
// It returns a [*SyntaxError] for a line it cannot read.
func ParseProfile(text []byte) ([]Record, error) {
	s := string(text)
	var recs []Record
	cur := -1 // the record being read; -1 between records
	sawFrame := false
	// Records of one stack with different labels repeat its "@" line and
	// its frames: they share the first one's, read once.
	first := make(map[string]int)
	shared := false
	for n := 1; s != ""; n++ {
		line, rest, _ := strings.Cut(s, "\n")
		s = rest
		bad := func(msg string, err error) error {
			return &SyntaxError{Line: n, Text: line, Msg: msg, Err: err}
		}
		switch {
		case n == 1:
			if !strings.HasSuffix(strings.TrimRight(line, "0123456789"), " profile: total ") {
				return nil, bad("want a profile header", nil)
			}
		case line == "":
			cur = -1
		case strings.HasPrefix(line, "# labels: {"):
			if cur < 0 || recs[cur].Labels != nil || sawFrame {
				return nil, bad("labels out of place", nil)
			}
			m, tail, err := parseLabels(line[len("# labels: {"):], ":", false)
			if err != nil {
				return nil, bad("bad labels", err)
			}
			if tail != "" {
				return nil, bad("bad labels", errLabels)
			}
			recs[cur].Labels = m
		case strings.HasPrefix(line, "#"):
			if cur < 0 {
				return nil, bad("frame outside a record", nil)
			}
			sawFrame = true
			if shared {
				continue
			}
			f, err := parseProfileFrame(line)
			if err != nil {
				return nil, bad("bad frame", err)
			}
			if f != (Frame{}) {
				recs[cur].Frames = append(recs[cur].Frames, f)
			}
		default:
			if cur >= 0 {
				return nil, bad("want a blank line", nil)
			}
			count, pcs, ok := strings.Cut(line, " @")
			c, err := strconv.Atoi(count)
			if !ok || err != nil {
				return nil, bad("bad record header", err)
			}
			r := Record{Count: c}
			i, seen := first[pcs]
			if seen {
				r.PCs, r.Frames = recs[i].PCs, recs[i].Frames
			} else if r.PCs, err = parsePCs(pcs); err != nil {
				return nil, bad("bad record header", err)
			}
			recs = append(recs, r)
			cur, shared, sawFrame = len(recs)-1, seen, false
			if !seen {
				first[pcs] = cur
			}
		}
	}
	return recs, nil
}

// parsePCs parses " 0xpc 0xpc ...".
func parsePCs(s string) ([]uintptr, error) {
	pcs := make([]uintptr, 0, strings.Count(s, " "))
	for f := range strings.FieldsSeq(s) {
		pc, err := strconv.ParseUint(f, 0, 64)
		if err != nil {
			return nil, err
		}
		pcs = append(pcs, uintptr(pc))
	}
	return pcs, nil
}

// parseProfileFrame parses "#\t0xpc\tfunc+0xoff\tfile:line", whose fields a
// tabwriter may have padded with more tabs, or "#\t0xpc" for a pc without
// a function, which it returns as a zero Frame.
func parseProfileFrame(line string) (Frame, error) {
	var fields []string
	for f := range strings.SplitSeq(line, "\t") {
		if f != "" {
			fields = append(fields, f)
		}
	}
	switch {
	case len(fields) == 2 && fields[0] == "#":
		return Frame{}, nil
	case len(fields) != 4 || fields[0] != "#":
		return Frame{}, fmt.Errorf("%d fields", len(fields))
	}
	fn := fields[2]
	if i := strings.LastIndex(fn, "+0x"); i > 0 {
		fn = fn[:i]
	}
	file, lineText, ok := cutLast(fields[3], ":")
	if !ok {
		return Frame{}, strconv.ErrSyntax
	}
	n, err := strconv.Atoi(lineText)
	if err != nil {
		return Frame{}, err
	}
	return Frame{Func: printedName(fn), File: file, Line: n}, nil
}

// cutLast slices s around the last sep.
func cutLast(s, sep string) (before, after string, ok bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// printedName returns a function's symbol name as the runtime prints it in
// a traceback (runtime.funcNamePiecesForPrint): its list of type arguments
// written "[...]", so "p.F[go.shape.int]" is "p.F[...]" and
// "p.(*T[go.shape.int]).M" is "p.(*T[...]).M", and from Go 1.27 a generic
// method of a generic type "p.(*T[...]).M[...]". Like the runtime, it takes
// the first '[' and the last ']' as the list's brackets.
func printedName(name string) string {
	i := strings.IndexByte(name, '[')
	if i < 0 {
		return name
	}
	j := strings.LastIndexByte(name, ']')
	if j <= i {
		return name
	}
	interior := name[i+1 : j]
	if strings.IndexByte(interior, '[') < 0 {
		return name[:i] + "[...]" + name[j+1:]
	}
	// Two lists, "T[...]).M[...]", or brackets inside one list.
	depth, rbr, lbr := 1, -1, -1
scan:
	for k := 0; k < len(interior); k++ {
		switch interior[k] {
		case '[':
			if depth++; depth == 1 {
				lbr = k
				break scan
			}
		case ']':
			if depth--; depth < 0 {
				break scan
			} else if depth == 0 {
				rbr = k
			}
		}
	}
	switch {
	case depth == 1 && rbr >= 0 && lbr > rbr:
		return name[:i] + "[...]" + interior[rbr+1:lbr] + "[...]" + name[j+1:]
	case depth == 1 && rbr == -1 && lbr == -1:
		return name[:i] + "[...]" + name[j+1:]
	}
	return name // malformed: as the runtime prints it
}
