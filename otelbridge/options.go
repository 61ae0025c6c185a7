package otelbridge

import (
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// config holds what the options choose. newConfig sets the defaults before
// applying the caller's options.
type config struct {
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	cancelGrace    time.Duration
	rootSpans      bool
	leakInterval   time.Duration // 0: no leak detection
}

// An Option configures [Install].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// newConfig returns the configuration opts describe. The global providers
// are looked up here, when the sink is made, and never set: a provider
// registered later with otel.SetTracerProvider still receives the bridge's
// spans, because the global provider delegates to it.
func newConfig(opts ...Option) config {
	c := config{
		tracerProvider: otel.GetTracerProvider(),
		meterProvider:  otel.GetMeterProvider(),
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithTracerProvider sets the provider of the tracer that makes the owned
// goroutines' spans. Without it, or with a nil provider, the bridge uses the
// global provider (otel.GetTracerProvider) as it is when the sink is made.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tracerProvider = tp
		}
	})
}

// WithMeterProvider sets the provider of the meter that makes the bridge's
// instruments. Without it, or with a nil provider, the bridge uses the global
// provider (otel.GetMeterProvider) as it is when the sink is made.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.meterProvider = mp
		}
	})
}

// WithCancelGrace sets how long an owned goroutine may keep running after its
// context is done before it is reported as ignoring cancellation. The default
// is one second. WithCancelGrace panics if d is not positive.
func WithCancelGrace(d time.Duration) Option {
	if d <= 0 {
		panic("otelbridge: WithCancelGrace(" + d.String() + "): the grace must be positive")
	}
	return optionFunc(func(c *config) { c.cancelGrace = d })
}

// WithRootSpans gives every owned goroutine a span, as the tracer
// provider's sampler decides, a root span when its context holds none;
// without it only goroutines under a recording span get one.
func WithRootSpans() Option {
	return optionFunc(func(c *config) { c.rootSpans = true })
}

// WithLeakDetection reads the runtime's goroutineleak profile every
// interval while the bridge is installed and exports
// custody.goroutine.leaked (see the package documentation). Each pass runs
// a garbage collection: a minute is a good interval. WithLeakDetection
// panics if interval is shorter than a second.
func WithLeakDetection(interval time.Duration) Option {
	switch {
	case interval <= 0:
		panic("otelbridge: WithLeakDetection(" + interval.String() + "): the interval must be positive")
	case interval < minLeakInterval:
		panic("otelbridge: WithLeakDetection(" + interval.String() + "): the interval must be at least " +
			minLeakInterval.String() + ": each pass runs a garbage collection")
	}
	return optionFunc(func(c *config) { c.leakInterval = interval })
}
