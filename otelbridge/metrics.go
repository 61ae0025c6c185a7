package otelbridge

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Metric names, as the package comment's table lists them.
const (
	goroutineCountName        = "custody.goroutine.count"
	cancelDurationName        = "custody.goroutine.cancel.duration"
	ignoredCancelsName        = "custody.goroutine.ignored_cancels"
	panicsName                = "custody.goroutine.panics"
	sendsAfterCloseName       = "custody.chan.sends_after_close"
	doubleClosesName          = "custody.chan.double_closes"
	nonOwnerClosesName        = "custody.chan.non_owner_closes"
	zeroLoadsName             = "custody.map.zero_loads"
	mutationsAfterStoreName   = "custody.map.mutations_after_store"
	maxCachedAttributeSets    = 1024
	cancelDurationDescription = "Time from an owned goroutine's context being done to the goroutine's return."
)

// cancelBuckets are the bucket boundaries, in seconds, of the cancellation
// latency histogram: from a tenth of a millisecond, a prompt return, to a
// minute, a goroutine that ignored its context.
var cancelBuckets = []float64{
	0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
}

// instruments are the bridge's metric instruments, but for the count of
// running goroutines: that one is observed, from counters kept per name,
// when the provider collects, so that an owned goroutine's exit costs one
// atomic add, which fits in the goroutine's initial stack where a call into
// the SDK may not.
type instruments struct {
	cancelDuration      metric.Float64Histogram
	ignoredCancels      metric.Int64Counter
	panics              metric.Int64Counter
	sendsAfterClose     metric.Int64Counter
	doubleCloses        metric.Int64Counter
	nonOwnerCloses      metric.Int64Counter
	zeroLoads           metric.Int64Counter
	mutationsAfterStore metric.Int64Counter
}

// newInstruments makes the instruments with m, and the goroutine count,
// which observes the live counters of names through a callback it returns
// the registration of (nil if m refused it). An instrument the provider
// refuses is reported to otel.Handle and replaced by a no-op one: telemetry
// must not break the program it observes.
func newInstruments(m metric.Meter, names *optsCache) (*instruments, metric.Registration) {
	var nop noop.Meter
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err != nil {
			otel.Handle(err)
		}
		if c == nil {
			c, _ = nop.Int64Counter(name)
		}
		return c
	}
	in := &instruments{
		ignoredCancels: counter(ignoredCancelsName, "{goroutine}",
			"Owned goroutines still running a grace period after their context was done."),
		panics: counter(panicsName, "{panic}",
			"Panics in owned goroutines."),
		sendsAfterClose: counter(sendsAfterCloseName, "{send}",
			"Sends on owned channels that were already closed."),
		doubleCloses: counter(doubleClosesName, "{close}",
			"Closes of owned channels that were already closed."),
		nonOwnerCloses: counter(nonOwnerClosesName, "{close}",
			"Closes of owned channels by a goroutine that does not own them."),
		zeroLoads: counter(zeroLoadsName, "{load}",
			"Loads from safemap maps that returned ok with a zero value."),
		mutationsAfterStore: counter(mutationsAfterStoreName, "{mutation}",
			"Values in safemap maps changed in place after they were stored."),
	}
	var reg metric.Registration
	count, err := m.Int64ObservableUpDownCounter(goroutineCountName,
		metric.WithUnit("{goroutine}"),
		metric.WithDescription("Owned goroutines running now."))
	if err != nil {
		otel.Handle(err)
	}
	if count != nil {
		reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			names.observeLive(count, o)
			return nil
		}, count)
		if err != nil {
			otel.Handle(err)
		}
	}
	in.cancelDuration, err = m.Float64Histogram(cancelDurationName,
		metric.WithUnit("s"),
		metric.WithDescription(cancelDurationDescription),
		metric.WithExplicitBucketBoundaries(cancelBuckets...))
	if err != nil {
		otel.Handle(err)
	}
	if in.cancelDuration == nil {
		in.cancelDuration, _ = nop.Float64Histogram(cancelDurationName)
	}
	return in, reg
}

// measureOpts are the options of a measurement with one attribute set, made
// once so that recording a measurement allocates nothing, and, for a
// goroutine name, the count of its goroutines running.
type measureOpts struct {
	set    attribute.Set
	add    []metric.AddOption
	record []metric.RecordOption
	live   atomic.Int64
}

func newMeasureOpts(kv attribute.KeyValue) *measureOpts {
	set := attribute.NewSet(kv)
	o := metric.WithAttributeSet(set)
	return &measureOpts{set: set, add: []metric.AddOption{o}, record: []metric.RecordOption{o}}
}

// overflowKey marks the measurements of attribute values beyond
// maxCachedAttributeSets, as the SDK marks those beyond its cardinality
// limit.
const overflowKey = attribute.Key("otel.metric.overflow")

// optsCache maps a value of one attribute (a goroutine's or a channel's name)
// to its measurement options. Readers load an immutable map without locking;
// a writer copies it. It holds at most maxCachedAttributeSets values: the
// measurements of any other value share one set, otel.metric.overflow=true,
// so that names made at run time can neither grow it without bound nor make
// measuring allocate.
type optsCache struct {
	key      attribute.Key
	mu       sync.Mutex // serialises writers
	m        atomic.Pointer[map[string]*measureOpts]
	overflow *measureOpts
}

func newOptsCache(key attribute.Key) *optsCache {
	return &optsCache{key: key, overflow: newMeasureOpts(overflowKey.Bool(true))}
}

func (c *optsCache) get(v string) *measureOpts {
	if m := c.m.Load(); m != nil {
		if o, ok := (*m)[v]; ok {
			return o
		}
	}
	return c.put(v)
}

func (c *optsCache) put(v string) *measureOpts {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[string]*measureOpts
	if p := c.m.Load(); p != nil {
		old = *p
	}
	if o, ok := old[v]; ok {
		return o
	}
	if len(old) >= maxCachedAttributeSets {
		return c.overflow
	}
	o := newMeasureOpts(c.key.String(v))
	next := make(map[string]*measureOpts, len(old)+1)
	maps.Copy(next, old)
	next[v] = o
	c.m.Store(&next)
	return o
}

// observeLive observes the count of running goroutines of every name, and
// of the overflow set when any goroutine was counted there.
func (c *optsCache) observeLive(count metric.Int64Observable, obs metric.Observer) {
	if m := c.m.Load(); m != nil {
		for _, o := range *m {
			obs.ObserveInt64(count, o.live.Load(), metric.WithAttributeSet(o.set))
		}
	}
	if n := c.overflow.live.Load(); n != 0 {
		obs.ObserveInt64(count, n, metric.WithAttributeSet(c.overflow.set))
	}
}
