package safemap_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/safemap"
)

// printSink prints the events the examples cause.
type printSink struct{}

func (printSink) Emit(_ context.Context, e custody.Event) {
	fmt.Printf("event %s, key %s\n", e.Kind, e.Object)
}

func ExampleMap() {
	var sessions safemap.Map[string, int] // the zero Map is ready to use
	sessions.Store("alice", 3)
	actual, loaded := sessions.LoadOrStore("bob", 1)
	fmt.Println(actual, loaded)
	if n, ok := sessions.Load("alice"); ok {
		fmt.Println("alice", n)
	}
	sessions.Delete("alice")
	_, ok := sessions.Load("alice")
	fmt.Println("alice present after Delete:", ok)
	// Output:
	// 1 false
	// alice 3
	// alice present after Delete: false
}

// With a sink installed, a load that finds a stored zero is reported: ok
// says the key is present, not that its value is useful.
func ExampleMap_Load() {
	defer custody.Install(printSink{})()
	var prices safemap.Map[string, int]
	prices.Store("sku-1", 1250)
	prices.Store("sku-2", 0) // a cached miss, stored as a zero by mistake

	for _, sku := range []string{"sku-1", "sku-2"} {
		cents, ok := prices.Load(sku)
		fmt.Println(sku, cents, ok)
	}
	// Output:
	// sku-1 1250 true
	// event map.zero_loaded, key sku-2
	// sku-2 0 true
}

// A counter legitimately holds 0: AllowZero, where the map is made, says
// so. A set's struct{} values need nothing.
func ExampleMap_AllowZero() {
	defer custody.Install(printSink{})()
	var stock safemap.Map[string, int]
	stock.AllowZero()
	stock.Store("sku-1", 0)
	n, ok := stock.Load("sku-1")
	fmt.Println(n, ok)

	var seen safemap.Map[string, struct{}]
	seen.Store("order-1", struct{}{})
	_, ok = seen.Load("order-1")
	fmt.Println(ok)
	// Output:
	// 0 true
	// true
}

type Order struct {
	ID    string
	Items []string
}

// Update changes a shared value by replacing it with a changed copy, never
// by changing the one other goroutines may be reading.
func ExampleMap_Update() {
	var orders safemap.Map[string, *Order]
	orders.Store("order-1", &Order{ID: "order-1", Items: []string{"sku-1"}})

	addItem := func(sku string) func(*Order, bool) (*Order, bool) {
		return func(old *Order, loaded bool) (*Order, bool) {
			if !loaded {
				return nil, false // no such order: leave it absent
			}
			c := *old
			c.Items = append(slices.Clip(old.Items), sku) // a new backing array
			return &c, true
		}
	}
	o, _ := orders.Update("order-1", addItem("sku-2"))
	fmt.Println(o.Items)
	_, kept := orders.Update("order-2", addItem("sku-3"))
	fmt.Println("order-2 created:", kept)
	// Output:
	// [sku-1 sku-2]
	// order-2 created: false
}

func ExampleMap_CompareAndSwap() {
	var state safemap.Map[string, string]
	state.Store("job-7", "queued")
	fmt.Println(state.CompareAndSwap("job-7", "queued", "running"))
	fmt.Println(state.CompareAndSwap("job-7", "queued", "running")) // someone else won
	v, _ := state.Load("job-7")
	fmt.Println(v)
	// Output:
	// true
	// false
	// running
}

func ExampleMap_Len() {
	var m safemap.Map[int, string]
	for i := range 3 {
		m.Store(i, fmt.Sprint("v", i))
	}
	fmt.Println(m.Len()) // exact: nothing writes concurrently
	// Output: 3
}

func ExampleMap_Range() {
	var m safemap.Map[string, int]
	m.Store("a", 1)
	m.Store("b", 2)
	sum := 0
	m.Range(func(_ string, v int) bool {
		sum += v
		return true
	})
	fmt.Println(sum)
	// Output: 3
}

// The incident's cache fallback, done right. ok == true only says that the
// key is present, not that its value is real: this cache stores only real
// prices, and a sentinel for "known to be missing", so that a cached miss is
// never written onward as a zero price.
func Example_cacheFallback() {
	type Price struct{ Cents int }
	db := map[string]Price{"sku-1": {Cents: 1250}}
	redis := map[string]Price{} // the next tier, a plain map in this example
	var cache safemap.Map[string, *Price]
	missing := &Price{} // the sentinel: compared by pointer, never written on

	lookup := func(sku string) (*Price, bool) {
		if p, ok := cache.Load(sku); ok {
			return p, p != missing
		}
		p, ok := db[sku]
		if !ok {
			cache.Store(sku, missing)
			return nil, false
		}
		actual, _ := cache.LoadOrStore(sku, &p) // the first writer wins
		return actual, true
	}
	for _, sku := range []string{"sku-1", "sku-9", "sku-1", "sku-9"} {
		if p, ok := lookup(sku); ok {
			redis[sku] = *p // only real values reach the next tier
		}
	}
	fmt.Println(redis)
	// Output: map[sku-1:{1250}]
}
