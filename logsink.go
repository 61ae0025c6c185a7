package custody

import (
	"context"
	"log/slog"
)

// NewLogSink returns a [Sink] that writes each event as one record to l
// (slog.Default() when l is nil); the message is the kind's name. Faults
// (panic, send after close, double close, mutation after store) are logged
// at error level, suspicious events (ignored cancellation, close by a
// non-owner, zero loaded) at warn, the others at debug.
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
	if e.NewOwner != nil {
		attrs = append(attrs, slog.String("new_owner", e.NewOwner.Name))
	}
	if e.Made != 0 {
		attrs = append(attrs, slog.String("made", e.Made.String()))
	}
	if p := e.Earlier; p != nil {
		attrs = append(attrs, slog.String("earlier_site", p.Site.String()))
		if p.Goroutine != nil {
			attrs = append(attrs, slog.String("earlier_goroutine", p.Goroutine.Name))
		}
		if !p.Time.IsZero() && !e.Time.IsZero() {
			attrs = append(attrs, slog.Duration("since_earlier", e.Time.Sub(p.Time)))
		}
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
