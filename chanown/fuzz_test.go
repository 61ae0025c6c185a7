package chanown_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
)

// model is the reference a Chan is checked against: a bounded FIFO queue
// with a closed flag and an owner, driven by one goroutine.
type model struct {
	capacity int
	queue    []int
	closed   bool
	owner    *custody.Goroutine
	events   []custody.Kind // what a sink should have seen, after Make
}

// FuzzChan runs random sequences of non-blocking operations on a Chan and
// on the model and requires the same results. Run it with
//
//	go test -fuzz FuzzChan -fuzztime 30s ./chanown
//
// The first byte picks the mode (off, observe, verify), the second the
// capacity (0 to 3); each further byte, up to maxOps, is one operation.
// Longer inputs find nothing more (the capacity is at most 3) and make the
// fuzzer's minimization crawl.
func FuzzChan(f *testing.F) {
	const maxOps = 48
	f.Add([]byte{0, 1, 0, 0, 2, 2, 4, 0, 4})
	f.Add([]byte{1, 2, 0, 1, 0, 3, 5, 6, 4, 1, 3, 3, 4})
	f.Add([]byte{2, 0, 0, 1, 2, 3, 6, 4, 0, 1, 2, 3, 4, 5})
	f.Add([]byte{2, 3, 1, 1, 1, 1, 5, 3, 6, 7, 4, 4, 0, 2, 2, 2})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 {
			return
		}
		if len(in) > 2+maxOps {
			in = in[:2+maxOps]
		}
		mode := core.Mode(in[0] % 3)
		var r *sinktest.Recorder
		if mode != core.Off {
			r = sinktest.New(mode)
			defer sinktest.Set(r)()
		}
		ids := make([]*custody.Goroutine, 3)
		ctxs := make([]context.Context, 3)
		for i := range ids {
			ctxs[i], ids[i] = identity(context.Background(), "g")
		}
		done, cancel := context.WithCancel(context.Background())
		cancel()

		m := &model{capacity: int(in[1] % 4), owner: ids[0], events: []custody.Kind{}}
		c := chanown.Make[int](ctxs[0], "fuzz", m.capacity)
		next := 0
		for step, op := range in[2:] {
			who := int(op>>4) % 3
			switch op % 8 {
			case 0: // TrySend
				next++
				ok, err := c.TrySend(next)
				wantOK, wantErr := m.send(next)
				assert.Equal(t, wantOK, ok, "step %d: TrySend(%d) delivered", step, next)
				checkErr(t, step, "TrySend", wantErr, err)
			case 1: // Send with a done context: never blocks
				next++
				err := c.Send(done, next)
				ok, wantErr := m.send(next)
				if wantErr == nil && !ok {
					wantErr = context.Canceled
				}
				checkErr(t, step, "Send", wantErr, err)
			case 2: // Recv with a done context
				v, ok, err := c.Recv(done)
				wantV, wantOK, ready := m.recv()
				var wantErr error
				if !ready {
					wantErr = context.Canceled
				}
				assert.Equal(t, wantV, v, "step %d: Recv value", step)
				assert.Equal(t, wantOK, ok, "step %d: Recv ok", step)
				checkErr(t, step, "Recv", wantErr, err)
			case 3: // receive from C in a select with a default
				wantV, wantOK, ready := m.recv()
				select {
				case v, ok := <-c.C():
					assert.True(t, ready, "step %d: C() ready", step)
					assert.Equal(t, wantV, v, "step %d: C() value", step)
					assert.Equal(t, wantOK, ok, "step %d: C() ok", step)
				default:
					assert.False(t, ready, "step %d: C() not ready", step)
				}
			case 4, 5: // Close, by the owner or not
				err := c.Close(ctxs[who])
				var wantErr error
				if m.closed {
					wantErr = chanown.ErrClosed
					m.events = append(m.events, custody.ChanDoubleClose)
				} else {
					m.closed = true
					m.events = append(m.events, custody.ChanClosed)
					if m.owner != nil && m.owner != ids[who] {
						m.events = append(m.events, custody.ChanCloseByNonOwner)
					}
				}
				checkErr(t, step, "Close", wantErr, err)
			case 6: // Handoff, to an identity or to none
				to := context.Background()
				m.owner = nil
				if who != 2 {
					to, m.owner = ctxs[who], ids[who]
				}
				c.Handoff(ctxs[0], to)
				m.events = append(m.events, custody.ChanHandoff)
			case 7:
			}
			require.Equal(t, len(m.queue), c.Len(), "step %d: Len", step)
			require.Equal(t, m.capacity, c.Cap(), "step %d: Cap", step)
			require.Same(t, m.owner, c.Owner(), "step %d: Owner", step)
		}
		if r != nil {
			es := r.Take()
			require.NotEmpty(t, es)
			assert.Equal(t, custody.ChanMade, es[0].Kind)
			assert.Equal(t, m.events, sinktest.Kinds(es[1:]))
		}
	})
}

// send applies a non-blocking send of v to the model.
func (m *model) send(v int) (ok bool, err error) {
	if m.closed {
		m.events = append(m.events, custody.ChanSendAfterClose)
		return false, chanown.ErrClosed
	}
	if len(m.queue) < m.capacity {
		m.queue = append(m.queue, v)
		return true, nil
	}
	return false, nil
}

// recv applies a non-blocking receive to the model; ready is false if a
// receive would block.
func (m *model) recv() (v int, ok, ready bool) {
	if len(m.queue) > 0 {
		v, m.queue = m.queue[0], m.queue[1:]
		return v, true, true
	}
	return 0, false, m.closed
}

func checkErr(t *testing.T, step int, op string, want, got error) {
	t.Helper()
	if want == nil {
		assert.NoError(t, got, "step %d: %s", step, op)
		return
	}
	assert.ErrorIs(t, got, want, "step %d: %s", step, op)
	if want == chanown.ErrClosed {
		var ce *chanown.CloseError
		if assert.ErrorAs(t, got, &ce, "step %d: %s", step, op) {
			assert.Equal(t, "fuzz", ce.Chan)
		}
	}
}
