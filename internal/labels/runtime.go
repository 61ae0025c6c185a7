//go:build !go1.28

package labels

import (
	"unsafe"
)

// profLabel returns the calling goroutine's label set as runtime/pprof set
// it: a pointer to an internal/runtime/pprof/label.Set (struct{ List
// []Label }, Label being struct{ Key, Value string }), or nil. The runtime
// keeps it for linkname users (go.dev/issue/67401) and reads the same layout
// itself to print labels in tracebacks. TestIdentity proves the layout on
// each Go release this file builds for; a release that is not proven uses
// unknown.go, where nothing is read.
//
//go:linkname profLabel runtime/pprof.runtime_getProfLabel
func profLabel() unsafe.Pointer

// labelSet mirrors label.Set.
type labelSet struct {
	list []label
}

// current returns the calling goroutine's labels.
func current() ([]label, bool) {
	p := (*labelSet)(profLabel())
	if p == nil {
		return nil, true
	}
	return p.list, true
}
