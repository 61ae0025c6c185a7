package safemap

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// The map holds boxes, never bare values: *plain[V] for a value stored while
// custody was off, *entry[V] for one stored in observe or verify mode. The
// sync.Map's CompareAndSwap then compares box pointers, so Update works for
// any V; a plain box costs what sync.Map's own interface conversion of a
// non-pointer value costs.
type plain[V any] struct{ v V }

type entry[V any] struct {
	v   V
	rec *record // never nil
}

// valueOf returns the value in box x.
func valueOf[V any](x any) V {
	if p, ok := x.(*plain[V]); ok {
		return p.v
	}
	return x.(*entry[V]).v
}

// A record is what observe and verify modes keep about one stored value:
// in observe mode only whether it is zero, in verify mode also its
// fingerprint and store site. It is written before its entry is published
// and read-only afterwards, but for reported.
type record struct {
	site custody.Site // where the value was stored, in verify mode
	time time.Time    // when, in verify mode
	zero bool         // the value is the zero V
	deep bool         // the value reaches mutable memory; fp is its fingerprint
	fp   uint64
	// reported is set by the first operation that finds the value mutated,
	// so that each store is reported once.
	reported atomic.Bool
}

// clean is the record of every entry whose value there is nothing to check
// about: not zero, and in verify mode reaching no mutable memory.
var clean = new(record)

// observedZero is the record of every zero value stored in observe mode,
// which keeps nothing else.
var observedZero = &record{zero: true}

// onLoad reports whether a load in mode (observe or verify) has anything to
// report about the value r records: a zero, or in verify mode a mutation.
func (r *record) onLoad(mode core.Mode) bool {
	return r.zero || (r.deep && mode == core.Verify)
}

// needsLook reports whether an operation in a mode other than off has
// anything to look at in box x: a plain box (is it zero?) or an entry whose
// record is not clean.
func needsLook[V any](x any) bool {
	e, ok := x.(*entry[V])
	return !ok || e.rec != clean
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

// box returns a new box for value: plain when custody is off. In observe
// mode it records whether value is zero, and nothing else: production code
// never has its values fingerprinted, which would read memory the program
// may be writing under its own locks. In verify mode box also fingerprints
// what value reaches and records the store site, for which skip is the
// argument that custody.Caller needs in box.
func (m *Map[K, V]) box(value V, mode core.Mode, skip int) any {
	if mode == core.Off {
		return &plain[V]{v: value}
	}
	e := &entry[V]{v: value, rec: clean}
	rv := reflect.ValueOf(&e.v).Elem()
	zero := rv.IsZero()
	if mode != core.Verify {
		if zero {
			e.rec = observedZero
		}
		return e
	}
	var fp uint64
	deep := false
	if !zero {
		fp, deep = fingerprint(rv, m.typeInfo())
	}
	if zero || deep {
		e.rec = &record{zero: zero, deep: deep, fp: fp, site: spine.Caller(skip), time: time.Now()}
	}
	return e
}

// stored is called after box x was published under key. In verify mode it
// reports the store of a zero value and lists the map for [CheckAll] when
// the value has a fingerprint.
func (m *Map[K, V]) stored(key K, x any, mode core.Mode, skip int) {
	e, ok := x.(*entry[V])
	if mode != core.Verify || !ok || e.rec == clean {
		return
	}
	if e.rec.deep && !m.listed.Load() {
		m.list()
	}
	if e.rec.zero {
		emit(custody.MapZeroStored, key, e.rec.site, spine.Callers(skip), e.rec, false)
	}
}

// inspect looks at box x, which an operation met under key, in observe or
// verify mode.
func (m *Map[K, V]) inspect(key K, x any, mode core.Mode, what inspection, skip int) {
	switch b := x.(type) {
	case *plain[V]: // stored while off: no record, no fingerprint
		if what&zeroLoad != 0 && reflect.ValueOf(&b.v).Elem().IsZero() {
			emit(custody.MapZeroLoaded, key, spine.Caller(skip), stackIf(mode, skip), nil, false)
		}
	case *entry[V]:
		r := b.rec
		if r == clean {
			return
		}
		if what&zeroLoad != 0 && r.zero {
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

// recordOf returns the record of box x, nil for a plain box.
func recordOf[V any](x any) *record {
	if e, ok := x.(*entry[V]); ok {
		return e.rec
	}
	return nil
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
	}
	spine.Emit(context.Background(), &e)
}
