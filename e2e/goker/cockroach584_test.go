// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/cockroach584.go
// (GoKer; see README.md). Bug: https://github.com/cockroachdb/cockroach/pull/584.
// A missing Unlock before break: the second loop locks a mutex the first
// left held. Go's harness lists it as flaky only because its profile may run
// before G1 does; once G1 runs, it leaks on every run.

package goker_test

import (
	"context"
	"sync"

	"github.com/custody-go/custody/safego"
)

type gossip_cockroach584 struct {
	mu     sync.Mutex // L1
	closed bool
}

func (g *gossip_cockroach584) bootstrap() {
	for {
		g.mu.Lock()
		if g.closed {
			// Missing g.mu.Unlock
			break
		}
		g.mu.Unlock()
	}
}

func (g *gossip_cockroach584) manage() {
	for {
		g.mu.Lock()
		if g.closed {
			// Missing g.mu.Unlock
			break
		}
		g.mu.Unlock()
	}
}

func cockroach584(context.Context) {
	g := &gossip_cockroach584{closed: true}
	go func() { // G1 spawn:raw
		g.bootstrap()
		g.manage()
	}()
}

func cockroach584Owned(ctx context.Context) {
	g := &gossip_cockroach584{closed: true}
	safego.Go(ctx, "gossip", func(context.Context) { // G1 spawn:owned
		g.bootstrap()
		g.manage()
	})
}

// The fix unlocks before break.
type gossipFixed_cockroach584 struct {
	mu     sync.Mutex
	closed bool
}

func (g *gossipFixed_cockroach584) bootstrap() {
	for {
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			break
		}
		g.mu.Unlock()
	}
}

func (g *gossipFixed_cockroach584) manage() {
	for {
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			break
		}
		g.mu.Unlock()
	}
}

func cockroach584Fixed(context.Context) {
	g := &gossipFixed_cockroach584{closed: true}
	go func() {
		g.bootstrap()
		g.manage()
	}()
}
