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
	encoders.Put(e) // want `e goes back into the pool with its reference fields w, opts still set`
}

func encodeNothingCleared(v string) []byte {
	e := encoders.Get().(*encoder)
	out := append([]byte(nil), v...)
	encoders.Put(e) // want `e goes back into the pool with its reference fields w, opts still set`
	return out
}

func deferred(v string) {
	e := encoders.Get().(*encoder)
	e.reset()             // before use: the deferred Put puts it back dirty
	defer encoders.Put(e) // want `e goes back into the pool with its reference fields w, opts still set`
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

// The traps of the second held-out run.
//
// franz-go's and ristretto's pools hold a resource that New made: the
// encoder a wrapper holds, the consumer a stripe drains into. Clearing it
// would defeat the pool.
type encoderHolder struct{ inner *encoder }

type stripe struct {
	cons func([]uint64)
	data []uint64
}

func newStripe(cons func([]uint64)) *stripe {
	return &stripe{cons: cons, data: make([]uint64, 0, 64)}
}

var (
	newHolder = func() any { return &encoderHolder{new(encoder)} }
	holders   = sync.Pool{New: newHolder}
	stripes   = sync.Pool{New: func() any { return newStripe(func([]uint64) {}) }}
)

func compress(v string) {
	h := holders.Get().(*encoderHolder)
	defer holders.Put(h)
	h.inner.buf = append(h.inner.buf[:0], v...)
}

func (s *stripe) add(item uint64) {
	s.data = append(s.data, item)
	if len(s.data) == cap(s.data) {
		s.cons(s.data)
		s.data = make([]uint64, 0, cap(s.data))
	}
}

func push(item uint64) {
	s := stripes.Get().(*stripe)
	s.add(item)
	stripes.Put(s)
}

// nats-server's send queue: a message's bytes are copied into buffers the
// pooled object owns, refilled with append(x.f[:0], ...): kept for their
// capacity.
type outMsg struct {
	subj string
	hdr  []byte
	msg  []byte
}

var outMsgs = sync.Pool{New: func() any { return &outMsg{} }}

func send(subj string, hdr, msg []byte, deliver func(*outMsg)) {
	m := outMsgs.Get().(*outMsg)
	m.subj = subj
	m.hdr = append(m.hdr[:0], hdr...)
	m.msg = append(m.msg[:0], msg...)
	deliver(m)
	outMsgs.Put(m)
}

// franz-go's stream compressor keeps a function that only puts the codec
// back: its caller clears the codec (Reset(nil)) before calling it.
type stream struct {
	w   *encoder
	put func()
}

func newStream(w io.Writer) *stream {
	e := encoders.Get().(*encoder)
	e.w = w
	return &stream{w: e, put: func() { encoders.Put(e) }}
}

func (s *stream) finish() {
	s.w.reset()
	s.put()
}

// A bytes.Buffer reset on Get: its users reset it, and what it keeps is
// its own array, which Reset keeps too (franz-go's decompression buffer).
func decompress(src string) []byte {
	out := buffers.Get().(*bytes.Buffer)
	out.Reset()
	defer buffers.Put(out)
	out.WriteString(src)
	return bytes.Clone(out.Bytes())
}

// Still reported: nats-server's raft entries keep the caller's data, which
// New did not set and which is not the entry's own copy.
type entry struct {
	kind int
	data []byte
}

var entries = sync.Pool{New: func() any { return &entry{} }}

func newEntry(kind int, data []byte) *entry {
	e := entries.Get().(*entry)
	e.kind, e.data = kind, data
	return e
}

func returnEntries(es []*entry) {
	for _, e := range es {
		entries.Put(e) // want `e goes back into the pool with its reference field data still set`
	}
}

// client_golang's gzip writer: put back from a clean-up function that
// closes it and does not Reset it, still writing into the response.
func negotiate(w io.Writer) (io.Writer, func()) {
	e := encoders.Get().(*encoder)
	e.w = w
	return e.w, func() { e.w.Write(e.buf); encoders.Put(e) } // want `e goes back into the pool with its reference fields w, opts still set`
}
