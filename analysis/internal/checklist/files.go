package checklist

import (
	"fmt"
	"go/ast"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

var sprintf = fmt.Sprintf

// Scope says which files of a package a rule looks at.
type Scope int

const (
	// AllCode is every file but generated ones.
	AllCode Scope = iota
	// ProductionCode leaves out _test.go files too.
	ProductionCode
)

// Files returns the files of pass that a rule of the given scope looks at.
// Generated files are never looked at: nobody can fix them by hand.
func Files(pass *analysis.Pass, scope Scope) []*ast.File {
	var files []*ast.File
	for _, f := range pass.Files {
		if ast.IsGenerated(f) {
			continue
		}
		if scope == ProductionCode && IsTest(pass, f) {
			continue
		}
		files = append(files, f)
	}
	return files
}

// IsTest reports whether f is a _test.go file.
func IsTest(pass *analysis.Pass, f *ast.File) bool {
	return strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go")
}

// Inspect calls fn for each node of one of the given types in the files of
// pass that scope covers, with the file and the stack of nodes enclosing n
// (n last). pass must require inspect.Analyzer.
func Inspect(pass *analysis.Pass, scope Scope, types []ast.Node, fn func(file *ast.File, n ast.Node, stack []ast.Node)) {
	files := map[*ast.File]bool{}
	for _, f := range Files(pass, scope) {
		files[f] = true
	}
	in := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	in.WithStack(types, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		f := stack[0].(*ast.File)
		if !files[f] {
			return false
		}
		fn(f, n, stack)
		return true
	})
}

// EnclosingFunc returns the innermost function (declaration or literal) in
// stack, and its body; nil if there is none.
func EnclosingFunc(stack []ast.Node) (ast.Node, *ast.BlockStmt) {
	for i := len(stack) - 1; i >= 0; i-- {
		switch f := stack[i].(type) {
		case *ast.FuncDecl:
			return f, f.Body
		case *ast.FuncLit:
			return f, f.Body
		}
	}
	return nil, nil
}

// FuncName returns the name of the declared function enclosing stack, with
// its receiver type ("T.m"), or "" at package level.
func FuncName(stack []ast.Node) string {
	for i := len(stack) - 1; i >= 0; i-- {
		if f, ok := stack[i].(*ast.FuncDecl); ok {
			if f.Recv != nil && len(f.Recv.List) == 1 {
				return recvName(f.Recv.List[0].Type) + "." + f.Name.Name
			}
			return f.Name.Name
		}
	}
	return ""
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}
