package safemap_test

import (
	"context"
	"sync"
	"testing"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/custody-go/custody/bench/internal/harness"
	"github.com/custody-go/custody/safemap"
)

const (
	keys     = 1024    // a power of two: the benchmarks cycle through keys i&(keys-1)
	mapRound = 1 << 15 // operations per round on one map: in verify mode, one test's worth
)

var (
	sinkInt int
	sinkOK  bool
)

// BenchmarkLoad loads an int value present in a map of 1024 int keys, from
// one goroutine. raw is a sync.Map; off, observe and verify are a
// safemap.Map[int, int] in each mode; xsync is puzpuzpuz/xsync's Map and
// rwmutex a Go map under a sync.RWMutex. Every round (32,768 loads) uses a
// map filled before it, untimed; observe runs otelbridge on SDK providers,
// verify every round as a test of its own under oracle.Check.
func BenchmarkLoad(b *testing.B) {
	warm := filledSyncMap()
	harness.Warm(func() {
		v, ok := warm.Load(1)
		sinkInt, _ = v.(int)
		sinkOK = ok
	})
	b.Run("raw", func(b *testing.B) {
		var m *sync.Map
		r := harness.NewRounds(b, mapRound, func() func() {
			m = filledSyncMap()
			return func() {}
		})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Next()
			v, ok := m.Load(i & (keys - 1))
			sinkInt, _ = v.(int)
			sinkOK = ok
		}
		r.Done()
	})
	owned(b, func(b *testing.B, r func(start func(*safemap.Map[int, int])) *harness.Rounds) {
		var m *safemap.Map[int, int]
		rounds := r(func(fresh *safemap.Map[int, int]) { m = fresh })
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			rounds.Next()
			sinkInt, sinkOK = m.Load(i & (keys - 1))
		}
		rounds.Done()
	})
	b.Run("xsync", func(b *testing.B) {
		var m *xsync.Map[int, int]
		r := harness.NewRounds(b, mapRound, func() func() {
			m = xsync.NewMap[int, int]()
			for k := range keys {
				m.Store(k, k+1)
			}
			return func() {}
		})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Next()
			sinkInt, sinkOK = m.Load(i & (keys - 1))
		}
		r.Done()
	})
	b.Run("rwmutex", func(b *testing.B) {
		var m *lockedMap
		r := harness.NewRounds(b, mapRound, func() func() {
			m = newLockedMap()
			return func() {}
		})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Next()
			sinkInt, sinkOK = m.Load(i & (keys - 1))
		}
		r.Done()
	})
}

// BenchmarkStore stores an int value under a key already present in a map
// of 1024 int keys, from one goroutine: the maps and modes of BenchmarkLoad.
func BenchmarkStore(b *testing.B) {
	warm := filledSyncMap()
	harness.Warm(func() { warm.Store(1, 2) })
	b.Run("raw", func(b *testing.B) {
		var m *sync.Map
		r := harness.NewRounds(b, mapRound, func() func() {
			m = filledSyncMap()
			return func() {}
		})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Next()
			m.Store(i&(keys-1), i+1)
		}
		r.Done()
	})
	owned(b, func(b *testing.B, r func(start func(*safemap.Map[int, int])) *harness.Rounds) {
		var m *safemap.Map[int, int]
		rounds := r(func(fresh *safemap.Map[int, int]) { m = fresh })
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			rounds.Next()
			m.Store(i&(keys-1), i+1)
		}
		rounds.Done()
	})
	b.Run("xsync", func(b *testing.B) {
		var m *xsync.Map[int, int]
		r := harness.NewRounds(b, mapRound, func() func() {
			m = xsync.NewMap[int, int]()
			for k := range keys {
				m.Store(k, k+1)
			}
			return func() {}
		})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Next()
			m.Store(i&(keys-1), i+1)
		}
		r.Done()
	})
	b.Run("rwmutex", func(b *testing.B) {
		var m *lockedMap
		r := harness.NewRounds(b, mapRound, func() func() {
			m = newLockedMap()
			return func() {}
		})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Next()
			m.Store(i&(keys-1), i+1)
		}
		r.Done()
	})
}

// owned runs body as the off, observe and verify sub-benchmarks. body gets
// a function that makes its rounds: each round starts with a fresh
// safemap.Map filled with the keys, handed to start, and in verify mode
// runs as a test of its own under oracle.Check, which is begun before the
// map is made and filled.
func owned(b *testing.B, body func(b *testing.B, rounds func(start func(*safemap.Map[int, int])) *harness.Rounds)) {
	o := harness.NewOTel(false)
	defer o.Shutdown()
	for _, mode := range []string{"off", "observe", "verify"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "observe" {
				defer o.Install()()
			}
			body(b, func(start func(*safemap.Map[int, int])) *harness.Rounds {
				return harness.NewRounds(b, mapRound, func() func() {
					_, end := harness.Round(b, context.Background(), mode == "verify")
					m := new(safemap.Map[int, int])
					for k := range keys {
						m.Store(k, k+1)
					}
					start(m)
					return end
				})
			})
		})
	}
}

// lockedMap is what many programs use instead of a concurrent map: a Go map
// under a sync.RWMutex.
type lockedMap struct {
	mu sync.RWMutex
	m  map[int]int
}

func newLockedMap() *lockedMap {
	m := &lockedMap{m: make(map[int]int, keys)}
	for k := range keys {
		m.m[k] = k + 1
	}
	return m
}

func (m *lockedMap) Load(k int) (int, bool) {
	m.mu.RLock()
	v, ok := m.m[k]
	m.mu.RUnlock()
	return v, ok
}

func (m *lockedMap) Store(k, v int) {
	m.mu.Lock()
	m.m[k] = v
	m.mu.Unlock()
}

func filledSyncMap() *sync.Map {
	m := new(sync.Map)
	for k := range keys {
		m.Store(k, k+1)
	}
	return m
}
