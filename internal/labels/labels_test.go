package labels

import (
	"context"
	"runtime/pprof"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/stack"
)

func TestIdentity(t *testing.T) {
	_, _, ok := Identity()
	assert.False(t, ok, "a goroutine without labels")

	ctx := pprof.WithLabels(context.Background(), pprof.Labels("a", "1", core.LabelID, "42", core.LabelName, "worker", "z", "2"))
	pprof.Do(ctx, pprof.Labels("more", "x"), func(context.Context) {
		id, name, ok := Identity()
		assert.True(t, ok, "labels are read on this Go release")
		assert.Equal(t, uint64(42), id)
		assert.Equal(t, "worker", name)

		done := make(chan struct{})
		go func() { // a goroutine inherits its creator's labels
			defer close(done)
			id, name, ok := Identity()
			assert.True(t, ok)
			assert.Equal(t, uint64(42), id)
			assert.Equal(t, "worker", name)
		}()
		<-done
	})

	pprof.Do(context.Background(), pprof.Labels(core.LabelID, "not a number"), func(context.Context) {
		_, _, ok := Identity()
		assert.False(t, ok)
	})
	_, _, ok = Identity()
	assert.False(t, ok, "pprof.Do restored the labels")
}

var sinkID uint64

// BenchmarkIdentity compares Identity with what the oracle did to find the
// labels of the goroutine performing an operation: dump its own stack.
func BenchmarkIdentity(b *testing.B) {
	ctx := pprof.WithLabels(context.Background(), pprof.Labels(core.LabelID, "123456", core.LabelName, "TestSomething"))
	pprof.SetGoroutineLabels(ctx)
	defer pprof.SetGoroutineLabels(context.Background())
	b.Run("Identity", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkID, _, _ = Identity()
		}
	})
	b.Run("stack.Current", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkID = uint64(len(stack.Current().Labels))
		}
	})
}
