package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseFile(t *testing.T, name string) ([]result, string) {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	results, cpu, err := parse(f)
	require.NoError(t, err)
	return results, cpu
}

func TestParseCapturedOutput(t *testing.T) {
	results, cpu := parseFile(t, "testdata/safego-round1.txt")
	assert.Equal(t, "Oxide Virtual Turin-like Processor", cpu)
	require.Len(t, results, 6)
	assert.Equal(t, result{name: "BenchmarkGo/raw", ns: 853.7, bytes: 32, allocs: 1, mem: true}, results[0])
	assert.Equal(t, result{name: "BenchmarkGo/observe", ns: 4731, bytes: 860, allocs: 11, mem: true}, results[2])
	assert.Equal(t, "BenchmarkGo", results[5].op())
	assert.Equal(t, "conc", results[5].mode())
}

func TestParseOddLines(t *testing.T) {
	results, cpu := parseFile(t, "testdata/split.txt")
	assert.Equal(t, "Some CPU @ 2.0GHz", cpu)
	assert.Equal(t, []result{
		{name: "BenchmarkOp/raw", ns: 10, mem: true},
		{name: "BenchmarkOp/off", ns: 12.5, bytes: 8, allocs: 1, mem: true},   // joined across the stray line
		{name: "BenchmarkOp/peer-x", ns: 20, bytes: 16, allocs: 2, mem: true}, // a custom metric in between
		{name: "BenchmarkNoMem", ns: 1234567},
		{name: "BenchmarkNested/size=100/raw", ns: 100, mem: true}, // GOMAXPROCS 1: no suffix
	}, results)
	assert.Equal(t, "BenchmarkNested/size=100", results[4].op())
	assert.Equal(t, "raw", results[4].mode())
	assert.Equal(t, "", results[3].mode())
}
