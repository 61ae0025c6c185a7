package otelbridge

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/spine"
)

// Attribute keys of spans, span events and metrics. The package comment
// lists which of them go where.
const (
	goroutineIDKey       = attribute.Key("custody.goroutine.id")
	goroutineNameKey     = attribute.Key("custody.goroutine.name")
	goroutineParentKey   = attribute.Key("custody.goroutine.parent")
	goroutineParentIDKey = attribute.Key("custody.goroutine.parent_id")
	goroutineOwnerKey    = attribute.Key("custody.goroutine.owner")
	goroutineChainKey    = attribute.Key("custody.goroutine.chain")
	cancelLatencyKey     = attribute.Key("custody.goroutine.cancel_latency")
	contextErrorKey      = attribute.Key("custody.context.error")

	chanNameKey       = attribute.Key("custody.chan.name")
	chanOwnerKey      = attribute.Key("custody.chan.owner")
	chanNewOwnerKey   = attribute.Key("custody.chan.new_owner")
	chanMadeAtKey     = attribute.Key("custody.chan.made_at")
	chanClosedByKey   = attribute.Key("custody.chan.closed_by")
	chanClosedAtKey   = attribute.Key("custody.chan.closed_at")
	chanSinceCloseKey = attribute.Key("custody.chan.since_close")

	mapKeyKey      = attribute.Key("custody.map.key")
	mapStoredAtKey = attribute.Key("custody.map.stored_at")
	mapStoredByKey = attribute.Key("custody.map.stored_by")
)

// eventNames holds each kind's span event name: "custody." and the kind's
// stable name, such as "custody.chan.double_close".
var eventNames = func() map[custody.Kind]string {
	m := make(map[custody.Kind]string)
	for k := custody.Kind(1); !strings.HasPrefix(k.String(), "Kind("); k++ {
		m[k] = "custody." + k.String()
	}
	return m
}()

// siteAttrs appends the semantic-convention code attributes of s: the
// function, file and line. An unknown site adds nothing. The attributes of
// a site are resolved once and kept, for up to maxCachedSites sites.
func siteAttrs(attrs []attribute.KeyValue, s custody.Site) []attribute.KeyValue {
	if v, ok := sites.Load(s); ok {
		return append(attrs, v.([]attribute.KeyValue)...)
	}
	var code []attribute.KeyValue
	if f := s.Frame(); f.PC != 0 || f.File != "" {
		code = []attribute.KeyValue{
			semconv.CodeFunctionName(f.Function),
			semconv.CodeFilePath(f.File),
			semconv.CodeLineNumber(f.Line),
		}
	}
	if cachedSites.Add(1) <= maxCachedSites {
		sites.Store(s, code)
	}
	return append(attrs, code...)
}

// sites holds the code attributes of the sites seen so far, by site: a
// program has as many as it has lines that start goroutines or operate on
// channels, and maxCachedSites bounds them against code generated at run
// time.
var (
	sites       sync.Map
	cachedSites atomic.Int32
)

const maxCachedSites = 1 << 14

// goroutineAttrs returns the attributes of the span of the owned goroutine g:
// its identity, its spawn site, its parent and the owner at the root of its
// chain.
func goroutineAttrs(g *custody.Goroutine) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 9)
	attrs = append(attrs,
		goroutineIDKey.Int64(int64(g.ID)),
		goroutineNameKey.String(g.Name),
	)
	attrs = siteAttrs(attrs, g.Spawn)
	if p := g.Parent; p != nil {
		attrs = append(attrs,
			goroutineParentKey.String(p.Name),
			goroutineParentIDKey.Int64(int64(p.ID)),
			goroutineOwnerKey.String(spine.Root(g).Name),
			goroutineChainKey.String(g.Chain()),
		)
	}
	return attrs
}

// actorAttrs appends the identity of g, the goroutine that performed an
// operation, when there is one.
func actorAttrs(attrs []attribute.KeyValue, g *custody.Goroutine) []attribute.KeyValue {
	if g == nil {
		return attrs
	}
	return append(attrs,
		goroutineNameKey.String(g.Name),
		goroutineIDKey.Int64(int64(g.ID)),
	)
}

// chanAttrs returns the attributes of the span event of a channel event.
func chanAttrs(e *custody.Event) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs, chanNameKey.String(e.Object))
	attrs = actorAttrs(attrs, e.Goroutine)
	attrs = siteAttrs(attrs, e.Site)
	if e.Owner != nil {
		attrs = append(attrs, chanOwnerKey.String(e.Owner.Name))
	}
	if e.Made != 0 {
		attrs = append(attrs, chanMadeAtKey.String(e.Made.String()))
	}
	switch e.Kind {
	case custody.ChanHandoff:
		if e.NewOwner != nil {
			attrs = append(attrs, chanNewOwnerKey.String(e.NewOwner.Name))
		}
	case custody.ChanSendAfterClose, custody.ChanDoubleClose:
		if p := e.Earlier; p != nil {
			if p.Goroutine != nil {
				attrs = append(attrs, chanClosedByKey.String(p.Goroutine.Name))
			}
			if p.Site != 0 {
				attrs = append(attrs, chanClosedAtKey.String(p.Site.String()))
			}
			if !p.Time.IsZero() && !e.Time.IsZero() {
				attrs = append(attrs, chanSinceCloseKey.Float64(seconds(e.Time.Sub(p.Time))))
			}
		}
	}
	return attrs
}

// mapAttrs returns the attributes of the span event of a map event.
func mapAttrs(e *custody.Event) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 9)
	attrs = append(attrs, mapKeyKey.String(e.Object))
	attrs = actorAttrs(attrs, e.Goroutine)
	attrs = siteAttrs(attrs, e.Site)
	if p := e.Earlier; p != nil {
		if p.Site != 0 {
			attrs = append(attrs, mapStoredAtKey.String(p.Site.String()))
		}
		if p.Goroutine != nil {
			attrs = append(attrs, mapStoredByKey.String(p.Goroutine.Name))
		}
	}
	return attrs
}

// exceptionAttrs returns the semantic-convention attributes of the exception
// event of a panic: the panic value's type and text, and the stack where it
// happened.
func exceptionAttrs(e *custody.Event) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		semconv.ExceptionType(typeName(e.Value)),
		semconv.ExceptionMessage(panicMessage(e.Value)),
	}
	if len(e.Stack) > 0 {
		attrs = append(attrs, semconv.ExceptionStacktrace(e.Stack.String()))
	}
	return attrs
}

// typeName returns the package-qualified name of v's dynamic type, such as
// "runtime.boundsError" or "string".
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "<nil>"
	}
	if t.PkgPath() != "" && t.Name() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}

// panicMessage formats a panic value as the runtime would after "panic: ".
func panicMessage(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	return fmt.Sprint(v)
}

// seconds returns d in seconds, the unit OpenTelemetry uses for durations.
func seconds(d time.Duration) float64 { return d.Seconds() }
