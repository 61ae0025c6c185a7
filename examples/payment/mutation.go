package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// Incident 4 (see the package documentation): a pointer loaded from
// sync.Map.LoadOrStore was mutated in place by several goroutines. custody:
// safemap fingerprints what a stored value reaches and reports the first
// operation that finds it changed, with the site that stored it; Update
// replaces a value instead of changing it.

// addItemBuggy adds an item to an order's cart.
//
// s.mu orders every access to the cart, safemap's own look at it inside
// LoadOrStore included, so the race detector has nothing to report: it stays
// quiet under go test -race, as it did once someone "fixed" a race report
// with a lock. The cart is still read, then written back after a Redis round
// trip in which other requests add their items: items get lost. safemap
// finds the in-place change whatever the interleaving.
func (s *service) addItemBuggy(ctx context.Context, id, sku string) error {
	s.mu.Lock()
	cart, _ := s.carts.LoadOrStore(id, &Order{ID: id}) // BUG: one *Order shared by every request
	items := slices.Clone(cart.Items)
	s.mu.Unlock()
	item, err := s.price(ctx, sku)
	if err != nil {
		return err
	}
	s.mu.Lock()
	cart.Items = append(items, item) // changed in place: items added meanwhile are lost
	s.mu.Unlock()
	return nil
}

// addItemFixed replaces the cart with a changed copy, atomically: Update
// calls its function again if another request replaced the cart meanwhile.
func (s *service) addItemFixed(ctx context.Context, id, sku string) error {
	item, err := s.price(ctx, sku)
	if err != nil {
		return err
	}
	s.carts.Update(id, func(old *Order, loaded bool) (*Order, bool) {
		cart := &Order{ID: id}
		if loaded {
			*cart = *old
		}
		cart.Items = append(slices.Clip(cart.Items), item) // a new array: old is left as it was
		return cart, true
	})
	return nil
}

// addItem serves POST /orders/{id}/items?sku=...
func (s *service) addItem(ctx context.Context, id, sku string) error {
	if s.buggy() {
		return s.addItemBuggy(ctx, id, sku)
	}
	return s.addItemFixed(ctx, id, sku)
}

// cart serves GET /orders/{id}/cart: the items in the order's cart.
func (s *service) cart(id string) ([]string, error) {
	s.mu.Lock() // orders this read after addItemBuggy's writes; the fixed variant needs no lock
	defer s.mu.Unlock()
	cart, ok := s.carts.Load(id)
	if !ok {
		return nil, errNotFound
	}
	return slices.Clone(cart.Items), nil
}

// price looks an item's price up in Redis and returns the item as priced.
func (s *service) price(ctx context.Context, sku string) (string, error) {
	p, err := s.rdb.Get(ctx, s.key("price:"+sku)).Result()
	if errors.Is(err, redis.Nil) {
		p, err = "9.99", nil // not in the price list: the default price
	}
	return sku + "@" + p, err
}

// itemsPerOrder is how many items loadMutation adds to each cart at once.
const itemsPerOrder = 6

// loadMutation adds itemsPerOrder items to each order's cart, all at once,
// then reads the carts and counts those that lost items.
func loadMutation(ctx context.Context, s *service, orders int) (measure, error) {
	err := parallel(ctx, orders*itemsPerOrder, "client", func(ctx context.Context, c int) error {
		path := fmt.Sprintf("/orders/%s/items?sku=sku-%d", orderID(c/itemsPerOrder), c%itemsPerOrder)
		return s.call(ctx, "POST", path, nil)
	})
	if err != nil {
		return measure{}, err
	}
	corrupted := 0
	for i := range orders {
		var items []string
		if err := s.call(ctx, "GET", "/orders/"+orderID(i)+"/cart", &items); err != nil {
			return measure{}, err
		}
		if len(items) != itemsPerOrder {
			corrupted++
		}
	}
	return measure{Value: float64(corrupted), Text: fmt.Sprintf("%d of %d", corrupted, orders)}, nil
}
