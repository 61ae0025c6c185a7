package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/custody-go/custody/otelbridge"
)

// The production view of incident 2. In production there is no test to
// blame: otelbridge.WithLeakDetection reads the runtime's goroutineleak
// profile every interval and exports custody.goroutine.leaked, the
// goroutines proven blocked forever, by owner (custody.name) or, for
// goroutines nobody owns, such as a raw time.AfterFunc's, by the function
// they are blocked in (code.function.name). The demo installs the bridge
// with leak detection once the load is over, as a service that had it on
// all along would see at its next pass, and reads what its first pass
// exports. Go 1.26 has no goroutineleak profile unless built with
// GOEXPERIMENT=goroutineleakprofile: there the bridge says so once through
// otel.Handle and exports nothing, and the demo says so instead.

// A leakView is what otelbridge's leak detection exported.
type leakView struct {
	Available bool             // the runtime has the goroutineleak profile
	Leaked    map[string]int64 // custody.goroutine.leaked by "key=value" ("" for no attribute)
}

// Total returns the number of goroutines leaked.
func (v *leakView) Total() int64 {
	var n int64
	for _, c := range v.Leaked {
		n += c
	}
	return n
}

// String writes the metric's data points as a Prometheus scrape shows
// them, or why there are none.
func (v *leakView) String() string {
	if !v.Available {
		return fmt.Sprintf("custody.goroutine.leaked: not exported: %s has no goroutineleak profile "+
			"(Go 1.27 has one, Go 1.26 built with GOEXPERIMENT=goroutineleakprofile too)", runtime.Version())
	}
	var lines []string
	for k, n := range v.Leaked {
		point := "custody.goroutine.leaked"
		if key, value, ok := strings.Cut(k, "="); ok {
			point += fmt.Sprintf("{%s=%q}", key, value)
		}
		lines = append(lines, fmt.Sprintf("%s %d", point, n))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// detectLeaks installs otelbridge with leak detection on an SDK
// MeterProvider, waits for the first pass, and returns what it exported.
func detectLeaks(ctx context.Context) (*leakView, error) {
	if pprof.Lookup("goroutineleak") == nil {
		return &leakView{}, nil
	}
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.WithoutCancel(ctx))
	uninstall := otelbridge.Install(otelbridge.WithMeterProvider(mp), otelbridge.WithLeakDetection(time.Second))
	defer uninstall()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(ctx, &rm); err != nil {
			return nil, err
		}
		if leaked, ok := leakedPoints(rm); ok {
			return &leakView{Available: true, Leaked: leaked}, nil
		}
		select {
		case <-tick.C:
		case <-deadline:
			return nil, fmt.Errorf("payment: no custody.goroutine.leaked after 10s")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// leakedPoints returns custody.goroutine.leaked's data points by
// "key=value", and whether it was collected.
func leakedPoints(rm metricdata.ResourceMetrics) (map[string]int64, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if m.Name != "custody.goroutine.leaked" || !ok {
				continue
			}
			out := map[string]int64{}
			for _, p := range sum.DataPoints {
				k := ""
				for _, kv := range p.Attributes.ToSlice() {
					k = string(kv.Key) + "=" + kv.Value.Emit()
				}
				out[k] += p.Value
			}
			return out, true
		}
	}
	return nil, false
}

// writeLeaks writes, under the afterfunc incident's row, what leak
// detection exported after each variant, or why it exported nothing.
func writeLeaks(w io.Writer, buggy, fixed result) {
	fmt.Fprintln(w, "   in production: otelbridge.WithLeakDetection (the goroutineleak profile, read every interval):")
	if buggy.Measure.Leaks == nil || !buggy.Measure.Leaks.Available {
		fmt.Fprintf(w, "            %s\n", buggy.Measure.Leaks)
		fmt.Fprintln(w, "            there the bridge says so once through otel.Handle and exports nothing")
		return
	}
	for _, r := range []result{buggy, fixed} {
		if r.Measure.Leaks == nil {
			continue
		}
		for _, line := range strings.Split(r.Measure.Leaks.String(), "\n") {
			fmt.Fprintf(w, "            %-6s %s\n", r.Variant+":", line)
		}
	}
}
