package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
)

// benchDocs returns the first paragraph of the doc comment of each
// Benchmark function in the test files of the package in dir, joined into
// one line, by function name.
func benchDocs(dir string) map[string]string {
	docs := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Doc == nil || !strings.HasPrefix(fn.Name.Name, "Benchmark") {
				continue
			}
			para, _, _ := strings.Cut(fn.Doc.Text(), "\n\n")
			docs[fn.Name.Name] = strings.Join(strings.Fields(para), " ")
		}
	}
	return docs
}
