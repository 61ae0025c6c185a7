// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/cockroach13197.go
// (GoKer; see README.md). Bug: https://github.com/cockroachdb/cockroach/pull/13197.
// A transaction is begun and never rolled back: the goroutine waiting for
// its context to end waits forever.

package goker_test

import (
	"context"

	"github.com/custody-go/custody/safego"
)

type DB_cockroach13197 struct{}

func (db *DB_cockroach13197) begin(ctx context.Context) *Tx_cockroach13197 {
	ctx, cancel := context.WithCancel(ctx)
	tx := &Tx_cockroach13197{
		cancel: cancel,
		ctx:    ctx,
	}
	go tx.awaitDone() // G2 spawn:raw
	return tx
}

// beginOwned starts the waiter with safego. The caller passes
// context.Background(), as the kernel does: the bug is that nobody ends the
// transaction. Given the test's context instead, the goroutine would end with
// the test and only goleak (which looks before the test's context ends)
// would see it.
func (db *DB_cockroach13197) beginOwned(ctx context.Context) *Tx_cockroach13197 {
	ctx, cancel := context.WithCancel(ctx)
	tx := &Tx_cockroach13197{
		cancel: cancel,
		ctx:    ctx,
	}
	safego.Go(ctx, "tx-await-done", func(context.Context) { // G2 spawn:owned
		tx.awaitDone()
	})
	return tx
}

type Tx_cockroach13197 struct {
	cancel context.CancelFunc
	ctx    context.Context
}

func (tx *Tx_cockroach13197) awaitDone() {
	<-tx.ctx.Done()
}

func (tx *Tx_cockroach13197) Rollback() {
	tx.rollback()
}

func (tx *Tx_cockroach13197) rollback() {
	tx.close()
}

func (tx *Tx_cockroach13197) close() {
	tx.cancel()
}

func cockroach13197(context.Context) {
	db := &DB_cockroach13197{}
	db.begin(context.Background()) // G1
}

func cockroach13197Owned(context.Context) {
	db := &DB_cockroach13197{}
	db.beginOwned(context.Background())
}

// The fix rolls the transaction back.
func cockroach13197Fixed(context.Context) {
	db := &DB_cockroach13197{}
	tx := db.begin(context.Background())
	tx.Rollback()
}
