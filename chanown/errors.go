package chanown

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/custody-go/custody"
)

// ErrClosed is matched (with [errors.Is]) by every error a [Chan] returns
// for a send or close on a closed channel. The error itself is a
// [*CloseError] with the details.
var ErrClosed = errors.New("chanown: channel is closed")

// A CloseError says that a send or close found the channel closed, and who
// closed it. It matches [ErrClosed].
//
// Sites and times are recorded only while a [custody.Sink] is installed:
// ClosedAt is zero when custody was off at the first close (then Closer and
// CloseSite are unknown too), and Site and Time are zero when custody was
// off at this operation.
type CloseError struct {
	// Chan is the channel's name.
	Chan string
	// Op is the operation that found the channel closed: "send" or "close".
	Op string
	// Site and Time are where and when that operation happened.
	Site custody.Site
	Time time.Time
	// Closer is the identity that closed the channel first (nil for an
	// unowned goroutine), CloseSite where, ClosedAt when.
	Closer    *custody.Goroutine
	CloseSite custody.Site
	ClosedAt  time.Time
}

// Error says what happened and where to look, such as:
//
//	chanown: send on closed channel "payment-results": closed by "process-payment" at payment/handler.go:40 3ms earlier; this send at payment/handler.go:33
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
