package publishmutation

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

// Analyzer reports values changed in place after a concurrent map
// published them.
var Analyzer = &analysis.Analyzer{
	Name:     "publishmutation",
	Doc:      checklist.Doc(doc),
	URL:      "https://pkg.go.dev/github.com/custody-go/custody/analysis/publishmutation",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

// A publication is where a variable's value became shared.
type publication struct {
	by   string    // the map method
	at   token.Pos // the call
	from token.Pos // writes before it are not reported
	def  ast.Node  // the assignment that defined the variable, if any
}

func run(pass *analysis.Pass) (any, error) {
	r := checklist.NewReporter(pass, "publishmutation")
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		var body *ast.BlockStmt
		switch f := n.(type) {
		case *ast.FuncDecl:
			body = f.Body
		case *ast.FuncLit:
			body = f.Body
		}
		if body != nil {
			check(pass, r, body)
		}
	})
	return nil, nil
}

// own walks body without the function literals in it.
func own(body ast.Node, visit func(ast.Node)) {
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		if _, ok := n.(*ast.FuncLit); ok && n != body {
			return false
		}
		visit(n)
		return true
	})
}

func check(pass *analysis.Pass, r *checklist.Reporter, body *ast.BlockStmt) {
	info := pass.TypesInfo
	published := map[*types.Var]publication{}
	publish := func(v *types.Var, p publication) {
		if v == nil || v.Name() == "_" {
			return
		}
		if _, ok := published[v]; !ok {
			published[v] = p
		}
	}
	// Publications, in source order.
	own(body, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Rhs) != 1 {
				return
			}
			switch rhs := checklist.Unparen(n.Rhs[0]).(type) {
			case *ast.CallExpr:
				if m := checklist.MapCall(info, rhs); (m == "Load" || m == "LoadOrStore") && len(n.Lhs) >= 1 {
					publish(checklist.ObjectOf(info, n.Lhs[0]), publication{m, rhs.Pos(), rhs.Pos(), n})
				}
			case *ast.TypeAssertExpr:
				if src := checklist.ObjectOf(info, rhs.X); src != nil {
					if p, ok := published[src]; ok {
						p.def = n
						publish(checklist.ObjectOf(info, n.Lhs[0]), p)
					}
				}
			}
		case *ast.CallExpr:
			m := checklist.MapCall(info, n)
			switch m {
			case "Store", "LoadOrStore":
				if len(n.Args) == 2 {
					publish(checklist.ObjectOf(info, n.Args[1]), publication{m, n.Pos(), n.End(), nil})
				}
			case "Update", "Range":
				arg, idx := len(n.Args)-1, map[string]int{"Update": 0, "Range": 1}[m]
				if arg >= 0 {
					lit, ok := checklist.Unparen(n.Args[arg]).(*ast.FuncLit)
					if ok && lit.Type.Params.NumFields() > idx {
						if names := params(lit); len(names) > idx {
							publish(checklist.ObjectOf(info, names[idx]), publication{m, n.Pos(), lit.Body.Pos(), nil})
						}
					}
				}
			}
		}
	})
	if len(published) == 0 {
		return
	}
	// Variables assigned again are not followed.
	own(body, func(n ast.Node) {
		if as, ok := n.(*ast.AssignStmt); ok {
			for _, lhs := range as.Lhs {
				if v := checklist.ObjectOf(info, lhs); v != nil {
					if p, ok := published[v]; ok && ast.Node(as) != p.def && as.Pos() > p.at {
						delete(published, v)
					}
				}
			}
		}
	})
	report := func(at ast.Node, target ast.Expr) {
		v, through, guards := path(info, target)
		p, ok := published[v]
		if !ok || !through || guards || at.Pos() < p.from {
			return
		}
		r.Report(analysis.Diagnostic{Pos: at.Pos(), End: at.End(),
			Message: fmt.Sprintf("%s was published by %s at line %d: changing it in place races with every goroutine that loaded it (store a changed copy instead, e.g. with safemap's Update)",
				v.Name(), p.by, r.Line(p.at))})
	}
	walk := func(n ast.Node) {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				report(n, lhs)
			}
		case *ast.IncDecStmt:
			report(n, n.X)
		case *ast.CallExpr:
			if id, ok := checklist.Unparen(n.Fun).(*ast.Ident); ok && len(n.Args) > 0 {
				if b, ok := info.Uses[id].(*types.Builtin); ok && (b.Name() == "delete" || b.Name() == "clear") {
					report(n, n.Args[0])
				}
			}
		}
	}
	own(body, walk)
	// The functions given to Update and Range: their parameters are published
	// for their whole body.
	ast.Inspect(body, func(n ast.Node) bool {
		if lit, ok := n.(*ast.FuncLit); ok {
			for _, id := range params(lit) {
				if _, ok := published[checklist.ObjectOf(info, id)]; ok {
					own(lit.Body, walk)
					break
				}
			}
		}
		return true
	})
}

func params(lit *ast.FuncLit) []*ast.Ident {
	var ids []*ast.Ident
	for _, f := range lit.Type.Params.List {
		ids = append(ids, f.Names...)
	}
	return ids
}

// path returns the variable at the root of the written expression e, and
// whether the write goes through a pointer, a slice or a map (so that it
// changes memory the variable shares, not a copy), and whether it writes a
// field of a struct with a mutex (one that guards itself).
func path(info *types.Info, e ast.Expr) (v *types.Var, through, guards bool) {
	for {
		switch x := checklist.Unparen(e).(type) {
		case *ast.Ident:
			v, _ := info.ObjectOf(x).(*types.Var)
			return v, through, guards
		case *ast.SelectorExpr:
			if sel, ok := info.Selections[x]; !ok || sel.Kind() != types.FieldVal {
				return nil, false, false
			} else if sel.Indirect() {
				through = true
			}
			guards = guards || guarded(info.TypeOf(x.X))
			e = x.X
		case *ast.IndexExpr:
			switch info.TypeOf(x.X).Underlying().(type) {
			case *types.Slice, *types.Map, *types.Pointer:
				through = true
			}
			e = x.X
		case *ast.StarExpr:
			through = true
			e = x.X
		case *ast.TypeAssertExpr:
			e = x.X
		default:
			return nil, false, false
		}
	}
}

// guarded reports whether t (or what it points to) is a struct with a
// mutex field: a value that synchronizes its own changes.
func guarded(t types.Type) bool {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	s, ok := t.Underlying().(*types.Struct)
	if !ok {
		return false
	}
	for i := range s.NumFields() {
		ft := s.Field(i).Type()
		if checklist.IsNamed(ft, "sync", "Mutex") || checklist.IsNamed(ft, "sync", "RWMutex") {
			return true
		}
	}
	return false
}
