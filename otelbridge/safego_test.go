package otelbridge_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/oracle"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
	"github.com/custody-go/custody/safemap"
)

// These tests drive the bridge through the real wrappers, in observe mode
// as production runs them (no oracle), inside synctest bubbles so that
// latencies are exact.

func TestSafegoSpans(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tel := install(t, otelbridge.WithCancelGrace(100*time.Millisecond))
		require.Equal(t, core.Observe, spine.Mode())
		handler := spine.NewGoroutine(nil, "handler", spine.Caller(0))
		ctx, request := tel.tp.Tracer("test").Start(spine.WithRecord(t.Context(), handler), "request")
		ctx, cancel := context.WithCancel(ctx)

		file, line := spawnLine(t)
		safego.Go(ctx, "fetch", func(ctx context.Context) {
			safego.Go(ctx, "fetch-part", func(ctx context.Context) {
				<-ctx.Done()
				time.Sleep(40 * time.Millisecond) // cleans up, within the grace
			})
			<-ctx.Done()
			time.Sleep(time.Second) // ignores cancellation for a while
		})
		synctest.Wait()
		assert.Empty(t, tel.spans.Ended(), "spans end when their goroutines exit")
		assert.Equal(t, map[string]int64{"fetch": 1, "fetch-part": 1},
			sums(t, tel.collect(t)["custody.goroutine.count"], "custody.goroutine.name"))

		cancel()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		request.End()

		fetch := tel.ended(t, "fetch")
		part := tel.ended(t, "fetch-part")
		assert.Equal(t, request.SpanContext().SpanID(), fetch.Parent().SpanID())
		assert.Equal(t, fetch.SpanContext().SpanID(), part.Parent().SpanID())

		attrs := attrMap(fetch.Attributes())
		assert.Equal(t, "handler", attrs["custody.goroutine.parent"].AsString())
		assert.Equal(t, "handler", attrs["custody.goroutine.owner"].AsString())
		assert.Equal(t, file, attrs[semconv.CodeFilePathKey].AsString())
		assert.Equal(t, int64(line+1), attrs[semconv.CodeLineNumberKey].AsInt64(), "the line that called safego.Go")
		assert.Equal(t, "github.com/custody-go/custody/otelbridge_test.TestSafegoSpans.func1",
			attrs[semconv.CodeFunctionNameKey].AsString())
		assert.InDelta(t, 1.0, attrs["custody.goroutine.cancel_latency"].AsFloat64(), 1e-9)
		pattrs := attrMap(part.Attributes())
		assert.Equal(t, "fetch", pattrs["custody.goroutine.parent"].AsString())
		assert.Equal(t, "handler", pattrs["custody.goroutine.owner"].AsString())
		assert.InDelta(t, 0.04, pattrs["custody.goroutine.cancel_latency"].AsFloat64(), 1e-9)

		var names []string
		for _, e := range fetch.Events() {
			names = append(names, e.Name)
		}
		assert.Equal(t, []string{"custody.goroutine.context_done", "custody.goroutine.ignored_cancel", "custody.goroutine.exited"}, names)
		assert.Equal(t, "context canceled", attrMap(event(t, fetch, "custody.goroutine.context_done").Attributes)["custody.context.error"].AsString())
		assert.InDelta(t, 0.1, attrMap(event(t, fetch, "custody.goroutine.ignored_cancel").Attributes)["custody.goroutine.cancel_latency"].AsFloat64(), 1e-9)
		names = names[:0]
		for _, e := range part.Events() {
			names = append(names, e.Name)
		}
		assert.Equal(t, []string{"custody.goroutine.context_done", "custody.goroutine.exited"}, names)

		ms := tel.collect(t)
		assert.Equal(t, map[string]int64{"fetch": 0, "fetch-part": 0}, sums(t, ms["custody.goroutine.count"], "custody.goroutine.name"))
		assert.Equal(t, map[string]int64{"fetch": 1}, sums(t, ms["custody.goroutine.ignored_cancels"], "custody.goroutine.name"))
	})
}

func TestSafegoPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tel := install(t, otelbridge.WithRootSpans()) // the test's context holds no span
		// The oracle keeps the panic from crashing the test binary (verify
		// mode) and lets it pass as an expected finding.
		ctx := oracle.Check(t, oracle.Allow(custody.GoroutinePanicked))
		safego.Go(ctx, "panicky", func(ctx context.Context) {
			var m map[string]int
			m["x"] = 1 // a runtime panic: assignment to entry in nil map
		})
		synctest.Wait()

		s := tel.ended(t, "panicky")
		assert.Equal(t, codes.Error, s.Status().Code)
		assert.Equal(t, "panic: assignment to entry in nil map", s.Status().Description)
		e := attrMap(event(t, s, semconv.ExceptionEventName).Attributes)
		assert.Equal(t, "runtime.plainError", e[semconv.ExceptionTypeKey].AsString())
		assert.Equal(t, "assignment to entry in nil map", e[semconv.ExceptionMessageKey].AsString())
		assert.True(t, strings.HasPrefix(e[semconv.ExceptionStacktraceKey].AsString(),
			"github.com/custody-go/custody/otelbridge_test.TestSafegoPanic.func1.1\n"),
			"the stack starts at the panicking function:\n%s", e[semconv.ExceptionStacktraceKey].AsString())
		assert.Equal(t, map[string]int64{"panicky": 1}, sums(t, tel.collect(t)["custody.goroutine.panics"], "custody.goroutine.name"))
	})
}

func TestChanownEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tel := install(t)
		ctx, request := tel.tp.Tracer("test").Start(custody.NewContext(t.Context(), "handler"), "request")
		results := chanown.Make[int](ctx, "results", 1)
		safego.Go(ctx, "producer", func(ctx context.Context) {
			require.NoError(t, results.Close(ctx)) // not the owner
		})
		synctest.Wait()
		err := results.Send(ctx, 1)
		require.ErrorIs(t, err, chanown.ErrClosed)
		err = results.Close(ctx)
		require.ErrorIs(t, err, chanown.ErrClosed)
		request.End()

		producer := tel.ended(t, "producer")
		var names []string
		for _, e := range producer.Events() {
			names = append(names, e.Name)
		}
		assert.Equal(t, []string{"custody.chan.closed", "custody.chan.close_by_non_owner"}, names)
		e := attrMap(event(t, producer, "custody.chan.close_by_non_owner").Attributes)
		assert.Equal(t, "results", e["custody.chan.name"].AsString())
		assert.Equal(t, "handler", e["custody.chan.owner"].AsString())
		assert.Equal(t, "producer", e["custody.goroutine.name"].AsString())

		req := tel.ended(t, "request")
		names = names[:0]
		for _, e := range req.Events() {
			names = append(names, e.Name)
		}
		assert.Equal(t, []string{"custody.chan.send_after_close", "custody.chan.double_close"}, names)
		for _, name := range names {
			e := attrMap(event(t, req, name).Attributes)
			assert.Equal(t, "producer", e["custody.chan.closed_by"].AsString(), name)
			assert.Equal(t, "safego_test.go", filepath.Base(strings.Split(e["custody.chan.closed_at"].AsString(), ":")[0]), name)
			assert.Equal(t, "handler", e["custody.goroutine.name"].AsString(), name)
		}

		ms := tel.collect(t)
		assert.Equal(t, map[string]int64{"results": 1}, sums(t, ms["custody.chan.sends_after_close"], "custody.chan.name"))
		assert.Equal(t, map[string]int64{"results": 1}, sums(t, ms["custody.chan.double_closes"], "custody.chan.name"))
		assert.Equal(t, map[string]int64{"results": 1}, sums(t, ms["custody.chan.non_owner_closes"], "custody.chan.name"))
	})
}

func TestSafemapEvents(t *testing.T) {
	tel := install(t)
	var m safemap.Map[string, int]
	m.Store("user:42", 0)
	v, ok := m.Load("user:42")
	require.True(t, ok)
	require.Zero(t, v)
	ms := tel.collect(t)
	assert.Equal(t, map[string]int64{"": 1}, sums(t, ms["custody.map.zero_loads"], "custody.map.key"))
	assert.Empty(t, tel.spans.Ended(), "safemap reports without a context: no span gets an event")
}

// TestPanicFlushedBeforeCrash runs a goroutine that panics in observe mode
// in a subprocess, which the panic crashes: the panic's span reaches the
// exporter before the crash, though the batch processor would only have
// exported it an hour later.
func TestPanicFlushedBeforeCrash(t *testing.T) {
	if os.Getenv("OTELBRIDGE_CRASH") == "1" {
		exp := &printExporter{}
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Hour)))
		otelbridge.Install(otelbridge.WithTracerProvider(tp), otelbridge.WithRootSpans())
		safego.Go(context.Background(), "doomed", func(context.Context) { panic("boom") })
		time.Sleep(time.Minute) // the panic ends the process first
		return
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestPanicFlushedBeforeCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), "OTELBRIDGE_CRASH=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the subprocess must crash; err = %v, output:\n%s", err, out)
	assert.Contains(t, string(out), "exported span doomed status=Error events=[exception]\n")
	assert.Contains(t, string(out), "panic: boom [recovered, repanicked]")
	assert.Less(t, strings.Index(string(out), "exported span doomed"), strings.Index(string(out), "panic: boom"),
		"exported before the crash:\n%s", out)
}

// printExporter writes each span it exports to standard error.
type printExporter struct{ tracetest.NoopExporter }

func (*printExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, s := range spans {
		var events []string
		for _, e := range s.Events() {
			events = append(events, e.Name)
		}
		fmt.Fprintf(os.Stderr, "exported span %s status=%s events=%v\n", s.Name(), s.Status().Code, events)
	}
	return nil
}
