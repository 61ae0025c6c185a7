package safemap

import (
	"hash/maphash"
	"math/bits"
	"reflect"
	"sync"
	"unsafe"
)

// Limits of one fingerprint, for the whole walk. A value whose reachable
// memory is larger is fingerprinted up to the limit, in a fixed order, so
// that a change beyond it goes unnoticed but an unchanged value always gets
// the same fingerprint.
const (
	maxDepth = 32       // pointer, slice, map and interface hops from the stored value
	maxNodes = 4096     // reflect steps, map entries included
	maxBytes = 64 << 10 // bytes of memory hashed
)

// A cmpKind says how == behaves on a type.
type cmpKind uint8

const (
	cmpStatic  cmpKind = iota // comparable, and no interface inside: == never panics
	cmpDynamic                // comparable, but holds interfaces: == panics on some values
	cmpNever                  // not comparable: == does not compile, any(a) == any(b) panics
)

// A typeInfo is what safemap works out once per type.
type typeInfo struct {
	typ reflect.Type
	// reach: a value of the type can reach memory that can change after the
	// value is stored: through a pointer (to a type that is not opaque), a
	// slice, a map, or an interface.
	reach bool
	// opaque: a pointer to the type is not followed, because values of the
	// type are meant to be shared and changed in place (they synchronize
	// themselves: see isSynced), or change behind the
	// program's back (a lazily initialized time.Location).
	opaque bool
	// synced: the type synchronizes itself (see isSynced).
	synced bool
	cmp    cmpKind
	// bare: == on the type is reflexive and never panics (booleans,
	// integers, strings, pointers, channels, and arrays and structs of
	// those), so that a Map can store its values as they are; zero is then
	// the type's zero value in an interface.
	bare bool
	zero any
	// zeroSize: the type's only value is its zero value.
	zeroSize bool

	kidsOnce sync.Once
	kids     kids
}

// kids are the typeInfos a walk of a value of the type goes on to, worked
// out on the first walk (not in infoOf, so that recursive types resolve).
type kids struct {
	elem   *typeInfo // of a pointer, slice, array or map
	key    *typeInfo // of a map
	fields []field   // of a struct: those that reach mutable memory
}

type field struct {
	index int
	info  *typeInfo
}

// typeInfos caches *typeInfo by reflect.Type, as encoding/json caches its
// encoders; it only grows, by one entry per type met in verify mode or by
// CompareAndSwap and CompareAndDelete.
var typeInfos sync.Map // reflect.Type -> *typeInfo

// opaquePackages are the packages whose types safemap does not look into
// through a pointer, besides syncedPackages: their values are runtime data
// that changes lazily (time.Location's caches, reflect's and the runtime's
// type data).
var opaquePackages = map[string]bool{
	"time": true, "reflect": true, "runtime": true, "unsafe": true, "weak": true, "unique": true,
}

func infoOf(t reflect.Type) *typeInfo {
	if ti, ok := typeInfos.Load(t); ok {
		return ti.(*typeInfo)
	}
	ti := &typeInfo{typ: t, synced: isSynced(t), opaque: isOpaque(t), reach: reaches(t), cmp: cmpOf(t),
		bare: isBare(t), zeroSize: t.Size() == 0}
	if ti.bare {
		ti.zero = reflect.Zero(t).Interface()
	}
	actual, _ := typeInfos.LoadOrStore(t, ti)
	return actual.(*typeInfo)
}

func (ti *typeInfo) children() *kids {
	ti.kidsOnce.Do(func() {
		t := ti.typ
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			ti.kids.elem = infoOf(t.Elem())
		case reflect.Map:
			ti.kids.key, ti.kids.elem = infoOf(t.Key()), infoOf(t.Elem())
		case reflect.Struct:
			for i := range t.NumField() {
				if f := infoOf(t.Field(i).Type); f.reach {
					ti.kids.fields = append(ti.kids.fields, field{i, f})
				}
			}
		}
	})
	return &ti.kids
}

// syncedPackages are the packages whose types synchronize themselves: a
// value of one is changed in place, by its methods, while others use it.
// internal/poll holds the file descriptor of every net.Conn and os.File,
// whose lock is a word changed with atomics.
var syncedPackages = map[string]bool{"sync": true, "sync/atomic": true, "internal/poll": true}

// isSynced reports whether t synchronizes itself: it is a type of a synced
// package, or a struct or array that holds one, directly or in a struct or
// array field, or a struct with a field that points to one. An array of
// length zero counts: [0]sync.Mutex is the marker protobuf messages carry
// (DoNotCopy) to say that they are used in place, their size cache written
// with atomics. A pointer field counts only when it points to a type of a
// synced package (log/slog's handlers hold a *sync.Mutex): the check
// follows no other pointer, so it always ends.
func isSynced(t reflect.Type) bool {
	if syncedPackages[t.PkgPath()] {
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		for f := range t.Fields() {
			ft := f.Type
			if ft.Kind() == reflect.Pointer && syncedPackages[ft.Elem().PkgPath()] {
				return true
			}
			if isSynced(ft) {
				return true
			}
		}
	case reflect.Array:
		return isSynced(t.Elem())
	}
	return false
}

func isOpaque(t reflect.Type) bool { return opaquePackages[t.PkgPath()] || isSynced(t) }

// reaches computes typeInfo.reach. It recurses through struct fields and
// array elements only, which always ends.
func reaches(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer:
		return t.Elem().Size() > 0 && !isOpaque(t.Elem())
	case reflect.Slice:
		return t.Elem().Size() > 0 && !isSynced(t.Elem())
	case reflect.Map, reflect.Interface:
		return true
	case reflect.Array:
		return t.Len() > 0 && reaches(t.Elem())
	case reflect.Struct:
		for f := range t.Fields() {
			if reaches(f.Type) {
				return true
			}
		}
	}
	return false
}

// isBare computes typeInfo.bare. Floats are not bare (NaN != NaN), nor are
// interfaces (their dynamic values may not be comparable).
func isBare(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.String, reflect.Pointer, reflect.UnsafePointer, reflect.Chan:
		return true
	case reflect.Array:
		return isBare(t.Elem())
	case reflect.Struct:
		for f := range t.Fields() {
			if !isBare(f.Type) {
				return false
			}
		}
		return true
	}
	return false
}

func cmpOf(t reflect.Type) cmpKind {
	if !t.Comparable() {
		return cmpNever
	}
	if holdsInterface(t) {
		return cmpDynamic
	}
	return cmpStatic
}

func holdsInterface(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Array:
		return holdsInterface(t.Elem())
	case reflect.Struct:
		for f := range t.Fields() {
			if holdsInterface(f.Type) {
				return true
			}
		}
	}
	return false
}

// seed keys the fingerprints of this process. Fingerprints are only ever
// compared within one process.
var seed = maphash.MakeSeed()

// fingerprint hashes the memory a stored value v (addressable) reaches
// through pointers, slices, maps and interfaces, within the limits above.
// The value's own bytes are not hashed: the map holds its own copy of them,
// which nobody can change. deep reports whether any such memory was found;
// when it is false there is nothing that could be mutated after the store,
// and the fingerprint is meaningless.
//
// The walk reads memory that other goroutines may be writing; a program
// that mutates a stored value while another goroutine operates on its key
// has a data race, which the race detector may report here too: it sees the
// walk's reads of pointers and headers, not the bytes hashed by maphash.
func fingerprint(v reflect.Value, ti *typeInfo) (fp uint64, deep bool) {
	if !ti.reach {
		return 0, false
	}
	w := walker{nodes: maxNodes, bytes: maxBytes}
	w.walk(v, ti, 0)
	return w.h, w.deep
}

// A walker hashes reachable memory in a fixed order. Memory that can change
// (what a pointer points to, a slice's elements, a map's entries) has its
// bytes hashed where it is met; the walk then follows the pointers inside.
type walker struct {
	h     uint64
	nodes int
	bytes int
	deep  bool
	nseen int
	seen  [16]seenKey
	seenM map[seenKey]struct{} // once seen is full
}

// A seenKey identifies memory already hashed: its address, its length for a
// slice, and the type it is seen as.
type seenKey struct {
	p uintptr
	n int
	t reflect.Type
}

func (w *walker) mix(x uint64) {
	w.h = bits.RotateLeft64((w.h^x)*0x9e3779b97f4a7c15, 31) + 0x632be59bd9b4e019
}

// visit reports whether k is met for the first time, and records it.
func (w *walker) visit(k seenKey) bool {
	if w.seenM != nil {
		if _, ok := w.seenM[k]; ok {
			return false
		}
		w.seenM[k] = struct{}{}
		return true
	}
	for _, s := range w.seen[:w.nseen] {
		if s == k {
			return false
		}
	}
	if w.nseen < len(w.seen) {
		w.seen[w.nseen] = k
		w.nseen++
		return true
	}
	w.seenM = make(map[seenKey]struct{}, 2*len(w.seen))
	for _, s := range w.seen {
		w.seenM[s] = struct{}{}
	}
	w.seenM[k] = struct{}{}
	return true
}

// hashBytes mixes n bytes at p, or as many as the byte budget allows.
func (w *walker) hashBytes(p unsafe.Pointer, n uintptr) {
	if n == 0 || w.bytes <= 0 {
		return
	}
	n = min(n, uintptr(w.bytes))
	w.bytes -= int(n)
	w.mix(maphash.Bytes(seed, unsafe.Slice((*byte)(p), n)))
}

// walk follows what v, whose own bytes are already hashed or immutable,
// points to.
func (w *walker) walk(v reflect.Value, ti *typeInfo, depth int) {
	if !ti.reach || w.nodes <= 0 || depth > maxDepth {
		return
	}
	w.nodes--
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		et := ti.children().elem
		p := v.UnsafePointer()
		if !w.visit(seenKey{p: uintptr(p), t: et.typ}) {
			return
		}
		w.deep = true
		w.hashBytes(p, et.typ.Size())
		w.walk(v.Elem(), et, depth+1)
	case reflect.Slice:
		n := v.Len()
		if n == 0 {
			return
		}
		et := ti.children().elem
		p := v.UnsafePointer()
		if !w.visit(seenKey{p: uintptr(p), n: n, t: ti.typ}) {
			return
		}
		w.deep = true
		w.hashBytes(p, uintptr(n)*et.typ.Size())
		if et.reach {
			for i := 0; i < n && w.nodes > 0; i++ {
				w.walk(v.Index(i), et, depth+1)
			}
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		if !w.visit(seenKey{p: uintptr(v.UnsafePointer()), t: ti.typ}) {
			return
		}
		w.deep = true
		w.walkMap(v, ti, depth)
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		// The interface's words are hashed with its container; the value
		// it holds is an immutable copy or a pointer, so only what that
		// reaches is walked.
		e := v.Elem()
		w.walk(e, infoOf(e.Type()), depth+1)
	case reflect.Struct:
		for _, f := range ti.children().fields {
			w.walk(v.Field(f.index), f.info, depth)
		}
	case reflect.Array:
		et := ti.children().elem
		for i := 0; i < v.Len() && w.nodes > 0; i++ {
			w.walk(v.Index(i), et, depth)
		}
	}
}

// walkMap hashes a map's entries independently of iteration order: each
// entry costs one step and is hashed by a walker of its own, and the entry
// hashes are summed. Every entry gets the same budget, an equal share of
// the steps and bytes w has left once the entries' own steps are paid, and
// w is charged what the entries used, so the walk as a whole stays within
// w's budget whatever the map's shape (maps of maps, cycles through maps)
// and whatever the iteration order. A map with more entries than the
// remaining steps is hashed by its length only.
func (w *walker) walkMap(v reflect.Value, ti *typeInfo, depth int) {
	n := v.Len()
	w.mix(uint64(n))
	if n == 0 || n > w.nodes || depth >= maxDepth {
		return
	}
	w.nodes -= n
	nodes, bytes := w.nodes/n, max(w.bytes, 0)/n
	// A map reached through an unexported field is read-only to reflect,
	// which forbids copying its entries out; a map value is one pointer, so
	// a fresh view of it carries no such flag.
	mp := v.UnsafePointer()
	m := reflect.NewAt(ti.typ, unsafe.Pointer(&mp)).Elem()
	kt, vt := ti.children().key, ti.children().elem
	k, e := reflect.New(kt.typ).Elem(), reflect.New(vt.typ).Elem()
	var sum uint64
	usedNodes, usedBytes := 0, 0
	// At most n entries: a map that a racing program grows during the walk
	// does not stretch it.
	for it, i := m.MapRange(), 0; i < n && it.Next(); i++ {
		k.SetIterKey(it)
		e.SetIterValue(it)
		c := walker{nodes: nodes, bytes: bytes}
		c.hashBytes(k.Addr().UnsafePointer(), kt.typ.Size())
		c.walk(k, kt, depth+1)
		c.mix(0)
		c.hashBytes(e.Addr().UnsafePointer(), vt.typ.Size())
		c.walk(e, vt, depth+1)
		sum += c.h
		usedNodes += nodes - c.nodes
		usedBytes += bytes - c.bytes
	}
	w.nodes -= usedNodes
	w.bytes -= usedBytes
	w.mix(sum)
}
