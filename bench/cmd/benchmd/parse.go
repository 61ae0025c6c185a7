package main

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// A result is one benchmark's line of a test binary's output.
type result struct {
	name   string  // without the -GOMAXPROCS suffix, such as "BenchmarkGo/raw"
	ns     float64 // ns/op
	bytes  float64 // B/op
	allocs float64 // allocs/op
	mem    bool    // B/op and allocs/op were reported
}

// op and mode split a sub-benchmark's name at its last slash:
// "BenchmarkGo/raw" is mode "raw" of operation "BenchmarkGo". A benchmark
// without sub-benchmarks has no mode.
func (r result) op() string {
	if i := strings.LastIndexByte(r.name, '/'); i >= 0 {
		return r.name[:i]
	}
	return r.name
}

func (r result) mode() string {
	if i := strings.LastIndexByte(r.name, '/'); i >= 0 {
		return r.name[i+1:]
	}
	return ""
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parse reads the output of a test binary run with -test.bench and returns
// its benchmark results, in order, and the "cpu:" line's value (empty if
// there is none). A result line is a name starting with "Benchmark", an
// iteration count and value-unit pairs, one of them ns/op; a name printed on
// a line of its own (a benchmark's stray output split the line) is joined
// with the next line that starts with an iteration count.
func parse(r io.Reader) (results []result, cpu string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	pending := ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "cpu: "); ok && cpu == "" {
			cpu = strings.TrimSpace(v)
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		name, rest := "", fields
		if strings.HasPrefix(fields[0], "Benchmark") {
			name, rest = fields[0], fields[1:]
		} else if pending != "" {
			name = pending
		} else {
			continue
		}
		res, ok := parseValues(rest)
		if !ok {
			if strings.HasPrefix(fields[0], "Benchmark") {
				pending = name
			}
			continue
		}
		pending = ""
		res.name = procsSuffix.ReplaceAllString(name, "")
		results = append(results, res)
	}
	return results, cpu, sc.Err()
}

// parseValues reads "N v1 unit1 v2 unit2 ...": the iteration count and the
// measurements. It reports false unless the line has an ns/op value.
func parseValues(fields []string) (result, bool) {
	var res result
	if len(fields) < 3 || len(fields)%2 != 1 {
		return res, false
	}
	if _, err := strconv.ParseInt(fields[0], 10, 64); err != nil {
		return res, false
	}
	hasNs, hasB, hasAllocs := false, false, false
	for i := 1; i+1 < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return res, false
		}
		switch fields[i+1] {
		case "ns/op":
			res.ns, hasNs = v, true
		case "B/op":
			res.bytes, hasB = v, true
		case "allocs/op":
			res.allocs, hasAllocs = v, true
		}
	}
	res.mem = hasB && hasAllocs
	return res, hasNs
}
