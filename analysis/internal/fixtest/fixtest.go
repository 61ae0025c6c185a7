// Package fixtest runs an analyzer's tests with its suggested fixes, as
// analysistest.RunWithSuggestedFixes does, and regenerates the .golden
// files it compares with when the test runs with -update.
package fixtest

import (
	"bytes"
	"flag"
	"go/format"
	"os"
	"slices"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
)

var update = flag.Bool("update", false, "rewrite the .golden files with the suggested fixes applied")

// Run checks the // want expectations of the packages patterns name under
// dir/src and compares each file, with every suggested fix applied, with
// its .golden file. With -update it writes the .golden files first.
func Run(t *testing.T, dir string, a *analysis.Analyzer, patterns ...string) {
	t.Helper()
	if *update {
		write(t, analysistest.Run(t, dir, a, patterns...))
	}
	analysistest.RunWithSuggestedFixes(t, dir, a, patterns...)
}

type edit struct {
	start, end int
	text       []byte
}

func write(t *testing.T, results []*analysistest.Result) {
	edits := map[string][]edit{}
	for _, r := range results {
		fset := r.Action.Package.Fset
		for _, d := range r.Action.Diagnostics {
			for _, fix := range d.SuggestedFixes[:min(1, len(d.SuggestedFixes))] {
				for _, e := range fix.TextEdits {
					f := fset.File(e.Pos)
					end := e.End
					if !end.IsValid() {
						end = e.Pos
					}
					edits[f.Name()] = append(edits[f.Name()], edit{f.Offset(e.Pos), f.Offset(end), e.NewText})
				}
			}
		}
	}
	for name, es := range edits {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		es = dedupe(es)
		slices.SortStableFunc(es, func(a, b edit) int {
			if a.start != b.start {
				return a.start - b.start
			}
			return a.end - b.end
		})
		var out bytes.Buffer
		at := 0
		for _, e := range es {
			if e.start < at {
				t.Fatalf("%s: overlapping suggested fixes at offset %d: %+v", name, e.start, es)
			}
			out.Write(src[at:e.start])
			out.Write(e.text)
			at = e.end
		}
		out.Write(src[at:])
		golden, err := format.Source(out.Bytes())
		if err != nil {
			t.Fatalf("%s: the fixed file does not parse: %v\n%s", name, err, out.Bytes())
		}
		if err := os.WriteFile(name+".golden", golden, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// dedupe drops repeated edits: a package and its test variant report the
// same fixes, and two fixes may add the same import.
func dedupe(es []edit) []edit {
	type key struct {
		start, end int
		text       string
	}
	seen := map[key]bool{}
	var out []edit
	for _, e := range es {
		k := key{e.start, e.end, string(e.text)}
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
