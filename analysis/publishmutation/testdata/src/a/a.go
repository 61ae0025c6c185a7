package a

import (
	"sync"

	"github.com/custody-go/custody/safemap"
)

type Order struct {
	ID     string
	Status string
	Items  []string
	Tags   map[string]string
}

type Counter struct {
	mu sync.Mutex
	n  int
}

type service struct {
	mu       sync.Mutex
	raw      sync.Map
	carts    safemap.Map[string, *Order]
	values   safemap.Map[string, Order]
	counters sync.Map
}

// The incident.
func (s *service) confirm(id string) {
	v, _ := s.raw.LoadOrStore(id, &Order{ID: id})
	v.(*Order).Status = "confirmed" // want `v was published by LoadOrStore at line 31: changing it in place races with every goroutine that loaded it`
}

func (s *service) addItem(id, item string) {
	s.mu.Lock()
	cart, _ := s.carts.LoadOrStore(id, &Order{ID: id})
	items := cart.Items
	s.mu.Unlock()
	s.mu.Lock()
	cart.Items = append(items, item) // want `cart was published by LoadOrStore at line 37`
	s.mu.Unlock()
}

func (s *service) tag(id, k, v string) {
	if x, ok := s.raw.Load(id); ok {
		o := x.(*Order)
		o.Tags[k] = v         // want `o was published by Load at line 46`
		delete(o.Tags, "old") // want `o was published by Load`
	}
}

func (s *service) storeThenChange(id string) {
	o := &Order{ID: id}
	o.Status = "new" // before the store: nobody else has it yet
	s.carts.Store(id, o)
	o.Status = "stored" // want `o was published by Store at line 56`
}

func (s *service) updateInPlace(id, item string) {
	s.carts.Update(id, func(old *Order, loaded bool) (*Order, bool) {
		if loaded {
			old.Items = append(old.Items, item) // want `old was published by Update`
			return old, true
		}
		return &Order{ID: id, Items: []string{item}}, true
	})
}

func (s *service) rangeInPlace() {
	s.carts.Range(func(id string, o *Order) bool {
		o.Status = "seen" // want `o was published by Range`
		return true
	})
}

// The traps.
func (s *service) copyThenStore(id, item string) {
	s.carts.Update(id, func(old *Order, loaded bool) (*Order, bool) {
		cart := &Order{ID: id}
		if loaded {
			*cart = *old
		}
		cart.Items = append(cart.Items[:len(cart.Items):len(cart.Items)], item)
		return cart, true
	})
}

func (s *service) valueCopy(id string) {
	o, _ := s.values.Load(id)
	o.Status = "local" // a copy: the map's value is unchanged
	s.values.Store(id, o)
}

func (s *service) selfGuarded(id string) {
	v, _ := s.counters.LoadOrStore(id, &Counter{})
	c := v.(*Counter)
	c.mu.Lock()
	c.n++ // Counter guards itself with its mutex
	c.mu.Unlock()
}

func (s *service) reassigned(id string) {
	o, _ := s.carts.Load(id)
	o = &Order{ID: id}
	o.Status = "fresh" // o no longer holds the published value
	s.carts.Store(id, o)
}

func (s *service) silenced(id string) {
	v, _ := s.raw.Load(id)
	//custody:ignore publishmutation this field is only written during startup, before readers exist
	v.(*Order).Status = "boot"
}
