package stack_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/internal/stack"
)

func TestCensus(t *testing.T) {
	before := stack.TakeCensus()
	require.NotZero(t, before.Started)
	require.NotZero(t, before.Alive)

	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		<-release
		close(done)
	}()
	started := stack.TakeCensus()
	assert.Greater(t, started.Started, before.Started, "a goroutine started")

	// Nothing else starts or ends in this test: two censuses in a row are
	// equal, most of the time (the runtime or the testing package may
	// start one now and then).
	same := false
	for range 100 {
		if a, b := stack.TakeCensus(), stack.TakeCensus(); a == b {
			same = true
			break
		}
	}
	assert.True(t, same, "no two censuses in a row were equal")

	mid := stack.TakeCensus()
	close(release)
	<-done // the goroutine's last act: it ends soon after
	deadline := time.Now().Add(10 * time.Second)
	for stack.TakeCensus().Alive >= mid.Alive {
		require.True(t, time.Now().Before(deadline), "the census did not see the goroutine end")
	}
}

func BenchmarkCensus(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		stack.TakeCensus()
	}
}
