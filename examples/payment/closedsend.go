package main

import (
	"context"
	"fmt"
	"time"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/safego"
)

// Incident 5 (see the package documentation): the incident log held seventeen
// "panic: send on closed channel" crashes, none with a hint of who had
// closed the channel. custody: in an owned goroutine under the oracle the
// panic is caught and reported instead of killing the process; with chanown
// the send returns an error naming who closed the channel, where and when.

// A gateway quotes its fee for a payment, after some latency.
type gateway struct {
	name    string
	latency time.Duration
	fee     int64 // in cents
}

// gateways: the fast one answers at once; the others take longer than a
// client waits, and answer when the request's context is done.
var gateways = []gateway{{"fast", 0, 30}, {"slow", time.Second, 25}, {"slower", 2 * time.Second, 20}}

// quoteBuggy asks every gateway for a quote and returns the first one.
func (s *service) quoteBuggy(ctx context.Context, id string) (int64, error) {
	quotes := make(chan int64) // [owned by: quoteBuggy] [closed by: quoteBuggy]
	for _, gw := range gateways {
		safego.Go(ctx, "quote-"+gw.name, func(ctx context.Context) {
			quotes <- s.fee(ctx, gw) // panics once quotes is closed
		})
	}
	fee := <-quotes
	close(quotes) // BUG: the receiver closes a channel others still send on
	return fee, nil
}

// quoteChanown makes the same mistake with an owned channel: no crash, and
// each late Send returns an error that names who closed the channel.
func (s *service) quoteChanown(ctx context.Context, id string) (int64, error) {
	quotes := chanown.Make[int64](ctx, "quotes", 0)
	for _, gw := range gateways {
		safego.Go(ctx, "quote-"+gw.name, func(ctx context.Context) {
			if err := quotes.Send(ctx, s.fee(ctx, gw)); err != nil {
				s.refused.Add(1) // err: chanown: send on closed channel "quotes": closed by ... at ...
			}
		})
	}
	fee, _, err := quotes.Recv(ctx)
	quotes.Close(ctx) // still the receiver closing: see quoteFixed
	return fee, err
}

// quoteFixed: the receiver does not close the channel, it cancels the
// senders' context; the channel has room for every quote, so no sender
// waits for a receiver that is gone.
func (s *service) quoteFixed(ctx context.Context, id string) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the slower gateways stop waiting
	quotes := chanown.Make[int64](ctx, "quotes", len(gateways))
	for _, gw := range gateways {
		safego.Go(ctx, "quote-"+gw.name, func(ctx context.Context) {
			quotes.Send(ctx, s.fee(ctx, gw)) // never blocks, never closed
		})
	}
	fee, _, err := quotes.Recv(ctx)
	return fee, err
}

// quote serves GET /orders/{id}/quote.
func (s *service) quote(ctx context.Context, id string) (int64, error) {
	switch s.variant {
	case "buggy":
		return s.quoteBuggy(ctx, id)
	case "chanown":
		return s.quoteChanown(ctx, id)
	}
	return s.quoteFixed(ctx, id)
}

// fee asks a gateway for its fee; it gives up when ctx is done, and then
// returns the fee the gateway would have quoted.
func (s *service) fee(ctx context.Context, gw gateway) int64 {
	select {
	case <-time.After(gw.latency):
	case <-ctx.Done():
	}
	return gw.fee
}

// loadClosedSend asks for a quote for every order, from 4 clients at once,
// and waits for the late senders. It counts the sends chanown refused; the
// crashes caught are the oracle's findings, which run counts.
func loadClosedSend(ctx context.Context, s *service, orders int) (measure, error) {
	err := parallel(ctx, 4, "client", func(ctx context.Context, c int) error {
		for i := c; i < orders; i += 4 {
			if err := s.call(ctx, "GET", "/orders/"+orderID(i)+"/quote", nil); err != nil {
				return err
			}
		}
		return nil
	})
	for deadline := time.Now().Add(2 * time.Second); goroutinesIn("payment/closedsend.go:") > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	n := s.refused.Load()
	return measure{Value: float64(n), Text: fmt.Sprintf("%d sends refused", n)}, err
}
