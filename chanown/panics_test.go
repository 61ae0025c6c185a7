package chanown_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/chanown"
)

// TestBadInputPanics walks every bad input chanown panics on and the
// message it panics with: each starts with "chanown: " and names the call
// and what was wrong with it.
func TestBadInputPanics(t *testing.T) {
	ctx := t.Context()
	var nilCtx context.Context
	c := chanown.Make[int](ctx, "x", 1)
	var zero chanown.Chan[int]
	var nilChan *chanown.Chan[int]

	tests := []struct {
		name string
		fn   func()
		want string
	}{
		{"Make nil ctx", func() { chanown.Make[int](nilCtx, "x", 1) }, `chanown: Make called with a nil context for channel "x"`},
		{"Make negative capacity", func() { chanown.Make[int](ctx, "x", -1) }, `chanown: Make called with a negative capacity (-1) for channel "x"`},
		{"Make capacity overflowing the address space", func() { chanown.Make[int](ctx, "c", 1<<62) },
			`chanown: Make called with capacity 4611686018427387904 for channel "c" of int: its buffer would take more than the runtime can allocate`},
		{"Send nil ctx", func() { _ = c.Send(nilCtx, 1) }, `chanown: Send called with a nil context on channel "x"`},
		{"Recv nil ctx", func() { _, _, _ = c.Recv(nilCtx) }, `chanown: Recv called with a nil context on channel "x"`},
		{"Close nil ctx", func() { _ = c.Close(nilCtx) }, `chanown: Close called with a nil context on channel "x"`},
		{"Handoff nil ctx", func() { c.Handoff(nilCtx, ctx) }, `chanown: Handoff called with a nil context on channel "x"`},
		{"Handoff nil to", func() { c.Handoff(ctx, nilCtx) }, `chanown: Handoff called with a nil new owner's context on channel "x"`},
		{"nil *Chan named before a nil context", func() { _ = nilChan.Send(nilCtx, 1) }, "chanown: Send called on a nil *Chan; make channels with Make"},
	}
	for name, call := range map[string]func(c *chanown.Chan[int]){
		"Send":    func(c *chanown.Chan[int]) { _ = c.Send(ctx, 1) },
		"TrySend": func(c *chanown.Chan[int]) { _, _ = c.TrySend(1) },
		"Recv":    func(c *chanown.Chan[int]) { _, _, _ = c.Recv(ctx) },
		"C":       func(c *chanown.Chan[int]) { _ = c.C() },
		"Close":   func(c *chanown.Chan[int]) { _ = c.Close(ctx) },
		"Handoff": func(c *chanown.Chan[int]) { c.Handoff(ctx, ctx) },
		"Name":    func(c *chanown.Chan[int]) { _ = c.Name() },
		"Owner":   func(c *chanown.Chan[int]) { _ = c.Owner() },
		"Len":     func(c *chanown.Chan[int]) { _ = c.Len() },
		"Cap":     func(c *chanown.Chan[int]) { _ = c.Cap() },
	} {
		tests = append(tests,
			struct {
				name string
				fn   func()
				want string
			}{name + " on a nil *Chan", func() { call(nilChan) }, "chanown: " + name + " called on a nil *Chan; make channels with Make"},
			struct {
				name string
				fn   func()
				want string
			}{name + " on a zero Chan", func() { call(&zero) }, "chanown: " + name + " called on a zero Chan; make channels with Make"},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.PanicsWithValue(t, tt.want, tt.fn)
		})
	}
	assert.Equal(t, 0, c.Len(), "no bad call sent anything")
	require.NoError(t, c.Close(ctx), "no bad call closed the channel")
}

// A buffer the runtime would try to allocate and die of, with a fatal error
// no recover stops, is refused with a panic that says why.
func TestMakeBufferLargerThanMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("chanown knows the machine's memory only on Linux")
	}
	for _, tt := range []struct {
		capacity int
		make     func(int)
		want     string
	}{
		{1 << 40, func(n int) { chanown.Make[int](t.Context(), "c", n) }, `capacity 1099511627776 for channel "c" of int: its buffer would take 8 TiB, more than this machine's memory and swap`},
		{1 << 60, func(n int) { chanown.Make[[8]byte](t.Context(), "c", n) }, `capacity 1152921504606846976 for channel "c" of [8]uint8: its buffer would take 8 EiB, more than this machine's memory and swap`},
	} {
		t.Run(fmt.Sprint(tt.capacity), func(t *testing.T) {
			defer func() {
				r := recover()
				require.NotNil(t, r, "Make did not panic")
				msg := fmt.Sprint(r)
				assert.True(t, strings.HasPrefix(msg, "chanown: Make called with "), msg)
				assert.Contains(t, msg, tt.want)
			}()
			tt.make(tt.capacity)
		})
	}
	c := chanown.Make[byte](t.Context(), "big but fine", 1<<20)
	assert.Equal(t, 1<<20, c.Cap())
}
