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
	decls := checklist.FuncDecls(pass)
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.CallExpr)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		call := n.(*ast.CallExpr)
		if !checklist.IsFunc(checklist.Callee(pass.TypesInfo, call), "time", "AfterFunc") || len(call.Args) != 2 {
			return
		}
		if !discarded(call, stack[len(stack)-2]) {
			return
		}
		msg := hazard(pass, decls, call.Args[1], stack)
		if msg == "" {
			return // a delayed action that ends by itself: meant to run
		}
		d := analysis.Diagnostic{Pos: call.Pos(), End: call.End(),
			Message: "the timer time.AfterFunc returns is thrown away, and " + msg}
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

// hazard says what makes a thrown-away timer's function f a leak: a send
// outside a select, which blocks forever once the receiver is gone, or a
// call of the function that set the timer, which sets the next timer of a
// chain nothing can stop. It returns "" when f has neither.
func hazard(pass *analysis.Pass, decls map[*types.Func]*ast.FuncDecl, f ast.Expr, stack []ast.Node) string {
	var body ast.Node
	switch f := checklist.Unparen(f).(type) {
	case *ast.FuncLit:
		body = f.Body
	default:
		if fn, ok := typeutilCallee(pass, f).(*types.Func); ok && decls[fn.Origin()] != nil {
			body = decls[fn.Origin()].Body
		}
	}
	if body == nil {
		return ""
	}
	var self *types.Func
	var selfDecl *ast.FuncDecl
	for i := len(stack) - 1; i >= 0; i-- {
		if fd, ok := stack[i].(*ast.FuncDecl); ok {
			self, _ = pass.TypesInfo.Defs[fd.Name].(*types.Func)
			selfDecl = fd
			break
		}
	}
	var send *ast.SendStmt
	var again *ast.CallExpr
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit, *ast.SelectStmt:
			return false // a send in a select may have a way out
		case *ast.SendStmt:
			if send == nil {
				send = n
			}
		case *ast.CallExpr:
			if fn := checklist.Callee(pass.TypesInfo, n); again == nil && self != nil && fn != nil && fn.Origin() == self {
				again = n
			}
		}
		return true
	})
	name := "the caller"
	if self != nil {
		name = self.Name()
	}
	switch {
	case send != nil:
		return fmt.Sprintf("its function sends on %s outside a select: once %s is done nobody may receive, and the timer's goroutine blocks forever (Stop the timer when done, or use safego.AfterFunc(ctx, ...) and select on ctx.Done())",
			types.ExprString(send.Chan), name)
	case again != nil && !guarded(selfDecl, stack):
		return fmt.Sprintf("its function calls %s, which sets the next timer: a chain of timers that nothing can stop (keep the timer and Stop it, or use safego.AfterFunc(ctx, ...))", name)
	}
	return ""
}

// typeutilCallee returns the function a function-valued expression names
// (f, pkg.F, x.M), or nil.
func typeutilCallee(pass *analysis.Pass, e ast.Expr) types.Object {
	switch e := checklist.Unparen(e).(type) {
	case *ast.Ident:
		return pass.TypesInfo.Uses[e]
	case *ast.SelectorExpr:
		if sel, ok := pass.TypesInfo.Selections[e]; ok {
			return sel.Obj()
		}
		return pass.TypesInfo.Uses[e.Sel]
	}
	return nil
}

// guarded reports whether the function that sets the timer (decl, with the
// call at the top of stack) has a return before the call: each link of
// the chain checks something first (that its owner still runs, as
// nats-server's consumer does), and the chain ends when the check fails.
// A return after a deferred function that sets the timer does not skip it.
func guarded(decl *ast.FuncDecl, stack []ast.Node) bool {
	if decl == nil || decl.Body == nil {
		return false
	}
	call := stack[len(stack)-1]
	found := false
	ast.Inspect(decl.Body, func(n ast.Node) bool {
		if found || n == nil || n.Pos() >= call.Pos() {
			return false
		}
		switch n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			found = true
		}
		return !found
	})
	return found
}
