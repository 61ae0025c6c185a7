// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a MIT
// license that can be found in the LICENSE file.

// Adapted from Go's runtime/testdata/testgoroutineleakprofile/goker/syncthing4829.go
// (GoKer; see README.md). Bug: https://github.com/syncthing/syncthing/pull/4829.
// clearAddresses holds the mapping's write lock while notify takes its read
// lock: the goroutine blocks on itself.

package goker_test

import (
	"context"
	"sync"

	"github.com/custody-go/custody/safego"
)

type Address_syncthing4829 int

type Mapping_syncthing4829 struct {
	mut sync.RWMutex // L2

	extAddresses map[string]Address_syncthing4829
}

func (m *Mapping_syncthing4829) clearAddresses() {
	m.mut.Lock() // L2
	var removed []Address_syncthing4829
	for id, addr := range m.extAddresses {
		removed = append(removed, addr)
		delete(m.extAddresses, id)
	}
	if len(removed) > 0 {
		m.notify(nil, removed)
	}
	m.mut.Unlock() // L2
}

// clearAddressesFixed notifies after it unlocks: the fix.
func (m *Mapping_syncthing4829) clearAddressesFixed() {
	m.mut.Lock() // L2
	var removed []Address_syncthing4829
	for id, addr := range m.extAddresses {
		removed = append(removed, addr)
		delete(m.extAddresses, id)
	}
	m.mut.Unlock() // L2
	if len(removed) > 0 {
		m.notify(nil, removed)
	}
}

func (m *Mapping_syncthing4829) notify(added, remove []Address_syncthing4829) {
	m.mut.RLock()   // L2
	m.mut.RUnlock() // L2
}

type Service_syncthing4829 struct {
	mut sync.RWMutex // L1

	mappings []*Mapping_syncthing4829
}

func (s *Service_syncthing4829) NewMapping() *Mapping_syncthing4829 {
	mapping := &Mapping_syncthing4829{
		extAddresses: make(map[string]Address_syncthing4829),
	}
	s.mut.Lock() // L1
	s.mappings = append(s.mappings, mapping)
	s.mut.Unlock() // L1
	return mapping
}

func (s *Service_syncthing4829) RemoveMapping(mapping *Mapping_syncthing4829, fixed bool) {
	s.mut.Lock()         // L1
	defer s.mut.Unlock() // L1
	for _, existing := range s.mappings {
		if existing == mapping {
			if fixed {
				mapping.clearAddressesFixed()
				continue
			}
			mapping.clearAddresses()
		}
	}
}

func run_syncthing4829(fixed bool) {
	natSvc := &Service_syncthing4829{}
	m := natSvc.NewMapping()
	m.extAddresses["test"] = 0

	natSvc.RemoveMapping(m, fixed)
}

func syncthing4829(context.Context) {
	go func() { // G1 spawn:raw
		run_syncthing4829(false)
	}()
}

func syncthing4829Owned(ctx context.Context) {
	safego.Go(ctx, "nat-service", func(context.Context) { // G1 spawn:owned
		run_syncthing4829(false)
	})
}

func syncthing4829Fixed(context.Context) {
	go func() {
		run_syncthing4829(true)
	}()
}
