// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/kubernetes5316.go
// (GoKer; see README.md). Bug: https://github.com/kubernetes/kubernetes/pull/5316.
// finishRequest times out and returns; the request's goroutine then sends
// its result on an unbuffered channel nobody reads. The timeout (1µs) is
// far shorter than the request (2ms): every run leaks.

package goker_test

import (
	"context"
	"errors"
	"math/rand"
	"time"

	"github.com/custody-go/custody/safego"
)

func finishRequest_kubernetes5316(timeout time.Duration, fn func() error, buffered int) {
	ch := make(chan bool, buffered)
	errCh := make(chan error, buffered)
	go func() { // G2 spawn:raw
		if err := fn(); err != nil {
			errCh <- err
		} else {
			ch <- true
		}
	}()

	select {
	case <-ch:
	case <-errCh:
	case <-time.After(timeout):
	}
}

func finishRequestOwned_kubernetes5316(ctx context.Context, timeout time.Duration, fn func() error) {
	ch := make(chan bool)
	errCh := make(chan error)
	safego.Go(ctx, "request", func(context.Context) { // G2 spawn:owned
		if err := fn(); err != nil {
			errCh <- err
		} else {
			ch <- true
		}
	})

	select {
	case <-ch:
	case <-errCh:
	case <-time.After(timeout):
	}
}

func request_kubernetes5316() error {
	time.Sleep(2 * time.Millisecond)
	if rand.Intn(10) > 5 {
		return errors.New("Error")
	}
	return nil
}

func kubernetes5316(context.Context) {
	go func() {
		go finishRequest_kubernetes5316(time.Microsecond, request_kubernetes5316, 0) // G1
	}()
}

// The result channels stay raw: sent on with the goroutine's context, a
// chanown.Chan would end the leak with the test.
func kubernetes5316Owned(ctx context.Context) {
	safego.Go(ctx, "handler", func(ctx context.Context) {
		safego.Go(ctx, "finish-request", func(ctx context.Context) { // G1
			finishRequestOwned_kubernetes5316(ctx, time.Microsecond, request_kubernetes5316)
		})
	})
}

// The fix buffers both channels, so the late result is dropped, not stuck.
func kubernetes5316Fixed(context.Context) {
	go func() {
		go finishRequest_kubernetes5316(time.Microsecond, request_kubernetes5316, 1)
	}()
}
