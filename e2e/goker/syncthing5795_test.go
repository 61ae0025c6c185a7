// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/syncthing5795.go
// (GoKer; see README.md). Bug: https://github.com/syncthing/syncthing/pull/5795.
// The dispatcher loop calls the model, which closes the connection, and
// Close waits for the dispatcher loop to stop: the loop waits for itself,
// and the connection's user waits for the loop.

package goker_test

import (
	"context"
	"sync"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/safego"
)

type message_syncthing5795 interface{}

type ClusterConfig_syncthing5795 struct{}

type Model_syncthing5795 interface {
	ClusterConfig(message_syncthing5795)
}

type TestModel_syncthing5795 struct {
	ccFn func()
}

func (t *TestModel_syncthing5795) ClusterConfig(msg message_syncthing5795) {
	if t.ccFn != nil {
		t.ccFn()
	}
}

type rawConnection_syncthing5795 struct {
	receiver Model_syncthing5795

	inbox                 chan message_syncthing5795
	ownedInbox            *chanown.Chan[message_syncthing5795] // the owned port's inbox, in place of inbox
	dispatcherLoopStopped chan struct{}
	closed                chan struct{}
	closeOnce             sync.Once
}

func (c *rawConnection_syncthing5795) Start() {
	go c.dispatcherLoop() // G2 spawn:raw
}

func (c *rawConnection_syncthing5795) StartOwned(ctx context.Context) {
	safego.Go(ctx, "dispatcher-loop", func(context.Context) { // G2 spawn:owned
		c.dispatcherLoop()
	})
}

func (c *rawConnection_syncthing5795) inboxC() <-chan message_syncthing5795 {
	if c.ownedInbox != nil {
		return c.ownedInbox.C()
	}
	return c.inbox
}

func (c *rawConnection_syncthing5795) dispatcherLoop() {
	defer close(c.dispatcherLoopStopped)
	var msg message_syncthing5795
	for {
		select {
		case msg = <-c.inboxC():
		case <-c.closed:
			return
		}
		switch msg := msg.(type) {
		case *ClusterConfig_syncthing5795:
			c.receiver.ClusterConfig(msg)
		default:
			return
		}
	}
}

func (c *rawConnection_syncthing5795) Close() {
	c.closeOnce.Do(func() {
		close(c.closed)
		<-c.dispatcherLoopStopped
	})
}

func newConnection_syncthing5795() (*TestModel_syncthing5795, *rawConnection_syncthing5795) {
	m := &TestModel_syncthing5795{}
	c := &rawConnection_syncthing5795{
		dispatcherLoopStopped: make(chan struct{}),
		closed:                make(chan struct{}),
		inbox:                 make(chan message_syncthing5795),
		receiver:              m,
	}
	return m, c
}

func syncthing5795(context.Context) {
	go func() { // G1 spawn:raw
		m, c := newConnection_syncthing5795()
		m.ccFn = c.Close

		c.Start()
		c.inbox <- &ClusterConfig_syncthing5795{}

		<-c.dispatcherLoopStopped
	}()
}

// The port's inbox is a chanown.Chan: the user sends with Send, the loop
// selects on C().
func syncthing5795Owned(ctx context.Context) {
	safego.Go(ctx, "connection-test", func(ctx context.Context) { // G1 spawn:owned
		m, c := newConnection_syncthing5795()
		c.ownedInbox = chanown.Make[message_syncthing5795](ctx, "inbox", 0)
		m.ccFn = c.Close

		c.StartOwned(ctx)
		// Sent whatever happens, as in the kernel.
		_ = c.ownedInbox.Send(context.WithoutCancel(ctx), &ClusterConfig_syncthing5795{})

		<-c.dispatcherLoopStopped
	})
}

// The fix closes the connection from outside the dispatcher loop, so Close
// does not wait for the loop it runs in.
func syncthing5795Fixed(context.Context) {
	go func() {
		m, c := newConnection_syncthing5795()
		m.ccFn = func() { go c.Close() }

		c.Start()
		c.inbox <- &ClusterConfig_syncthing5795{}

		<-c.dispatcherLoopStopped
	}()
}
