package afterfunc

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"

	"github.com/custody-go/custody/analysis/internal/checklist"
)

//go:embed doc.go
var doc string

// Analyzer reports time.AfterFunc timers that nobody can stop.
var Analyzer = &analysis.Analyzer{
	Name:     "afterfunc",
	Doc:      checklist.Doc(doc),
	URL:      "https://pkg.go.dev/github.com/custody-go/custody/analysis/afterfunc",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

func run(pass *analysis.Pass) (any, error) {
	r := checklist.NewReporter(pass, "afterfunc")
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.CallExpr)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		call := n.(*ast.CallExpr)
		if !checklist.IsFunc(checklist.Callee(pass.TypesInfo, call), "time", "AfterFunc") || len(call.Args) != 2 {
			return
		}
		if !discarded(call, stack[len(stack)-2]) {
			return
		}
		d := analysis.Diagnostic{Pos: call.Pos(), End: call.End(),
			Message: "the timer time.AfterFunc returns is thrown away: nothing can stop it, so its function runs (and holds what it captured) after the work it guards is over (Stop the timer, or use safego.AfterFunc(ctx, ...))"}
		if ctx := checklist.ContextInScope(pass, call.Pos()); ctx != nil {
			if fix, ok := rewrite(pass, file, call, ctx, checklist.FuncName(stack)); ok {
				d.SuggestedFixes = []analysis.SuggestedFix{fix}
			}
		}
		r.Report(d)
	})
	return nil, nil
}

// discarded reports whether the result of call, whose parent node is
// parent, is thrown away.
func discarded(call *ast.CallExpr, parent ast.Node) bool {
	switch p := parent.(type) {
	case *ast.ExprStmt:
		return true
	case *ast.AssignStmt:
		for i, rhs := range p.Rhs {
			if rhs == call && i < len(p.Lhs) {
				id, ok := p.Lhs[i].(*ast.Ident)
				return ok && id.Name == "_"
			}
		}
	}
	return false
}

// rewrite returns the fix that replaces time.AfterFunc(d, f) with
// safego.AfterFunc(ctx, d, name, func(context.Context) {...}).
func rewrite(pass *analysis.Pass, file *ast.File, call *ast.CallExpr, ctx *types.Var, fname string) (analysis.SuggestedFix, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return analysis.SuggestedFix{}, false
	}
	var timePkg *types.PkgName
	if id, ok := sel.X.(*ast.Ident); ok {
		timePkg, _ = pass.TypesInfo.Uses[id].(*types.PkgName)
	}
	names, imports := checklist.FixImports(pass, file, []string{checklist.SafegoPath, "context"}, timePkg, call.Fun)
	safego, context := names[checklist.SafegoPath], names["context"]
	name := fname
	if name == "" {
		name = "afterfunc"
	}
	edits := []analysis.TextEdit{
		{Pos: call.Fun.Pos(), End: call.Fun.End(), NewText: []byte(safego + ".AfterFunc")},
		{Pos: call.Lparen + 1, End: call.Lparen + 1, NewText: []byte(ctx.Name() + ", ")},
		{Pos: call.Args[1].Pos(), End: call.Args[1].Pos(), NewText: []byte(strconv.Quote(name) + ", ")},
	}
	param := context + ".Context"
	if lit, ok := call.Args[1].(*ast.FuncLit); ok && lit.Type.Params.NumFields() == 0 && lit.Type.Results.NumFields() == 0 {
		edits = append(edits, analysis.TextEdit{Pos: lit.Type.Params.Opening, End: lit.Type.Params.Closing + 1, NewText: []byte("(" + param + ")")})
	} else {
		var f strings.Builder
		if err := format.Node(&f, token.NewFileSet(), call.Args[1]); err != nil {
			return analysis.SuggestedFix{}, false
		}
		edits = append(edits, analysis.TextEdit{Pos: call.Args[1].Pos(), End: call.Args[1].End(),
			NewText: fmt.Appendf(nil, "func(%s) { %s() }", param, f.String())})
	}
	edits = append(edits, imports...)
	return analysis.SuggestedFix{Message: "Tie the timer to " + ctx.Name() + " with safego.AfterFunc", TextEdits: edits}, true
}
