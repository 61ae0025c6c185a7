// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/serving2137.go
// (GoKer; see README.md). Bug: https://github.com/knative/serving/pull/2137.
// Two requests through a breaker of capacity one: when the second request
// takes the active slot first, it waits for its lock, which the test
// releases only after the first request was accepted, and the first waits
// for the slot. The test goroutine and both requests leak. The overtaking
// is up to the scheduler (Go's harness starts 1,000 copies; 100 random
// copies here leaked in some runs, not in others). The kernel forces the
// order of the bug report: the first request asks for the slot once the
// second holds it (the overtaken channel). Every copy leaks: 10 copies.

package goker_test

import (
	"context"
	"runtime"
	"sync"

	"github.com/custody-go/custody/safego"
)

type token_serving2137 struct{}

type request_serving2137 struct {
	lock     *sync.Mutex
	accepted chan bool
}

type Breaker_serving2137 struct {
	pendingRequests chan token_serving2137
	activeRequests  chan token_serving2137
}

func (b *Breaker_serving2137) Maybe(thunk func()) bool {
	var t token_serving2137
	select {
	default:
		// Pending request queue is full.  Report failure.
		return false
	case b.pendingRequests <- t:
		// Pending request has capacity.
		// Wait for capacity in the active queue.
		b.activeRequests <- t
		// Defer releasing capacity in the active and pending request queue.
		defer func() {
			<-b.activeRequests
			runtime.Gosched()
			<-b.pendingRequests
		}()
		// Do the thing.
		thunk()
		// Report success
		return true
	}
}

// concurrentRequest's before runs in the request's goroutine before it asks
// the breaker, holding in the thunk, once it holds the active slot.
func (b *Breaker_serving2137) concurrentRequest(spawn func(f func()), before, holding func()) request_serving2137 {
	r := request_serving2137{lock: &sync.Mutex{}, accepted: make(chan bool, 1)}
	r.lock.Lock()
	var start sync.WaitGroup
	start.Add(1)
	spawn(func() { // G2, G3
		start.Done()
		runtime.Gosched()
		before()
		ok := b.Maybe(func() {
			holding()
			// Will block on locked mutex.
			r.lock.Lock()
			runtime.Gosched()
			r.lock.Unlock()
		})
		r.accepted <- ok
	})
	start.Wait() // Ensure that the go func has had a chance to execute.
	return r
}

// Perform n requests against the breaker, returning mutexes for each
// request which succeeded, and a slice of bools for all requests.
// The first of them waits for the second to hold the active slot.
func (b *Breaker_serving2137) concurrentRequests(n int, spawn func(f func())) []request_serving2137 {
	overtaken := make(chan struct{})
	requests := make([]request_serving2137, n)
	for i := range requests {
		before, holding := func() {}, func() {}
		switch i {
		case 0:
			before = func() { <-overtaken }
		case 1:
			holding = func() { close(overtaken) }
		}
		requests[i] = b.concurrentRequest(spawn, before, holding)
	}
	return requests
}

func NewBreaker_serving2137(queueDepth, maxConcurrency int32) *Breaker_serving2137 {
	return &Breaker_serving2137{
		pendingRequests: make(chan token_serving2137, queueDepth+maxConcurrency),
		activeRequests:  make(chan token_serving2137, maxConcurrency),
	}
}

func unlock_serving2137(req request_serving2137) {
	req.lock.Unlock()
	runtime.Gosched()
	// Verify that function has completed
	ok := <-req.accepted
	runtime.Gosched()
	// Requeue for next usage
	req.accepted <- ok
}

func unlockAll_serving2137(requests []request_serving2137) {
	for _, lc := range requests {
		unlock_serving2137(lc)
	}
}

// unlockAllFixed releases every request before it waits for any: the fix.
func unlockAllFixed_serving2137(requests []request_serving2137) {
	for _, lc := range requests {
		lc.lock.Unlock()
	}
	for _, lc := range requests {
		ok := <-lc.accepted
		lc.accepted <- ok
	}
}

const copies_serving2137 = 10

func serving2137(context.Context) {
	for i := 0; i < copies_serving2137; i++ {
		go func() { // G1 spawn:raw
			b := NewBreaker_serving2137(1, 1)

			locks := b.concurrentRequests(2, func(f func()) {
				go func() { // G2, G3 spawn:raw
					f()
				}()
			})
			unlockAll_serving2137(locks)
		}()
	}
}

func serving2137Owned(ctx context.Context) {
	for i := 0; i < copies_serving2137; i++ {
		safego.Go(ctx, "breaker-test", func(ctx context.Context) { // G1 spawn:owned
			b := NewBreaker_serving2137(1, 1)

			locks := b.concurrentRequests(2, func(f func()) {
				safego.Go(ctx, "request", func(context.Context) { // G2, G3 spawn:owned
					f()
				})
			})
			unlockAll_serving2137(locks)
		})
	}
}

func serving2137Fixed(context.Context) {
	for i := 0; i < copies_serving2137; i++ {
		go func() {
			b := NewBreaker_serving2137(1, 1)

			locks := b.concurrentRequests(2, func(f func()) { go f() })
			unlockAllFixed_serving2137(locks)
		}()
	}
}
