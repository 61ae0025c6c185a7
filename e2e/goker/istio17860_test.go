// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/istio17860.go
// (GoKer; see README.md). Bug: https://github.com/istio/istio/pull/17860.
// Each restart starts a goroutine that reports its exit status on an
// unbuffered channel; the agent's Run loop returns when no epoch is active
// or its context ends, and the reports still in flight block forever. Which
// of a pair of restarts leaks depends on the schedule; 100 agents, as in
// Go's harness, make a leak likely on each run, not certain.

package goker_test

import (
	"context"
	"sync"
	"time"

	"github.com/custody-go/custody/safego"
)

type Proxy_istio17860 interface {
	IsLive() bool
}

type TestProxy_istio17860 struct {
	live func() bool
}

func (tp TestProxy_istio17860) IsLive() bool {
	if tp.live == nil {
		return true
	}
	return tp.live()
}

type exitStatus_istio17860 int

type agent_istio17860 struct {
	proxy        Proxy_istio17860
	mu           *sync.Mutex
	statusCh     chan exitStatus_istio17860
	currentEpoch int
	activeEpochs map[int]struct{}
	owner        context.Context // the owned port's context; nil in the raw kernel
	fixed        bool
	runDone      chan struct{} // closed when Run returns; used by the fix only
}

func (a *agent_istio17860) Run(ctx context.Context) {
	if a.fixed {
		defer close(a.runDone)
	}
	for {
		select {
		case status := <-a.statusCh:
			a.mu.Lock()
			delete(a.activeEpochs, int(status))
			active := len(a.activeEpochs)
			a.mu.Unlock()
			if active == 0 {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func (a *agent_istio17860) Restart() {
	a.mu.Lock()
	defer a.mu.Unlock()

	a.waitUntilLive()
	a.currentEpoch++
	a.activeEpochs[a.currentEpoch] = struct{}{}

	epoch := a.currentEpoch
	if a.owner != nil {
		safego.Go(a.owner, "run-wait", func(context.Context) { // spawn:owned
			a.runWait(epoch)
		})
		return
	}
	go a.runWait(epoch) // spawn:raw
}

func (a *agent_istio17860) runWait(epoch int) {
	if a.fixed {
		// The fix: no report once Run has returned.
		select {
		case a.statusCh <- exitStatus_istio17860(epoch):
		case <-a.runDone:
		}
		return
	}
	a.statusCh <- exitStatus_istio17860(epoch)
}

func (a *agent_istio17860) waitUntilLive() {
	if len(a.activeEpochs) == 0 {
		return
	}

	interval := time.NewTicker(30 * time.Nanosecond)
	timer := time.NewTimer(100 * time.Nanosecond)
	defer func() {
		interval.Stop()
		timer.Stop()
	}()

	if a.proxy.IsLive() {
		return
	}

	for {
		select {
		case <-timer.C:
			return
		case <-interval.C:
			if a.proxy.IsLive() {
				return
			}
		}
	}
}

func NewAgent_istio17860(proxy Proxy_istio17860) *agent_istio17860 {
	return &agent_istio17860{
		proxy:        proxy,
		mu:           &sync.Mutex{},
		statusCh:     make(chan exitStatus_istio17860),
		activeEpochs: make(map[int]struct{}),
		runDone:      make(chan struct{}),
	}
}

func neverLive_istio17860() bool { return false }

func istio17860(context.Context) {
	for i := 0; i < 100; i++ {
		go func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			a := NewAgent_istio17860(TestProxy_istio17860{live: neverLive_istio17860})
			go func() { a.Run(ctx) }()

			a.Restart()
			go a.Restart()

			time.Sleep(200 * time.Nanosecond)
		}()
	}
}

// The status channel stays raw: the leaking send has no context in the
// kernel, and given one, a chanown.Chan would be the fix.
func istio17860Owned(ctx context.Context) {
	for i := 0; i < 100; i++ {
		safego.Go(ctx, "agent-test", func(owner context.Context) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			a := NewAgent_istio17860(TestProxy_istio17860{live: neverLive_istio17860})
			a.owner = owner
			safego.Go(owner, "agent-run", func(context.Context) {
				a.Run(ctx)
			})

			a.Restart()
			safego.Go(owner, "restart", func(context.Context) {
				a.Restart()
			})

			time.Sleep(200 * time.Nanosecond)
		})
	}
}

func istio17860Fixed(context.Context) {
	for i := 0; i < 100; i++ {
		go func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			a := NewAgent_istio17860(TestProxy_istio17860{live: neverLive_istio17860})
			a.fixed = true
			go func() { a.Run(ctx) }()

			a.Restart()
			go a.Restart()

			time.Sleep(200 * time.Nanosecond)
		}()
	}
}
