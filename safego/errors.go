package safego

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/custody-go/custody"
)

// A PanicError is a panic recovered from a member of a [Group]. It is the
// member's error, and so the cause of the group's context, and [Group.Wait]
// panics with it.
type PanicError struct {
	// Name is the member's name, as given to Go or TryGo, and Group the
	// group's, as given to WithContext ("" for a zero Group).
	Name, Group string
	// Goroutine is the member's record, or nil if custody was off when the
	// member was started.
	Goroutine *custody.Goroutine
	// Value is the value the member panicked with.
	Value any
	// Stack is where the member panicked, innermost frame first.
	Stack custody.Stack
	// Others counts the members that panicked after this one, as Wait saw
	// them; their panics were reported as events in observe and verify mode
	// and are otherwise dropped.
	Others int
}

// Error returns the member, the panic value and the stack, such as
//
//	safego: member "fetch" of group "crawl" panicked: boom
//
//	goroutine stack:
//	main.fetch
//		crawl/fetch.go:12
//	...
func (e *PanicError) Error() string {
	var b strings.Builder
	b.WriteString("safego: member ")
	b.WriteString(strconv.Quote(e.Name))
	if e.Group != "" {
		b.WriteString(" of group ")
		b.WriteString(strconv.Quote(e.Group))
	}
	b.WriteString(" panicked: ")
	fmt.Fprint(&b, e.Value)
	if e.Others > 0 {
		fmt.Fprintf(&b, " (and %d later member panics)", e.Others)
	}
	if len(e.Stack) > 0 {
		b.WriteString("\n\ngoroutine stack:\n")
		b.WriteString(e.Stack.String())
	}
	return b.String()
}

// Unwrap returns the panic value if it is an error, so that errors.Is and
// errors.As see through a PanicError (to a [runtime.Error], say), or nil.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
