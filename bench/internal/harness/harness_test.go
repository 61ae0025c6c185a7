package harness_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/bench/internal/harness"
	"github.com/custody-go/custody/oracle"
)

func TestEndCancelsThenRunsCleanupsLastFirst(t *testing.T) {
	tt := harness.NewTest(t.Context(), "fake")
	var order []string
	tt.Cleanup(func() {
		order = append(order, "first")
		assert.Error(t, tt.Context().Err(), "the context is canceled before the cleanups")
	})
	tt.Cleanup(func() { order = append(order, "second") })
	failed, _ := tt.End()
	assert.False(t, failed)
	assert.Equal(t, []string{"second", "first"}, order)
	assert.Panics(t, func() { tt.End() })
}

func TestErrorAndErrorfFail(t *testing.T) {
	tt := harness.NewTest(t.Context(), "fake")
	tt.Error("leaked", 2)
	tt.Errorf("found %d", 3)
	failed, why := tt.End()
	assert.True(t, failed)
	assert.Equal(t, "leaked 2\nfound 3", why)
}

func TestOracleVerdictOnATest(t *testing.T) {
	clean := harness.NewTest(t.Context(), "clean")
	ctx := oracle.Check(clean)
	require.NotNil(t, custody.FromContext(ctx), "Check's context carries the test's identity")
	failed, why := clean.End()
	assert.False(t, failed, why)

	leaky := harness.NewTest(t.Context(), "leaky")
	oracle.Check(leaky, oracle.Settle(10e6))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { <-stop }) // inherits the labels Check set: the leaky test's
	failed, why = leaky.End()
	close(stop)
	wg.Wait()
	assert.True(t, failed)
	assert.True(t, strings.Contains(why, "leaked"), why)
}

func TestRoundsStartEveryNIterations(t *testing.T) {
	var log []string
	res := testing.Benchmark(func(b *testing.B) {
		log = log[:0]
		round := 0
		r := harness.NewRounds(b, 3, func() func() {
			round++
			n := round
			log = append(log, "start")
			return func() { log = append(log, "end"+string(rune('0'+n))) }
		})
		for i := 0; i < 7; i++ { // not b.Loop: a fixed count to check
			r.Next()
			log = append(log, "op")
		}
		r.Done()
	})
	require.NotZero(t, res.N)
	assert.Equal(t, []string{
		"start", "op", "op", "op", "end1",
		"start", "op", "op", "op", "end2",
		"start", "op", "end3",
	}, log)
}

func TestRoundWithoutVerifyIsBase(t *testing.T) {
	base := context.WithValue(t.Context(), struct{}{}, 1)
	ctx, end := harness.Round(t, base, false)
	assert.Equal(t, base, ctx)
	end()
}

func TestNewRoundsPanicsOnNoIterations(t *testing.T) {
	assert.PanicsWithValue(t, "harness: NewRounds with 0 iterations per round", func() {
		harness.NewRounds(nil, 0, nil)
	})
}
