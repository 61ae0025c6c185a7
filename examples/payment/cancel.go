package main

import (
	"context"
	"fmt"
	"time"

	"github.com/custody-go/custody/safego"
)

// Incident 3 (see the package documentation): a defer cancel() cancelled a
// context an async goroutine still needed. custody: the owned goroutine
// knows its context and when it was done; the oracle reports the goroutine
// that went on running after that, with the line that started it.

// settleTime is how long the bank takes to settle a payment.
const settleTime = 200 * time.Millisecond

// captureBuggy captures a payment and writes it to the ledger in the
// background, so that the client does not wait for the bank.
func (s *service) captureBuggy(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel() // BUG: also cancels the ledger job, which still needs ctx
	if err := s.callGateway(ctx, id); err != nil {
		return err
	}
	s.jobs.Add(1)
	safego.Go(ctx, "ledger", func(ctx context.Context) {
		defer s.jobs.Done()
		s.writeLedger(ctx, id)
	})
	return nil
}

// captureFixed gives the ledger job a context of its own: the request's
// values (its identity), not its cancellation, and a deadline of its own.
func (s *service) captureFixed(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel() // cancels what the request does, not the job
	if err := s.callGateway(ctx, id); err != nil {
		return err
	}
	s.jobs.Add(1)
	safego.Go(context.WithoutCancel(ctx), "ledger", func(ctx context.Context) {
		defer s.jobs.Done()
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		s.writeLedger(ctx, id)
	})
	return nil
}

// capture serves POST /orders/{id}/capture.
func (s *service) capture(ctx context.Context, id string) error {
	if s.buggy() {
		return s.captureBuggy(ctx, id)
	}
	return s.captureFixed(ctx, id)
}

// writeLedger settles a payment with the bank, whose client takes no
// context, then appends it to the ledger in Redis.
func (s *service) writeLedger(ctx context.Context, id string) {
	time.Sleep(settleTime) // the bank's client: no context to watch
	key := s.key("ledger")
	if err := s.rdb.RPush(ctx, key, id).Err(); err != nil {
		s.cancelled.Add(1)
		return
	}
	s.rdb.Expire(ctx, key, keyTTL)
}

// loadCancel captures every order, from 4 clients at once, waits for the
// ledger jobs and counts those that failed.
func loadCancel(ctx context.Context, s *service, orders int) (measure, error) {
	err := parallel(ctx, 4, "client", func(ctx context.Context, c int) error {
		for i := c; i < orders; i += 4 {
			if err := s.call(ctx, "POST", "/orders/"+orderID(i)+"/capture", nil); err != nil {
				return err
			}
		}
		return nil
	})
	s.jobs.Wait()
	n := s.cancelled.Load()
	return measure{Value: float64(n), Text: fmt.Sprintf("%d of %d", n, orders)}, err
}
