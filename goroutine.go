package custody

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// pprof label keys that owned goroutines carry, so that goroutine dumps, CPU
// profiles and the goroutineleak profile map back to their records. Raw
// goroutines started inside an owned goroutine inherit them.
const (
	LabelID   = "custody.id"
	LabelName = "custody.name"
)

// A Goroutine is the record of an owned goroutine, or of an identity that
// owns things without being started by custody (a test, a request handler).
// Records are immutable once made and safe to share.
type Goroutine struct {
	// ID is unique within the process and never reused. It is not the
	// runtime's goroutine id; goroutine dumps show it as the custody.id label.
	ID uint64
	// Name says what the goroutine is for, such as "process-payment".
	Name string
	// Spawn is where the goroutine was started, or where the identity was
	// made.
	Spawn Site
	// Parent is the record of the goroutine or identity that started this
	// one, or nil for a root.
	Parent *Goroutine
	// Start is when the record was made.
	Start time.Time
}

var lastID atomic.Uint64

// NewGoroutine returns a record with a fresh ID and the current time. parent
// may be nil. Wrappers call it when they start a goroutine; tests and servers
// call it (through [NewContext]) to name an identity that owns things.
func NewGoroutine(parent *Goroutine, name string, spawn Site) *Goroutine {
	return &Goroutine{
		ID:     lastID.Add(1),
		Name:   name,
		Spawn:  spawn,
		Parent: parent,
		Start:  time.Now(),
	}
}

// String returns the name and ID, such as `"process-payment" (custody 12)`.
// A nil record prints as "an unowned goroutine".
func (g *Goroutine) String() string {
	if g == nil {
		return "an unowned goroutine"
	}
	return strconv.Quote(g.Name) + " (custody " + strconv.FormatUint(g.ID, 10) + ")"
}

// Root returns the outermost record of g's parent chain: the test or other
// identity that started it, directly or transitively.
func (g *Goroutine) Root() *Goroutine {
	if g == nil {
		return nil
	}
	for g.Parent != nil {
		g = g.Parent
	}
	return g
}

// Chain returns the names in g's parent chain, g first, joined by " ← ", such
// as "process-payment ← handle ← TestHandlePayment".
func (g *Goroutine) Chain() string {
	var names []string
	for ; g != nil; g = g.Parent {
		names = append(names, g.Name)
	}
	return strings.Join(names, " ← ")
}

type goroutineKey struct{}

// NewContext returns a copy of ctx that carries g as its identity.
func NewContext(ctx context.Context, g *Goroutine) context.Context {
	return context.WithValue(ctx, goroutineKey{}, g)
}

// IsRecordKey reports whether key is the key [NewContext] stores a record
// under and [FromContext] looks one up with. A wrapper's own context type
// that carries a record without a [context.WithValue] layer returns the
// record from Value for such a key; safego's owned goroutines do, to save an
// allocation each.
func IsRecordKey(key any) bool {
	_, ok := key.(goroutineKey)
	return ok
}

// FromContext returns the identity ctx carries, or nil.
func FromContext(ctx context.Context) *Goroutine {
	if ctx == nil {
		return nil
	}
	g, _ := ctx.Value(goroutineKey{}).(*Goroutine)
	return g
}
