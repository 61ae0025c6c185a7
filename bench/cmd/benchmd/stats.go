package main

import (
	"slices"
	"sort"
)

// The modes, in the order tables list them; peers follow in the order the
// benchmark runs them.
var modes = []string{"raw", "off", "observe", "verify"}

// An opKey names an operation: a benchmark of a package that has a raw
// sub-benchmark.
type opKey struct {
	pkg string // import path
	op  string // such as "BenchmarkGo"
}

// opRuns holds what the rounds measured of one operation.
type opRuns struct {
	modes  []string            // as first seen
	rounds []map[string]result // by round, then mode
}

// runs collects results by operation and round.
type runs struct {
	keys []opKey // as first seen
	ops  map[opKey]*opRuns
}

func newRuns() *runs { return &runs{ops: map[opKey]*opRuns{}} }

// add files the results of package pkg in round round (from 0).
func (rs *runs) add(pkg string, round int, results []result) {
	for _, res := range results {
		mode := res.mode()
		if mode == "" {
			continue
		}
		k := opKey{pkg, res.op()}
		o := rs.ops[k]
		if o == nil {
			o = &opRuns{}
			rs.ops[k] = o
			rs.keys = append(rs.keys, k)
		}
		if !slices.Contains(o.modes, mode) {
			o.modes = append(o.modes, mode)
		}
		for len(o.rounds) <= round {
			o.rounds = append(o.rounds, map[string]result{})
		}
		o.rounds[round][mode] = res
	}
}

// A row is the summary of one mode of an operation over the rounds.
type row struct {
	mode      string
	rounds    int     // rounds that measured the mode and raw
	ratio     float64 // median over rounds of ns/op over raw's ns/op in the same round
	lo, hi    float64 // the lowest and highest round's ratio
	ns        float64 // median ns/op, for the console only
	allocs    float64 // median allocs/op
	bytes     float64 // median B/op
	mem       bool    // allocs and bytes were reported
	extra     float64 // allocs over raw's (medians)
	budget    *budget
	over      bool
	overAlloc bool
}

// A table is one operation's rows: raw, the modes, the peers.
type table struct {
	key  opKey
	rows []row
	doc  string // the benchmark's doc comment, first paragraph
	file string // the benchmark's file, relative to the repository root
}

// summarize turns the runs of each operation with a raw sub-benchmark into
// a table; budgets are looked up by the package's last path element.
// Operations without raw are returned by name in untabled.
func (rs *runs) summarize(budgets map[budgetKey]budget) (tables []table, untabled []string) {
	for _, k := range rs.keys {
		o := rs.ops[k]
		if !slices.Contains(o.modes, "raw") {
			untabled = append(untabled, k.pkg+" "+k.op)
			continue
		}
		t := table{key: k}
		var rawAllocs []float64
		for _, r := range o.rounds {
			if raw, ok := r["raw"]; ok {
				rawAllocs = append(rawAllocs, raw.allocs)
			}
		}
		for _, mode := range orderModes(o.modes) {
			var ratios, ns, allocs, bytes []float64
			mem := true
			for _, r := range o.rounds {
				res, ok := r[mode]
				if !ok {
					continue
				}
				ns = append(ns, res.ns)
				allocs = append(allocs, res.allocs)
				bytes = append(bytes, res.bytes)
				mem = mem && res.mem
				if raw, ok := r["raw"]; ok && raw.ns > 0 {
					ratios = append(ratios, res.ns/raw.ns)
				}
			}
			rw := row{mode: mode, rounds: len(ratios), ns: median(ns), allocs: median(allocs), bytes: median(bytes), mem: mem}
			rw.extra = rw.allocs - median(rawAllocs)
			if len(ratios) > 0 {
				rw.ratio, rw.lo, rw.hi = median(ratios), slices.Min(ratios), slices.Max(ratios)
			}
			if b, ok := budgets[budgetKey{lastElem(k.pkg), k.op, mode}]; ok && mode != "raw" {
				rw.budget = &b
				rw.over = len(ratios) > 0 && rw.ratio > b.ratio
				rw.overAlloc = b.hasAllocs && rw.extra > b.allocs
			}
			t.rows = append(t.rows, rw)
		}
		tables = append(tables, t)
	}
	return tables, untabled
}

// orderModes puts raw, off, observe and verify first, then the peers as
// first seen.
func orderModes(seen []string) []string {
	var out []string
	for _, m := range modes {
		if slices.Contains(seen, m) {
			out = append(out, m)
		}
	}
	for _, m := range seen {
		if !slices.Contains(modes, m) {
			out = append(out, m)
		}
	}
	return out
}

// median returns the middle value of xs, or the mean of the two middle
// values when there is an even number of them; 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
