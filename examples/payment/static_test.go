package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStaticCheck: custodyvet flags each incident's buggy variant at the
// line of the bug, with the rule made for it, and nothing in its fixed
// variant.
func TestStaticCheck(t *testing.T) {
	findings, err := staticCheck()
	require.NoError(t, err)
	for _, f := range findings {
		t.Log(f)
	}
	for _, tc := range []struct {
		file, marker, rule string // the bug's line holds marker
		fixed              []string
	}{
		{"zerocache.go", "BUG: a zero value stored", "zerostore", []string{"forgetFixed"}},
		{"afterfunc.go", "BUG: never stopped", "afterfunc", []string{"authorizeFixed"}},
		{"cancel.go", "BUG: also cancels the ledger job", "cancelscope", []string{"captureFixed"}},
		{"mutation.go", "changed in place: items added meanwhile are lost", "publishmutation", []string{"addItemFixed"}},
		{"closedsend.go", "BUG: the receiver closes", "chanannot", []string{"quoteFixed"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			line := lineOf(t, tc.file, tc.marker)
			var rules []string
			for _, f := range findings {
				if f.File == tc.file && f.Line == line {
					rules = append(rules, f.Rule)
				}
			}
			assert.Contains(t, rules, tc.rule, "%s:%d, the bug's line", tc.file, line)
			for _, fn := range tc.fixed {
				first, last := funcLines(t, tc.file, fn)
				for _, f := range findings {
					if f.File == tc.file && first <= f.Line && f.Line <= last {
						t.Errorf("%s, the fixed variant, is flagged: %s", fn, f)
					}
				}
			}
		})
	}
}

// lineOf returns the line of file that holds marker; there must be one.
func lineOf(t *testing.T, file, marker string) int {
	site := at(t, file, marker) // "payment/FILE:LINE"
	var line int
	_, err := fmt.Sscanf(site[len("payment/"+file+":"):], "%d", &line)
	require.NoError(t, err)
	return line
}

// funcLines returns the first and last lines of the function or method
// named name in file.
func funcLines(t *testing.T, file, name string) (first, last int) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == name {
			return fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line
		}
	}
	t.Fatalf("%s has no function %s", file, name)
	return 0, 0
}
