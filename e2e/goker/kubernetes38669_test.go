// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/kubernetes38669.go
// (GoKer; see README.md). Bug: https://github.com/kubernetes/kubernetes/pull/38669.
// The cache watcher sends its initial events on an unbuffered result
// channel; the watcher is stopped without anyone reading them.

package goker_test

import (
	"context"
	"sync"

	"github.com/custody-go/custody/safego"
)

type Event_kubernetes38669 int
type watchCacheEvent_kubernetes38669 int

type cacheWatcher_kubernetes38669 struct {
	sync.Mutex
	input   chan watchCacheEvent_kubernetes38669
	result  chan Event_kubernetes38669
	done    chan struct{} // closed by stop; used by the fix only
	stopped bool
	fixed   bool
}

func (c *cacheWatcher_kubernetes38669) process(initEvents []watchCacheEvent_kubernetes38669) {
	for _, event := range initEvents {
		c.sendWatchCacheEvent(&event)
	}
	defer close(c.result)
	defer c.Stop()
	for {
		_, ok := <-c.input
		if !ok {
			return
		}
	}
}

func (c *cacheWatcher_kubernetes38669) sendWatchCacheEvent(event *watchCacheEvent_kubernetes38669) {
	if c.fixed {
		// The fix: give up the send when the watcher is stopped.
		select {
		case c.result <- Event_kubernetes38669(*event):
		case <-c.done:
		}
		return
	}
	c.result <- Event_kubernetes38669(*event)
}

func (c *cacheWatcher_kubernetes38669) Stop() {
	c.stop()
}

func (c *cacheWatcher_kubernetes38669) stop() {
	c.Lock()
	defer c.Unlock()
	if !c.stopped {
		c.stopped = true
		close(c.input)
		close(c.done)
	}
}

func newCacheWatcher_kubernetes38669(chanSize int, initEvents []watchCacheEvent_kubernetes38669, spawn func(f func()), fixed bool) *cacheWatcher_kubernetes38669 {
	watcher := &cacheWatcher_kubernetes38669{
		input:   make(chan watchCacheEvent_kubernetes38669, chanSize),
		result:  make(chan Event_kubernetes38669, chanSize),
		done:    make(chan struct{}),
		stopped: false,
		fixed:   fixed,
	}
	spawn(func() { watcher.process(initEvents) })
	return watcher
}

func kubernetes38669(context.Context) {
	go func() {
		initEvents := []watchCacheEvent_kubernetes38669{1, 2}
		w := newCacheWatcher_kubernetes38669(0, initEvents, func(f func()) {
			go f() // spawn:raw
		}, false)
		w.Stop()
	}()
}

// The result channel stays raw: the leaking send has no context in the
// kernel, and given the watcher's, a chanown.Chan would be the fix.
func kubernetes38669Owned(ctx context.Context) {
	safego.Go(ctx, "watch-cache", func(ctx context.Context) {
		initEvents := []watchCacheEvent_kubernetes38669{1, 2}
		w := newCacheWatcher_kubernetes38669(0, initEvents, func(f func()) {
			safego.Go(ctx, "cache-watcher", func(context.Context) { // spawn:owned
				f()
			})
		}, false)
		w.Stop()
	})
}

func kubernetes38669Fixed(context.Context) {
	go func() {
		initEvents := []watchCacheEvent_kubernetes38669{1, 2}
		w := newCacheWatcher_kubernetes38669(0, initEvents, func(f func()) { go f() }, true)
		w.Stop()
	}()
}
