package a

import (
	"codec"
	"sync"

	"github.com/custody-go/custody/safemap"
)

type Order struct {
	ID     string
	Amount int64
}

type service struct {
	cache  safemap.Map[string, Order]
	ptrs   safemap.Map[string, *Order]
	raw    sync.Map
	seen   sync.Map
	counts sync.Map
}

// The incident: forgetting an order by storing its zero value.
func (s *service) forget(id string) {
	s.cache.Store(id, Order{}) // want `Store stores the zero Order\{\} in a concurrent map: a later Load returns it with ok == true`
}

func (s *service) forgetRaw(id string) {
	s.raw.Store(id, nil) // want `Store stores nil in a concurrent map`
}

func (s *service) placeholder(id string) {
	s.ptrs.LoadOrStore(id, nil) // want `LoadOrStore stores nil`
}

func (s *service) swap(id string, old Order) {
	s.cache.CompareAndSwap(id, old, Order{}) // want `CompareAndSwap stores the zero Order\{\}`
}

func (s *service) neverSet(id string) {
	var o Order
	s.cache.Store(id, o) // want `Store stores o, declared as Order and never given a value,`
}

// The traps.
func (s *service) set(id string) {
	s.seen.Store(id, struct{}{}) // a set: the value says "present"
	s.counts.Store(id, 0)        // a counter's zero is a count
	s.counts.Store(id, false)    // so is a flag's
	s.cache.Delete(id)           // the fix
}

func (s *service) decoded(id string, b []byte) error {
	var o Order
	if err := codec.Unmarshal(b, &o); err != nil {
		return err
	}
	s.cache.Store(id, o) // o was filled in through &o
	return nil
}

func (s *service) assigned(id string, amount int64) {
	var o Order
	o.Amount = amount
	s.cache.Store(id, o)
	s.ptrs.Store(id, &Order{}) // a non-nil pointer: Load's ok and the pointer agree
}

func generic[V any](m *safemap.Map[string, V], k string) {
	var v V
	m.Store(k, v) // the zero of a type parameter: its meaning is the caller's
}

func (s *service) silenced(id string) {
	s.raw.Store(id, nil) //custody:ignore zerostore readers treat nil as a tombstone and check for it
}
