package safego_test

import (
	"context"
	"sync"
	"testing"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/oracle"
	"github.com/custody-go/custody/safego"
)

// BenchmarkGo starts a goroutine and waits for it to exit, with a go
// statement (raw) and with Go in each mode. The context is cancelable, as a
// request's is, so observe and verify pay for the context watch.
func BenchmarkGo(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	fn := func(context.Context) { wg.Done() }

	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			wg.Add(1)
			go fn(ctx)
			wg.Wait()
		}
	})
	for _, mode := range []custody.Mode{custody.Off, custody.Observe, custody.Verify} {
		b.Run(mode.String(), func(b *testing.B) {
			ctx := ctx
			switch mode {
			case custody.Observe:
				defer custody.SetSink(discard(mode))()
			case custody.Verify:
				// The real oracle, with the benchmark as the checked test:
				// its verdict at the end also proves nothing leaked.
				ctx = oracle.Check(b)
			}
			b.ReportAllocs()
			for b.Loop() {
				wg.Add(1)
				safego.Go(ctx, "bench", fn)
				wg.Wait()
			}
		})
	}
}
