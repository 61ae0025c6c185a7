package safego

// callerPC returns the return address of the function that calls it, that
// is the call site in that function's caller, from the frame pointer: a
// load where runtime.Callers unwinds. The caller must not be inlined.
func callerPC() uintptr
