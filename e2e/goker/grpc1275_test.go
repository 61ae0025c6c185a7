// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/grpc1275.go
// (GoKer; see README.md). Bug: https://github.com/grpc/grpc-go/pull/1275.
// Closing a stream does not wake its reader: the test times out waiting for
// the reader, and the reader waits forever.

package goker_test

import (
	"context"
	"io"
	"time"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/safego"
)

type recvBuffer_grpc1275 struct {
	c     chan bool
	owned *chanown.Chan[bool] // the owned port's channel, in place of c
}

func (b *recvBuffer_grpc1275) get() <-chan bool {
	if b.owned != nil {
		return b.owned.C()
	}
	return b.c
}

type recvBufferReader_grpc1275 struct {
	recv *recvBuffer_grpc1275
}

// Read returns io.EOF once the buffer is closed, which the fix needs (the
// kernel never closes it: a Read that returned 0, nil on a closed buffer
// would spin in io.ReadFull).
func (r *recvBufferReader_grpc1275) Read(p []byte) (int, error) {
	select {
	case _, ok := <-r.recv.get():
		if !ok {
			return 0, io.EOF
		}
	}
	return 0, nil
}

type Stream_grpc1275 struct {
	trReader io.Reader
}

func (s *Stream_grpc1275) Read(p []byte) (int, error) {
	return io.ReadFull(s.trReader, p)
}

type http2Client_grpc1275 struct{}

func (t *http2Client_grpc1275) CloseStream(s *Stream_grpc1275) {
	// It is the client.CloseSream() method called by the
	// main goroutine that should send the message, but it
	// is not. The patch is to send out this message.
}

// CloseStreamFixed wakes the reader: the patch.
func (t *http2Client_grpc1275) CloseStreamFixed(s *Stream_grpc1275) {
	close(s.trReader.(*recvBufferReader_grpc1275).recv.c)
}

func (t *http2Client_grpc1275) NewStream(recv *recvBuffer_grpc1275) *Stream_grpc1275 {
	return &Stream_grpc1275{
		trReader: &recvBufferReader_grpc1275{recv: recv},
	}
}

func testInflightStreamClosing_grpc1275(stream *Stream_grpc1275, spawn func(f func()), closeStream func(*Stream_grpc1275)) {
	donec := make(chan bool)
	spawn(func() {
		defer close(donec)
		stream.Read([]byte{1})
	})

	closeStream(stream)

	timeout := time.NewTimer(300 * time.Nanosecond)
	select {
	case <-donec:
		if !timeout.Stop() {
			<-timeout.C
		}
	case <-timeout.C:
	}
}

func grpc1275(context.Context) {
	go func() {
		client := &http2Client_grpc1275{}
		stream := client.NewStream(&recvBuffer_grpc1275{c: make(chan bool)})
		testInflightStreamClosing_grpc1275(stream, func(f func()) {
			go func() { // G2 spawn:raw
				f()
			}()
		}, client.CloseStream) // G1
	}()
}

// The port's receive buffer is a chanown.Chan read through C(): the
// leaked reader is blocked in a select on it.
func grpc1275Owned(ctx context.Context) {
	safego.Go(ctx, "stream-test", func(ctx context.Context) {
		client := &http2Client_grpc1275{}
		stream := client.NewStream(&recvBuffer_grpc1275{owned: chanown.Make[bool](ctx, "recv-buffer", 0)})
		testInflightStreamClosing_grpc1275(stream, func(f func()) {
			safego.Go(ctx, "stream-reader", func(context.Context) { // G2 spawn:owned
				f()
			})
		}, client.CloseStream)
	})
}

func grpc1275Fixed(context.Context) {
	go func() {
		client := &http2Client_grpc1275{}
		stream := client.NewStream(&recvBuffer_grpc1275{c: make(chan bool)})
		testInflightStreamClosing_grpc1275(stream, func(f func()) { go f() }, client.CloseStreamFixed)
	}()
}
