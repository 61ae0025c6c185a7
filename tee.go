package custody

import (
	"context"
	"reflect"
	"slices"
	"time"
)

// Tee returns a sink that delivers each event to every non-nil sink in
// order; a panic in one of them is contained as [Emit] describes and the
// others still get the event. Its mode is the highest of theirs, its cancel
// grace the shortest (a sink whose CancelGrace panics has no say); it lets
// each of them adjust an owned goroutine's context in turn, and flushes each
// of them. Tee() with no sinks returns nil, which [SetSink] treats as off.
//
// Each sink gets an event once: a sink that Tee returned contributes its
// sinks in their order, and a sink equal (==) to one already taken is left
// out, so that Tee(Tee(a, b), b, a) delivers to a, then b. A sink whose
// value cannot be compared (a func or a map, or a struct holding one) is
// never dropped: passed twice, it gets each event twice.
func Tee(sinks ...Sink) Sink {
	var t tee
	for _, s := range sinks {
		if inner, ok := s.(tee); ok {
			for _, s := range inner {
				t = t.with(s)
			}
		} else if s != nil {
			t = t.with(s)
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

// with returns t with s appended unless t already holds s. A tee built by
// Tee holds no tee, so one level of flattening is enough.
func (t tee) with(s Sink) tee {
	// Comparing with == panics for a dynamic value that is not comparable,
	// such as a func, or a struct holding a slice in an interface field.
	if reflect.ValueOf(s).Comparable() && slices.Contains(t, s) {
		return t
	}
	return append(t, s)
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
