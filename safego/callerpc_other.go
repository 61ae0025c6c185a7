//go:build !amd64

package safego

// callerPC returns 0: only amd64 reads the call site from the frame
// pointer; elsewhere callerSite falls back to runtime.Callers.
func callerPC() uintptr { return 0 }
