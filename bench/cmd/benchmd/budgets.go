package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A budget is the most an operation's mode may cost.
type budget struct {
	ratio     float64 // the median ratio to raw
	allocs    float64 // allocs/op over raw's, when hasAllocs
	hasAllocs bool
}

// A budgetKey names a mode of an operation of a package, by the package's
// last path element: "safego" applies to the library's package and to the
// bench module's package of the same name.
type budgetKey struct{ pkg, op, mode string }

// parseBudgets reads a budgets file: one budget per line, tab-separated:
// package, benchmark, mode, the largest ratio to raw, and optionally the
// most allocs/op over raw's. Blank lines and lines starting with # are
// ignored.
func parseBudgets(r io.Reader) (map[budgetKey]budget, error) {
	budgets := map[budgetKey]budget{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if len(f) < 4 || len(f) > 5 || f[0] == "" || f[1] == "" || f[2] == "" {
			return nil, fmt.Errorf("benchmd: budgets line %d: want package, benchmark, mode, ratio and optional allocs, tab-separated: %q", n, line)
		}
		ratio, err := strconv.ParseFloat(f[3], 64)
		if err != nil || ratio <= 0 {
			return nil, fmt.Errorf("benchmd: budgets line %d: ratio %q is not a positive number", n, f[3])
		}
		b := budget{ratio: ratio}
		if len(f) == 5 && f[4] != "" {
			b.allocs, err = strconv.ParseFloat(f[4], 64)
			if err != nil || b.allocs < 0 {
				return nil, fmt.Errorf("benchmd: budgets line %d: allocs %q is not a number of at least 0", n, f[4])
			}
			b.hasAllocs = true
		}
		k := budgetKey{f[0], f[1], f[2]}
		if _, dup := budgets[k]; dup {
			return nil, fmt.Errorf("benchmd: budgets line %d: a second budget for %s %s %s", n, f[0], f[1], f[2])
		}
		budgets[k] = b
	}
	return budgets, sc.Err()
}

func lastElem(pkg string) string {
	if i := strings.LastIndexByte(pkg, '/'); i >= 0 {
		return pkg[i+1:]
	}
	return pkg
}
