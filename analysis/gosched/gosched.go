package gosched

import (
	_ "embed"
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"

	"github.com/custody-go/custody/analysis/internal/checklist"
)

//go:embed doc.go
var doc string

// Analyzer reports runtime.Gosched in production code.
var Analyzer = &analysis.Analyzer{
	Name:     "gosched",
	Doc:      checklist.Doc(doc),
	URL:      "https://pkg.go.dev/github.com/custody-go/custody/analysis/gosched",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

func run(pass *analysis.Pass) (any, error) {
	r := checklist.NewReporter(pass, "gosched")
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.CallExpr)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		call := n.(*ast.CallExpr)
		if !checklist.IsFunc(checklist.Callee(pass.TypesInfo, call), "runtime", "Gosched") {
			return
		}
		if inLoop(stack) {
			return
		}
		d := analysis.Diagnostic{
			Pos:     call.Pos(),
			End:     call.End(),
			Message: "runtime.Gosched in production code: it yields but orders nothing, so code that relies on it has a race (keep it for tests that simulate preemption)",
		}
		if stmt, ok := stack[len(stack)-2].(*ast.ExprStmt); ok {
			edits := []analysis.TextEdit{checklist.DeleteLine(pass, file, stmt)}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok {
					if pkg, ok := pass.TypesInfo.Uses[id].(*types.PkgName); ok {
						edits = append(edits, checklist.RemoveImportIfUnused(pass, file, pkg, call)...)
					}
				}
			}
			d.SuggestedFixes = []analysis.SuggestedFix{{Message: "Delete the runtime.Gosched call", TextEdits: edits}}
		}
		r.Report(d)
	})
	return nil, nil
}

// inLoop reports whether the call is inside a loop of its function: a
// spin-wait or a poll that yields between attempts, where the yield is
// about throughput, not order.
func inLoop(stack []ast.Node) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		switch stack[i].(type) {
		case *ast.FuncDecl, *ast.FuncLit:
			return false
		case *ast.ForStmt, *ast.RangeStmt:
			return true
		}
	}
	return false
}
