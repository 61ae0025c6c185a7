// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/cockroach35931.go
// (GoKer; see README.md). Bug: https://github.com/cockroachdb/cockroach/pull/35931.
// Cancelling a flow pushes to every pending receiver; one receiver's
// one-slot buffer is already full, so the push blocks forever.

package goker_test

import (
	"context"
	"sync"

	"github.com/custody-go/custody/safego"
)

type RowReceiver_cockroach35931 interface {
	Push()
}

type inboundStreamInfo_cockroach35931 struct {
	receiver RowReceiver_cockroach35931
}

type RowChannel_cockroach35931 struct {
	dataChan chan struct{}
}

func (rc *RowChannel_cockroach35931) Push() {
	// The buffer size can be either 0 or 1 when this function is entered.
	// We need context sensitivity or a path-condition on the buffer size
	// to find this bug.
	rc.dataChan <- struct{}{}
}

// TryPush is Push for a receiver that may have gone away: it gives up when
// the buffer is full. The fix pushes this way when it cancels.
func (rc *RowChannel_cockroach35931) TryPush() {
	select {
	case rc.dataChan <- struct{}{}:
	default:
	}
}

func (rc *RowChannel_cockroach35931) initWithBufSizeAndNumSenders(chanBufSize int) {
	rc.dataChan = make(chan struct{}, chanBufSize)
}

type flowEntry_cockroach35931 struct {
	flow           *Flow_cockroach35931
	inboundStreams map[int]*inboundStreamInfo_cockroach35931
}

type flowRegistry_cockroach35931 struct {
	sync.Mutex
	flows map[int]*flowEntry_cockroach35931
}

func (fr *flowRegistry_cockroach35931) getEntryLocked(id int) *flowEntry_cockroach35931 {
	entry, ok := fr.flows[id]
	if !ok {
		entry = &flowEntry_cockroach35931{}
		fr.flows[id] = entry
	}
	return entry
}

func (fr *flowRegistry_cockroach35931) cancelPendingStreamsLocked(id int) []RowReceiver_cockroach35931 {
	entry := fr.flows[id]
	pendingReceivers := make([]RowReceiver_cockroach35931, 0)
	for _, is := range entry.inboundStreams {
		pendingReceivers = append(pendingReceivers, is.receiver)
	}
	return pendingReceivers
}

type Flow_cockroach35931 struct {
	id             int
	flowRegistry   *flowRegistry_cockroach35931
	inboundStreams map[int]*inboundStreamInfo_cockroach35931
}

func (f *Flow_cockroach35931) cancel(fixed bool) {
	f.flowRegistry.Lock()
	timedOutReceivers := f.flowRegistry.cancelPendingStreamsLocked(f.id)
	f.flowRegistry.Unlock()

	for _, receiver := range timedOutReceivers {
		if fixed {
			receiver.(*RowChannel_cockroach35931).TryPush()
			continue
		}
		receiver.Push()
	}
}

func (fr *flowRegistry_cockroach35931) RegisterFlow(f *Flow_cockroach35931, inboundStreams map[int]*inboundStreamInfo_cockroach35931) {
	entry := fr.getEntryLocked(f.id)
	entry.flow = f
	entry.inboundStreams = inboundStreams
}

func makeFlowRegistry_cockroach35931() *flowRegistry_cockroach35931 {
	return &flowRegistry_cockroach35931{
		flows: make(map[int]*flowEntry_cockroach35931),
	}
}

func run_cockroach35931(fixed bool) {
	fr := makeFlowRegistry_cockroach35931()

	left := &RowChannel_cockroach35931{}
	left.initWithBufSizeAndNumSenders(1)
	right := &RowChannel_cockroach35931{}
	right.initWithBufSizeAndNumSenders(1)

	inboundStreams := map[int]*inboundStreamInfo_cockroach35931{
		0: {
			receiver: left,
		},
		1: {
			receiver: right,
		},
	}

	left.Push()

	flow := &Flow_cockroach35931{
		id:             0,
		flowRegistry:   fr,
		inboundStreams: inboundStreams,
	}

	fr.RegisterFlow(flow, inboundStreams)

	flow.cancel(fixed)
}

func cockroach35931(context.Context) {
	go func() { // spawn:raw
		run_cockroach35931(false)
	}()
}

// The row channels stay raw channels: Push has no context to give a
// chanown.Chan's Send, and one that had it would end the leak with the test.
func cockroach35931Owned(ctx context.Context) {
	safego.Go(ctx, "flow", func(context.Context) { // spawn:owned
		run_cockroach35931(false)
	})
}

func cockroach35931Fixed(context.Context) {
	go func() {
		run_cockroach35931(true)
	}()
}
