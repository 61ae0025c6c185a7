package safego

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// These tests look inside an after to prove what the exported tests can
// only infer from fn not running: both the timer and the context
// registration are released.

func TestAfterReleasedByContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		a := &after{ctx: ctx, name: "x", fn: func(context.Context) {}}
		a.arm(time.Hour)
		cancel()
		synctest.Wait()
		assert.False(t, a.timer.Stop(), "ctx being done stopped the timer")
		assert.False(t, a.unwatch(), "the context's callback ran")
	})
}

func TestAfterReleasedByStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &after{ctx: t.Context(), name: "x", fn: func(context.Context) {}}
		a.arm(time.Hour)
		assert.True(t, a.stop())
		assert.False(t, a.timer.Stop(), "stop stopped the timer")
		assert.False(t, a.unwatch(), "stop removed the context registration")
	})
}

func TestAfterReleasedByFiring(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ran := make(chan struct{})
		a := &after{ctx: t.Context(), name: "x", fn: func(context.Context) { close(ran) }}
		a.arm(time.Minute)
		<-ran
		synctest.Wait()
		assert.False(t, a.unwatch(), "firing removed the context registration")
	})
}
