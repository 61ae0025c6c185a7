package stack

import (
	"runtime"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
)

// A Frame is one call in a goroutine's stack.
type Frame struct {
	// Func is the function name, fully qualified as the runtime prints it
	// and without the argument list: "main.main",
	// "net/http.(*Server).Serve", "example.com/p.Map[...].Load",
	// "example.com/p.F.func1", "example.com/p.F.gowrap1". For a C function
	// described by a cgo symbolizer it is the name as the symbolizer wrote
	// it, such as "c_entry" or "ns::outer(int)", or "" if it had none.
	Func string
	// File is the source file as printed, usually an absolute path; "" for
	// a C function whose symbolizer did not know it.
	File string
	// Line is the line number in File, or 0.
	Line int
}

// A Goroutine is one goroutine of a dump.
type Goroutine struct {
	// ID is the runtime's goroutine id.
	ID uint64
	// State is the status or wait reason, such as "running",
	// "chan receive", "select" or "sync.WaitGroup.Wait", without the
	// markers and extras that have fields of their own below.
	State string
	// Wait is how long the goroutine has been blocked, from the
	// ", N minutes" extra, in whole minutes; 0 if absent.
	Wait time.Duration
	// Durable reports the "(durable)" marker: the goroutine is durably
	// blocked inside a testing/synctest bubble.
	Durable bool
	// Leaked reports the "(leaked)" marker that the goroutineleak profile
	// leaves on the goroutines it proves blocked forever (Go 1.27; Go 1.26
	// with GOEXPERIMENT=goroutineleakprofile).
	Leaked bool
	// Bubble is the id of the synctest bubble the goroutine belongs to, from
	// ", synctest bubble N"; 0 if not in a bubble.
	Bubble uint64
	// Locked reports ", locked to thread".
	Locked bool
	// Labels are the goroutine's pprof labels, printed by the runtime only
	// when GODEBUG=tracebacklabels=1 (the default from Go 1.27 for modules
	// at go 1.27); nil if none were printed. Go 1.26 prints bytes that are
	// not UTF-8 as U+FFFD, so such a label reads differently from its value.
	// [Labelled] and [SetLabels] fill them from a goroutine profile when
	// the dump did not print them.
	Labels map[string]string
	// LabelsFrom says where Labels come from: the zero value,
	// LabelsUnknown, for a goroutine read by [Parse] without labels in its
	// header; LabelsDump when the header printed them. See [Labelled].
	LabelsFrom LabelSource
	// Frames are the goroutine's calls, innermost first, without the
	// "created by" frame and without ancestor tracebacks
	// (GODEBUG=tracebackancestors). Elided frames are not represented.
	Frames []Frame
	// CreatedBy is the go statement that started the goroutine; zero for
	// the main goroutine and where the runtime does not print it.
	CreatedBy Frame
	// ParentID is the id of the goroutine that ran that go statement, from
	// "created by F in goroutine N"; 0 if absent.
	ParentID uint64
	// Full is the goroutine's block of text as dumped, ending in a newline,
	// for reports.
	Full string
	// Err is nil if [Parse] read the whole block. Otherwise it is the
	// [*SyntaxError] of the first line it could not read: Frames hold the
	// frames above that line, and CreatedBy and ParentID are set only if a
	// "created by" line came later.
	Err error
}

// Top returns the innermost frame, or a zero Frame if there is none.
func (g Goroutine) Top() Frame { return top(g.Frames) }

func top(frames []Frame) Frame {
	if len(frames) == 0 {
		return Frame{}
	}
	return frames[0]
}

// Has reports whether any of g's frames (not CreatedBy) runs funcName or a
// function nested under that name: a frame matches if its Func equals
// funcName or starts with funcName followed by '.' or '['. So "p.F"
// matches "p.F", the closures "p.F.func1" and "p.F.gowrap1", and the
// instantiation "p.F[...]", but not "p.Foo"; a package path such as
// "example.com/p" matches every function of that package.
func (g Goroutine) Has(funcName string) bool { return has(g.Frames, funcName) }

func has(frames []Frame, funcName string) bool {
	for _, f := range frames {
		if rest, ok := strings.CutPrefix(f.Func, funcName); ok &&
			(rest == "" || rest[0] == '.' || rest[0] == '[') {
			return true
		}
	}
	return false
}

// All returns every user goroutine of the process, the calling one first,
// from [runtime.Stack] with all set. The caller's Frames start at the
// function that called All; its Full text is left as dumped. It stops the world while the dump is
// taken and costs time proportional to the number of goroutines; use it in
// tests only. It panics, with a message starting "stack: ", if [Parse]
// fails or cannot read the calling goroutine's own block, which means this
// package does not know the running Go version's format; another
// goroutine's block that it cannot read fully is returned with its Err set
// (see [Parse]).
func All() []Goroutine {
	return parseOwn(dump(true))
}

// Current returns the calling goroutine, from [runtime.Stack] with all
// unset; its Frames start at the function that called Current. It panics
// like [All].
func Current() Goroutine {
	return parseOwn(dump(false))[0]
}

// parseOwn parses a dump whose first goroutine is the caller's.
func parseOwn(dump string) []Goroutine {
	gs, err := parse(dump)
	if err == nil {
		err = gs[0].Err
	}
	if err != nil {
		panic(err)
	}
	gs[0].Frames = dropOwn(gs[0].Frames)
	return gs
}

// self is this package's prefix in function names.
const self = "github.com/custody-go/custody/internal/stack."

// dropOwn drops this package's frames from the top of frames.
func dropOwn(frames []Frame) []Frame {
	for len(frames) > 0 && strings.HasPrefix(frames[0].Func, self) {
		frames = frames[1:]
	}
	return frames
}

// dumpSize is the size of the last full dump: the next one starts with a
// buffer a little larger, as each retry takes a whole new dump.
var dumpSize atomic.Int64

// dump returns runtime.Stack's output, growing the buffer until it fits.
// The string holds the buffer's bytes without a copy (a dump of 10,000
// goroutines is megabytes, and a copy that large costs as much as parsing
// it): nothing writes to the buffer once runtime.Stack has returned.
func dump(all bool) string {
	size := 64 << 10
	if all {
		size = max(size, int(dumpSize.Load())*5/4)
	}
	buf := make([]byte, size)
	for {
		n := runtime.Stack(buf, all)
		if n < len(buf) {
			if all {
				dumpSize.Store(int64(n))
			}
			return unsafe.String(unsafe.SliceData(buf), n)
		}
		buf = make([]byte, 2*len(buf))
	}
}
