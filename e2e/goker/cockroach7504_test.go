// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/cockroach7504.go
// (GoKer; see README.md). Bug: https://github.com/cockroachdb/cockroach/pull/7504.
// AB-BA deadlock: AcquireByName takes the name cache's lock (L2) then a
// lease's (L1); Release takes L1 then L2. One pair deadlocks only when the
// two interleave; the kernel starts 100 pairs (as Go's harness does, with
// its runtime.Gosched calls inside the critical sections) so that some
// pairs deadlock on nearly every run.

package goker_test

import (
	"context"
	"runtime"
	"sync"

	"github.com/custody-go/custody/safego"
)

func MakeCacheKey_cockroach7504(lease *LeaseState_cockroach7504) int {
	return lease.id
}

type LeaseState_cockroach7504 struct {
	mu sync.Mutex // L1
	id int
}
type LeaseSet_cockroach7504 struct {
	data []*LeaseState_cockroach7504
}

func (l *LeaseSet_cockroach7504) find(id int) *LeaseState_cockroach7504 {
	return l.data[id]
}

func (l *LeaseSet_cockroach7504) remove(s *LeaseState_cockroach7504) {
	for i := 0; i < len(l.data); i++ {
		if s == l.data[i] {
			l.data = append(l.data[:i], l.data[i+1:]...)
			break
		}
	}
}

type tableState_cockroach7504 struct {
	tableNameCache *tableNameCache_cockroach7504
	mu             sync.Mutex // L3
	active         *LeaseSet_cockroach7504
}

func (t *tableState_cockroach7504) release(lease *LeaseState_cockroach7504) {
	t.mu.Lock()         // L3
	defer t.mu.Unlock() // L3

	s := t.active.find(MakeCacheKey_cockroach7504(lease))
	s.mu.Lock() // L1
	runtime.Gosched()
	defer s.mu.Unlock() // L1

	t.removeLease(s)
}
func (t *tableState_cockroach7504) removeLease(lease *LeaseState_cockroach7504) {
	t.active.remove(lease)
	t.tableNameCache.remove(lease) // L1 acquire/release
}

type tableNameCache_cockroach7504 struct {
	mu     sync.Mutex // L2
	tables map[int]*LeaseState_cockroach7504
}

func (c *tableNameCache_cockroach7504) get(id int) {
	c.mu.Lock()         // L2
	defer c.mu.Unlock() // L2
	lease, ok := c.tables[id]
	if !ok {
		return
	}
	if lease == nil {
		panic("nil lease in name cache")
	}
	lease.mu.Lock()         // L1
	defer lease.mu.Unlock() // L1
}

// getFixed is get as fixed: the cache's lock is released before the
// lease's is taken, so the two locks are never held in the order L2, L1.
func (c *tableNameCache_cockroach7504) getFixed(id int) {
	c.mu.Lock() // L2
	lease, ok := c.tables[id]
	c.mu.Unlock() // L2
	if !ok {
		return
	}
	lease.mu.Lock()         // L1
	defer lease.mu.Unlock() // L1
}

func (c *tableNameCache_cockroach7504) remove(lease *LeaseState_cockroach7504) {
	c.mu.Lock() // L2
	runtime.Gosched()
	defer c.mu.Unlock() // L2
	key := MakeCacheKey_cockroach7504(lease)
	existing, ok := c.tables[key]
	if !ok {
		return
	}
	if existing == lease {
		delete(c.tables, key)
	}
}

type LeaseManager_cockroach7504 struct {
	_          [64]byte
	tableNames *tableNameCache_cockroach7504
	tables     map[int]*tableState_cockroach7504
}

func (m *LeaseManager_cockroach7504) AcquireByName(id int) {
	m.tableNames.get(id)
}

func (m *LeaseManager_cockroach7504) findTableState(lease *LeaseState_cockroach7504) *tableState_cockroach7504 {
	existing, ok := m.tables[lease.id]
	if !ok {
		return nil
	}
	return existing
}

func (m *LeaseManager_cockroach7504) Release(lease *LeaseState_cockroach7504) {
	t := m.findTableState(lease)
	t.release(lease)
}
func NewLeaseManager_cockroach7504(tname *tableNameCache_cockroach7504, ts *tableState_cockroach7504) *LeaseManager_cockroach7504 {
	mgr := &LeaseManager_cockroach7504{
		tableNames: tname,
		tables:     make(map[int]*tableState_cockroach7504),
	}
	mgr.tables[0] = ts
	return mgr
}
func NewLeaseSet_cockroach7504(n int) *LeaseSet_cockroach7504 {
	lset := &LeaseSet_cockroach7504{}
	for i := 0; i < n; i++ {
		lease := new(LeaseState_cockroach7504)
		lset.data = append(lset.data, lease)
	}
	return lset
}

// setup_cockroach7504 builds one lease manager and its lease set.
func setup_cockroach7504() (*LeaseManager_cockroach7504, *LeaseSet_cockroach7504) {
	leaseNum := 2
	lset := NewLeaseSet_cockroach7504(leaseNum)
	nc := &tableNameCache_cockroach7504{
		tables: make(map[int]*LeaseState_cockroach7504),
	}
	for i := 0; i < leaseNum; i++ {
		nc.tables[i] = lset.find(i)
	}
	ts := &tableState_cockroach7504{
		tableNameCache: nc,
		active:         lset,
	}
	return NewLeaseManager_cockroach7504(nc, ts), lset
}

func cockroach7504(context.Context) {
	for i := 0; i < 100; i++ {
		go func() {
			mgr, lset := setup_cockroach7504()
			go func() { // G1 spawn:raw
				// lock L2-L1
				mgr.AcquireByName(0)
			}()
			go func() { // G2 spawn:raw
				// lock L1-L2
				mgr.Release(lset.find(0))
			}()
		}()
	}
}

func cockroach7504Owned(ctx context.Context) {
	for i := 0; i < 100; i++ {
		safego.Go(ctx, "lease-test", func(ctx context.Context) {
			mgr, lset := setup_cockroach7504()
			safego.Go(ctx, "acquire", func(context.Context) { // G1 spawn:owned
				mgr.AcquireByName(0)
			})
			safego.Go(ctx, "release", func(context.Context) { // G2 spawn:owned
				mgr.Release(lset.find(0))
			})
		})
	}
}

func cockroach7504Fixed(context.Context) {
	for i := 0; i < 100; i++ {
		go func() {
			mgr, lset := setup_cockroach7504()
			go func() {
				mgr.tableNames.getFixed(0)
			}()
			go func() {
				mgr.Release(lset.find(0))
			}()
		}()
	}
}
