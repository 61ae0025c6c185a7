package custody

import (
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/custody-go/custody/internal/core"
)

// A Site is a call site: a program counter as [runtime.Callers] reports
// it, resolved to a function, file and line only when printed or framed.
// The zero Site is unknown and prints as "?".
type Site uintptr

// resolutions counts how many times a program counter was resolved; the
// tests use it to prove resolution is lazy.
var resolutions atomic.Int64

// Frame resolves the site. It returns the zero Frame for an unknown site.
func (s Site) Frame() runtime.Frame {
	if s == 0 {
		return runtime.Frame{}
	}
	resolutions.Add(1)
	f, _ := runtime.CallersFrames([]uintptr{uintptr(s)}).Next()
	return f
}

// String returns "file.go:123", the file relative to the root of the module
// that holds it, or "?" for an unknown site.
func (s Site) String() string {
	f := s.Frame()
	if f.File == "" {
		return "?"
	}
	return core.RelFile(f.File) + ":" + strconv.Itoa(f.Line)
}

// A Stack is a call stack, innermost frame first, kept as program counters
// until read.
type Stack []uintptr

// Frames resolves the stack, expanding inlined calls.
func (s Stack) Frames() []runtime.Frame {
	if len(s) == 0 {
		return nil
	}
	resolutions.Add(1)
	var out []runtime.Frame
	frames := runtime.CallersFrames(s)
	for {
		f, more := frames.Next()
		out = append(out, f)
		if !more {
			return out
		}
	}
}

// String prints two lines per frame, as a goroutine dump does: the
// function, then a tab, the module-relative file and the line.
func (s Stack) String() string {
	var b strings.Builder
	for _, f := range s.Frames() {
		b.WriteString(f.Function)
		b.WriteString("\n\t")
		b.WriteString(core.RelFile(f.File))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(f.Line))
		b.WriteByte('\n')
	}
	return b.String()
}
