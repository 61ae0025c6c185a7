package a

import (
	"bytes"
	"io"
	"sync"
)

type encoder struct {
	w     io.Writer
	buf   []byte
	depth int
	opts  *options
}

type options struct{ indent string }

type counter struct{ n, max int }

var (
	encoders = sync.Pool{New: func() any { return new(encoder) }}
	buffers  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	counters = sync.Pool{New: func() any { return new(counter) }}
)

func encode(w io.Writer, v string) {
	e := encoders.Get().(*encoder)
	e.w = w
	e.buf = append(e.buf, v...)
	e.w.Write(e.buf)
	encoders.Put(e) // want `e goes back into the pool with its reference fields w, buf, opts still set`
}

func encodeNothingCleared(v string) []byte {
	e := encoders.Get().(*encoder)
	out := append([]byte(nil), v...)
	encoders.Put(e) // want `e goes back into the pool with its reference fields w, buf, opts still set`
	return out
}

func deferred(v string) {
	e := encoders.Get().(*encoder)
	e.reset()             // before use: the deferred Put puts it back dirty
	defer encoders.Put(e) // want `e goes back into the pool with its reference fields w, buf, opts still set`
	e.buf = append(e.buf, v...)
}

func buffer(v string) string {
	b := buffers.Get().(*bytes.Buffer)
	b.WriteString(v)
	s := b.String()
	buffers.Put(b) // want `b goes back into the pool without calling its Reset method`
	return s
}

// The traps: Put after Reset, after clearing every field, after *x = T{}.
func (e *encoder) reset() { *e = encoder{buf: e.buf[:0]} }

func afterReset(w io.Writer) {
	e := encoders.Get().(*encoder)
	e.w = w
	e.reset()
	encoders.Put(e)
}

func afterBufferReset(v string) {
	b := buffers.Get().(*bytes.Buffer)
	b.WriteString(v)
	b.Reset()
	buffers.Put(b)
}

func fieldByField(w io.Writer) {
	e := encoders.Get().(*encoder)
	e.w = w
	e.w, e.opts = nil, nil
	e.buf = e.buf[:0]
	encoders.Put(e)
}

func zeroed() {
	e := encoders.Get().(*encoder)
	*e = encoder{}
	encoders.Put(e)
}

func deferredReset(v string) {
	e := encoders.Get().(*encoder)
	defer func() {
		e.reset()
		encoders.Put(e)
	}()
	e.buf = append(e.buf, v...)
}

// No reference fields: nothing to clear.
func count() {
	c := counters.Get().(*counter)
	c.n++
	counters.Put(c)
}

// A parameter: its caller may have cleared it.
func putEncoder(e *encoder) { encoders.Put(e) }

func silenced() {
	e := encoders.Get().(*encoder)
	//custody:ignore poolreset opts is shared configuration, set once by New
	encoders.Put(e)
}

// A field bound to the object itself stays on purpose, as go-redis's
// scratch writer wraps the scratch buffer: clearing the buffer is enough.
type scratch struct {
	buf bytes.Buffer
	w   *bytes.Buffer
}

var scratches = sync.Pool{New: func() any { s := new(scratch); s.w = &s.buf; return s }}

func partial(v string) {
	s := scratches.Get().(*scratch)
	s.w.WriteString(v)
	s.buf.Reset()
	scratches.Put(s)
}

// A receiver, put back from a function literal when its last reference
// goes, as kafka-go's pages are: the caller decides what it holds.
type page struct {
	buf  *[64]byte
	refs int
}

var pages = sync.Pool{New: func() any { return &page{buf: new([64]byte)} }}

func (p *page) unref(release func(func())) { release(func() { pages.Put(p) }) }
