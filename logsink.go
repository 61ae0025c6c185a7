package custody

import (
	"context"
	"log/slog"
)

// NewLogSink returns a [Sink] that writes each event as one structured
// record to l (slog.Default() when l is nil), so that a service without
// OpenTelemetry still sees what custody saw. The message is the kind's name;
// attributes are set only when they apply. Lifecycle events (spawned,
// exited, made, closed, handoff, context done, zero stored) are logged at
// debug level, suspicious ones (ignored cancellation, close by a non-owner,
// zero loaded) at warn, and faults (panic, send after close, double close,
// mutation after store) at error. The sink asks for [Observe] mode.
func NewLogSink(l *slog.Logger) Sink {
	return logSink{l: l}
}

type logSink struct{ l *slog.Logger }

func (s logSink) Emit(ctx context.Context, e Event) {
	l := s.l
	if l == nil {
		l = slog.Default()
	}
	level := kindLevel(e.Kind)
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.String("site", e.Site.String()))
	if e.Goroutine != nil {
		attrs = append(attrs, slog.String("goroutine", e.Goroutine.Name),
			slog.Uint64("goroutine_id", e.Goroutine.ID))
		if e.Goroutine.Parent != nil {
			attrs = append(attrs, slog.String("chain", e.Goroutine.Chain()))
		}
	}
	if e.Object != "" {
		attrs = append(attrs, slog.String("object", e.Object))
	}
	if e.Owner != nil {
		attrs = append(attrs, slog.String("owner", e.Owner.Name))
	}
	if !e.Made.IsZero() {
		attrs = append(attrs, slog.String("made", e.Made.String()))
	}
	if !e.Other.IsZero() {
		attrs = append(attrs, slog.String("other_site", e.Other.String()))
	}
	if e.OtherGoroutine != nil {
		attrs = append(attrs, slog.String("other_goroutine", e.OtherGoroutine.Name))
	}
	if !e.OtherTime.IsZero() && !e.Time.IsZero() {
		attrs = append(attrs, slog.Duration("since_other", e.Time.Sub(e.OtherTime)))
	}
	if e.Latency != 0 {
		attrs = append(attrs, slog.Duration("latency", e.Latency))
	}
	if e.Value != nil {
		attrs = append(attrs, slog.Any("panic", e.Value))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	l.LogAttrs(ctx, level, e.Kind.String(), attrs...)
}

func kindLevel(k Kind) slog.Level {
	switch k {
	case GoroutinePanicked, ChanSendAfterClose, ChanDoubleClose, MapMutatedAfterStore:
		return slog.LevelError
	case GoroutineIgnoredCancel, ChanCloseByNonOwner, MapZeroLoaded:
		return slog.LevelWarn
	}
	return slog.LevelDebug
}
