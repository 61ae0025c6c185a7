// Package jaeger_test checks, against a real Jaeger, that the spans
// otelbridge makes for owned goroutines arrive with their parent/child
// structure, attributes and events. scripts/e2e-jaeger.sh builds and starts
// Jaeger and runs it; run alone, without E2E_JAEGER_QUERY, it is skipped.
//
// The test builds its TracerProvider as a service should to honour the
// standard OTEL_* variables: with autoexport, which reads
// OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_PROTOCOL and
// OTEL_EXPORTER_OTLP_ENDPOINT, and the SDK's default resource, which reads
// OTEL_SERVICE_NAME.
package jaeger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

// newTracerProvider returns a TracerProvider that exports as the OTEL_*
// variables say, through a batch processor.
func newTracerProvider(ctx context.Context) (*sdktrace.TracerProvider, error) {
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, err
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp)), nil
}

func TestJaeger(t *testing.T) {
	query := os.Getenv("E2E_JAEGER_QUERY")
	if query == "" {
		t.Skip("E2E_JAEGER_QUERY is not set: run scripts/e2e-jaeger.sh")
	}
	service := os.Getenv("OTEL_SERVICE_NAME")
	require.NotEmpty(t, service, "OTEL_SERVICE_NAME")
	ctx, cancelTest := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancelTest()

	tp, err := newTracerProvider(ctx)
	require.NoError(t, err)
	defer func() { require.NoError(t, tp.Shutdown(context.WithoutCancel(ctx))) }()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { require.NoError(t, mp.Shutdown(context.WithoutCancel(ctx))) }()
	defer otelbridge.Install(
		otelbridge.WithTracerProvider(tp),
		otelbridge.WithMeterProvider(mp),
		otelbridge.WithCancelGrace(100*time.Millisecond),
	)()

	// A request handler's identity and span, and a small tree of owned
	// goroutines under it (spans follow the trace: the goroutines' spans
	// are children of the request's, which is sampled): quote starts
	// price, which ignores the request's cancellation for a while, closes a
	// channel twice and waits; a group member panics.
	reqCtx, request := tp.Tracer("e2e").Start(custody.NewContext(ctx, "handler"), "GET /quote")
	reqCtx, cancel := context.WithCancel(reqCtx)
	quoteLine := line() + 1
	safego.Go(reqCtx, "quote", func(ctx context.Context) {
		safego.Go(ctx, "price", func(ctx context.Context) {
			<-ctx.Done()
			time.Sleep(300 * time.Millisecond) // past the grace: ignored cancellation
		})
		quotes := chanown.Make[int](ctx, "quotes", 1)
		_ = quotes.Close(ctx)
		_ = quotes.Close(ctx) // a second close: an error, and a span event
		<-ctx.Done()
	})
	g, _ := safego.WithContext(reqCtx, "parse")
	g.Go("parse-quote", func(context.Context) error { panic("malformed quote") })
	var pe *safego.PanicError
	func() {
		defer func() { pe, _ = recover().(*safego.PanicError) }()
		_ = g.Wait()
	}()
	require.NotNil(t, pe, "the group's Wait raises the member's panic")
	cancel()
	waitForExits(t, ctx, reader)
	request.End()
	require.NoError(t, tp.ForceFlush(ctx))

	spans := fetchTrace(t, ctx, query, service, request.SpanContext().TraceID().String(), 4)
	byName := map[string]jaegerSpan{}
	for _, s := range spans {
		byName[s.OperationName] = s
	}
	require.Len(t, byName, 4, "span names: %v", slices.Collect(maps.Keys(byName)))
	req, quote, price, parse := byName["GET /quote"], byName["quote"], byName["price"], byName["parse-quote"]

	// Structure.
	assert.Empty(t, req.parent(), "the request span is the root")
	assert.Equal(t, req.SpanID, quote.parent(), "quote is a child of the request")
	assert.Equal(t, quote.SpanID, price.parent(), "price is a child of quote")
	assert.Equal(t, req.SpanID, parse.parent(), "the group member is a child of the request")

	// Attributes.
	assert.Equal(t, otelbridge.ScopeName, quote.tag("otel.scope.name"))
	assert.Equal(t, otelbridge.Version, quote.tag("otel.scope.version"))
	assert.Equal(t, "quote", quote.tag("custody.goroutine.name"))
	assert.Equal(t, "handler", quote.tag("custody.goroutine.parent"))
	assert.Equal(t, "handler", quote.tag("custody.goroutine.owner"))
	assert.Equal(t, "github.com/custody-go/custody/e2e/jaeger_test.TestJaeger", quote.tag("code.function.name"))
	assert.Equal(t, "jaeger_test.go", filepath.Base(fmt.Sprint(quote.tag("code.file.path"))))
	assert.Equal(t, float64(quoteLine), quote.tag("code.line.number"))
	assert.Equal(t, "quote", price.tag("custody.goroutine.parent"))
	assert.Equal(t, "handler", price.tag("custody.goroutine.owner"))
	assert.Equal(t, "price ← quote ← handler", price.tag("custody.goroutine.chain"))
	assert.InDelta(t, 0.3, price.tag("custody.goroutine.cancel_latency"), 0.1, "price slept 0.3 s after its context was done")
	assert.Equal(t, "ERROR", parse.tag("otel.status_code"))
	assert.Equal(t, "panic: malformed quote", parse.tag("otel.status_description"))

	// Events.
	assert.Equal(t, []string{"custody.chan.closed", "custody.chan.double_close", "custody.goroutine.context_done", "custody.goroutine.exited"},
		quote.events())
	assert.Equal(t, "quotes", quote.event("custody.chan.double_close")["custody.chan.name"])
	assert.Equal(t, "quote", quote.event("custody.chan.double_close")["custody.chan.closed_by"])
	assert.Equal(t, []string{"custody.goroutine.context_done", "custody.goroutine.ignored_cancel", "custody.goroutine.exited"},
		price.events())
	assert.Equal(t, "context canceled", price.event("custody.goroutine.context_done")["custody.context.error"])
	assert.InDelta(t, 0.1, price.event("custody.goroutine.ignored_cancel")["custody.goroutine.cancel_latency"], 0.05)
	assert.Equal(t, []string{"exception"}, parse.events())
	assert.Equal(t, "malformed quote", parse.event("exception")["exception.message"])
	assert.Equal(t, "string", parse.event("exception")["exception.type"])
	assert.Contains(t, parse.event("exception")["exception.stacktrace"], "jaeger_test.TestJaeger")

	trimmed, err := json.MarshalIndent(trim(spans), "", "  ")
	require.NoError(t, err)
	t.Logf("checked in Jaeger (/api/traces?service=%s, trimmed):\n%s", service, trimmed)
}

// line returns the line that calls it.
func line() int {
	_, _, n, _ := runtime.Caller(1)
	return n
}

// waitForExits waits, at most ten seconds, for every owned goroutine to
// have exited, as the bridge's own goroutine count says.
func waitForExits(t *testing.T, ctx context.Context, reader *sdkmetric.ManualReader) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(ctx, &rm))
		running, seen := int64(0), false
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "custody.goroutine.count" {
					seen = true
					for _, p := range sum.DataPoints {
						running += p.Value
					}
				}
			}
		}
		if seen && running == 0 {
			return
		}
		require.True(t, time.Now().Before(deadline), "owned goroutines still running: %d", running)
		time.Sleep(20 * time.Millisecond)
	}
}

// jaegerSpan is a span as Jaeger's query API returns it.
type jaegerSpan struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	Tags []jaegerKV `json:"tags"`
	Logs []struct {
		Timestamp int64      `json:"timestamp"`
		Fields    []jaegerKV `json:"fields"`
	} `json:"logs"`
}

type jaegerKV struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

func (s jaegerSpan) parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

func (s jaegerSpan) tag(key string) any {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// events returns the names of the span's events (Jaeger's logs), in order.
func (s jaegerSpan) events() []string {
	var names []string
	for _, l := range s.Logs {
		for _, f := range l.Fields {
			if f.Key == "event" {
				names = append(names, fmt.Sprint(f.Value))
			}
		}
	}
	return names
}

// event returns the attributes of the span's event named name.
func (s jaegerSpan) event(name string) map[string]any {
	for _, l := range s.Logs {
		fields := map[string]any{}
		for _, f := range l.Fields {
			fields[f.Key] = f.Value
		}
		if fields["event"] == name {
			return fields
		}
	}
	return nil
}

// fetchTrace asks Jaeger's query API for the service's traces until the one
// with traceID holds at least want spans, for at most thirty seconds.
func fetchTrace(t *testing.T, ctx context.Context, query, service, traceID string, want int) []jaegerSpan {
	t.Helper()
	u := query + "/api/traces?" + url.Values{"service": {service}, "limit": {"20"}}.Encode()
	deadline := time.Now().Add(30 * time.Second)
	for {
		spans, err := getTrace(ctx, u, traceID)
		if err == nil && len(spans) >= want {
			return spans
		}
		require.True(t, time.Now().Before(deadline), "GET %s: %d spans of trace %s, want %d (error: %v)", u, len(spans), traceID, want, err)
		time.Sleep(200 * time.Millisecond)
	}
}

func getTrace(ctx context.Context, u, traceID string) ([]jaegerSpan, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s: %.200s", resp.Status, body)
	}
	var out struct {
		Data []struct {
			TraceID string       `json:"traceID"`
			Spans   []jaegerSpan `json:"spans"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, err
	}
	for _, tr := range out.Data {
		if tr.TraceID == traceID {
			return tr.Spans, nil
		}
	}
	return nil, errors.New("trace not found yet")
}

// trim returns what the test checked of spans, for the log: names,
// parents, custody and code tags, and events, without the stack traces'
// bulk.
func trim(spans []jaegerSpan) []map[string]any {
	var out []map[string]any
	for _, s := range spans {
		tags := map[string]any{}
		for _, kv := range s.Tags {
			if strings.HasPrefix(kv.Key, "custody.") || strings.HasPrefix(kv.Key, "code.") ||
				strings.HasPrefix(kv.Key, "otel.") || kv.Key == "error.type" {
				tags[kv.Key] = kv.Value
			}
		}
		var events []map[string]any
		for _, l := range s.Logs {
			fields := map[string]any{}
			for _, f := range l.Fields {
				v := f.Value
				if str, ok := v.(string); ok && len(str) > 120 {
					v = str[:120] + "…"
				}
				fields[f.Key] = v
			}
			events = append(events, fields)
		}
		out = append(out, map[string]any{
			"operationName": s.OperationName,
			"spanID":        s.SpanID,
			"parentSpanID":  s.parent(),
			"tags":          tags,
			"events":        events,
		})
	}
	slices.SortFunc(out, func(a, b map[string]any) int {
		return strings.Compare(a["operationName"].(string), b["operationName"].(string))
	})
	return out
}
