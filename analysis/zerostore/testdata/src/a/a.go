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
	marks  sync.Map // nil means "no interest", a value means "interest in these"
	locks  sync.Map // a set: the value is never read
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

// A loaded value is used, and nil is not checked for: the incident's
// readers (placeholder's nil is reported above).
func (s *service) amount(id string) int64 {
	if o, ok := s.ptrs.Load(id); ok {
		return o.Amount
	}
	return 0
}

// nats-server's gateway stores nil as a marker that its readers check for,
// apart from ok.
func (s *service) noInterest(account string) {
	s.marks.Store(account, nil)
}

func (s *service) interested(account, subject string) bool {
	v, ok := s.marks.Load(account)
	if !ok {
		return true
	}
	if v == nil {
		return false
	}
	_, in := v.(map[string]struct{})[subject]
	return in
}

// pebble's MemFS locks a file by swapping nil in: only loaded is read.
func (s *service) lock(name string) bool {
	_, loaded := s.locks.Swap(name, nil)
	return !loaded
}

func (s *service) unlock(name string) { s.locks.Delete(name) }

func (s *service) silenced(id string) {
	s.raw.Store(id, nil) //custody:ignore zerostore readers treat nil as a tombstone and check for it
}
