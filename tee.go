package custody

import (
	"context"
	"time"
)

// Tee returns a sink that delivers each event to every non-nil sink in
// order; a panic in one of them is contained as [Emit] describes and the
// others still get the event. Its mode is the highest of theirs, its cancel
// grace the shortest (a sink whose CancelGrace panics has no say); it lets
// each of them adjust an owned goroutine's context in turn, and flushes each
// of them. Tee() with no sinks returns nil, which [SetSink] treats as off.
func Tee(sinks ...Sink) Sink {
	var t tee
	for _, s := range sinks {
		if s != nil {
			t = append(t, s)
		}
	}
	switch len(t) {
	case 0:
		return nil
	case 1:
		return t[0]
	}
	return t
}

type tee []Sink

func (t tee) Emit(ctx context.Context, e Event) {
	for _, s := range t {
		deliver(ctx, s, e) // one sink's panic must not starve the others
	}
}

func (t tee) Mode() Mode {
	m := Observe
	for _, s := range t {
		if sm, ok := s.(moder); ok && sm.Mode() > m {
			m = sm.Mode()
		}
	}
	return m
}

func (t tee) GoroutineContext(ctx context.Context, g *Goroutine) context.Context {
	for _, s := range t {
		if c, ok := s.(contexter); ok {
			ctx = adjust(ctx, s, c, g) // one sink's panic must not undo the others' changes
		}
	}
	return ctx
}

func (t tee) Flush(ctx context.Context) {
	for _, s := range t {
		if f, ok := s.(flusher); ok {
			flush(ctx, s, f) // one sink's panic must not keep the others from flushing
		}
	}
}

func (t tee) CancelGrace() time.Duration {
	var d time.Duration
	for _, s := range t {
		if g, ok := s.(gracer); ok {
			// A sink that panics makes no choice; the others still count.
			if sd := grace(s, g); sd > 0 && (d == 0 || sd < d) {
				d = sd
			}
		}
	}
	return d
}
