package safemap_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/oracle"
	"github.com/custody-go/custody/safemap"
)

// discard is an observe-mode sink that drops every event.
type discard struct{}

func (discard) Emit(context.Context, custody.Event) {}

// benchModes are the sub-benchmarks after raw (a sync.Map doing the same
// work with a type assertion): off; observe, a sink installed with
// custody.Install; verify, the real oracle with the benchmark as the
// checked test, so that stores record their storer from its labels.
var benchModes = []struct {
	name    string
	install func(b *testing.B)
}{
	{"off", func(*testing.B) {}},
	{"observe", func(b *testing.B) { b.Cleanup(custody.Install(discard{})) }},
	{"verify", func(b *testing.B) { oracle.Check(b) }},
}

const benchKeys = 1024 // a power of two

// An order is a small value that reaches mutable memory, as the incident's
// cached orders did.
type order struct {
	ID    int
	Qty   int
	Items []int
}

var (
	sinkInt   int
	sinkOrder *order
	sinkOK    bool
)

func BenchmarkLoad(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		var m sync.Map
		for i := range benchKeys {
			m.Store(i, i+1)
		}
		start(b)
		i := 0
		for b.Loop() {
			v, ok := m.Load(i & (benchKeys - 1))
			sinkInt, _ = v.(int)
			sinkOK = ok
			i++
		}
	})
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			mode.install(b)
			var m safemap.Map[int, int]
			for i := range benchKeys {
				m.Store(i, i+1)
			}
			start(b)
			i := 0
			for b.Loop() {
				sinkInt, sinkOK = m.Load(i & (benchKeys - 1))
				i++
			}
		})
	}
}

func BenchmarkStore(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		var m sync.Map
		start(b)
		i := 0
		for b.Loop() {
			m.Store(i&(benchKeys-1), i+1)
			i++
		}
	})
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			mode.install(b)
			var m safemap.Map[int, int]
			start(b)
			i := 0
			for b.Loop() {
				m.Store(i&(benchKeys-1), i+1)
				i++
			}
		})
	}
}

// BenchmarkLoadPointer loads values that reach mutable memory: verify mode
// fingerprints each one it loads.
func BenchmarkLoadPointer(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		var m sync.Map
		for i := range benchKeys {
			m.Store(i, &order{ID: i, Qty: 1, Items: []int{1, 2, 3}})
		}
		start(b)
		i := 0
		for b.Loop() {
			v, ok := m.Load(i & (benchKeys - 1))
			sinkOrder, _ = v.(*order)
			sinkOK = ok
			i++
		}
	})
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			mode.install(b)
			var m safemap.Map[int, *order]
			for i := range benchKeys {
				m.Store(i, &order{ID: i, Qty: 1, Items: []int{1, 2, 3}})
			}
			start(b)
			i := 0
			for b.Loop() {
				sinkOrder, sinkOK = m.Load(i & (benchKeys - 1))
				i++
			}
		})
	}
}

// BenchmarkStorePointer stores values that reach mutable memory: verify
// mode fingerprints each one, and the one it replaces; observe mode
// fingerprints nothing.
func BenchmarkStorePointer(b *testing.B) {
	orders := make([]*order, benchKeys)
	for i := range orders {
		orders[i] = &order{ID: i, Qty: 1, Items: []int{1, 2, 3}}
	}
	b.Run("raw", func(b *testing.B) {
		var m sync.Map
		start(b)
		i := 0
		for b.Loop() {
			m.Store(i&(benchKeys-1), orders[i&(benchKeys-1)])
			i++
		}
	})
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			mode.install(b)
			var m safemap.Map[int, *order]
			start(b)
			i := 0
			for b.Loop() {
				m.Store(i&(benchKeys-1), orders[i&(benchKeys-1)])
				i++
			}
		})
	}
}

// start begins the timed part of a sub-benchmark on a collected heap, so
// that no sub-benchmark pays for the garbage of the one before it (raw
// follows the previous benchmark's verify, which leaves the most).
func start(b *testing.B) {
	runtime.GC()
	b.ReportAllocs()
}
