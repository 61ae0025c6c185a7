package safemap

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/labels"
	"github.com/custody-go/custody/internal/spine"
)

// The map holds one of four things under a key:
//   - the bare value, for a V whose == is reflexive and never panics (see
//     typeInfo.bare) and a value with nothing recorded about it: not zero,
//     or zero where zeros are not looked for, and in verify mode reaching no
//     mutable memory. The map then allocates as sync.Map does.
//   - (*plain[V])(nil): the zero value of such a V, when nothing is recorded
//     about it, so that observe and verify modes know it is zero without
//     looking at it. It costs no allocation.
//   - *plain[V]: any other V with nothing recorded; one allocation, as
//     sync.Map's own conversion to an interface makes for most such values.
//   - *entry[V]: a value with a record (observe and verify modes).
//
// sync.Map's CompareAndSwap then compares box pointers, or bare values
// whose == is identity-like, so Update works for any V.
type plain[V any] struct{ v V }

type entry[V any] struct {
	v   V
	rec *record // never nil
}

// valueOf returns the value held by x, or the zero V for nil.
func valueOf[V any](x any) V {
	switch b := x.(type) {
	case *entry[V]:
		return b.v
	case *plain[V]:
		if b != nil {
			return b.v
		}
		var zero V
		return zero
	}
	v, _ := x.(V) // bare, or nil
	return v
}

// A record is what observe and verify modes keep about one stored value:
// in observe mode only whether it is zero, in verify mode also its
// fingerprint, store site and the identity of the goroutine that stored it.
// It is written before its entry is published and read-only afterwards,
// but for reported.
type record struct {
	site custody.Site // where the value was stored, in verify mode
	time time.Time    // when, in verify mode
	// storer is the custody.id label of the goroutine that stored the
	// value, in verify mode (0: none), and storerName its custody.name.
	storer     uint64
	storerName string
	zero       bool // the value is the zero V
	deep       bool // the value reaches mutable memory; fp is its fingerprint
	fp         uint64
	// reported is set by the first operation that finds the value mutated,
	// so that each store is reported once.
	reported atomic.Bool
}

// observedZero is the record of every zero value stored in observe mode,
// which keeps nothing else.
var observedZero = &record{zero: true}

// onLoad reports whether a load in mode (observe or verify) has anything to
// report about the value r records: a zero, or in verify mode a mutation.
func (r *record) onLoad(mode core.Mode) bool {
	return r.zero || (r.deep && mode == core.Verify)
}

// needsLook reports whether an operation in a mode other than off has
// anything to look at in x: an entry, or a plain box (is it zero?). A bare
// value has nothing.
func needsLook[V any](x any) bool {
	switch x.(type) {
	case *entry[V], *plain[V]:
		return true
	}
	return false
}

// An inspection says what to look for in a box an operation met.
type inspection uint8

const (
	// zeroLoad: the operation returns the box's value with ok == true
	// (Load, LoadOrStore, LoadAndDelete, Swap); a zero value is reported.
	zeroLoad inspection = 1 << iota
)

func (m *Map[K, V]) typeInfo() *typeInfo {
	if ti := m.info.Load(); ti != nil {
		return ti
	}
	ti := infoOf(reflect.TypeFor[V]())
	m.info.Store(ti)
	return ti
}

// box returns what to store for value in mode. Values with nothing to
// record are stored as unrecorded says. In observe mode box records whether
// value is zero, and nothing else: production code never has its values
// fingerprinted, which would read memory the program may be writing under
// its own locks. In verify mode box also fingerprints what value reaches
// and records the store site, for which skip is the argument that
// spine.Caller needs in box, and the storing goroutine's identity from its
// labels.
func (m *Map[K, V]) box(value V, mode core.Mode, skip int) any {
	ti := m.typeInfo()
	var x any // value in an interface, for a bare V
	zero := false
	if ti.bare {
		x = any(value)
		zero = !ti.zeroSize && x == ti.zero
	}
	if mode == core.Off {
		return unrecorded(value, x, zero, ti)
	}
	if !ti.bare {
		zero = !ti.zeroSize && reflectZero(value)
	}
	report := zero && !m.zeroOK.Load()
	if mode != core.Verify {
		if report {
			return &entry[V]{v: value, rec: observedZero}
		}
		return unrecorded(value, x, zero, ti)
	}
	var e *entry[V]
	var fp uint64
	deep := false
	if !zero && ti.reach {
		// The entry's copy, which escapes anyway: fingerprinting value
		// would move it to the heap on every path.
		e = &entry[V]{v: value}
		fp, deep = fingerprint(reflect.ValueOf(&e.v).Elem(), ti)
	}
	if !report && !deep {
		return unrecorded(value, x, zero, ti)
	}
	if e == nil {
		e = &entry[V]{v: value}
	}
	e.rec = &record{zero: report, deep: deep, fp: fp, site: spine.Caller(skip), time: time.Now()}
	e.rec.storer, e.rec.storerName, _ = labels.Identity()
	return e
}

// unrecorded returns what to store for value when nothing is recorded
// about it: for a bare V the value in an interface, x, or if it is zero
// the nil *plain[V]; for any other V a new *plain[V].
func unrecorded[V any](value V, x any, zero bool, ti *typeInfo) any {
	switch {
	case !ti.bare:
		return &plain[V]{v: value}
	case zero:
		return (*plain[V])(nil)
	}
	return x
}

// reflectZero reports whether value is V's zero value. It takes a copy, so
// that only its callers' copies move to the heap.
func reflectZero[V any](value V) bool {
	return reflect.ValueOf(&value).Elem().IsZero()
}

// zeroMatters reports whether a zero value stored in m is reported: not in
// a map that allows zeros, nor of a type whose only value is zero.
func (m *Map[K, V]) zeroMatters(ti *typeInfo) bool {
	return !ti.zeroSize && !m.zeroOK.Load()
}

// stored is called after box x was published under key. In verify mode it
// reports the store of a zero value and lists the map for mapcheck when
// the value has a fingerprint.
func (m *Map[K, V]) stored(key K, x any, mode core.Mode, skip int) {
	e, ok := x.(*entry[V])
	if mode != core.Verify || !ok {
		return
	}
	if e.rec.deep && !m.listed.Load() {
		m.list()
	}
	if e.rec.zero {
		emit(custody.MapZeroStored, key, e.rec.site, spine.Callers(skip), e.rec, false)
	}
}

// inspect looks at x, which an operation met under key, in observe or
// verify mode.
func (m *Map[K, V]) inspect(key K, x any, mode core.Mode, what inspection, skip int) {
	switch b := x.(type) {
	case *plain[V]: // stored with nothing recorded: while off, or not zero
		if what&zeroLoad == 0 {
			return
		}
		ti := m.typeInfo()
		if m.zeroMatters(ti) && (b == nil || !ti.bare && reflectZero(b.v)) {
			emit(custody.MapZeroLoaded, key, spine.Caller(skip), stackIf(mode, skip), nil, false)
		}
	case *entry[V]:
		r := b.rec
		if what&zeroLoad != 0 && r.zero && !m.zeroOK.Load() {
			emit(custody.MapZeroLoaded, key, spine.Caller(skip), stackIf(mode, skip), r, true)
		}
		if mode == core.Verify && m.mutated(b) {
			emit(custody.MapMutatedAfterStore, key, spine.Caller(skip), stackIf(mode, skip), r, true)
		}
	}
}

// stackIf returns the stack of the user's call in verify mode, nil in
// observe mode; skip is as for custody.Caller in stackIf's caller.
func stackIf(mode core.Mode, skip int) custody.Stack {
	if mode != core.Verify {
		return nil
	}
	return spine.Callers(skip + 1)
}

// mutated reports whether box x holds a value that no longer has the
// fingerprint it was stored with, the first time it is found so: the record
// is then marked reported and mutated returns false afterwards.
func (m *Map[K, V]) mutated(x any) bool {
	e, ok := x.(*entry[V])
	if !ok {
		return false
	}
	r := e.rec
	if !r.deep || r.reported.Load() {
		return false
	}
	fp, _ := fingerprint(reflect.ValueOf(&e.v).Elem(), m.typeInfo())
	return fp != r.fp && r.reported.CompareAndSwap(false, true)
}

// emit reports one event about key. earlier says whether r's store is the
// event's Earlier.
func emit(k custody.Kind, key any, site custody.Site, stack custody.Stack, r *record, earlier bool) {
	e := custody.Event{Kind: k, Site: site, Object: fmt.Sprint(key), Stack: stack}
	if earlier && r != nil && r.site != 0 { // observe mode records no store site
		kind := custody.MapZeroStored
		if k == custody.MapMutatedAfterStore {
			kind = 0 // a store, not an event of its own
		}
		e.Earlier = &custody.Event{Kind: kind, Time: r.time, Site: r.site, Object: e.Object}
		if r.storer != 0 {
			// A stand-in record: the labels name the identity, not its
			// parent, spawn site or start.
			e.Earlier.Goroutine = &custody.Goroutine{ID: r.storer, Name: r.storerName}
		}
	}
	spine.Emit(context.Background(), &e)
}
