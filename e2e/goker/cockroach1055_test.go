// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/cockroach1055.go
// (GoKer; see README.md). Bug: https://github.com/cockroachdb/cockroach/pull/1055.
// A task starts between the drain check and the lock; Quiesce then waits
// under the lock for a task that waits for the stopper: G1, G2 and G3 leak.
// One copy leaks only when its tasks start before Quiesce (Go's harness
// starts 1,001 copies; 100 random copies here leaked in some runs, not in
// others). The kernel forces that order, the one of the bug report: G3
// quiesces once both tasks started (the started WaitGroup). Every copy
// leaks: 10 copies, 40 goroutines.

package goker_test

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/custody-go/custody/safego"
)

type Stopper_cockroach1055 struct {
	stopper  chan struct{}
	stop     sync.WaitGroup
	mu       sync.Mutex
	draining int32
	drain    sync.WaitGroup
}

func (s *Stopper_cockroach1055) AddWorker() {
	s.stop.Add(1)
}

func (s *Stopper_cockroach1055) ShouldStop() <-chan struct{} {
	if s == nil {
		return nil
	}
	return s.stopper
}

func (s *Stopper_cockroach1055) SetStopped() {
	if s != nil {
		s.stop.Done()
	}
}

func (s *Stopper_cockroach1055) Quiesce() {
	s.mu.Lock()
	defer s.mu.Unlock()
	atomic.StoreInt32(&s.draining, 1)
	s.drain.Wait()
	atomic.StoreInt32(&s.draining, 0)
}

func (s *Stopper_cockroach1055) Stop() {
	s.mu.Lock() // L1
	defer s.mu.Unlock()
	atomic.StoreInt32(&s.draining, 1)
	s.drain.Wait()
	close(s.stopper)
	s.stop.Wait()
}

func (s *Stopper_cockroach1055) StartTask() bool {
	if atomic.LoadInt32(&s.draining) == 0 {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.drain.Add(1)
		return true
	}
	return false
}

// StartTaskFixed checks for draining under the lock, and FinishTask ends
// the task: the fix's first two parts.
func (s *Stopper_cockroach1055) StartTaskFixed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if atomic.LoadInt32(&s.draining) == 0 {
		s.drain.Add(1)
		return true
	}
	return false
}

func (s *Stopper_cockroach1055) FinishTask() {
	s.drain.Done()
}

// StopFixed waits for the workers after it unlocks, so a task starting
// meanwhile does not wait for the lock forever: the fix's third part.
func (s *Stopper_cockroach1055) StopFixed() {
	s.mu.Lock() // L1
	atomic.StoreInt32(&s.draining, 1)
	s.drain.Wait()
	close(s.stopper)
	s.mu.Unlock()
	s.stop.Wait()
}

func NewStopper_cockroach1055() *Stopper_cockroach1055 {
	return &Stopper_cockroach1055{
		stopper: make(chan struct{}),
	}
}

const copies_cockroach1055 = 10

func cockroach1055(context.Context) {
	for i := 0; i < copies_cockroach1055; i++ {
		go func() { // G1 spawn:raw
			var stoppers []*Stopper_cockroach1055
			for i := 0; i < 2; i++ {
				stoppers = append(stoppers, NewStopper_cockroach1055())
			}

			var started sync.WaitGroup
			started.Add(len(stoppers))
			for i := range stoppers {
				s := stoppers[i]
				s.AddWorker()
				go func() { // G2 spawn:raw
					s.StartTask()
					started.Done()
					<-s.ShouldStop()
					s.SetStopped()
				}()
			}

			done := make(chan struct{})
			go func() { // G3 spawn:raw
				started.Wait()
				for _, s := range stoppers {
					s.Quiesce()
				}
				for _, s := range stoppers {
					s.Stop()
				}
				close(done)
			}()

			<-done
		}()
	}
}

func cockroach1055Owned(ctx context.Context) {
	for i := 0; i < copies_cockroach1055; i++ {
		safego.Go(ctx, "stopper-test", func(ctx context.Context) { // G1 spawn:owned
			var stoppers []*Stopper_cockroach1055
			for i := 0; i < 2; i++ {
				stoppers = append(stoppers, NewStopper_cockroach1055())
			}

			var started sync.WaitGroup
			started.Add(len(stoppers))
			for i := range stoppers {
				s := stoppers[i]
				s.AddWorker()
				safego.Go(ctx, "task", func(context.Context) { // G2 spawn:owned
					s.StartTask()
					started.Done()
					<-s.ShouldStop()
					s.SetStopped()
				})
			}

			done := make(chan struct{})
			safego.Go(ctx, "stop", func(context.Context) { // G3 spawn:owned
				started.Wait()
				for _, s := range stoppers {
					s.Quiesce()
				}
				for _, s := range stoppers {
					s.Stop()
				}
				close(done)
			})

			<-done
		})
	}
}

func cockroach1055Fixed(context.Context) {
	for i := 0; i < copies_cockroach1055; i++ {
		go func() {
			var stoppers []*Stopper_cockroach1055
			for i := 0; i < 2; i++ {
				stoppers = append(stoppers, NewStopper_cockroach1055())
			}

			var started sync.WaitGroup
			started.Add(len(stoppers))
			for i := range stoppers {
				s := stoppers[i]
				s.AddWorker()
				go func() {
					if s.StartTaskFixed() {
						s.FinishTask()
					}
					started.Done()
					<-s.ShouldStop()
					s.SetStopped()
				}()
			}

			done := make(chan struct{})
			go func() {
				started.Wait()
				for _, s := range stoppers {
					s.Quiesce()
				}
				for _, s := range stoppers {
					s.StopFixed()
				}
				close(done)
			}()

			<-done
		}()
	}
}
