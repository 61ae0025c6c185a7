// Package safemap provides [Map], a typed [sync.Map] that catches the two
// ways a concurrent map goes wrong quietly: a load that returns ok == true
// with a zero value (ok says the key is present, not that its value is
// useful), and a stored value changed in place afterwards.
//
//	var prices safemap.Map[string, *Price] // ready to use
//	prices.Store("sku-1", &Price{Cents: 1250})
//	prices.Update("sku-1", func(old *Price, ok bool) (*Price, bool) {
//		c := *old // a changed copy, never old changed in place
//		c.Cents = 990
//		return &c, true
//	})
//
// With custody off a Map records nothing. In observe mode it reports
// zero-value loads ([custody.MapZeroLoaded]). In verify mode (the oracle) it
// also reports zero stores and fingerprints what each stored value reaches,
// to report one changed in place after it was stored
// ([custody.MapMutatedAfterStore], naming the store and who made it) even
// when the race detector misses the interleaving; values stored while
// custody was off are not checked. Zero values of a zero-size type (a set's
// struct{}) are never reported; [Map.AllowZero] allows them in one map.
//
// A fingerprint walks at most 32 hops, 4096 steps and 64 KiB, and does not
// look into what synchronizes itself (sync, sync/atomic, internal/poll and
// time types, and what holds them, such as protobuf messages). It reads
// memory the program may be writing: a change it finds may also show as a
// data race, or in a Go map as "concurrent map iteration and map write".
//
// With custody off Load and Store cost about what sync.Map's cost, with the
// same allocations (BenchmarkLoad, BenchmarkStore; see [BENCHMARKS.md]).
//
// [BENCHMARKS.md]: https://github.com/custody-go/custody/blob/main/BENCHMARKS.md
package safemap
