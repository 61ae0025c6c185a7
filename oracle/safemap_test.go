package oracle

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/custody-go/custody/safemap"
)

type order struct {
	ID     string
	Amount int
}

func TestMapFindings(t *testing.T) {
	fake := newFake("TestCache")
	Check(fake, Settle(10*time.Millisecond))
	var cache safemap.Map[string, *order]
	o, _ := cache.LoadOrStore("order-1", &order{ID: "order-1", Amount: 100})
	o.Amount = 200 // mutated in place after the store: the bug

	var counts safemap.Map[string, int]
	counts.Store("misses", 0)
	_, _ = counts.Load("misses") // ok == true, and a zero

	var replaced safemap.Map[string, *order]
	replaced.Store("order-2", &order{ID: "order-2"})
	replaced.Update("order-2", func(old *order, _ bool) (*order, bool) {
		c := *old
		c.Amount = 300
		return &c, true // a new value: no finding
	})
	fake.finish()
	runtime.KeepAlive(&cache) // a map already collected is not checked

	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestCache: 2 findings")
	assert.Contains(t, v, `value under key "order-1" mutated in place after it was stored`)
	assert.Contains(t, v, `stored at oracle/safemap_test.go:22`)
	assert.Contains(t, v, `zero value loaded with ok == true, key "misses"`)
	assert.Contains(t, v, `the zero value was stored at oracle/safemap_test.go:26`)
	assert.NotContains(t, v, "order-2")
}
