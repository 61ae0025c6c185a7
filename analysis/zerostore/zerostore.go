package zerostore

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"

	"github.com/custody-go/custody/analysis/internal/checklist"
)

//go:embed doc.go
var doc string

// Analyzer reports zero values stored into concurrent maps.
var Analyzer = &analysis.Analyzer{
	Name:     "zerostore",
	Doc:      checklist.Doc(doc),
	URL:      "https://pkg.go.dev/github.com/custody-go/custody/analysis/zerostore",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

// valueArg is the index of the stored value among each method's arguments.
var valueArg = map[string]int{"Store": 1, "LoadOrStore": 1, "Swap": 1, "CompareAndSwap": 2}

func run(pass *analysis.Pass) (any, error) {
	r := checklist.NewReporter(pass, "zerostore")
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.CallExpr)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		call := n.(*ast.CallExpr)
		method := checklist.MapCall(pass.TypesInfo, call)
		i, ok := valueArg[method]
		if !ok || len(call.Args) <= i {
			return
		}
		_, body := checklist.EnclosingFunc(stack)
		what := zero(pass.TypesInfo, call.Args[i], body)
		if what == "" {
			return
		}
		d := analysis.Diagnostic{Pos: call.Args[i].Pos(), End: call.Args[i].End(),
			Message: fmt.Sprintf("%s stores %s in a concurrent map: a later Load returns it with ok == true, as if it were a value (Delete the key to forget it)", method, what)}
		sel, isSel := checklist.Unparen(call.Fun).(*ast.SelectorExpr)
		if _, isStmt := stack[len(stack)-2].(*ast.ExprStmt); method == "Store" && isSel && isStmt {
			d.SuggestedFixes = []analysis.SuggestedFix{{Message: "Delete the key instead", TextEdits: []analysis.TextEdit{
				{Pos: sel.Sel.Pos(), End: sel.Sel.End(), NewText: []byte("Delete")},
				{Pos: call.Args[0].End(), End: call.Rparen, NewText: nil},
			}}}
		}
		r.Report(d)
	})
	return nil, nil
}

// zero describes e when it is a zero value the analyzer reports, and
// returns "" otherwise. body is the function e is in.
func zero(info *types.Info, e ast.Expr, body *ast.BlockStmt) string {
	e = checklist.Unparen(e)
	t := info.TypeOf(e)
	if t == nil {
		return ""
	}
	switch e := e.(type) {
	case *ast.Ident:
		if _, ok := info.Uses[e].(*types.Nil); ok {
			return "nil"
		}
		v, ok := info.Uses[e].(*types.Var)
		if !ok || body == nil || !sized(t) || !declaredZero(info, v, body) {
			return ""
		}
		return fmt.Sprintf("%s, declared as %s and never given a value,", e.Name, types.TypeString(t, types.RelativeTo(v.Pkg())))
	case *ast.CompositeLit:
		if len(e.Elts) > 0 || !sized(t) {
			return ""
		}
		switch t.Underlying().(type) {
		case *types.Struct, *types.Array:
			return fmt.Sprintf("the zero %s", types.ExprString(e))
		}
	}
	return ""
}

// sized reports whether values of t have fields or elements: a zero-size
// value says nothing but "present".
func sized(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Struct:
		return u.NumFields() > 0
	case *types.Array:
		return u.Len() > 0
	case *types.Basic:
		return false
	case *types.Interface:
		return false
	}
	return !isTypeParam(t)
}

func isTypeParam(t types.Type) bool {
	_, ok := types.Unalias(t).(*types.TypeParam)
	return ok
}

// declaredZero reports whether v is declared in body as var v T with no
// value, and body never assigns v (or a part of it), takes its address or
// calls a method on it.
func declaredZero(info *types.Info, v *types.Var, body *ast.BlockStmt) bool {
	declared, changed := false, false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for _, name := range n.Names {
				if info.Defs[name] == v && len(n.Values) == 0 {
					declared = true
				}
			}
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				if root(info, lhs) == v {
					changed = true
				}
			}
		case *ast.IncDecStmt:
			changed = changed || root(info, n.X) == v
		case *ast.UnaryExpr:
			changed = changed || n.Op == token.AND && root(info, n.X) == v
		case *ast.RangeStmt:
			changed = changed || root(info, n.Key) == v || root(info, n.Value) == v
		case *ast.SelectorExpr:
			if sel, ok := info.Selections[n]; ok && sel.Kind() == types.MethodVal && root(info, n.X) == v {
				changed = true
			}
		}
		return !changed
	})
	return declared && !changed
}

// root returns the variable at the root of e (x in x.f[i].g), or nil.
func root(info *types.Info, e ast.Expr) *types.Var {
	for e != nil {
		switch x := checklist.Unparen(e).(type) {
		case *ast.Ident:
			v, _ := info.ObjectOf(x).(*types.Var)
			return v
		case *ast.SelectorExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		default:
			return nil
		}
	}
	return nil
}
