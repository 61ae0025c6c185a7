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
	kept := keptFields(pass)
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.CallExpr)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		call := n.(*ast.CallExpr)
		if !checklist.IsMethod(checklist.Callee(info, call), "sync", "Pool", "Put") || len(call.Args) != 1 {
			return
		}
		x := checklist.ObjectOf(info, call.Args[0])
		fnode, body := checklist.EnclosingFunc(stack)
		if x == nil || body == nil || isParam(info, stack, x) {
			return
		}
		if lit, ok := fnode.(*ast.FuncLit); ok && len(body.List) == 1 && x.Pos() < lit.Pos() {
			return // a function that only puts x back: whoever calls it clears x first, or not
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
		if ownArray(ptr.Elem()) && resetBefore(info, body, x, call.Pos()) {
			return // a buffer reset on Get keeps only its own array, as Reset would
		}
		var refs []string
		for i := range st.NumFields() {
			if f := st.Field(i); isRef(f.Type()) && f.Name() != "_" && !kept[f] {
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

// ownArray reports whether t is a buffer whose only reference is to its
// own array: bytes.Buffer, strings.Builder.
func ownArray(t types.Type) bool {
	return checklist.IsNamed(t, "bytes", "Buffer") || checklist.IsNamed(t, "strings", "Builder")
}

// resetBefore reports whether body calls x.Reset() before pos.
func resetBefore(info *types.Info, body *ast.BlockStmt, x *types.Var, pos token.Pos) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if found || n == nil || n.Pos() >= pos {
			return false
		}
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := checklist.Unparen(call.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Reset" && checklist.ObjectOf(info, sel.X) == x {
				found = true
			}
		}
		return !found
	})
	return found
}

// keptFields returns the fields that stay set in a pooled object on
// purpose:
//   - those the New function of one of the package's pools sets (in a
//     composite literal or an assignment, in New's body or in a function of
//     the package that it calls): the resource the pool exists to keep,
//     such as a codec a wrapper holds;
//   - slices of elements without references that the package only ever
//     fills from themselves (x.f = append(x.f[:0], ...), x.f = x.f[:0]) or
//     with make: buffers of the object's own copies, kept for their
//     capacity.
func keptFields(pass *analysis.Pass) map[*types.Var]bool {
	info := pass.TypesInfo
	kept := map[*types.Var]bool{}
	decls := checklist.FuncDecls(pass)
	// The function literals assigned to variables, for New: fn.
	litOf := map[types.Object]*ast.FuncLit{}
	// Per slice field: assigned only from itself or make (true), or
	// otherwise (false).
	own := map[*types.Var]bool{}
	var news []ast.Expr
	fieldOf := func(e ast.Expr) *types.Var {
		if sel, ok := checklist.Unparen(e).(*ast.SelectorExpr); ok {
			if s, ok := info.Selections[sel]; ok && s.Kind() == types.FieldVal {
				return s.Obj().(*types.Var).Origin()
			}
		}
		return nil
	}
	assigned := func(f *types.Var, rhs ast.Expr) {
		if f == nil {
			return
		}
		ok, seen := own[f]
		own[f] = (ok || !seen) && fromItself(info, f, rhs, fieldOf)
	}
	for _, file := range pass.Files {
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if len(n.Rhs) == len(n.Lhs) {
						if lit, ok := checklist.Unparen(n.Rhs[i]).(*ast.FuncLit); ok {
							if id, ok := lhs.(*ast.Ident); ok {
								litOf[info.ObjectOf(id)] = lit
							}
						}
						assigned(fieldOf(lhs), n.Rhs[i])
						if sel, ok := checklist.Unparen(lhs).(*ast.SelectorExpr); ok && sel.Sel.Name == "New" && checklist.IsNamed(info.TypeOf(sel.X), "sync", "Pool") {
							news = append(news, n.Rhs[i])
						}
					} else {
						assigned(fieldOf(lhs), nil)
					}
				}
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if i < len(n.Values) {
						if lit, ok := checklist.Unparen(n.Values[i]).(*ast.FuncLit); ok {
							litOf[info.Defs[id]] = lit
						}
					}
				}
			case *ast.CompositeLit:
				t := info.TypeOf(n)
				if t == nil {
					return true
				}
				if checklist.IsNamed(t, "sync", "Pool") {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "New" {
								news = append(news, kv.Value)
							}
						}
					}
					return true
				}
				st, ok := t.Underlying().(*types.Struct)
				if !ok {
					return true
				}
				for i, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok {
							if f, ok := info.Uses[id].(*types.Var); ok {
								assigned(f.Origin(), kv.Value)
							}
						}
					} else if i < st.NumFields() {
						assigned(st.Field(i).Origin(), el)
					}
				}
			}
			return true
		})
	}
	for f, ok := range own {
		if s, isSlice := f.Type().Underlying().(*types.Slice); ok && isSlice && !isRef(s.Elem()) {
			kept[f] = true
		}
	}
	// The bodies of the pools' New functions, and of the package's
	// functions they call.
	var bodies []ast.Node
	for _, e := range news {
		switch e := checklist.Unparen(e).(type) {
		case *ast.FuncLit:
			bodies = append(bodies, e.Body)
		case *ast.Ident:
			if lit := litOf[info.ObjectOf(e)]; lit != nil {
				bodies = append(bodies, lit.Body)
			} else if fn, ok := info.ObjectOf(e).(*types.Func); ok && decls[fn] != nil && decls[fn].Body != nil {
				bodies = append(bodies, decls[fn].Body)
			}
		}
	}
	for _, b := range bodies[:len(bodies):len(bodies)] {
		ast.Inspect(b, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if fn := checklist.Callee(info, call); fn != nil && decls[fn.Origin()] != nil && decls[fn.Origin()].Body != nil {
					bodies = append(bodies, decls[fn.Origin()].Body)
				}
			}
			return true
		})
	}
	for _, b := range bodies {
		ast.Inspect(b, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if f := fieldOf(lhs); f != nil && (len(n.Rhs) != len(n.Lhs) || !clearing(info, n.Rhs[i])) {
						kept[f] = true
					}
				}
			case *ast.CompositeLit:
				st, ok := typeOrNil(info.TypeOf(n)).(*types.Struct)
				if !ok {
					return true
				}
				for i, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok {
							if f, ok := info.Uses[id].(*types.Var); ok && !clearing(info, kv.Value) {
								kept[f.Origin()] = true
							}
						}
					} else if i < st.NumFields() && !clearing(info, el) {
						kept[st.Field(i).Origin()] = true
					}
				}
			}
			return true
		})
	}
	return kept
}

func typeOrNil(t types.Type) types.Type {
	if t == nil {
		return nil
	}
	return t.Underlying()
}

// fromItself reports whether rhs, assigned to field f, is f's own memory
// or new memory: append(x.f..., ...), x.f[...], make(...), nil.
func fromItself(info *types.Info, f *types.Var, rhs ast.Expr, fieldOf func(ast.Expr) *types.Var) bool {
	if rhs == nil {
		return false
	}
	switch e := checklist.Unparen(rhs).(type) {
	case *ast.SliceExpr:
		return fieldOf(e.X) == f
	case *ast.CallExpr:
		id, ok := checklist.Unparen(e.Fun).(*ast.Ident)
		if !ok {
			return false
		}
		b, ok := info.Uses[id].(*types.Builtin)
		if !ok {
			return false
		}
		switch b.Name() {
		case "make":
			return true
		case "append":
			return len(e.Args) > 0 && fromItself(info, f, e.Args[0], fieldOf) || len(e.Args) > 0 && fieldOf(e.Args[0]) == f
		}
	case *ast.Ident:
		_, isNil := info.Uses[e].(*types.Nil)
		return isNil
	}
	return false
}
