package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBudgetsOfTheRepository(t *testing.T) {
	f, err := os.Open("../../budgets.tsv")
	require.NoError(t, err)
	defer f.Close()
	budgets, err := parseBudgets(f)
	require.NoError(t, err)
	assert.Equal(t, budget{ratio: 3}, budgets[budgetKey{"safego", "BenchmarkGo", "observe"}])
	assert.Equal(t, budget{ratio: 1.15, hasAllocs: true}, budgets[budgetKey{"safemap", "BenchmarkStore", "off"}])
	assert.Equal(t, budget{ratio: 1}, budgets[budgetKey{"oracle", "BenchmarkVerdict", "verify"}])
}

func TestParseBudgetsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"safego\tBenchmarkGo\toff\n", "budgets line 1: want package, benchmark, mode, ratio"},
		{"# c\n\nsafego\tBenchmarkGo\toff\tfast\n", `budgets line 3: ratio "fast" is not a positive number`},
		{"safego\tBenchmarkGo\toff\t0\n", `ratio "0" is not a positive number`},
		{"safego\tBenchmarkGo\toff\t1.2\t-1\n", `allocs "-1" is not a number of at least 0`},
		{"safego BenchmarkGo off 1.2\n", "want package, benchmark, mode, ratio"},
		{"a\tb\tc\t1\na\tb\tc\t2\n", "budgets line 2: a second budget for a b c"},
	} {
		_, err := parseBudgets(strings.NewReader(tc.in))
		require.Error(t, err, "parseBudgets(%q)", tc.in)
		assert.Contains(t, err.Error(), tc.want)
		assert.True(t, strings.HasPrefix(err.Error(), "benchmd: "), err.Error())
	}
}
