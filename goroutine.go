package custody

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/custody-go/custody/internal/core"
)

// A Goroutine is the record of an owned goroutine, or of an identity that
// owns things without being started by custody: a test, a request. Records
// are immutable and safe to share.
type Goroutine struct {
	// ID is unique within the process. It is not the runtime's goroutine
	// id; goroutine profiles show it as the pprof label custody.id, beside
	// the name as custody.name.
	ID uint64
	// Name says what the goroutine is for, such as "process-payment".
	Name string
	// Spawn is where the goroutine was started or the identity made.
	Spawn Site
	// Parent is the record of the goroutine or identity that started this
	// one, or nil.
	Parent *Goroutine
	// Start is when the record was made.
	Start time.Time
}

// String returns the name and ID, such as `"process-payment" (custody 12)`,
// or "an unowned goroutine" for nil.
func (g *Goroutine) String() string {
	if g == nil {
		return "an unowned goroutine"
	}
	return strconv.Quote(g.Name) + " (custody " + strconv.FormatUint(g.ID, 10) + ")"
}

// Chain returns the names from g up its parents, joined by " ← ", such as
// "process-payment ← handle ← TestHandlePayment".
func (g *Goroutine) Chain() string {
	var names []string
	for ; g != nil; g = g.Parent {
		names = append(names, g.Name)
	}
	return strings.Join(names, " ← ")
}

// NewContext returns a copy of ctx that carries a new identity named name,
// whose parent is the identity ctx carries and whose spawn site is the line
// that called NewContext. What is started or made with the returned context
// belongs to it: a request handler names its request this way. NewContext
// panics if ctx is nil or name is empty.
func NewContext(ctx context.Context, name string) context.Context {
	if ctx == nil {
		panic("custody: NewContext called with a nil context")
	}
	if name == "" {
		panic("custody: NewContext called with an empty name")
	}
	var pc [1]uintptr
	runtime.Callers(2, pc[:])
	g := &Goroutine{ID: core.NextID(), Name: name, Spawn: Site(pc[0]), Parent: FromContext(ctx), Start: time.Now()}
	return context.WithValue(ctx, core.RecordKey{}, g)
}

// FromContext returns the identity ctx carries, or nil.
func FromContext(ctx context.Context) *Goroutine {
	if ctx == nil {
		return nil
	}
	g, _ := ctx.Value(core.RecordKey{}).(*Goroutine)
	return g
}
