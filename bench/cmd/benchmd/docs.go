package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
)

// A benchInfo says where a Benchmark function is and what its doc comment
// says.
type benchInfo struct {
	file string // the test file's path
	doc  string // the first paragraph of its doc comment, on one line
}

// benchDocs returns, by function name, where each Benchmark function in the
// test files of the package in dir is and its doc comment's first paragraph.
func benchDocs(dir string) map[string]benchInfo {
	docs := map[string]benchInfo{}
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Benchmark") {
				continue
			}
			para, _, _ := strings.Cut(fn.Doc.Text(), "\n\n")
			docs[fn.Name.Name] = benchInfo{file: name, doc: strings.Join(strings.Fields(para), " ")}
		}
	}
	return docs
}
