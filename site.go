package custody

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// A Site is a call site: one program counter, captured cheaply by [Caller]
// and resolved to a function, file and line only when one of those is read.
// The zero Site is unknown and prints as "?".
type Site struct {
	pc uintptr
}

// resolutions counts how many times a program counter was resolved; the
// tests use it to prove resolution is lazy.
var resolutions atomic.Int64

// Caller returns the call site skip frames above its caller: Caller(0) is the
// line that calls Caller, Caller(1) the line that called that function.
func Caller(skip int) Site {
	var pcs [1]uintptr // left zero, an unknown Site, if there is no such frame
	runtime.Callers(skip+2, pcs[:])
	return Site{pc: pcs[0]}
}

// SiteOf returns the site for a program counter as returned by
// [runtime.Callers].
func SiteOf(pc uintptr) Site { return Site{pc: pc} }

// PC returns the site's program counter, as runtime.Callers reported it.
func (s Site) PC() uintptr { return s.pc }

// IsZero reports whether the site is unknown.
func (s Site) IsZero() bool { return s.pc == 0 }

// Frame resolves the site. It returns the zero Frame for an unknown site.
func (s Site) Frame() runtime.Frame {
	if s.pc == 0 {
		return runtime.Frame{}
	}
	resolutions.Add(1)
	f, _ := runtime.CallersFrames([]uintptr{s.pc}).Next()
	return f
}

// Function returns the fully qualified name of the site's function, such as
// "github.com/org/svc/payment.(*Handler).serve".
func (s Site) Function() string { return s.Frame().Function }

// File returns the site's file as the binary records it (an absolute path
// unless the binary was built with -trimpath).
func (s Site) File() string { return s.Frame().File }

// Line returns the site's line number, or 0 if unknown.
func (s Site) Line() int { return s.Frame().Line }

// String returns "file.go:123" with the file relative to the root of the
// module that holds it (the nearest directory with a go.mod, or the module
// path for -trimpath builds), or "?" for an unknown site.
func (s Site) String() string {
	f := s.Frame()
	if f.File == "" {
		return "?"
	}
	return RelFile(f.File) + ":" + strconv.Itoa(f.Line)
}

// A Stack is a captured call stack, innermost frame first, kept as program
// counters until read.
type Stack []uintptr

// Callers captures the stack of its caller, skipping skip frames as
// [Caller] does, up to 64 frames.
func Callers(skip int) Stack {
	var pcs [64]uintptr
	n := runtime.Callers(skip+2, pcs[:])
	return append(Stack(nil), pcs[:n]...)
}

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

// String prints one frame per two lines, as a goroutine dump does: the
// function, then a tab, the module-relative file and the line.
func (s Stack) String() string {
	var b strings.Builder
	for _, f := range s.Frames() {
		b.WriteString(f.Function)
		b.WriteString("\n\t")
		b.WriteString(RelFile(f.File))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(f.Line))
		b.WriteByte('\n')
	}
	return b.String()
}

// moduleRoots caches, per directory, the root of the module that holds it
// ("" when none is found).
var moduleRoots sync.Map // string -> string

// RelFile returns file relative to the root of its module: the nearest
// ancestor directory holding a go.mod for a file on disk, or the path after
// a known module path for a -trimpath build. Failing both, it returns the
// file's directory name and base name, such as "payment/handler.go".
//
// The known module paths are those of the running binary's build info. A
// test binary's lists no dependencies, so under go test -trimpath only the
// main module's files are made relative to their module: a dependency's
// "github.com/stretchr/testify@v1.12.1/assert/yaml/yaml_default.go" prints
// as "yaml/yaml_default.go", not "assert/yaml/yaml_default.go".
func RelFile(file string) string {
	file = filepath.ToSlash(file)
	dir := filepath.Dir(file)
	if filepath.IsAbs(dir) {
		if root := moduleRoot(dir); root != "" {
			return strings.TrimPrefix(file, root+"/")
		}
	} else if rel, ok := trimModulePath(file); ok {
		return rel
	}
	return filepath.ToSlash(filepath.Join(filepath.Base(dir), filepath.Base(file)))
}

func moduleRoot(dir string) string {
	if root, ok := moduleRoots.Load(dir); ok {
		return root.(string)
	}
	root := ""
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		root = dir
	} else if parent := filepath.Dir(dir); parent != dir {
		root = moduleRoot(parent)
	}
	moduleRoots.Store(dir, filepath.ToSlash(root))
	return root
}

// trimModulePath strips the longest module path of the running binary that
// prefixes file, as found in -trimpath builds ("example.com/mod@v1.2.3/x.go"
// or, for the main module, "example.com/mod/x.go").
func trimModulePath(file string) (string, bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	best := ""
	try := func(p string) {
		if p != "" && strings.HasPrefix(file, p+"/") && len(p) > len(best) {
			best = p
		}
	}
	try(info.Main.Path)
	for _, m := range info.Deps {
		try(m.Path)
		try(m.Path + "@" + m.Version)
	}
	if best == "" {
		return "", false
	}
	return file[len(best)+1:], true
}
