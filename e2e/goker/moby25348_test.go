// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/moby25384.go
// (GoKer, which registers it as Moby25348; see README.md).
// Bug: https://github.com/moby/moby/pull/25384.
// A WaitGroup is set to the number of plugins, but waited on inside the
// loop, after the first goroutine only: with two plugins it never reaches 0.

package goker_test

import (
	"context"
	"sync"

	"github.com/custody-go/custody/safego"
)

type plugin_moby25348 struct{}

type Manager_moby25348 struct {
	plugins []*plugin_moby25348
}

func (pm *Manager_moby25348) init() {
	var group sync.WaitGroup
	group.Add(len(pm.plugins))
	for _, p := range pm.plugins {
		go func(p *plugin_moby25348) {
			defer group.Done()
		}(p)
		group.Wait() // Block here
	}
}

// initOwned starts the plugins with safego.Go. It keeps the WaitGroup: a
// safego.Group cannot express the bug, since its Go adds one member at a
// time and a Wait inside the loop would return.
func (pm *Manager_moby25348) initOwned(ctx context.Context) {
	var group sync.WaitGroup
	group.Add(len(pm.plugins))
	for _, p := range pm.plugins {
		safego.Go(ctx, "plugin", func(context.Context) {
			defer group.Done()
			_ = p
		})
		group.Wait() // Block here
	}
}

// initFixed waits once, after the loop: the fix.
func (pm *Manager_moby25348) initFixed() {
	var group sync.WaitGroup
	group.Add(len(pm.plugins))
	for _, p := range pm.plugins {
		go func(p *plugin_moby25348) {
			defer group.Done()
		}(p)
	}
	group.Wait()
}

func newManager_moby25348() *Manager_moby25348 {
	return &Manager_moby25348{
		plugins: []*plugin_moby25348{{}, {}},
	}
}

func moby25348(context.Context) {
	go func() {
		pm := newManager_moby25348()
		go pm.init() // spawn:raw
	}()
}

func moby25348Owned(ctx context.Context) {
	safego.Go(ctx, "plugin-test", func(ctx context.Context) {
		pm := newManager_moby25348()
		safego.Go(ctx, "plugin-manager", pm.initOwned) // spawn:owned
	})
}

func moby25348Fixed(context.Context) {
	go func() {
		pm := newManager_moby25348()
		go pm.initFixed()
	}()
}
