package custody

import (
	"context"

	"github.com/custody-go/custody/internal/core"
)

// A Sink receives the events of every wrapper in the process. Emit is called
// synchronously by the goroutine that performed the operation, from many
// goroutines at once: it must be safe for concurrent use, quick, and must
// not block. ctx is the operation's context; for the Goroutine kinds it is
// the owned goroutine's own. A panic in Emit is recovered and logged through
// [log/slog.Default], and the operation goes on.
type Sink interface {
	Emit(ctx context.Context, e Event)
}

// Install adds s to the process's sinks, turning custody on, and returns a
// function that removes it. Every installed sink receives every event, once;
// uninstalls may come in any order, and a second call does nothing. An
// uninstall waits up to 100ms for owned goroutines started while s was
// installed to report their exit; later events do not reach s. Install
// panics if s is nil.
func Install(s Sink) (uninstall func()) {
	if s == nil {
		panic("custody: Install called with a nil Sink")
	}
	return core.Install(&core.Entry{Sink: s, Mode: core.Observe, Drain: core.DefaultDrain})
}
