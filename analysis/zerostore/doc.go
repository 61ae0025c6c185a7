// Package zerostore defines an Analyzer that reports zero values stored
// into concurrent maps.
//
// # Analyzer zerostore
//
// zerostore: report a zero value stored into a sync.Map or safemap.Map
//
// A concurrent map cannot tell a zero value that was stored from one that
// means "nothing here": Load returns it with ok == true. The incident: a
// fallback path stored Order{} to mean "forget this order", later loads
// served that empty order as a hit and wrote it on to Redis; the hit rate
// fell from 99.2% to 17%.
//
// The analyzer reports Store, LoadOrStore, Swap and CompareAndSwap (new
// value) on a sync.Map or a custody safemap.Map when the value stored is
// nil, an empty composite literal of a struct or array type with fields
// (T{}), or a local variable declared without a value (var v T) that the
// function never assigns, addresses or calls a method on. Zero-size values
// (struct{}{}, the "set" idiom) and basic literals (0, "", false: counters
// and flags mean their zero) are not reported, nor are test files. Nor is
// a store into a map whose loaded values the package never reads (every
// Load, Swap or Range throws the value away: a set), nor a nil stored into
// a map whose loaded values the package compares with nil: its readers
// tell a stored nil from a value.
//
// Fix: to forget a key, Delete it; to store "nothing", store a type that
// says so. The suggested fix rewrites m.Store(k, zero) to m.Delete(k).
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore zerostore REASON
package zerostore
