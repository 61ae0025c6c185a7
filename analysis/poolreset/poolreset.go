package poolreset

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"

	"github.com/custody-go/custody/analysis/internal/checklist"
)

//go:embed doc.go
var doc string

// Analyzer reports objects put back into a sync.Pool with their reference
// fields still set.
var Analyzer = &analysis.Analyzer{
	Name:     "poolreset",
	Doc:      checklist.Doc(doc),
	URL:      "https://pkg.go.dev/github.com/custody-go/custody/analysis/poolreset",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

// resetName matches the names of methods and functions that clear what
// they are given.
var resetName = regexp.MustCompile(`(?i)^(reset|clear|release|free|zero|recycle|clean|truncate)`)

func run(pass *analysis.Pass) (any, error) {
	r := checklist.NewReporter(pass, "poolreset")
	info := pass.TypesInfo
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.CallExpr)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		call := n.(*ast.CallExpr)
		if !checklist.IsMethod(checklist.Callee(info, call), "sync", "Pool", "Put") || len(call.Args) != 1 {
			return
		}
		x := checklist.ObjectOf(info, call.Args[0])
		_, body := checklist.EnclosingFunc(stack)
		if x == nil || body == nil || isParam(info, stack, x) {
			return
		}
		ptr, ok := x.Type().Underlying().(*types.Pointer)
		if !ok {
			return
		}
		st, ok := ptr.Elem().Underlying().(*types.Struct)
		if !ok {
			return
		}
		local := x.Pkg() != nil && named(ptr.Elem()) != nil && named(ptr.Elem()).Obj().Pkg() == pass.Pkg
		if !local && !hasResetMethod(ptr) {
			return // another package's type with no Reset: nothing to call
		}
		var refs []string
		for i := range st.NumFields() {
			if f := st.Field(i); isRef(f.Type()) && f.Name() != "_" {
				refs = append(refs, f.Name())
			}
		}
		if len(refs) == 0 {
			return
		}
		// What counts: before the Put, or after the defer of a deferred Put.
		from, to := body.Pos(), call.Pos()
		if d, ok := stack[len(stack)-2].(*ast.DeferStmt); ok {
			from, to = d.End(), body.End()
		}
		reset, cleared := evidence(info, body, x, from, to)
		if reset || len(cleared) > 0 {
			return // cleared, or some fields cleared: the others may be meant to stay
		}
		var left []string
		for _, f := range refs {
			if !cleared[f] {
				left = append(left, f)
			}
		}
		if len(left) == 0 {
			return
		}
		what := "its reference fields " + strings.Join(left, ", ")
		if len(left) == 1 {
			what = "its reference field " + left[0]
		}
		if !local {
			what = "calling its " + resetMethod(ptr) + " method"
			r.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(),
				Message: fmt.Sprintf("%s goes back into the pool without %s: what it references stays alive, and the next Get sees it", x.Name(), what)})
			return
		}
		r.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(),
			Message: fmt.Sprintf("%s goes back into the pool with %s still set: what they reference stays alive, and the next Get sees it (clear them, or call a Reset method, before Put)", x.Name(), what)})
	})
	return nil, nil
}

func named(t types.Type) *types.Named {
	n, _ := types.Unalias(t).(*types.Named)
	return n
}

// isParam reports whether v is a parameter or receiver of one of the
// functions in stack.
func isParam(info *types.Info, stack []ast.Node, v *types.Var) bool {
	for _, n := range stack {
		if isParamOf(info, n, v) {
			return true
		}
	}
	return false
}

func isParamOf(info *types.Info, fnode ast.Node, v *types.Var) bool {
	var ft *ast.FuncType
	var recv *ast.FieldList
	switch f := fnode.(type) {
	case *ast.FuncDecl:
		ft, recv = f.Type, f.Recv
	case *ast.FuncLit:
		ft = f.Type
	default:
		return false
	}
	for _, fl := range []*ast.FieldList{recv, ft.Params} {
		if fl == nil {
			continue
		}
		for _, f := range fl.List {
			for _, id := range f.Names {
				if info.Defs[id] == v {
					return true
				}
			}
		}
	}
	return false
}

// isRef reports whether values of t reference other memory.
func isRef(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Pointer, *types.Slice, *types.Map, *types.Chan, *types.Signature, *types.Interface:
		return true
	case *types.Struct:
		for i := range u.NumFields() {
			if isRef(u.Field(i).Type()) {
				return true
			}
		}
	case *types.Array:
		return isRef(u.Elem())
	}
	return false
}

func resetMethod(ptr *types.Pointer) string {
	ms := types.NewMethodSet(ptr)
	for i := range ms.Len() {
		if name := ms.At(i).Obj().Name(); resetName.MatchString(name) {
			return name
		}
	}
	return ""
}

func hasResetMethod(ptr *types.Pointer) bool { return resetMethod(ptr) != "" }

// evidence looks between from and to in body for x being cleared: reset
// reports a Reset-like call on x or an assignment to *x; cleared names the
// fields cleared one by one.
func evidence(info *types.Info, body *ast.BlockStmt, x *types.Var, from, to token.Pos) (reset bool, cleared map[string]bool) {
	cleared = map[string]bool{}
	is := func(e ast.Expr) bool { return checklist.ObjectOf(info, e) == x }
	field := func(e ast.Expr) string { // x.f -> "f"
		if sel, ok := checklist.Unparen(e).(*ast.SelectorExpr); ok && is(sel.X) {
			return sel.Sel.Name
		}
		return ""
	}
	ast.Inspect(body, func(n ast.Node) bool {
		if reset || n == nil || n.End() <= from || n.Pos() >= to {
			return false
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			fun := checklist.Unparen(n.Fun)
			if sel, ok := fun.(*ast.SelectorExpr); ok && resetName.MatchString(sel.Sel.Name) {
				if is(sel.X) {
					reset = true
				} else if f := field(sel.X); f != "" {
					cleared[f] = true
				}
			}
			name := ""
			switch f := fun.(type) {
			case *ast.Ident:
				name = f.Name
			case *ast.SelectorExpr:
				name = f.Sel.Name
			}
			for _, a := range n.Args {
				if is(a) && resetName.MatchString(name) {
					reset = true
				}
				if f := field(a); f != "" && (name == "clear" || resetName.MatchString(name)) {
					cleared[f] = true
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if st, ok := checklist.Unparen(lhs).(*ast.StarExpr); ok && is(st.X) {
					reset = true
				}
				if f := field(lhs); f != "" && len(n.Rhs) == len(n.Lhs) && clearing(info, n.Rhs[i]) {
					cleared[f] = true
				}
			}
		}
		return true
	})
	return reset, cleared
}

// clearing reports whether e is a value that clears a field: nil, a zero
// literal, an empty composite literal, or a slice truncated to [:0].
func clearing(info *types.Info, e ast.Expr) bool {
	switch e := checklist.Unparen(e).(type) {
	case *ast.Ident:
		_, ok := info.Uses[e].(*types.Nil)
		return ok
	case *ast.CompositeLit:
		return len(e.Elts) == 0
	case *ast.BasicLit:
		return e.Value == "0" || e.Value == `""`
	case *ast.SliceExpr:
		if lit, ok := e.High.(*ast.BasicLit); ok && lit.Value == "0" {
			return true
		}
	}
	return false
}
