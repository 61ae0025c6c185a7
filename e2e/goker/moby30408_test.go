// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/moby30408.go
// (GoKer; see README.md). Bug: https://github.com/moby/moby/pull/30408.
// waitActive waits on a condition variable for an activation that failed:
// nothing will ever signal it.

package goker_test

import (
	"context"
	"errors"
	"sync"

	"github.com/custody-go/custody/safego"
)

type Manifest_moby30408 struct {
	Implements []string
}

type Plugin_moby30408 struct {
	activateWait *sync.Cond
	activateErr  error
	Manifest     *Manifest_moby30408
}

func (p *Plugin_moby30408) waitActive() error {
	p.activateWait.L.Lock()
	for !p.activated() {
		p.activateWait.Wait()
	}
	p.activateWait.L.Unlock()
	return p.activateErr
}

// waitActiveFixed stops waiting when activation failed: the fix.
func (p *Plugin_moby30408) waitActiveFixed() error {
	p.activateWait.L.Lock()
	for !p.activated() && p.activateErr == nil {
		p.activateWait.Wait()
	}
	p.activateWait.L.Unlock()
	return p.activateErr
}

func (p *Plugin_moby30408) activated() bool {
	return p.Manifest != nil
}

func testActive_moby30408(p *Plugin_moby30408, spawn func(f func()), wait func() error) {
	done := make(chan struct{})
	spawn(func() {
		wait()
		close(done)
	})
	<-done
}

func newPlugin_moby30408() *Plugin_moby30408 {
	p := &Plugin_moby30408{activateWait: sync.NewCond(&sync.Mutex{})}
	p.activateErr = errors.New("some junk happened")
	return p
}

func moby30408(context.Context) {
	go func() { // G1 spawn:raw
		p := newPlugin_moby30408()
		testActive_moby30408(p, func(f func()) {
			go func() { // G2 spawn:raw
				f()
			}()
		}, p.waitActive)
	}()
}

func moby30408Owned(ctx context.Context) {
	safego.Go(ctx, "plugin-test", func(ctx context.Context) { // G1 spawn:owned
		p := newPlugin_moby30408()
		testActive_moby30408(p, func(f func()) {
			safego.Go(ctx, "wait-active", func(context.Context) { // G2 spawn:owned
				f()
			})
		}, p.waitActive)
	})
}

func moby30408Fixed(context.Context) {
	go func() {
		p := newPlugin_moby30408()
		testActive_moby30408(p, func(f func()) { go f() }, p.waitActiveFixed)
	}()
}
