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
	uses := readers(pass)
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
		if u := uses[mapOf(pass.TypesInfo, call)]; u != nil && (u.unread() || what == "nil" && u.nilChecked) {
			return // the package reads no value from this map, or tells a stored nil from a value
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

// A mapUse is what the package does with the values it loads from one map.
type mapUse struct {
	loads, discarded int  // calls that return a value, and those that throw it away
	nilChecked       bool // a loaded value is compared with nil
}

// unread reports whether every value loaded from the map is thrown away:
// the map is a set, and its values say nothing.
func (u *mapUse) unread() bool { return u.loads > 0 && u.loads == u.discarded }

// loaders are the methods that return a stored value, first among their
// results.
var loaders = map[string]bool{"Load": true, "LoadOrStore": true, "LoadAndDelete": true, "Swap": true}

// readers returns, for each concurrent map of the package (a variable or a
// field), what the package does with the values it loads from it.
func readers(pass *analysis.Pass) map[types.Object]*mapUse {
	info := pass.TypesInfo
	uses := map[types.Object]*mapUse{}
	loaded := map[*types.Var]*mapUse{} // variables holding a loaded value
	use := func(call *ast.CallExpr) *mapUse {
		m := mapOf(info, call)
		if m == nil {
			return nil
		}
		if uses[m] == nil {
			uses[m] = &mapUse{}
		}
		return uses[m]
	}
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ExprStmt:
				if call, ok := checklist.Unparen(n.X).(*ast.CallExpr); ok && loaders[checklist.MapCall(info, call)] {
					if u := use(call); u != nil {
						u.loads++
						u.discarded++
					}
				}
			case *ast.AssignStmt:
				if len(n.Rhs) != 1 {
					return true
				}
				call, ok := checklist.Unparen(n.Rhs[0]).(*ast.CallExpr)
				if !ok || !loaders[checklist.MapCall(info, call)] {
					return true
				}
				if u := use(call); u != nil {
					u.loads++
					if id, ok := n.Lhs[0].(*ast.Ident); ok && id.Name == "_" {
						u.discarded++
					} else if v := checklist.ObjectOf(info, n.Lhs[0]); v != nil {
						loaded[v] = u
					}
				}
			case *ast.CallExpr:
				if checklist.MapCall(info, n) != "Range" || len(n.Args) != 1 {
					return true
				}
				u := use(n)
				lit, ok := checklist.Unparen(n.Args[0]).(*ast.FuncLit)
				if u == nil {
					return true
				}
				u.loads++
				if !ok {
					return true // a function value: it may read the values
				}
				var names []*ast.Ident
				for _, p := range lit.Type.Params.List {
					names = append(names, p.Names...)
				}
				if len(names) < 2 || names[1].Name == "_" {
					u.discarded++
				} else if v, ok := info.Defs[names[1]].(*types.Var); ok {
					loaded[v] = u
				}
			}
			return true
		})
	}
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			b, ok := n.(*ast.BinaryExpr)
			if !ok || b.Op != token.EQL && b.Op != token.NEQ {
				return true
			}
			for _, pair := range [][2]ast.Expr{{b.X, b.Y}, {b.Y, b.X}} {
				id, ok := checklist.Unparen(pair[1]).(*ast.Ident)
				if !ok {
					continue
				}
				if _, isNil := info.Uses[id].(*types.Nil); !isNil {
					continue
				}
				if u := loaded[checklist.ObjectOf(info, pair[0])]; u != nil {
					u.nilChecked = true
				}
			}
			return true
		})
	}
	return uses
}

// mapOf returns the variable or field holding the map whose method call
// calls (m in m.Store, f in x.f.Store), or nil.
func mapOf(info *types.Info, call *ast.CallExpr) types.Object {
	sel, ok := checklist.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	x := checklist.Unparen(sel.X)
	if st, ok := x.(*ast.StarExpr); ok {
		x = checklist.Unparen(st.X)
	}
	switch x := x.(type) {
	case *ast.Ident:
		if v, ok := info.ObjectOf(x).(*types.Var); ok {
			return v
		}
	case *ast.SelectorExpr:
		if s, ok := info.Selections[x]; ok {
			if v, ok := s.Obj().(*types.Var); ok {
				return v.Origin()
			}
		}
	}
	return nil
}
