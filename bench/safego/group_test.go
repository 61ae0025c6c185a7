package safego_test

import (
	"context"
	"testing"

	"github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"

	"github.com/custody-go/custody/bench/internal/harness"
	"github.com/custody-go/custody/safego"
)

// groupMembers is how many goroutines each group of BenchmarkGroup starts.
const groupMembers = 100

// BenchmarkGroup makes a group with a context, starts 100 members that
// return nil and waits for them. raw is errgroup.WithContext, 100 Go and
// Wait; off, observe and verify are safego.WithContext, 100 Group.Go and
// Group.Wait in each mode; conc-pool is sourcegraph/conc's pool with
// errgroup's semantics, cancel on the first error and return it:
// pool.New().WithContext(ctx).WithCancelOnError().WithFirstError().
// Observe and verify are as in BenchmarkGo; a verify round is 10 groups.
func BenchmarkGroup(b *testing.B) {
	o := harness.NewOTel(false)
	defer o.Shutdown()
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, end := o.Request(base)
	defer end()

	const round = 10
	raw := func(ctx context.Context) {
		g, _ := errgroup.WithContext(ctx)
		for range groupMembers {
			g.Go(func() error { return nil })
		}
		_ = g.Wait()
	}
	harness.Warm(func() { raw(base) })
	b.Run("raw", func(b *testing.B) { loop(b, round, base, false, raw) })
	member := func(context.Context) error { return nil }
	owned := func(ctx context.Context) {
		g, _ := safego.WithContext(ctx, "bench")
		for range groupMembers {
			g.Go("member", member)
		}
		_ = g.Wait()
	}
	b.Run("off", func(b *testing.B) { loop(b, round, base, false, owned) })
	b.Run("observe", func(b *testing.B) {
		defer o.Install()()
		loop(b, round, base, false, owned)
	})
	b.Run("verify", func(b *testing.B) { loop(b, round, base, true, owned) })
	b.Run("conc-pool", func(b *testing.B) {
		loop(b, round, base, false, func(ctx context.Context) {
			p := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError()
			for range groupMembers {
				p.Go(member)
			}
			_ = p.Wait()
		})
	})
}
