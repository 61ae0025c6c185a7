package oracle

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/safego"
)

// TestHeapAfterMillionGoroutines: a checked test that starts a million
// owned goroutines (a hundred thousand with -short or -race) leaves the heap where
// it was once its verdict is given: what the oracle kept of them, in maps
// that Go never shrinks, is made anew or dropped.
func TestHeapAfterMillionGoroutines(t *testing.T) {
	n := 1_000_000
	if testing.Short() || raceEnabled {
		n = 100_000
	}
	// The runtime keeps the structure of every goroutine that ever ran at
	// once, for reuse: a heap of its own, which a warm-up with as many
	// goroutines at once (batches of a thousand) fills before measuring.
	warmUp := newFake("TestWarmUp")
	startBatches(Check(warmUp), 10*batch)
	warmUp.finish()
	require.Empty(t, warmUp.verdict())

	before := heap()
	fake := newFake("TestMillion")
	startBatches(Check(fake), n)
	during := heap()
	fake.finish()
	assert.Empty(t, fake.verdict())
	after := heap()
	t.Logf("heap: %d B before, %d B after %d goroutines exited (%d B while the test ran)", before, after, n, during)
	// What the test kept while it ran (a map entry per exited goroutine)
	// is gone, up to noise: a megabyte, against tens for a million entries.
	assert.Less(t, int64(after)-int64(before), int64(1<<20), "heap grew by %d B", int64(after)-int64(before))
	assert.Greater(t, during, before+uint64(n), "the test kept something of each goroutine while it ran")
}

const batch = 1000

// startBatches starts n owned goroutines that return at once, a batch at a
// time.
func startBatches(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		safego.Go(ctx, "short", func(context.Context) { wg.Done() })
		if i%batch == batch-1 {
			wg.Wait()
		}
	}
	wg.Wait()
}

// heap returns the live heap after a full collection, once the
// goroutines that just returned have had time to go.
func heap() uint64 {
	time.Sleep(10 * time.Millisecond)
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
