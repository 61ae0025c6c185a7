// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/cockroach24808.go
// (GoKer; see README.md). Bug: https://github.com/cockroachdb/cockroach/pull/24808.
// Start sends on a buffered channel that is already full before it starts
// the worker that would drain it.

package goker_test

import (
	"context"
	"sync"

	"github.com/custody-go/custody/safego"
)

type Compactor_cockroach24808 struct {
	ch chan struct{}
}

type Stopper_cockroach24808 struct {
	stop    sync.WaitGroup
	stopper chan struct{}
	owner   context.Context // the owned port's context; nil in the raw kernel
}

func (s *Stopper_cockroach24808) RunWorker(ctx context.Context, f func(context.Context)) {
	s.stop.Add(1)
	if s.owner != nil {
		safego.Go(s.owner, "worker", func(context.Context) {
			defer s.stop.Done()
			f(ctx)
		})
		return
	}
	go func() {
		defer s.stop.Done()
		f(ctx)
	}()
}

func (s *Stopper_cockroach24808) ShouldStop() <-chan struct{} {
	if s == nil {
		return nil
	}
	return s.stopper
}

func (s *Stopper_cockroach24808) Stop() {
	close(s.stopper)
}

func (c *Compactor_cockroach24808) Start(ctx context.Context, stopper *Stopper_cockroach24808) {
	c.ch <- struct{}{}
	c.startWorker(ctx, stopper)
}

// StartFixed is Start as fixed: the send does not block when a compaction
// is already queued.
func (c *Compactor_cockroach24808) StartFixed(ctx context.Context, stopper *Stopper_cockroach24808) {
	select {
	case c.ch <- struct{}{}:
	default:
	}
	c.startWorker(ctx, stopper)
}

func (c *Compactor_cockroach24808) startWorker(ctx context.Context, stopper *Stopper_cockroach24808) {
	stopper.RunWorker(ctx, func(ctx context.Context) {
		for {
			select {
			case <-stopper.ShouldStop():
				return
			case <-c.ch:
			}
		}
	})
}

func cockroach24808(context.Context) {
	go func() { // G1 spawn:raw
		stopper := &Stopper_cockroach24808{stopper: make(chan struct{})}
		defer stopper.Stop()

		compactor := &Compactor_cockroach24808{ch: make(chan struct{}, 1)}
		compactor.ch <- struct{}{}

		compactor.Start(context.Background(), stopper)
	}()
}

// The compactor's channel stays a raw channel: a chanown.Chan sent on with
// the goroutine's context would end the leak with the test (a fix, not a
// port).
func cockroach24808Owned(ctx context.Context) {
	safego.Go(ctx, "compactor-test", func(ctx context.Context) { // G1 spawn:owned
		stopper := &Stopper_cockroach24808{stopper: make(chan struct{}), owner: ctx}
		defer stopper.Stop()

		compactor := &Compactor_cockroach24808{ch: make(chan struct{}, 1)}
		compactor.ch <- struct{}{}

		compactor.Start(context.Background(), stopper)
	})
}

func cockroach24808Fixed(context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		stopper := &Stopper_cockroach24808{stopper: make(chan struct{})}
		defer stopper.stop.Wait()
		defer stopper.Stop()

		compactor := &Compactor_cockroach24808{ch: make(chan struct{}, 1)}
		compactor.ch <- struct{}{}

		compactor.StartFixed(context.Background(), stopper)
	}()
	<-done
}
