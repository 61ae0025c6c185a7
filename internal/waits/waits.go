// Package waits records the chanown operations that goroutines with a
// record are blocked in, so that the oracle can say what a leaked goroutine
// waits for. Recording and removing a wait allocates nothing once the
// goroutine's shard has seen a wait before.
package waits

import (
	"slices"
	"sync"
	"time"

	"github.com/custody-go/custody"
)

// A Wait describes an operation blocked on a channel, for a report such as
//
//	blocked in chanown.Send on "payment-results" (cap 1, len 1),
//	    owned by TestHandlePayment, made at payment/handler.go:28, never closed
type Wait struct {
	// Op is "send" or "recv"; Since is when it started to wait. Where it
	// was called is not recorded (it would cost more than the wait): the
	// goroutine's stack shows it.
	Op    string
	Since time.Time
	// Chan, Cap, Len, Owner, Made and Closed describe the channel as it is
	// when Of is called.
	Chan   string
	Cap    int
	Len    int
	Owner  *custody.Goroutine
	Made   custody.Site
	Closed bool
}

// A Chan describes the channel an operation waits on: it fills in the
// channel's fields of w, or reports false once the channel is gone. It
// should hold the channel weakly, so that the goroutineleak profile still
// sees a goroutine blocked forever on a channel nothing else references;
// and be pointer-shaped, so that storing it allocates nothing.
type Chan interface {
	Describe(w *Wait) bool
}

// A Handle is what Add returns, to end the wait with.
type Handle struct {
	g   *custody.Goroutine
	seq uint64
}

// entry is one blocked operation.
type entry struct {
	seq   uint64
	op    string
	since time.Duration // since epoch, by the monotonic clock: one clock read, where time.Now makes two
	c     Chan
}

// epoch is the origin of entry.since. Durations since it are measured by
// the clock of the synctest bubble they are read in, if any: Of reports how
// long an operation has waited correctly when it runs in the same bubble as
// the operation, or outside bubbles as the operation did.
var epoch = time.Now()

// shards spread the records over locks: the operations of one record take
// one lock, those of distinct records usually distinct ones.
const shards = 32

type shard struct {
	mu  sync.Mutex
	seq uint64
	// waits maps a record to its blocked operations, oldest first: one,
	// unless several goroutines share the record. Records leave the map
	// when their last wait ends.
	waits map[*custody.Goroutine][]entry
	// free holds emptied slices for reuse, so that a record's next wait
	// allocates nothing.
	free [][]entry
	// peak is the most records waits held since it was made: once a spike
	// of waits is over, the map is dropped, as Go maps never shrink.
	peak int
	_    [64]byte // keeps neighbouring shards' locks off one cache line
}

var table [shards]shard

func shardOf(g *custody.Goroutine) *shard { return &table[g.ID%shards] }

// Add records that the goroutine with record g is blocked in op ("send" or
// "recv") on c, until Remove is called on the result.
func Add(g *custody.Goroutine, op string, c Chan) Handle {
	now := time.Since(epoch)
	s := shardOf(g)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waits == nil {
		s.waits = map[*custody.Goroutine][]entry{}
	}
	s.seq++
	ws, ok := s.waits[g]
	if !ok && len(s.free) > 0 {
		ws, s.free = s.free[len(s.free)-1], s.free[:len(s.free)-1]
	}
	s.waits[g] = append(ws, entry{seq: s.seq, op: op, since: now, c: c})
	s.peak = max(s.peak, len(s.waits))
	return Handle{g: g, seq: s.seq}
}

// maxFree bounds the emptied slices a shard keeps.
const maxFree = 8

// maxKept is the most records a shard's map may have held and be kept once
// empty.
const maxKept = 1024

// Remove ends the wait h was returned for.
func (h Handle) Remove() {
	s := shardOf(h.g)
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.waits[h.g]
	i := slices.IndexFunc(ws, func(e entry) bool { return e.seq == h.seq })
	if i < 0 {
		return
	}
	ws = slices.Delete(ws, i, i+1)
	if len(ws) > 0 {
		s.waits[h.g] = ws
		return
	}
	delete(s.waits, h.g)
	if len(s.waits) == 0 && s.peak > maxKept {
		s.waits, s.peak = nil, 0
	}
	if len(s.free) < maxFree {
		s.free = append(s.free, ws[:0])
	}
}

// Of reports the operation that the goroutine with record g is blocked in,
// if any: the latest to block, of those still blocked, when several
// goroutines share the record.
func Of(g *custody.Goroutine) (Wait, bool) {
	s := shardOf(g)
	s.mu.Lock()
	ws := slices.Clone(s.waits[g])
	s.mu.Unlock()
	now, at := time.Now(), time.Since(epoch)
	for _, e := range slices.Backward(ws) {
		w := Wait{Op: e.op, Since: now.Add(e.since - at)}
		if e.c.Describe(&w) {
			return w, true
		}
	}
	return Wait{}, false
}
