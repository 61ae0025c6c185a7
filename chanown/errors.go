package chanown

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/custody-go/custody"
)

// ErrClosed is matched by every [*CloseError].
var ErrClosed = errors.New("chanown: channel is closed")

// A CloseError says that a send or close found the channel closed, and who
// closed it. Sites and times are recorded only while a sink is installed:
// the first close's are zero if custody was off then, Site and Time if it
// was off at this operation.
type CloseError struct {
	Chan string       // the channel's name
	Op   string       // "send" or "close"
	Site custody.Site // where this operation was
	Time time.Time    // and when
	// The first close: by whom (nil: an unowned goroutine), where, when.
	Closer    *custody.Goroutine
	CloseSite custody.Site
	ClosedAt  time.Time
}

// Error says what happened, where, and who closed the channel first.
func (e *CloseError) Error() string {
	var b strings.Builder
	b.WriteString("chanown: ")
	b.WriteString(e.Op)
	if e.Op == opClose {
		b.WriteString(" of closed channel ")
	} else {
		b.WriteString(" on closed channel ")
	}
	b.WriteString(strconv.Quote(e.Chan))
	if e.ClosedAt.IsZero() {
		b.WriteString(" (closer not recorded: custody was off when it was closed; install a custody sink to record closers)")
	} else {
		b.WriteString(": ")
		if e.Op == opClose {
			b.WriteString("first ")
		}
		b.WriteString("closed by ")
		if e.Closer == nil {
			b.WriteString("an unowned goroutine")
		} else {
			b.WriteString(strconv.Quote(e.Closer.Name))
		}
		b.WriteString(" at ")
		b.WriteString(e.CloseSite.String())
		if !e.Time.IsZero() {
			b.WriteByte(' ')
			b.WriteString(e.Time.Sub(e.ClosedAt).Round(time.Microsecond).String())
			b.WriteString(" earlier")
		}
	}
	if e.Site != 0 {
		b.WriteString("; this ")
		b.WriteString(e.Op)
		b.WriteString(" at ")
		b.WriteString(e.Site.String())
	}
	return b.String()
}

// Unwrap returns [ErrClosed].
func (e *CloseError) Unwrap() error { return ErrClosed }
