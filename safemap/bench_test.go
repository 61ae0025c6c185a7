package safemap_test

import (
	"context"
	"sync"
	"testing"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/safemap"
)

// discardSink drops every event; its mode is the one a benchmark measures.
// The lead switches observe and verify to the real sinks once otelbridge and
// the oracle land.
type discardSink struct{ mode core.Mode }

func (discardSink) Emit(context.Context, custody.Event) {}
func (s discardSink) Mode() core.Mode                   { return s.mode }

// benchModes are the sub-benchmarks after raw: the sink each installs.
var benchModes = []struct {
	name string
	sink custody.Sink
}{
	{"off", nil},
	{"observe", discardSink{core.Observe}},
	{"verify", discardSink{core.Verify}},
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
		b.ReportAllocs()
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
			defer sinktest.Set(mode.sink)()
			var m safemap.Map[int, int]
			for i := range benchKeys {
				m.Store(i, i+1)
			}
			b.ReportAllocs()
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
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.Store(i&(benchKeys-1), i+1)
			i++
		}
	})
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			defer sinktest.Set(mode.sink)()
			var m safemap.Map[int, int]
			b.ReportAllocs()
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
		b.ReportAllocs()
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
			defer sinktest.Set(mode.sink)()
			var m safemap.Map[int, *order]
			for i := range benchKeys {
				m.Store(i, &order{ID: i, Qty: 1, Items: []int{1, 2, 3}})
			}
			b.ReportAllocs()
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
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.Store(i&(benchKeys-1), orders[i&(benchKeys-1)])
			i++
		}
	})
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			defer sinktest.Set(mode.sink)()
			var m safemap.Map[int, *order]
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.Store(i&(benchKeys-1), orders[i&(benchKeys-1)])
				i++
			}
		})
	}
}
