package custody_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
)

type recorder struct{ kinds []custody.Kind }

func (r *recorder) Emit(_ context.Context, e custody.Event) { r.kinds = append(r.kinds, e.Kind) }

func TestInstall(t *testing.T) {
	a, b := &recorder{}, &recorder{}
	ua := custody.Install(a)
	ub := custody.Install(b)
	chanown.Make[int](t.Context(), "c", 0)
	ua() // out of order
	chanown.Make[int](t.Context(), "c", 0)
	ua() // again: nothing
	ub()
	chanown.Make[int](t.Context(), "c", 0)
	assert.Equal(t, []custody.Kind{custody.ChanMade}, a.kinds)
	assert.Equal(t, []custody.Kind{custody.ChanMade, custody.ChanMade}, b.kinds)

	assert.PanicsWithValue(t, "custody: Install called with a nil Sink", func() { custody.Install(nil) })
}

func TestLogSink(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	defer custody.Install(custody.NewLogSink(logger))()
	ctx := custody.NewContext(t.Context(), "checkout")
	c := chanown.Make[int](ctx, "payment-results", 1)
	require.NoError(t, c.Close(ctx))
	require.Error(t, c.Close(ctx))
	s := out.String()
	assert.Contains(t, s, "level=DEBUG msg=chan.made")
	assert.Contains(t, s, "level=ERROR msg=chan.double_close")
	assert.Contains(t, s, "goroutine=checkout")
	assert.Contains(t, s, "object=payment-results")
	assert.Contains(t, s, "earlier_goroutine=checkout")
	assert.Contains(t, s, "earlier_site=sink_test.go:")
}

func TestKindString(t *testing.T) {
	seen := map[string]bool{}
	n := 0
	for k := custody.Kind(1); k.String() != "Kind("+itoa(int(k))+")"; k++ {
		assert.False(t, seen[k.String()], "duplicate name %q", k.String())
		seen[k.String()] = true
		n++
	}
	assert.Equal(t, 15, n)
	assert.Equal(t, "chan.double_close", custody.ChanDoubleClose.String())
	assert.Equal(t, "unknown", custody.Kind(0).String())
	assert.Equal(t, "Kind(200)", custody.Kind(200).String())
}

func itoa(i int) string { return slog.IntValue(i).String() }

func TestNewContext(t *testing.T) {
	ctx := custody.NewContext(t.Context(), "TestX")
	handler := custody.NewContext(ctx, "handle")
	test, h := custody.FromContext(ctx), custody.FromContext(handler)
	require.NotNil(t, h)
	assert.Same(t, test, h.Parent)
	assert.Equal(t, "handle ← TestX", h.Chain())
	assert.Less(t, test.ID, h.ID)
	assert.Equal(t, "custody_test.TestNewContext", h.Spawn.Frame().Function[len("github.com/custody-go/"):])
	assert.Contains(t, h.String(), `"handle" (custody `)
	assert.Equal(t, "an unowned goroutine", (*custody.Goroutine)(nil).String())
	assert.Nil(t, custody.FromContext(t.Context()))
	assert.Nil(t, custody.FromContext(nil)) //nolint:staticcheck // nil is documented to work

	assert.PanicsWithValue(t, "custody: NewContext called with a nil context", func() {
		custody.NewContext(nil, "x") //nolint:staticcheck // the bad input under test
	})
	assert.PanicsWithValue(t, "custody: NewContext called with an empty name", func() { custody.NewContext(t.Context(), "") })
}
