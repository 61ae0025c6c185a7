package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 1, 1, 100}, 1},
	} {
		assert.Equal(t, tc.want, median(tc.in), "median(%v)", tc.in)
	}
	xs := []float64{3, 1, 2}
	median(xs)
	assert.Equal(t, []float64{3, 1, 2}, xs, "median must not reorder its argument")
}

// capturedRuns files three rounds of bench/safego's BenchmarkGo, captured
// from real runs.
func capturedRuns(t *testing.T) *runs {
	rs := newRuns()
	for round := range 3 {
		results, _ := parseFile(t, fmt.Sprintf("testdata/safego-round%d.txt", round+1))
		rs.add("github.com/custody-go/custody/bench/safego", round, results)
	}
	return rs
}

func TestSummarizeRatiosPairRawOfTheSameRound(t *testing.T) {
	budgets, err := parseBudgets(strings.NewReader("safego\tBenchmarkGo\toff\t1.25\t0\nsafego\tBenchmarkGo\tobserve\t3\n" +
		"safego\tBenchmarkGo\tverify\t10\t10\n"))
	require.NoError(t, err)
	tables, untabled := capturedRuns(t).summarize(budgets)
	assert.Empty(t, untabled)
	require.Len(t, tables, 1)
	rows := map[string]row{}
	var order []string
	for _, r := range tables[0].rows {
		rows[r.mode] = r
		order = append(order, r.mode)
	}
	assert.Equal(t, []string{"raw", "off", "observe", "verify", "errgroup", "conc"}, order)

	// The raw and off of each round (testdata/safego-round*.txt).
	off := []float64{722.0 / 853.7, 615.0 / 733.2, 648.8 / 968.4}
	r := rows["off"]
	assert.Equal(t, 3, r.rounds)
	assert.InDelta(t, median(off), r.ratio, 1e-12)
	assert.InDelta(t, 648.8/968.4, r.lo, 1e-12)
	assert.InDelta(t, 722.0/853.7, r.hi, 1e-12)
	assert.False(t, r.over)

	obs := rows["observe"]
	assert.InDelta(t, median([]float64{4731 / 853.7, 2814 / 733.2, 3544 / 968.4}), obs.ratio, 1e-12)
	assert.True(t, obs.over, "observe is about 3.8-5.5x, over 3x")
	assert.Equal(t, 11.0, obs.allocs)
	assert.Equal(t, 10.0, obs.extra)
	assert.False(t, obs.overAlloc, "observe's budget does not limit allocations")

	v := rows["verify"]
	assert.False(t, v.over)
	assert.True(t, v.overAlloc, "verify allocates 11 more than raw, over its +10")
	assert.Nil(t, rows["errgroup"].budget)
	assert.Equal(t, 833.0, v.bytes)
}

func TestSummarizeSkipsOperationsWithoutRaw(t *testing.T) {
	rs := newRuns()
	rs.add("p", 0, []result{{name: "BenchmarkA/x", ns: 1}, {name: "BenchmarkB", ns: 1}, {name: "BenchmarkC/raw", ns: 2}, {name: "BenchmarkC/off", ns: 3}})
	rs.add("p", 1, []result{{name: "BenchmarkC/off", ns: 3}}) // a round that lost raw
	tables, untabled := rs.summarize(nil)
	assert.Equal(t, []string{"p BenchmarkA"}, untabled)
	require.Len(t, tables, 1)
	off := tables[0].rows[1]
	assert.Equal(t, "off", off.mode)
	assert.Equal(t, 1, off.rounds, "a ratio needs raw in the same round")
	assert.Equal(t, 1.5, off.ratio)
}
