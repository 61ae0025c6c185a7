package otelbridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/stack"
	"github.com/custody-go/custody/safego"
)

const (
	leakedName = "custody.goroutine.leaked"

	// minLeakInterval is the shortest interval WithLeakDetection accepts:
	// each pass runs a full garbage collection cycle.
	minLeakInterval = time.Second

	// leakDetectorName is the name of the bridge's own goroutine that runs
	// the passes.
	leakDetectorName = "otelbridge.leak-detection"
)

// ownerKey is the attribute of a leaked goroutine's owner: the pprof label
// custody's owned goroutines carry, under the same key.
const ownerKey = attribute.Key(core.LabelName)

// errNoLeakProfile is what WithLeakDetection reports to otel.Handle where
// the runtime has no goroutineleak profile.
var errNoLeakProfile = errors.New("otelbridge: the runtime has no goroutineleak profile " +
	"(Go 1.27 has it, Go 1.26 with GOEXPERIMENT=goroutineleakprofile): leak detection is off")

// A leakDetector reads the goroutineleak profile every interval, from a
// goroutine of its own, and keeps what the last pass found for the
// custody.goroutine.leaked callback.
type leakDetector struct {
	profile  *pprof.Profile
	interval time.Duration
	reg      metric.Registration // nil if the meter refused the callback

	last atomic.Pointer[[]leakCount] // the last pass's counts; nil before the first

	// Used only by the goroutine that runs the passes.
	buf  bytes.Buffer
	sets map[leakKey]attribute.Set // at most maxCachedAttributeSets, first seen first kept

	stop context.CancelFunc
	done chan struct{} // [owned by: leakDetector] [closed by: leakDetector.run] closed when the goroutine has returned
}

// A leakKey is what leaked goroutines are counted by: their owner's name
// or, for goroutines without one, a function.
type leakKey struct {
	owned bool   // name is an owner's name, not a function's
	name  string //
}

// A leakCount is one data point of custody.goroutine.leaked.
type leakCount struct {
	set attribute.Set
	n   int64
}

// startLeakDetection starts the passes of a detector, one every interval,
// and registers custody.goroutine.leaked with the bridge's meter of mp. Where the runtime has no
// goroutineleak profile it says so to otel.Handle and returns nil, as it
// does for a zero interval (no WithLeakDetection).
func startLeakDetection(mp metric.MeterProvider, interval time.Duration) *leakDetector {
	if interval == 0 {
		return nil
	}
	p := pprof.Lookup("goroutineleak")
	if p == nil {
		otel.Handle(errNoLeakProfile)
		return nil
	}
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version), metric.WithSchemaURL(semconv.SchemaURL))
	d := &leakDetector{profile: p, interval: interval, sets: map[leakKey]attribute.Set{}, done: make(chan struct{})}
	leaked, err := m.Int64ObservableUpDownCounter(leakedName,
		metric.WithUnit("{goroutine}"),
		metric.WithDescription("Goroutines the runtime proved blocked forever, by owner."))
	if err != nil {
		otel.Handle(err)
	}
	if leaked != nil {
		d.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			d.observe(leaked, o)
			return nil
		}, leaked)
		if err != nil {
			otel.Handle(err)
		}
	}
	var ctx context.Context
	ctx, d.stop = context.WithCancel(context.Background())
	safego.Go(ctx, leakDetectorName, d.run)
	return d
}

// run runs a pass every interval until ctx is done. A pass that fails is
// reported to otel.Handle and ends the detection: the runtime wrote a
// profile the bridge cannot read, and would again.
func (d *leakDetector) run(ctx context.Context) {
	defer close(d.done)
	t := time.NewTicker(d.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.pass(); err != nil {
				otel.Handle(fmt.Errorf("otelbridge: leak detection stopped: %w", err))
				return
			}
		}
	}
}

// shutdown stops the passes, waiting for one under way to end, and the
// observation of custody.goroutine.leaked. A nil detector does nothing.
func (d *leakDetector) shutdown() {
	if d == nil {
		return
	}
	d.stop()
	<-d.done
	if d.reg != nil {
		if err := d.reg.Unregister(); err != nil {
			otel.Handle(fmt.Errorf("otelbridge: unregistering the leaked goroutine count: %w", err))
		}
	}
}

// pass reads the goroutineleak profile, which runs a garbage collection
// cycle to find the goroutines blocked forever, and keeps their counts.
func (d *leakDetector) pass() error {
	d.buf.Reset()
	if err := d.profile.WriteTo(&d.buf, 1); err != nil {
		return fmt.Errorf("writing the goroutineleak profile: %w", err)
	}
	recs, err := stack.ParseProfile(d.buf.Bytes())
	if err != nil {
		return fmt.Errorf("reading the goroutineleak profile: %w", err)
	}
	d.last.Store(d.count(recs))
	return nil
}

// count sums the records' goroutines by owner, or by function for those
// without one. Beyond maxCachedAttributeSets owners and functions, those
// not seen before are counted under otel.metric.overflow=true.
func (d *leakDetector) count(recs []stack.Record) *[]leakCount {
	byKey := make(map[leakKey]int64)
	for _, r := range recs {
		k := leakKey{owned: true, name: r.Labels[core.LabelName]}
		if k.name == "" {
			k = leakKey{name: leakFunc(r.Frames)}
		}
		byKey[k] += int64(r.Count)
	}
	counts := make([]leakCount, 0, len(byKey))
	var overflow int64
	for k, n := range byKey {
		set, ok := d.sets[k]
		if !ok && len(d.sets) >= maxCachedAttributeSets {
			overflow += n
			continue
		}
		if !ok {
			switch {
			case k.owned:
				set = attribute.NewSet(ownerKey.String(k.name))
			case k.name != "":
				set = attribute.NewSet(semconv.CodeFunctionName(k.name))
			}
			d.sets[k] = set
		}
		counts = append(counts, leakCount{set: set, n: n})
	}
	if overflow > 0 {
		counts = append(counts, leakCount{set: attribute.NewSet(overflowKey.Bool(true)), n: overflow})
	}
	return &counts
}

// observe observes the last pass's counts: nothing before the first pass,
// a zero without attributes when it found no leaked goroutine.
func (d *leakDetector) observe(leaked metric.Int64Observable, o metric.Observer) {
	p := d.last.Load()
	if p == nil {
		return
	}
	if len(*p) == 0 {
		o.ObserveInt64(leaked, 0)
		return
	}
	for _, c := range *p {
		o.ObserveInt64(leaked, c.n, metric.WithAttributeSet(c.set))
	}
}

// leakFunc returns the function a leaked goroutine without an owner is
// counted by: the innermost one in the service's code, outside the
// standard library and custody's packages, where it was blocked or what
// blocked it was called from; or, when all of its functions are in those,
// the outermost, which the goroutine was started with. frames are
// innermost first.
func leakFunc(frames []stack.Frame) string {
	for _, f := range frames {
		if f.Func != "" && !libraryFunc(f.Func) {
			return f.Func
		}
	}
	for i := len(frames) - 1; i >= 0; i-- {
		if frames[i].Func != "" {
			return frames[i].Func
		}
	}
	return ""
}

// custodyPackages are the import paths of custody's library packages;
// others under the module's path (its examples) are a service's code.
var custodyPackages = []string{"github.com/custody-go/custody", "github.com/custody-go/custody/safego",
	"github.com/custody-go/custody/chanown", "github.com/custody-go/custody/safemap",
	"github.com/custody-go/custody/oracle", "github.com/custody-go/custody/otelbridge"}

// libraryFunc reports whether fn, a function's name as the runtime prints
// it, is in the standard library (its package's path has no dot in its
// first element and is not main) or in custody's own packages.
func libraryFunc(fn string) bool {
	pkg := fn
	slash := strings.LastIndexByte(fn, '/')
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		pkg = fn[:slash+1+dot]
	}
	first, _, _ := strings.Cut(pkg, "/")
	if !strings.Contains(first, ".") {
		return pkg != "main"
	}
	const internal = "github.com/custody-go/custody/internal/"
	return slices.Contains(custodyPackages, pkg) || strings.HasPrefix(pkg, internal)
}
