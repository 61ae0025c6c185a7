// Package safemap is a stub of custody's safemap for the analyzer's tests.
package safemap

type Map[K comparable, V any] struct{}

func (m *Map[K, V]) Load(key K) (value V, ok bool)                      { return }
func (m *Map[K, V]) Store(key K, value V)                               {}
func (m *Map[K, V]) LoadOrStore(key K, value V) (actual V, loaded bool) { return }
func (m *Map[K, V]) Swap(key K, value V) (previous V, loaded bool)      { return }
func (m *Map[K, V]) CompareAndSwap(key K, old, new V) (swapped bool)    { return }
func (m *Map[K, V]) Delete(key K)                                       {}
func (m *Map[K, V]) Range(f func(key K, value V) bool)                  {}
func (m *Map[K, V]) Update(key K, fn func(old V, loaded bool) (v V, keep bool)) (v V, kept bool) {
	return
}
