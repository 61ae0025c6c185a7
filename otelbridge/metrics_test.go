package otelbridge_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

// collect returns the bridge's metrics by name, checking their scope.
func (tel *telemetry) collect(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.reader.Collect(t.Context(), &rm))
	out := make(map[string]metricdata.Metrics)
	if len(rm.ScopeMetrics) == 0 {
		return out
	}
	require.Len(t, rm.ScopeMetrics, 1)
	assert.Equal(t, instrumentation.Scope{
		Name:      otelbridge.ScopeName,
		Version:   otelbridge.Version,
		SchemaURL: semconv.SchemaURL,
	}, rm.ScopeMetrics[0].Scope)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		out[m.Name] = m
	}
	return out
}

// sums returns the data points of an int64 sum by the value of the
// attribute key ("" for a point without it).
func sums(t *testing.T, m metricdata.Metrics, key attribute.Key) map[string]int64 {
	t.Helper()
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a %T, want an int64 sum", m.Name, m.Data)
	out := make(map[string]int64)
	for _, p := range sum.DataPoints {
		v, _ := p.Attributes.Value(key)
		out[v.AsString()] += p.Value
		assert.LessOrEqual(t, p.Attributes.Len(), 1, "%s: attributes %v", m.Name, p.Attributes.ToSlice())
	}
	return out
}

func TestGoroutineCount(t *testing.T) {
	tel := install(t)
	w1, g1 := spawn(t.Context(), "worker")
	w2, g2 := spawn(t.Context(), "worker")
	o, g3 := spawn(t.Context(), "other")

	m := tel.collect(t)["custody.goroutine.count"]
	assert.Equal(t, "{goroutine}", m.Unit)
	assert.Equal(t, "Owned goroutines running now.", m.Description)
	sum := m.Data.(metricdata.Sum[int64])
	assert.False(t, sum.IsMonotonic, "an UpDownCounter")
	assert.Equal(t, map[string]int64{"worker": 2, "other": 1}, sums(t, m, "custody.goroutine.name"))

	exit(w1, g1, 0)
	exit(o, g3, 0)
	m = tel.collect(t)["custody.goroutine.count"]
	assert.Equal(t, map[string]int64{"worker": 1, "other": 0}, sums(t, m, "custody.goroutine.name"))
	exit(w2, g2, 0)
	m = tel.collect(t)["custody.goroutine.count"]
	assert.Equal(t, map[string]int64{"worker": 0, "other": 0}, sums(t, m, "custody.goroutine.name"))
}

// TestGoroutineCountIgnoresGoroutinesStartedBefore: an owned goroutine
// started before Install reports its exit to the sinks it started under,
// never to the bridge, whose count it would take below zero.
func TestGoroutineCountIgnoresGoroutinesStartedBefore(t *testing.T) {
	uninstall := sinktest.Set(sinktest.New(core.Observe))
	release := make(chan struct{})
	safego.Go(t.Context(), "early", func(context.Context) { <-release })
	tel := install(t)
	close(release)
	uninstall() // waits for the goroutine's exit to be reported
	m := tel.collect(t)
	assert.NotContains(t, m, "custody.goroutine.count", "an exit the bridge did not see start is not counted")
}

func TestCancelDuration(t *testing.T) {
	tel := install(t)
	for _, d := range []time.Duration{0, 300 * time.Microsecond, 20 * time.Millisecond, 2 * time.Second} {
		ctx, g := spawn(t.Context(), "worker")
		exit(ctx, g, d)
	}
	// Done and returned at once: no latency, but the context's error says
	// it was cancelled.
	ctx, g := spawn(t.Context(), "worker")
	spine.Emit(ctx, &custody.Event{Kind: custody.GoroutineExited, Goroutine: g, Err: context.Canceled})

	m := tel.collect(t)["custody.goroutine.cancel.duration"]
	assert.Equal(t, "s", m.Unit)
	hist, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a %T", m.Name, m.Data)
	require.Len(t, hist.DataPoints, 1)
	p := hist.DataPoints[0]
	assert.Equal(t, uint64(4), p.Count, "exits without a done context are not measured")
	assert.InDelta(t, 2.0203, p.Sum, 1e-9)
	v, _ := p.Attributes.Value("custody.goroutine.name")
	assert.Equal(t, "worker", v.AsString())
	assert.Equal(t, []float64{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}, p.Bounds)
}

func TestCounters(t *testing.T) {
	tel := install(t)
	ctx, g := spawn(t.Context(), "worker")
	emit := func(n int, e custody.Event) {
		for range n {
			spine.Emit(ctx, &e)
		}
	}
	emit(2, custody.Event{Kind: custody.GoroutineIgnoredCancel, Goroutine: g, Latency: time.Second})
	emit(1, custody.Event{Kind: custody.GoroutinePanicked, Goroutine: g, Value: "boom"})
	emit(3, custody.Event{Kind: custody.ChanSendAfterClose, Object: "results"})
	emit(1, custody.Event{Kind: custody.ChanSendAfterClose, Object: "errors"})
	emit(2, custody.Event{Kind: custody.ChanDoubleClose, Object: "results"})
	emit(4, custody.Event{Kind: custody.ChanCloseByNonOwner, Object: "errors"})
	emit(5, custody.Event{Kind: custody.MapZeroLoaded, Object: "user:1"})
	emit(6, custody.Event{Kind: custody.MapMutatedAfterStore, Object: "user:2"})
	// Lifecycle events are not counted.
	emit(1, custody.Event{Kind: custody.ChanClosed, Object: "results"})
	emit(1, custody.Event{Kind: custody.ChanMade, Object: "results"})
	emit(1, custody.Event{Kind: custody.ChanHandoff, Object: "results"})
	emit(1, custody.Event{Kind: custody.MapZeroStored, Object: "user:1"})

	ms := tel.collect(t)
	for _, tt := range []struct {
		name, unit string
		key        attribute.Key
		want       map[string]int64
	}{
		{"custody.goroutine.ignored_cancels", "{goroutine}", "custody.goroutine.name", map[string]int64{"worker": 2}},
		{"custody.goroutine.panics", "{panic}", "custody.goroutine.name", map[string]int64{"worker": 1}},
		{"custody.chan.sends_after_close", "{send}", "custody.chan.name", map[string]int64{"results": 3, "errors": 1}},
		{"custody.chan.double_closes", "{close}", "custody.chan.name", map[string]int64{"results": 2}},
		{"custody.chan.non_owner_closes", "{close}", "custody.chan.name", map[string]int64{"errors": 4}},
		{"custody.map.zero_loads", "{load}", "custody.map.key", map[string]int64{"": 5}},
		{"custody.map.mutations_after_store", "{mutation}", "custody.map.key", map[string]int64{"": 6}},
	} {
		m, ok := ms[tt.name]
		if !assert.True(t, ok, "no metric %s", tt.name) {
			continue
		}
		assert.Equal(t, tt.unit, m.Unit, tt.name)
		assert.NotEmpty(t, m.Description, tt.name)
		assert.True(t, m.Data.(metricdata.Sum[int64]).IsMonotonic, "%s is a counter", tt.name)
		assert.Equal(t, tt.want, sums(t, m, tt.key), tt.name)
	}
	assert.Len(t, ms, 8, "the counters, and the goroutine count")
}

// TestCounterWithoutSpan: a goroutine event whose context does not come from
// the bridge is still counted under the goroutine's name.
func TestCounterWithoutSpan(t *testing.T) {
	tel := install(t)
	g := spine.NewGoroutine(nil, "early", spine.Caller(0))
	spine.Emit(context.Background(), &custody.Event{Kind: custody.GoroutinePanicked, Goroutine: g, Value: "boom"})
	spine.Emit(context.Background(), &custody.Event{Kind: custody.GoroutineIgnoredCancel, Goroutine: g})
	spine.Emit(context.Background(), &custody.Event{Kind: custody.GoroutineExited, Goroutine: g, Latency: time.Second})
	ms := tel.collect(t)
	assert.Equal(t, map[string]int64{"early": 1}, sums(t, ms["custody.goroutine.panics"], "custody.goroutine.name"))
	assert.Equal(t, map[string]int64{"early": 1}, sums(t, ms["custody.goroutine.ignored_cancels"], "custody.goroutine.name"))
	assert.Equal(t, uint64(1), ms["custody.goroutine.cancel.duration"].Data.(metricdata.Histogram[float64]).DataPoints[0].Count)
}

// TestMeasurementsDoNotAllocate: with the attribute sets made once per name,
// counting a goroutine in and out and counting a fault allocate nothing in
// the bridge, with the no-op meter or the SDK's.
func TestMeasurementsDoNotAllocate(t *testing.T) {
	for name, mp := range map[string]metric.MeterProvider{
		"noop": noop.NewMeterProvider(),
		"sdk":  sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
	} {
		t.Run(name, func(t *testing.T) {
			t.Cleanup(otelbridge.Install(otelbridge.WithMeterProvider(mp)))
			ctx := t.Context()
			e := custody.Event{Kind: custody.ChanSendAfterClose, Object: "results", Time: time.Now()}
			spine.Emit(ctx, &e) // caches the channel's attribute set
			assert.Zero(t, testing.AllocsPerRun(100, func() { spine.Emit(ctx, &e) }))
			z := custody.Event{Kind: custody.MapZeroLoaded, Object: "k", Time: time.Now()}
			spine.Emit(ctx, &z)
			assert.Zero(t, testing.AllocsPerRun(100, func() { spine.Emit(ctx, &z) }))
		})
	}
}

// refusingMeter refuses every instrument, as a provider does for a name it
// considers invalid.
type refusingMeter struct{ noop.Meter }

var errRefused = errors.New("refused")

func (refusingMeter) Int64Counter(string, ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	return nil, errRefused
}

func (refusingMeter) Int64ObservableUpDownCounter(string, ...metric.Int64ObservableUpDownCounterOption) (metric.Int64ObservableUpDownCounter, error) {
	return nil, errRefused
}

func (refusingMeter) Float64Histogram(string, ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	return nil, errRefused
}

type refusingProvider struct{ noop.MeterProvider }

func (refusingProvider) Meter(string, ...metric.MeterOption) metric.Meter { return refusingMeter{} }

func TestRefusedInstrumentsRecordNothing(t *testing.T) {
	var handled []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { handled = append(handled, err) }))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Print(err) })) })
	tel := install(t, otelbridge.WithMeterProvider(refusingProvider{}), otelbridge.WithRootSpans())
	assert.Len(t, handled, 9, "each refused instrument is reported to otel.Handle")

	ctx, g := spawn(t.Context(), "worker")
	for k := custody.GoroutineSpawned; k <= custody.MapMutatedAfterStore; k++ {
		spine.Emit(ctx, &custody.Event{Kind: k, Goroutine: g, Latency: time.Second, Value: "boom"})
	}
	tel.ended(t, "worker")
}

// TestNameOverflow: beyond 1024 names, measurements share the overflow set,
// as the SDK's beyond its cardinality limit.
func TestNameOverflow(t *testing.T) {
	tel := install(t)
	const n = 1030
	for i := range n {
		spawn(t.Context(), fmt.Sprintf("worker-%d", i))
		spine.Emit(t.Context(), &custody.Event{Kind: custody.ChanDoubleClose, Object: fmt.Sprintf("chan-%d", i)})
	}
	ms := tel.collect(t)
	for _, name := range []string{"custody.goroutine.count", "custody.chan.double_closes"} {
		sum := ms[name].Data.(metricdata.Sum[int64])
		assert.Len(t, sum.DataPoints, 1025, name)
		var overflow int64
		for _, p := range sum.DataPoints {
			if v, ok := p.Attributes.Value("otel.metric.overflow"); ok {
				assert.True(t, v.AsBool())
				overflow += p.Value
			} else {
				assert.Equal(t, int64(1), p.Value, name)
			}
		}
		assert.Equal(t, int64(n-1024), overflow, name)
	}
}

// TestGoroutineCountAfterReinstall installs a bridge on the same
// MeterProvider three times, with one goroutine running each time: the
// uninstalled bridges no longer report their counts.
func TestGoroutineCountAfterReinstall(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	tel := &telemetry{reader: reader}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	for round := range 3 {
		uninstall := otelbridge.Install(otelbridge.WithMeterProvider(mp))
		ctx, g := spawn(t.Context(), "worker")
		m := tel.collect(t)["custody.goroutine.count"]
		assert.Equal(t, map[string]int64{"worker": 1}, sums(t, m, "custody.goroutine.name"), "round %d", round)
		exit(ctx, g, 0)
		uninstall()
	}
	assert.NotContains(t, tel.collect(t), "custody.goroutine.count", "no bridge is installed")
}
