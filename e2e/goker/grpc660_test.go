// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/grpc660.go
// (GoKer; see README.md). Bug: https://github.com/grpc/grpc-go/pull/660.
// The benchmark loop returns on stop while the goroutine it started last is
// still sending its result on an unbuffered channel nobody will read.

package goker_test

import (
	"context"
	"math/rand"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/safego"
)

type benchmarkClient_grpc660 struct {
	stop chan bool
}

func (bc *benchmarkClient_grpc660) doCloseLoopUnary(buffered int) {
	for {
		done := make(chan bool, buffered)
		go func() { // G2 spawn:raw
			if rand.Intn(10) > 7 {
				done <- false
				return
			}
			done <- true
		}()
		select {
		case <-bc.stop:
			return
		case <-done:
		}
	}
}

func grpc660(context.Context) {
	go func() {
		bc := &benchmarkClient_grpc660{
			stop: make(chan bool),
		}
		go bc.doCloseLoopUnary(0) // G1
		go func() {               // helper goroutine
			bc.stop <- true
		}()
	}()
}

// benchmarkClientOwned_grpc660 is the port: owned goroutines, and the stop
// channel a chanown.Chan. The done channel stays raw: sent on with the
// goroutine's context, a chanown.Chan would end the leak with the test.
type benchmarkClientOwned_grpc660 struct {
	stop *chanown.Chan[bool]
}

func (bc *benchmarkClientOwned_grpc660) doCloseLoopUnary(ctx context.Context) {
	for {
		done := make(chan bool)
		safego.Go(ctx, "unary-call", func(context.Context) { // G2 spawn:owned
			if rand.Intn(10) > 7 {
				done <- false
				return
			}
			done <- true
		})
		select {
		case <-bc.stop.C():
			return
		case <-done:
		}
	}
}

func grpc660Owned(ctx context.Context) {
	safego.Go(ctx, "benchmark", func(ctx context.Context) {
		bc := &benchmarkClientOwned_grpc660{
			stop: chanown.Make[bool](ctx, "stop", 0),
		}
		safego.Go(ctx, "close-loop", bc.doCloseLoopUnary) // G1
		safego.Go(ctx, "stopper", func(ctx context.Context) {
			// The kernel's stop is sent whatever happens; a send that gave
			// up when the test's context ends (if the stopper had not run
			// by then) would leave the loop spinning: another bug.
			_ = bc.stop.Send(context.WithoutCancel(ctx), true)
		})
	})
}

// The fix gives done a buffer of one, so the last send never blocks.
func grpc660Fixed(context.Context) {
	go func() {
		bc := &benchmarkClient_grpc660{
			stop: make(chan bool),
		}
		go bc.doCloseLoopUnary(1)
		go func() {
			bc.stop <- true
		}()
	}()
}
