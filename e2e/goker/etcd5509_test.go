// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/etcd5509.go
// (GoKer; see README.md). Bug: https://github.com/etcd-io/etcd/pull/5509.
// acquire returns without RUnlock when the client is closed; Close, which
// unlocks and locks again in the middle, then waits for that read lock
// forever. It leaks when the reader takes the read lock between Close's
// Unlock and Lock; Go's harness runs it with GOMAXPROCS=1 and hopes. Here
// Close runs the reader in that window (the between hook), so every run
// leaks.

package goker_test

import (
	"context"
	"errors"
	"sync"

	"github.com/custody-go/custody/safego"
)

var ErrConnClosed_etcd5509 = errors.New("etcd: connection closed")

type Client_etcd5509 struct {
	mu      sync.RWMutex
	ctx     context.Context
	cancel  context.CancelFunc
	between func() // runs between Close's Unlock and Lock: the ordering of the bug report
}

func (c *Client_etcd5509) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel == nil {
		return
	}
	c.cancel()
	c.cancel = nil
	c.mu.Unlock()
	c.between()
	c.mu.Lock()
}

type remoteClient_etcd5509 struct {
	client *Client_etcd5509
	mu     sync.Mutex
	fixed  bool
}

func (r *remoteClient_etcd5509) acquire(ctx context.Context) error {
	for {
		r.client.mu.RLock()
		closed := r.client.cancel == nil
		r.mu.Lock()
		r.mu.Unlock()
		if closed {
			if r.fixed {
				r.client.mu.RUnlock()
			}
			return ErrConnClosed_etcd5509 // Missing RUnlock before return
		}
		r.client.mu.RUnlock()
	}
}

type kv_etcd5509 struct {
	rc *remoteClient_etcd5509
}

func (kv *kv_etcd5509) Get(ctx context.Context) error {
	return kv.Do(ctx)
}

func (kv *kv_etcd5509) Do(ctx context.Context) error {
	for {
		err := kv.do(ctx)
		if err == nil {
			return nil
		}
		return err
	}
}

func (kv *kv_etcd5509) do(ctx context.Context) error {
	err := kv.getRemote(ctx)
	return err
}

func (kv *kv_etcd5509) getRemote(ctx context.Context) error {
	return kv.rc.acquire(ctx)
}

func run_etcd5509(spawn func(name string, f func()), fixed bool) {
	ctx, cancel := context.WithCancel(context.TODO())
	closed := make(chan struct{})
	donec := make(chan struct{})
	cli := &Client_etcd5509{
		ctx:     ctx,
		cancel:  cancel,
		between: func() { close(closed); <-donec },
	}
	kv := &kv_etcd5509{rc: &remoteClient_etcd5509{client: cli, fixed: fixed}}
	spawn("get", func() {
		<-closed
		defer close(donec)
		err := kv.Get(context.TODO())
		if err != nil && err != ErrConnClosed_etcd5509 {
			panic("expect ErrConnClosed")
		}
	})

	cli.Close()

	<-donec
}

func etcd5509(context.Context) {
	go func() { // G1 spawn:raw
		run_etcd5509(func(_ string, f func()) { go f() }, false)
	}()
}

func etcd5509Owned(ctx context.Context) {
	safego.Go(ctx, "client", func(ctx context.Context) { // G1 spawn:owned
		run_etcd5509(func(name string, f func()) {
			safego.Go(ctx, name, func(context.Context) { f() })
		}, false)
	})
}

// The fix releases the read lock before returning.
func etcd5509Fixed(context.Context) {
	go func() {
		run_etcd5509(func(_ string, f func()) { go f() }, true)
	}()
}
