// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/grpc862.go
// (GoKer; see README.md). Bug: https://github.com/grpc/grpc-go/pull/862.
// DialContext starts the connection's goroutine and returns no connection,
// so nobody can close it: the goroutine waits for a context that never ends.
// (The kernel's ClientConn gained a mutex: the fixed variant closes the
// connection while the goroutine appends to it.)

package goker_test

import (
	"context"
	"sync"
	"time"

	"github.com/custody-go/custody/safego"
)

type ClientConn_grpc862 struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	conns  []*addrConn_grpc862
}

func (cc *ClientConn_grpc862) Close() {
	cc.cancel()
	cc.mu.Lock()
	conns := cc.conns
	cc.conns = nil
	cc.mu.Unlock()
	for _, ac := range conns {
		ac.tearDown()
	}
}

func (cc *ClientConn_grpc862) resetAddrConn() {
	ac := &addrConn_grpc862{
		cc: cc,
	}
	cc.mu.Lock()
	cc.conns = append(cc.conns, ac)
	ac.ctx, ac.cancel = context.WithCancel(cc.ctx)
	cc.mu.Unlock()
	ac.resetTransport()
}

type addrConn_grpc862 struct {
	cc     *ClientConn_grpc862
	ctx    context.Context
	cancel context.CancelFunc
}

func (ac *addrConn_grpc862) resetTransport() {
	for retries := 1; ; retries++ {
		_ = 2 * time.Nanosecond * time.Duration(retries)
		timeout := 10 * time.Nanosecond
		_, cancel := context.WithTimeout(ac.ctx, timeout)
		_ = time.Now()
		cancel()
		<-ac.ctx.Done()
		return
	}
}

func (ac *addrConn_grpc862) tearDown() {
	ac.cancel()
}

// DialContext_grpc862 starts the connection with spawn; fixed makes it
// return the connection it made, as the fix does.
func DialContext_grpc862(ctx context.Context, spawn func(f func()), fixed bool) (conn *ClientConn_grpc862) {
	cc := &ClientConn_grpc862{}
	cc.ctx, cc.cancel = context.WithCancel(context.Background())
	if fixed {
		conn = cc
	}
	defer func() {
		select {
		case <-ctx.Done():
			if conn != nil {
				conn.Close()
			}
			conn = nil
		default:
		}
	}()
	spawn(func() { cc.resetAddrConn() })
	return conn
}

func grpc862(context.Context) {
	go func() {
		ctx, cancel := context.WithCancel(context.Background())
		go DialContext_grpc862(ctx, func(f func()) {
			go func() { // G2 spawn:raw
				f()
			}()
		}, false) // G1
		go cancel() // helper goroutine
	}()
}

func grpc862Owned(ctx context.Context) {
	safego.Go(ctx, "dial-test", func(ctx context.Context) {
		dialCtx, cancel := context.WithCancel(context.Background())
		safego.Go(ctx, "dial", func(ctx context.Context) { // G1
			DialContext_grpc862(dialCtx, func(f func()) {
				safego.Go(ctx, "reset-addr-conn", func(context.Context) { // G2 spawn:owned
					f()
				})
			}, false)
		})
		safego.Go(ctx, "cancel", func(context.Context) { cancel() })
	})
}

// The fixed caller closes the connection it gets (nil when the dial was
// canceled, which closed it already).
func grpc862Fixed(context.Context) {
	go func() {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			conn := DialContext_grpc862(ctx, func(f func()) { go f() }, true)
			if conn != nil {
				conn.Close()
			}
		}()
		go cancel()
	}()
}
