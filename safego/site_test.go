package safego_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/safego"
)

// TestSpawnSites: each entry point records the line that called it, in
// observe mode (read from the frame pointer where the platform allows) and
// in verify mode (from the stack).
func TestSpawnSites(t *testing.T) {
	for _, mode := range []core.Mode{core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			install(t, mode)
			recs := make(chan *custody.Goroutine, 4)
			record := func(ctx context.Context) { recs <- custody.FromContext(ctx) }
			recordErr := func(ctx context.Context) error { record(ctx); return nil }
			g, _ := safego.WithContext(t.Context(), "sites")

			want := map[string]int{}
			want["go"] = line() + 1
			safego.Go(t.Context(), "go", record)
			want["group-go"] = line() + 1
			g.Go("group-go", recordErr)
			want["try-go"] = line() + 1
			require.True(t, g.TryGo("try-go", recordErr))
			want["after"] = line() + 1
			safego.AfterFunc(t.Context(), time.Nanosecond, "after", record)
			require.NoError(t, g.Wait())

			got := map[string]int{}
			for range 4 {
				rec := <-recs
				f := rec.Spawn.Frame()
				assert.Equal(t, "github.com/custody-go/custody/safego_test.TestSpawnSites.func1", f.Function, rec.Name)
				got[rec.Name] = f.Line
			}
			assert.Equal(t, want, got)
		})
	}
}
