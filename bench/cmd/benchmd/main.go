// Command benchmd runs custody's benchmarks in interleaved rounds and writes
// BENCHMARKS.md: for each operation (a Benchmark<Op> with a raw
// sub-benchmark), each sub-benchmark's cost as a ratio to raw measured in the
// same round, the median and range over the rounds, allocations, and the
// budget from bench/budgets.tsv. Run it from the repository root:
//
//	go -C bench run ./cmd/benchmd [flags] [packages]
//
// The packages are patterns relative to the repository root; those under
// ./bench are the bench module's. The default is ./bench/... and ./... (the
// library's own packages). Each package's test binary is built once with go
// test -c and run once per round with -test.count 1, so every sub-benchmark
// runs right after its raw sibling, GOMAXPROCS pinned by -cpu.
//
// With -check, benchmd writes nothing: it prints the tables and exits with
// status 1 when a budget is missed. It exits with status 2 on an error.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// regen is the command that regenerates BENCHMARKS.md with the defaults.
const regen = "go -C bench run ./cmd/benchmd"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchmd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	count := fs.Int("count", 10, "rounds: how many times each test binary runs")
	benchtime := fs.String("benchtime", "200ms", "-test.benchtime of each run")
	procs := fs.Int("cpu", 2, "GOMAXPROCS of the benchmarks (-test.cpu)")
	pattern := fs.String("bench", ".", "-test.bench: which benchmarks run")
	check := fs.Bool("check", false, "print only; exit with status 1 when a budget is missed")
	out := fs.String("o", "", "the file to write (default BENCHMARKS.md at the repository root)")
	budgetsFile := fs.String("budgets", "", "the budgets file (default bench/budgets.tsv)")
	part := fs.String("section", "", "write only the tables, under this title, to -o: a section that BENCHMARKS.md includes from bench/sections")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [flags] [packages]\n", regen)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *count < 1 || *procs < 1 {
		fmt.Fprintln(stderr, "benchmd: -count and -cpu must be at least 1")
		return 2
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{"./bench/...", "./..."}
	}
	cwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(stderr, "benchmd:", err)
		return 2
	}
	root, err := findRoot(cwd)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if *out == "" {
		*out = root + "/BENCHMARKS.md"
	}
	if *budgetsFile == "" {
		*budgetsFile = root + "/bench/budgets.tsv"
	}
	f, err := os.Open(*budgetsFile)
	if err != nil {
		fmt.Fprintln(stderr, "benchmd:", err)
		return 2
	}
	budgets, err := parseBudgets(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}

	tmp, err := os.MkdirTemp("", "benchmd")
	if err != nil {
		fmt.Fprintln(stderr, "benchmd:", err)
		return 2
	}
	defer os.RemoveAll(tmp)
	var pkgs []pkg
	for _, t := range splitPatterns(root, patterns) {
		ps, err := listBenchPackages(t)
		if err == nil {
			fmt.Fprintf(stderr, "benchmd: building %d test binaries in %s\n", len(ps), t.dir)
			err = build(t, ps, tmp)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		pkgs = append(pkgs, ps...)
	}
	if len(pkgs) == 0 {
		fmt.Fprintln(stderr, "benchmd: no package with benchmarks in", strings.Join(patterns, " "))
		return 2
	}

	binArgs := []string{"-test.run", "^$", "-test.bench", *pattern, "-test.benchmem", "-test.count", "1",
		"-test.benchtime", *benchtime, "-test.cpu", fmt.Sprint(*procs), "-test.timeout", "30m"}
	fmt.Fprintf(stderr, "benchmd: %d rounds of: PKG.test %s\n", *count, strings.Join(binArgs, " "))
	loadStart := loadAvg()
	rs := newRuns()
	cpu := ""
	start := time.Now()
	for round := range *count {
		for _, p := range pkgs {
			fmt.Fprintf(stderr, "benchmd: round %d/%d: %s (%s)\n", round+1, *count, p.path, time.Since(start).Round(time.Second))
			output, err := runBinary(p, binArgs, *procs)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return 2
			}
			results, c, err := parse(strings.NewReader(string(output)))
			if err != nil {
				fmt.Fprintln(stderr, "benchmd:", err)
				return 2
			}
			if cpu == "" {
				cpu = c
			}
			rs.add(p.path, round, results)
		}
	}
	tables, untabled := rs.summarize(budgets)
	docs := map[string]map[string]benchInfo{}
	for _, p := range pkgs {
		docs[p.path] = benchDocs(p.dir)
	}
	for i := range tables {
		name, _, _ := strings.Cut(tables[i].key.op, "/")
		info := docs[tables[i].key.pkg][name]
		tables[i].doc = info.doc
		if rel, err := filepath.Rel(root, info.file); err == nil && info.file != "" {
			tables[i].file = filepath.ToSlash(rel)
		}
	}
	sections := split(tables, peerVersions(root))
	writeText(stdout, sections)
	if len(untabled) > 0 {
		fmt.Fprintf(stdout, "benchmd: no raw sub-benchmark, not tabled: %s\n", strings.Join(untabled, ", "))
	}
	if *check {
		if len(overs(sections)) > 0 {
			return 1
		}
		return 0
	}

	goVersion, err := goCmd(root, "env", "GOVERSION")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if cpu == "" {
		cpu = "unknown CPU"
	}
	command := regen
	if len(args) > 0 {
		command += " " + shellJoin(args)
	}
	m := meta{
		command:   command,
		regen:     regen,
		date:      time.Now().UTC().Format("2006-01-02"),
		cpu:       cpu,
		cores:     runtime.NumCPU(),
		procs:     *procs,
		goVersion: strings.TrimSpace(goVersion),
		platform:  runtime.GOOS + "/" + runtime.GOARCH,
		count:     *count,
		benchtime: *benchtime,
	}
	if end := loadAvg(); loadStart != "" && end != "" {
		m.load = fmt.Sprintf("%s at the start, %s at the end (1 minute, with %d cores)", loadStart, end, runtime.NumCPU())
	}
	var b strings.Builder
	if *part != "" {
		if *out == root+"/BENCHMARKS.md" {
			fmt.Fprintln(stderr, "benchmd: -section needs -o, a file in bench/sections")
			return 2
		}
		writeSection(&b, *part, m, sections)
	} else {
		writeMarkdown(&b, m, sections)
		extra, err := filepath.Glob(filepath.Join(root, "bench", "sections", "*.md"))
		if err != nil {
			fmt.Fprintln(stderr, "benchmd:", err)
			return 2
		}
		for _, name := range extra { // sorted by Glob
			text, err := os.ReadFile(name)
			if err != nil {
				fmt.Fprintln(stderr, "benchmd:", err)
				return 2
			}
			b.WriteString("\n")
			b.Write(text)
		}
	}
	if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(stderr, "benchmd:", err)
		return 2
	}
	fmt.Fprintf(stderr, "benchmd: wrote %s in %s\n", *out, time.Since(start).Round(time.Second))
	return 0
}

// split puts the bench module's tables first, then the library's.
func split(tables []table, versions string) []section {
	bench := section{
		title: "custody against the peers (module bench/)",
		intro: "The nested module `bench/` measures custody through its public API beside what users would\n" +
			"pick instead" + versions + ". A table's first paragraph is its benchmark's doc comment.",
	}
	own := section{
		title: "The packages' own benchmarks",
		intro: "The benchmarks next to the code, as the packages' owners measure them while they work on them.\n" +
			"Where a table here and one above disagree, the definitions differ: each table names the file\n" +
			"whose doc comment defines it.",
		byFile: true,
	}
	for _, t := range tables {
		if strings.HasPrefix(t.key.pkg, rootModule+"/bench/") {
			bench.tables = append(bench.tables, t)
		} else {
			own.tables = append(own.tables, t)
		}
	}
	return []section{bench, own}
}

// peerVersions names the peers' versions the bench module resolves, or
// nothing if it cannot tell.
func peerVersions(root string) string {
	out, err := goCmd(root+"/bench", "list", "-m", "-f", "{{.Path}} {{.Version}}",
		"golang.org/x/sync", "github.com/sourcegraph/conc", "github.com/puzpuzpuz/xsync/v4", "go.uber.org/goleak", "go.opentelemetry.io/otel/sdk")
	if err != nil {
		return ""
	}
	var vs []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if path, version, ok := strings.Cut(line, " "); ok {
			vs = append(vs, fmt.Sprintf("`%s` %s", path, version))
		}
	}
	return ": " + strings.Join(vs, ", ")
}

// shellJoin quotes args for a POSIX shell where they need it.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+") == "" {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

// loadAvg returns the 1-minute load average of the machine from
// /proc/loadavg, or "" where there is none.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
