// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/kubernetes25331.go
// (GoKer; see README.md). Bug: https://github.com/kubernetes/kubernetes/pull/25331.
// The watcher reports an error on an unbuffered result channel that nobody
// reads once the watch is stopped.

package goker_test

import (
	"context"
	"errors"

	"github.com/custody-go/custody/safego"
)

type watchChan_kubernetes25331 struct {
	ctx        context.Context
	cancel     context.CancelFunc
	resultChan chan bool
	errChan    chan error
}

func (wc *watchChan_kubernetes25331) Stop() {
	wc.errChan <- errors.New("Error")
	wc.cancel()
}

func (wc *watchChan_kubernetes25331) run() {
	select {
	case err := <-wc.errChan:
		errResult := len(err.Error()) != 0
		wc.cancel() // Removed in fix
		wc.resultChan <- errResult
	case <-wc.ctx.Done():
	}
}

// runFixed gives up the send when the watch is stopped, as the fix does.
func (wc *watchChan_kubernetes25331) runFixed() {
	select {
	case err := <-wc.errChan:
		errResult := len(err.Error()) != 0
		select {
		case wc.resultChan <- errResult:
		case <-wc.ctx.Done():
		}
	case <-wc.ctx.Done():
	}
}

func NewWatchChan_kubernetes25331() *watchChan_kubernetes25331 {
	ctx, cancel := context.WithCancel(context.Background())
	return &watchChan_kubernetes25331{
		ctx:        ctx,
		cancel:     cancel,
		resultChan: make(chan bool),
		errChan:    make(chan error),
	}
}

func kubernetes25331(context.Context) {
	go func() {
		wc := NewWatchChan_kubernetes25331()
		go wc.run()  // G1 spawn:raw
		go wc.Stop() // G2
	}()
}

// The watch's channels stay raw: the leaking send would return, given a
// chanown.Chan and the watch's context, which is the fix.
func kubernetes25331Owned(ctx context.Context) {
	safego.Go(ctx, "watch-test", func(ctx context.Context) {
		wc := NewWatchChan_kubernetes25331()
		safego.Go(ctx, "watch", func(context.Context) { // G1 spawn:owned
			wc.run()
		})
		safego.Go(ctx, "stop", func(context.Context) {
			wc.Stop()
		})
	})
}

func kubernetes25331Fixed(context.Context) {
	go func() {
		wc := NewWatchChan_kubernetes25331()
		go wc.runFixed()
		go wc.Stop()
	}()
}
