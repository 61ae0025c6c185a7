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
	Name, Group string // the member's and the group's ("" for a zero Group)
	// Goroutine is the member's record; nil if custody was off.
	Goroutine *custody.Goroutine
	// Value is the value the member panicked with.
	Value any
	// Stack is where the member panicked, innermost frame first.
	Stack custody.Stack
	// Others counts the members that panicked after this one.
	Others int
}

// Error returns the member, the panic value and the stack:
// `safego: member "fetch" of group "crawl" panicked: boom`, then the stack.
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

// Unwrap returns the panic value if it is an error, or nil.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
