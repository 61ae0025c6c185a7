package checklist

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"

	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/go/types/typeutil"
)

// Import paths of custody's packages whose APIs the rules know.
const (
	SafegoPath  = "github.com/custody-go/custody/safego"
	ChanownPath = "github.com/custody-go/custody/chanown"
	SafemapPath = "github.com/custody-go/custody/safemap"
)

// Callee returns the function or method a call calls, or nil for a call of
// a function value, a conversion or a builtin.
func Callee(info *types.Info, call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	return fn
}

// IsFunc reports whether fn is the package-level function path.name for
// one of names.
func IsFunc(fn *types.Func, path string, names ...string) bool {
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != path {
		return false
	}
	if sig, ok := fn.Type().(*types.Signature); !ok || sig.Recv() != nil {
		return false
	}
	return contains(names, fn.Name())
}

// IsMethod reports whether fn is a method, named one of names, of the
// type path.typ (or a pointer to it; generic types match by origin).
func IsMethod(fn *types.Func, path, typ string, names ...string) bool {
	if fn == nil || !contains(names, fn.Name()) {
		return false
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return false
	}
	return IsNamed(sig.Recv().Type(), path, typ)
}

// IsNamed reports whether t, or what t points to, is the named type
// path.name (for a generic type, an instance of it).
func IsNamed(t types.Type, path, name string) bool {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	obj := n.Origin().Obj()
	return obj.Pkg() != nil && obj.Pkg().Path() == path && obj.Name() == name
}

// IsContext reports whether t is context.Context.
func IsContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

// IsConcurrentMap reports whether t, or what t points to, is a sync.Map or
// a safemap.Map.
func IsConcurrentMap(t types.Type) bool {
	return IsNamed(t, "sync", "Map") || IsNamed(t, SafemapPath, "Map")
}

// MapCall returns the name of the method call calls when it is a method of
// a concurrent map (sync.Map or safemap.Map), and "" otherwise.
func MapCall(info *types.Info, call *ast.CallExpr) string {
	fn := Callee(info, call)
	if fn == nil {
		return ""
	}
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil || !IsConcurrentMap(sig.Recv().Type()) {
		return ""
	}
	return fn.Name()
}

// IsWait reports whether call calls a method named Wait: sync.WaitGroup's,
// errgroup.Group's, safego.Group's, or any other type's that joins what it
// started.
func IsWait(info *types.Info, call *ast.CallExpr) bool {
	fn := Callee(info, call)
	if fn == nil || fn.Name() != "Wait" {
		return false
	}
	return fn.Type().(*types.Signature).Recv() != nil
}

// Unparen returns e without its parentheses.
func Unparen(e ast.Expr) ast.Expr { return astutil.Unparen(e) }

// ObjectOf returns the variable an identifier (possibly in parentheses)
// denotes, or nil.
func ObjectOf(info *types.Info, e ast.Expr) *types.Var {
	id, ok := Unparen(e).(*ast.Ident)
	if !ok {
		return nil
	}
	v, _ := info.ObjectOf(id).(*types.Var)
	return v
}

// Uses reports whether node refers to the object obj anywhere, function
// literals included.
func Uses(info *types.Info, node ast.Node, obj types.Object) bool {
	found := false
	ast.Inspect(node, func(n ast.Node) bool {
		if found {
			return false
		}
		if id, ok := n.(*ast.Ident); ok && info.Uses[id] == obj {
			found = true
		}
		return true
	})
	return found
}

// FuncDecls maps the functions and methods declared in pass's files to
// their declarations.
func FuncDecls(pass *analysis.Pass) map[*types.Func]*ast.FuncDecl {
	m := map[*types.Func]*ast.FuncDecl{}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				if fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func); ok {
					m[fn] = fd
				}
			}
		}
	}
	return m
}

// ContextInScope returns a variable of type context.Context declared
// before pos and visible at pos, the innermost one (ctx first among equals),
// or nil.
func ContextInScope(pass *analysis.Pass, pos token.Pos) *types.Var {
	for s := pass.Pkg.Scope().Innermost(pos); s != nil && s != pass.Pkg.Scope(); s = s.Parent() {
		var found *types.Var
		for _, name := range s.Names() {
			v, ok := s.Lookup(name).(*types.Var)
			if !ok || v.Pos() >= pos || !IsContext(v.Type()) || name == "_" {
				continue
			}
			if found == nil || name == "ctx" {
				found = v
			}
		}
		if found != nil {
			return found
		}
	}
	return nil
}
