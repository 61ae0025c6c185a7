// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/etcd10492.go
// (GoKer; see README.md). Bug: https://github.com/etcd-io/etcd/pull/10492.
// Renew calls the checkpointer while it holds the lessor's lock, and the
// checkpointer takes that lock again.

package goker_test

import (
	"context"
	"sync"
	"time"

	"github.com/custody-go/custody/safego"
)

type Checkpointer_etcd10492 func(ctx context.Context)

type lessor_etcd10492 struct {
	mu                 sync.RWMutex
	cp                 Checkpointer_etcd10492
	checkpointInterval time.Duration
}

func (le *lessor_etcd10492) Checkpoint() {
	le.mu.Lock() // Lock acquired twice here
	defer le.mu.Unlock()
}

func (le *lessor_etcd10492) SetCheckpointer(cp Checkpointer_etcd10492) {
	le.mu.Lock()
	defer le.mu.Unlock()

	le.cp = cp
}

func (le *lessor_etcd10492) Renew() {
	le.mu.Lock()
	unlock := func() { le.mu.Unlock() }
	defer func() { unlock() }()

	if le.cp != nil {
		le.cp(context.Background())
	}
}

// RenewFixed releases the lock before it calls the checkpointer, as the
// upstream fix does.
func (le *lessor_etcd10492) RenewFixed() {
	le.mu.Lock()
	unlock := func() { le.mu.Unlock() }
	defer func() { unlock() }()

	if le.cp != nil {
		unlock()
		unlock = func() {}
		le.cp(context.Background())
	}
}

func run_etcd10492(fixed bool) {
	le := &lessor_etcd10492{
		checkpointInterval: 0,
	}
	fakerCheckerpointer_etcd10492 := func(ctx context.Context) {
		le.Checkpoint()
	}
	le.SetCheckpointer(fakerCheckerpointer_etcd10492)
	le.mu.Lock()
	le.mu.Unlock()
	if fixed {
		le.RenewFixed()
		return
	}
	le.Renew()
}

func etcd10492(context.Context) {
	go func() { // G1 spawn:raw
		run_etcd10492(false)
	}()
}

func etcd10492Owned(ctx context.Context) {
	safego.Go(ctx, "lessor", func(context.Context) { // G1 spawn:owned
		run_etcd10492(false)
	})
}

func etcd10492Fixed(context.Context) {
	go func() {
		run_etcd10492(true)
	}()
}
