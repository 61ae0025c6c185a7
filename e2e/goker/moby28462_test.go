// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/moby28462.go
// (GoKer; see README.md). Bug: https://github.com/moby/moby/pull/28462.
// StateChanged holds the container's lock while it sends on the monitor's
// stop channel; the monitor is waiting for that lock. It leaks only when the
// monitor is between its check of stop and its Lock as StateChanged locks
// (GoKer: 69/100 runs; here 100 pairs at random leaked in 1 run of 3). The
// kernel forces that order, the one of the bug report, with two channels
// (probing, locked), and every run leaks.

package goker_test

import (
	"context"
	"runtime"
	"sync"

	"github.com/custody-go/custody/safego"
)

type State_moby28462 struct {
	Health *Health_moby28462
}

type Container_moby28462 struct {
	sync.Mutex
	State *State_moby28462

	probeOnce sync.Once
	probing   chan struct{} // closed when the monitor has passed its stop check
	locked    chan struct{} // closed when StateChanged holds the lock
}

type Store_moby28462 struct {
	ctr *Container_moby28462
}

func (s *Store_moby28462) Get() *Container_moby28462 {
	return s.ctr
}

type Daemon_moby28462 struct {
	containers Store_moby28462
}

func (d *Daemon_moby28462) StateChanged(fixed bool) {
	c := d.containers.Get()
	<-c.probing
	c.Lock()
	close(c.locked)
	d.updateHealthMonitorElseBranch(c, fixed)
	defer c.Unlock()
}

func (d *Daemon_moby28462) updateHealthMonitorElseBranch(c *Container_moby28462, fixed bool) {
	h := c.State.Health
	if fixed {
		h.CloseMonitorChannelFixed()
		return
	}
	h.CloseMonitorChannel()
}

type Health_moby28462 struct {
	stop chan struct{}
}

func (s *Health_moby28462) OpenMonitorChannel() chan struct{} {
	return s.stop
}

func (s *Health_moby28462) CloseMonitorChannel() {
	if s.stop != nil {
		s.stop <- struct{}{}
	}
}

// CloseMonitorChannelFixed closes the channel instead of sending on it,
// which never blocks: the fix.
func (s *Health_moby28462) CloseMonitorChannelFixed() {
	if s.stop != nil {
		close(s.stop)
		s.stop = nil
	}
}

func monitor_moby28462(c *Container_moby28462, stop chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
			handleProbeResult_moby28462(c)
		}
	}
}

func handleProbeResult_moby28462(c *Container_moby28462) {
	runtime.Gosched()
	c.probeOnce.Do(func() {
		close(c.probing)
		<-c.locked
	})
	c.Lock()
	defer c.Unlock()
}

func NewDaemonAndContainer_moby28462() (*Daemon_moby28462, *Container_moby28462) {
	c := &Container_moby28462{
		State:   &State_moby28462{&Health_moby28462{make(chan struct{})}},
		probing: make(chan struct{}),
		locked:  make(chan struct{}),
	}
	d := &Daemon_moby28462{Store_moby28462{c}}
	return d, c
}

const copies_moby28462 = 10

func moby28462(context.Context) {
	for i := 0; i < copies_moby28462; i++ {
		go func() {
			d, c := NewDaemonAndContainer_moby28462()
			go monitor_moby28462(c, c.State.Health.OpenMonitorChannel()) // G1 spawn:raw
			go d.StateChanged(false)                                     // G2 spawn:raw
		}()
	}
}

func moby28462Owned(ctx context.Context) {
	for i := 0; i < copies_moby28462; i++ {
		safego.Go(ctx, "daemon-test", func(ctx context.Context) {
			d, c := NewDaemonAndContainer_moby28462()
			stop := c.State.Health.OpenMonitorChannel()
			safego.Go(ctx, "health-monitor", func(context.Context) { // G1 spawn:owned
				monitor_moby28462(c, stop)
			})
			safego.Go(ctx, "state-changed", func(context.Context) { // G2 spawn:owned
				d.StateChanged(false)
			})
		})
	}
}

func moby28462Fixed(context.Context) {
	for i := 0; i < copies_moby28462; i++ {
		go func() {
			d, c := NewDaemonAndContainer_moby28462()
			go monitor_moby28462(c, c.State.Health.OpenMonitorChannel())
			go d.StateChanged(true)
		}()
	}
}
