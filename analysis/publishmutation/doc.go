// Package publishmutation defines an Analyzer that reports values changed in
// place after a concurrent map published them.
//
// # Analyzer publishmutation
//
// publishmutation: report a value changed in place after a sync.Map or
// safemap.Map published it
//
// A value stored in a concurrent map is shared: every goroutine that loads
// it gets the same pointer. Changing what it points to is a data race with
// all of them, and a lock of the caller's own does not help the others.
// The incident:
//
//	v, _ := m.LoadOrStore(k, &Order{...})
//	v.(*Order).Status = "confirmed"
//
// The analyzer reports an assignment (or ++, --, delete) that writes
// through a pointer, slice or map reached from a value that a concurrent
// map published in the same function: a value returned by Load or
// LoadOrStore (directly or after a type assertion), a variable stored with
// Store or LoadOrStore (writes after the store), the old value safemap's
// Update passes to its function, or the value Range passes to its. Values
// of struct types with a mutex field are skipped: they guard themselves.
// A variable assigned again in the function is not followed. Test files are
// not checked: a test of a detector mutates on purpose.
//
// Fix: store a changed copy instead of changing the shared value:
// safemap.Map.Update, CompareAndSwap, or a copy and Store.
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore publishmutation REASON
package publishmutation
