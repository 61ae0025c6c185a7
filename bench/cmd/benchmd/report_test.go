package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestMarkdownGolden(t *testing.T) {
	f, err := os.Open("../../budgets.tsv")
	require.NoError(t, err)
	budgets, err := parseBudgets(f)
	f.Close()
	require.NoError(t, err)
	rs := capturedRuns(t)
	results, _ := parseFile(t, "testdata/oracle-round1.txt")
	rs.add("github.com/custody-go/custody/bench/oracle", 0, results)
	results, _ = parseFile(t, "testdata/safego-round1.txt")
	rs.add("github.com/custody-go/custody/safego", 0, results) // as if the package's own
	tables, _ := rs.summarize(budgets)
	require.Len(t, tables, 3)
	tables[0].doc = "BenchmarkGo starts one goroutine and waits for it to return."
	tables[2].doc, tables[2].file = "Not shown: the file is named instead.", "safego/go_bench_test.go"
	m := meta{
		command: regen + " -count 3", regen: regen, date: "2026-12-05", cpu: "Oxide Virtual Turin-like Processor",
		cores: 2, procs: 2, goVersion: "go1.26.8", platform: "linux/amd64", count: 3, benchtime: "50ms",
		load: "0.10 at the start, 0.20 at the end (1 minute, with 2 cores)",
	}
	var b strings.Builder
	writeMarkdown(&b, m, split(tables, ": `golang.org/x/sync` v0.25.0"))
	golden := filepath.Join("testdata", "report.golden.md")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./cmd/benchmd -update to create it")
	assert.Equal(t, string(want), b.String())
	assert.Contains(t, b.String(), "### safego · BenchmarkGo\n\nDefined in `safego/go_bench_test.go`.\n")
	assert.NotContains(t, b.String(), "Not shown")

	var text strings.Builder
	writeText(&text, split(tables, ""))
	assert.Contains(t, text.String(), "benchmd: 2 over budget\n  OVER bench/safego BenchmarkGo observe (3.84×, budget ≤ 3×)\n  OVER safego BenchmarkGo observe (5.54×, budget ≤ 3×)\n")
}

func TestSplitPatterns(t *testing.T) {
	root := "/r"
	assert.Equal(t, []tree{
		{dir: "/r/bench", patterns: []string{"./...", "./safego"}},
		{dir: "/r", patterns: []string{"./...", "./oracle"}},
	}, splitPatterns(root, []string{"./bench/...", "./...", "bench/safego", "./oracle"}))
	assert.Equal(t, []tree{{dir: "/r", patterns: []string{"./benchmarks"}}}, splitPatterns(root, []string{"./benchmarks"}))
}

func TestShellJoin(t *testing.T) {
	assert.Equal(t, `-count 5 -bench 'Go$|Load' ''`, shellJoin([]string{"-count", "5", "-bench", "Go$|Load", ""}))
	assert.Equal(t, `'it'\''s'`, shellJoin([]string{"it's"}))
}

func TestFindRoot(t *testing.T) {
	dir, err := os.Getwd()
	require.NoError(t, err)
	root, err := findRoot(dir)
	require.NoError(t, err)
	assert.Equal(t, filepath.Dir(filepath.Dir(filepath.Dir(dir))), root, "benchmd is in bench/cmd/benchmd")
	_, err = findRoot(t.TempDir())
	assert.ErrorContains(t, err, "benchmd: no go.mod of github.com/custody-go/custody")
}

func TestSectionHasTablesOnly(t *testing.T) {
	var b strings.Builder
	m := meta{command: "go -C bench run ./cmd/benchmd -section S", goVersion: "go1.27.3", date: "2026-12-05", count: 3, benchtime: "50ms"}
	writeSection(&b, "Leak detection on Go 1.27", m, []section{{tables: []table{{key: opKey{pkg: "github.com/custody-go/custody/otelbridge", op: "BenchmarkLeakDetection10k"}, rows: []row{{mode: "raw", ratio: 1}}}}}})
	got := b.String()
	assert.True(t, strings.HasPrefix(got, "## Leak detection on Go 1.27\n\nMade by `go -C bench run ./cmd/benchmd -section S` with go1.27.3"), got)
	assert.Contains(t, got, "### otelbridge · BenchmarkLeakDetection10k\n")
	assert.NotContains(t, got, "# Benchmarks")
}
