// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/moby17176.go
// (GoKer; see README.md). Bug: https://github.com/moby/moby/pull/17176.
// cleanupDeletedDevices returns early without Unlock; the next goroutine to
// lock the device set waits forever (its caller times out after 1ms).

package goker_test

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/custody-go/custody/safego"
)

type DeviceSet_moby17176 struct {
	sync.Mutex
	nrDeletedDevices int
}

func (devices *DeviceSet_moby17176) cleanupDeletedDevices() error {
	devices.Lock()
	if devices.nrDeletedDevices == 0 {
		/// Missing devices.Unlock()
		return nil
	}
	devices.Unlock()
	return errors.New("Error")
}

// cleanupDeletedDevicesFixed unlocks on both paths.
func (devices *DeviceSet_moby17176) cleanupDeletedDevicesFixed() error {
	devices.Lock()
	defer devices.Unlock()
	if devices.nrDeletedDevices == 0 {
		return nil
	}
	return errors.New("Error")
}

func testDevmapperLockReleasedDeviceDeletion_moby17176(spawn func(f func()), fixed bool) {
	ds := &DeviceSet_moby17176{
		nrDeletedDevices: 0,
	}
	doneChan := make(chan bool)
	if fixed {
		ds.cleanupDeletedDevicesFixed()
		doneChan = make(chan bool, 1)
	} else {
		ds.cleanupDeletedDevices()
	}
	spawn(func() {
		ds.Lock()
		defer ds.Unlock()
		doneChan <- true
	})

	select {
	case <-time.After(time.Millisecond):
	case <-doneChan:
	}
}

func moby17176(context.Context) {
	for i := 0; i < 100; i++ {
		go testDevmapperLockReleasedDeviceDeletion_moby17176(func(f func()) {
			go f() // spawn:raw
		}, false)
	}
}

func moby17176Owned(ctx context.Context) {
	for i := 0; i < 100; i++ {
		safego.Go(ctx, "devmapper-test", func(ctx context.Context) {
			testDevmapperLockReleasedDeviceDeletion_moby17176(func(f func()) {
				safego.Go(ctx, "delete-device", func(context.Context) { // spawn:owned
					f()
				})
			}, false)
		})
	}
}

// With the fix the device set is unlocked; the goroutine still sends on an
// unbuffered channel its caller may have stopped reading after 1ms, so the
// fixed variant also gives doneChan the buffer it needs.
func moby17176Fixed(context.Context) {
	for i := 0; i < 100; i++ {
		go testDevmapperLockReleasedDeviceDeletion_moby17176(func(f func()) { go f() }, true)
	}
}
