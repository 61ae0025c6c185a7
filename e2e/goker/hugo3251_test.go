// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/hugo3251.go
// (GoKer; see README.md). Bug: https://github.com/gohugoio/hugo/pull/3251.
// URLLock takes the map's lock (L1) and then the URL's (L2); URLUnlock
// takes L1's read lock to release L2. A goroutine holding L2 waits for L1
// in URLUnlock while another holds L1 waiting for L2: all 100 workers and
// their waiting parent leak. Eleven copies, as in Go's harness, deadlock on
// nearly every run: up to 1,111 leaked goroutines, the corpus's largest.

package goker_test

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/custody-go/custody/safego"
)

type remoteLock_hugo3251 struct {
	sync.RWMutex                        // L1
	m            map[string]*sync.Mutex // L2
}

func (l *remoteLock_hugo3251) URLLock(url string) {
	l.Lock() // L1
	if _, ok := l.m[url]; !ok {
		l.m[url] = &sync.Mutex{}
	}
	l.m[url].Lock() // L2
	runtime.Gosched()
	l.Unlock() // L1
	// runtime.Gosched()
}

// URLLockFixed releases L1 before it waits for L2: the fix.
func (l *remoteLock_hugo3251) URLLockFixed(url string) {
	l.Lock() // L1
	if _, ok := l.m[url]; !ok {
		l.m[url] = &sync.Mutex{}
	}
	um := l.m[url]
	l.Unlock() // L1
	um.Lock()  // L2
	runtime.Gosched()
}

func (l *remoteLock_hugo3251) URLUnlock(url string) {
	l.RLock()         // L1
	defer l.RUnlock() // L1
	if um, ok := l.m[url]; ok {
		um.Unlock() // L2
	}
}

func resGetRemote_hugo3251(remoteURLLock *remoteLock_hugo3251, url string, fixed bool) error {
	if fixed {
		remoteURLLock.URLLockFixed(url)
	} else {
		remoteURLLock.URLLock(url)
	}
	defer func() { remoteURLLock.URLUnlock(url) }()

	return nil
}

func fetch_hugo3251(remoteURLLock *remoteLock_hugo3251, url string, fixed bool) {
	for j := 0; j < 200; j++ {
		_ = resGetRemote_hugo3251(remoteURLLock, url, fixed)
		time.Sleep(300 * time.Nanosecond)
	}
}

const url_hugo3251 = "http://Foo.Bar/foo_Bar-Foo"

func hugo3251(context.Context) {
	for i := 0; i < 11; i++ {
		go func() { // G1 spawn:raw
			remoteURLLock := &remoteLock_hugo3251{m: make(map[string]*sync.Mutex)}
			for range []bool{false, true} {
				var wg sync.WaitGroup
				for i := 0; i < 100; i++ {
					wg.Add(1)
					go func(gor int) { // G2 spawn:raw
						defer wg.Done()
						fetch_hugo3251(remoteURLLock, url_hugo3251, false)
					}(i)
				}
				wg.Wait()
			}
		}()
	}
}

// The port's workers are a safego.Group's members.
func hugo3251Owned(ctx context.Context) {
	for i := 0; i < 11; i++ {
		safego.Go(ctx, "site-build", func(ctx context.Context) { // G1 spawn:owned
			remoteURLLock := &remoteLock_hugo3251{m: make(map[string]*sync.Mutex)}
			for range []bool{false, true} {
				g, _ := safego.WithContext(ctx, "fetch-resources")
				for i := 0; i < 100; i++ {
					g.Go("fetch", func(context.Context) error { // G2 spawn:owned
						fetch_hugo3251(remoteURLLock, url_hugo3251, false)
						return nil
					})
				}
				_ = g.Wait()
			}
		})
	}
}

// The fixed variant waits for its builds, as the unit test (G1) does: its
// 220,000 lock round trips take seconds under the race detector, longer
// than goleak waits, and a control must end clean, not still busy.
func hugo3251Fixed(context.Context) {
	var builds sync.WaitGroup
	for i := 0; i < 11; i++ {
		builds.Add(1)
		go func() {
			defer builds.Done()
			remoteURLLock := &remoteLock_hugo3251{m: make(map[string]*sync.Mutex)}
			for range []bool{false, true} {
				var wg sync.WaitGroup
				for i := 0; i < 100; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						fetch_hugo3251(remoteURLLock, url_hugo3251, true)
					}()
				}
				wg.Wait()
			}
		}()
	}
	builds.Wait()
}
