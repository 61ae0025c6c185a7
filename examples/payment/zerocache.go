package main

import "context"

// Incident 1 (see the package documentation): a sync.Map held zero values, a
// fallback path loaded them with ok == true and wrote them to Redis; the hit
// rate fell from 99.2% to 17% and the payment gateway saw duplicate order
// IDs. custody: safemap reports the load of a zero value, with the site that
// stored it.

// forgetBuggy forgets the cached copy of an order that changed by storing
// the zero Order in its place. Load returns that zero with ok == true.
func (s *service) forgetBuggy(id string) {
	s.cache.Store(id, Order{}) // BUG: a zero value stored as "nothing cached"
}

// forgetFixed forgets the cached copy: Load then returns ok == false.
func (s *service) forgetFixed(id string) {
	s.cache.Delete(id)
}

// getOrder serves GET /orders/{id}: from Redis; on a miss, from the copy
// this process cached (the fallback) or else the database, and whatever it
// found goes back to Redis.
func (s *service) getOrder(ctx context.Context, id string) (Order, error) {
	if o, ok := s.fromRedis(ctx, id); ok {
		s.hits.Add(1)
		return o, nil
	}
	s.misses.Add(1)
	o, ok := s.cache.Load(id) // the fallback: ok == true for a stored zero too
	if !ok {
		if o, ok = s.fromDB(id); !ok {
			return Order{}, errNotFound
		}
		s.cache.Store(id, o)
	}
	return o, s.toRedis(ctx, id, o) // with the bug: a zero order written to Redis
}

// pay serves POST /orders/{id}/pay: the order is paid, so Redis and the
// cache must forget their copies.
func (s *service) pay(ctx context.Context, id string) error {
	if !s.setStatus(id, "paid") {
		return errNotFound
	}
	if err := s.rdb.Del(ctx, s.key(id)).Err(); err != nil {
		return err
	}
	if s.buggy() {
		s.forgetBuggy(id)
	} else {
		s.forgetFixed(id)
	}
	return nil
}

// loadZeroCache reads every order once to warm the caches, pays four orders
// in five, then reads every order 20 times. It measures the Redis hit rate
// of those reads.
func loadZeroCache(ctx context.Context, s *service, orders int) (measure, error) {
	for i := range orders {
		if err := s.call(ctx, "GET", "/orders/"+orderID(i), nil); err != nil {
			return measure{}, err
		}
	}
	s.hits.Store(0)
	s.misses.Store(0)
	for i := range orders {
		if i%5 != 0 {
			if err := s.call(ctx, "POST", "/orders/"+orderID(i)+"/pay", nil); err != nil {
				return measure{}, err
			}
		}
	}
	err := parallel(ctx, 4, "reader", func(ctx context.Context, r int) error {
		for range 5 {
			for i := range orders {
				if err := s.call(ctx, "GET", "/orders/"+orderID(i), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	hits, total := s.hits.Load(), s.hits.Load()+s.misses.Load()
	return measure{Value: float64(hits) / float64(total), Text: percent(hits, total)}, err
}
