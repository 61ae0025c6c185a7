// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/moby7559.go
// (GoKer; see README.md). Bug: https://github.com/moby/moby/pull/7559.
// A continue skips the Unlock: the next iteration locks a mutex this
// goroutine already holds. (net.DialUDP with no address fails at once; no
// packet is sent.)

package goker_test

import (
	"context"
	"net"
	"sync"

	"github.com/custody-go/custody/safego"
)

type UDPProxy_moby7559 struct {
	connTrackLock sync.Mutex
}

func (proxy *UDPProxy_moby7559) Run() {
	for i := 0; i < 2; i++ {
		proxy.connTrackLock.Lock()
		_, err := net.DialUDP("udp", nil, nil)
		if err != nil {
			continue
			/// Missing unlock here
		}
		if i == 0 {
			break
		}
	}
	proxy.connTrackLock.Unlock()
}

// RunFixed unlocks on every path.
func (proxy *UDPProxy_moby7559) RunFixed() {
	for i := 0; i < 2; i++ {
		proxy.connTrackLock.Lock()
		_, err := net.DialUDP("udp", nil, nil)
		proxy.connTrackLock.Unlock()
		if err != nil {
			continue
		}
		if i == 0 {
			break
		}
	}
}

func moby7559(context.Context) {
	for i := 0; i < 20; i++ {
		go (&UDPProxy_moby7559{}).Run() // spawn:raw
	}
}

func moby7559Owned(ctx context.Context) {
	for i := 0; i < 20; i++ {
		p := &UDPProxy_moby7559{}
		safego.Go(ctx, "udp-proxy", func(context.Context) { // spawn:owned
			p.Run()
		})
	}
}

func moby7559Fixed(context.Context) {
	for i := 0; i < 20; i++ {
		go (&UDPProxy_moby7559{}).RunFixed()
	}
}
