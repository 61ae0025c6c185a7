package stack

import (
	"errors"
	"fmt"
)

// ErrNoGoroutine is returned by [Parse] for input that holds no goroutine.
var ErrNoGoroutine = errors.New("stack: no goroutine in input")

// A SyntaxError reports a line of a dump that [Parse] could not read.
type SyntaxError struct {
	// Line is the 1-based line number in the input.
	Line int
	// Text is the offending line.
	Text string
	// Msg says what was wrong.
	Msg string
	// Err is the underlying error, if any (such as a bad quoted label).
	Err error
}

// Error returns "stack: line N: msg: "text"", followed by the underlying
// error if there is one.
func (e *SyntaxError) Error() string {
	s := fmt.Sprintf("stack: line %d: %s: %q", e.Line, e.Msg, e.Text)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error, or nil.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Reasons a header line is malformed, wrapped in a [*SyntaxError].
var (
	errNoBracket = errors.New("no '[' before the status")
	errNoEnd     = errors.New("no closing \"]:\"")
	errNoStatus  = errors.New("empty status")
	errLabels    = errors.New("malformed labels")
)

// unknownField is a header extra that this package does not know.
type unknownField struct{ field string }

func (e *unknownField) Error() string { return fmt.Sprintf("unknown header field %q", e.field) }
