package cancelscope

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

// Analyzer reports a deferred cancel of a context handed to a goroutine the
// function does not wait for.
var Analyzer = &analysis.Analyzer{
	Name:     "cancelscope",
	Doc:      checklist.Doc(doc),
	URL:      "https://pkg.go.dev/github.com/custody-go/custody/analysis/cancelscope",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

func run(pass *analysis.Pass) (any, error) {
	r := checklist.NewReporter(pass, "cancelscope")
	decls := checklist.FuncDecls(pass)
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		var body *ast.BlockStmt
		name := "the function"
		switch f := n.(type) {
		case *ast.FuncDecl:
			if pass.Pkg.Name() == "main" && f.Recv == nil && f.Name.Name == "main" {
				return // when main returns the process ends, goroutines and all
			}
			body, name = f.Body, f.Name.Name
		case *ast.FuncLit:
			body = f.Body
		}
		if body != nil {
			(&fn{pass: pass, r: r, decls: decls, body: body, name: name}).check()
		}
	})
	return nil, nil
}

// fn is one function body under check.
type fn struct {
	pass  *analysis.Pass
	r     *checklist.Reporter
	decls map[*types.Func]*ast.FuncDecl
	body  *ast.BlockStmt
	name  string
}

// inspect walks the function's own statements: not the bodies of the
// function literals in it, except those of deferred calls when defers is
// set.
func (f *fn) inspect(defers bool, visit func(n ast.Node) bool) {
	ast.Inspect(f.body, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		if d, ok := n.(*ast.DeferStmt); ok && defers {
			ast.Inspect(d.Call, func(n ast.Node) bool { return n != nil && visit(n) })
			return false
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		return visit(n)
	})
}

var withFuncs = []string{"WithCancel", "WithTimeout", "WithDeadline", "WithCancelCause", "WithTimeoutCause", "WithDeadlineCause"}

func (f *fn) check() {
	info := f.pass.TypesInfo
	// ctx, cancel := context.WithX(...)
	type made struct{ ctx, cancel *types.Var }
	var contexts []made
	f.inspect(false, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 2 || len(as.Rhs) != 1 {
			return true
		}
		call, ok := checklist.Unparen(as.Rhs[0]).(*ast.CallExpr)
		if !ok || !checklist.IsFunc(checklist.Callee(info, call), "context", withFuncs...) {
			return true
		}
		ctx, cancel := checklist.ObjectOf(info, as.Lhs[0]), checklist.ObjectOf(info, as.Lhs[1])
		if ctx != nil && cancel != nil {
			contexts = append(contexts, made{ctx, cancel})
		}
		return true
	})
	for _, m := range contexts {
		var deferred *ast.DeferStmt
		f.inspect(false, func(n ast.Node) bool {
			if d, ok := n.(*ast.DeferStmt); ok && len(d.Call.Args) <= 1 && checklist.ObjectOf(info, d.Call.Fun) == m.cancel {
				deferred = d
			}
			return deferred == nil
		})
		if deferred == nil {
			continue
		}
		derived := f.derived(m.ctx)
		start := f.unjoinedStart(derived, m.cancel, deferred.Pos())
		if start == nil {
			continue
		}
		f.r.Report(analysis.Diagnostic{Pos: deferred.Pos(), End: deferred.End(),
			Message: fmt.Sprintf("this deferred cancel cancels %s when %s returns, but %s hands it to the goroutine started at line %d and does not wait for it: that work is cancelled with the call (give it context.WithoutCancel(%s) and a deadline of its own, or wait for it)",
				m.ctx.Name(), f.name, f.name, f.r.Line(start.Pos()), m.ctx.Name())})
	}
}

// derived returns ctx and the contexts derived from it in the function:
// results of calls that take one of them and return a context.Context,
// other than context.WithoutCancel.
func (f *fn) derived(ctx *types.Var) map[*types.Var]bool {
	info := f.pass.TypesInfo
	set := map[*types.Var]bool{ctx: true}
	for changed := true; changed; {
		changed = false
		f.inspect(false, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || len(as.Rhs) != 1 {
				return true
			}
			call, ok := checklist.Unparen(as.Rhs[0]).(*ast.CallExpr)
			if !ok || checklist.IsFunc(checklist.Callee(info, call), "context", "WithoutCancel") || !f.refers(call, set) {
				return true
			}
			for _, lhs := range as.Lhs {
				if v := checklist.ObjectOf(info, lhs); v != nil && !set[v] && checklist.IsContext(v.Type()) {
					set[v] = true
					changed = true
				}
			}
			return true
		})
	}
	return set
}

// refers reports whether node refers to one of the contexts in set other
// than inside context.WithoutCancel(...) or as the receiver of Value.
func (f *fn) refers(node ast.Node, set map[*types.Var]bool) bool {
	info := f.pass.TypesInfo
	found := false
	ast.Inspect(node, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			if checklist.IsFunc(checklist.Callee(info, n), "context", "WithoutCancel") {
				return false
			}
		case *ast.SelectorExpr:
			if n.Sel.Name == "Value" {
				return false
			}
		case *ast.Ident:
			if v, ok := info.Uses[n].(*types.Var); ok && set[v] {
				found = true
			}
		}
		return true
	})
	return found
}

// unjoinedStart returns the first goroutine start that is handed one of the
// contexts in set, does not watch its Done channel itself nor call cancel
// (a listener that ends the context too, as mongo-driver's connection
// listeners do), and that the function does not wait for afterwards; nil if
// there is none.
func (f *fn) unjoinedStart(set map[*types.Var]bool, cancel *types.Var, deferPos token.Pos) ast.Node {
	info := f.pass.TypesInfo
	var starts []ast.Node
	f.inspect(false, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			if _, lit := checklist.Unparen(n.Call.Fun).(*ast.FuncLit); !lit && checklist.Callee(info, n.Call) == nil {
				return false // a function value (a callback): its body cannot be read
			}
			if f.refers(n.Call, set) && !f.watchesDone(n.Call) && !checklist.Uses(info, n.Call, cancel) {
				starts = append(starts, n)
			}
			return false
		case *ast.CallExpr:
			callee := checklist.Callee(info, n)
			switch {
			case checklist.IsFunc(callee, checklist.SafegoPath, "Go"),
				checklist.IsMethod(callee, checklist.SafegoPath, "Group", "Go", "TryGo"),
				checklist.IsMethod(callee, "golang.org/x/sync/errgroup", "Group", "Go", "TryGo"):
				if f.refers(n, set) && !f.watchesDone(n) && !checklist.Uses(info, n, cancel) {
					starts = append(starts, n)
				}
			}
		}
		return true
	})
	for _, s := range starts {
		if !f.joinedAfter(s.End(), deferPos) {
			return s
		}
	}
	return nil
}

// watchesDone reports whether the goroutine that call starts receives from
// a Done() channel in its own body (a function literal it is given or
// calls, or a function of this package it calls) or in a function of this
// package that body calls.
func (f *fn) watchesDone(call *ast.CallExpr) bool {
	info := f.pass.TypesInfo
	var bodies []ast.Node
	if lit, ok := checklist.Unparen(call.Fun).(*ast.FuncLit); ok {
		bodies = append(bodies, lit.Body)
	} else if callee := checklist.Callee(info, call); callee != nil && f.decls[callee.Origin()] != nil {
		if d := f.decls[callee.Origin()]; d.Body != nil && d.Name.Name != "Go" {
			bodies = append(bodies, d.Body)
		}
	}
	for _, arg := range call.Args {
		if lit, ok := checklist.Unparen(arg).(*ast.FuncLit); ok {
			bodies = append(bodies, lit.Body)
		}
	}
	// One call deeper: the same package's functions the bodies call.
	for _, b := range bodies[:len(bodies):len(bodies)] {
		ast.Inspect(b, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				if callee := checklist.Callee(info, c); callee != nil {
					if d := f.decls[callee.Origin()]; d != nil && d.Body != nil {
						bodies = append(bodies, d.Body)
					}
				}
			}
			return true
		})
	}
	for _, b := range bodies {
		found := false
		ast.Inspect(b, func(n ast.Node) bool {
			if u, ok := n.(*ast.UnaryExpr); ok && u.Op == token.ARROW {
				if c, ok := checklist.Unparen(u.X).(*ast.CallExpr); ok {
					if fn := checklist.Callee(info, c); fn != nil && fn.Name() == "Done" {
						found = true
					}
				}
			}
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// joinedAfter reports whether the function waits after pos: calls a Wait
// method, receives from a channel, ranges over one or selects; or defers a
// call that does so after cancel's defer at deferPos (it runs first).
func (f *fn) joinedAfter(pos, deferPos token.Pos) bool {
	found := false
	ast.Inspect(f.body, func(n ast.Node) bool {
		if found || n == nil || n.End() <= pos && n.End() <= deferPos {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.DeferStmt:
			if n.Pos() > deferPos {
				found = f.waits(n.Call)
				return false
			}
		}
		if n.Pos() >= pos && f.waitsHere(n) {
			found = true
		}
		return !found
	})
	return found
}

// waits reports whether node waits anywhere, function literals included.
func (f *fn) waits(node ast.Node) bool {
	found := false
	ast.Inspect(node, func(n ast.Node) bool {
		if n != nil && f.waitsHere(n) {
			found = true
		}
		return !found
	})
	return found
}

// waitsHere reports whether n itself is a wait: a Wait call, a receive, a
// select, a range over a channel.
func (f *fn) waitsHere(n ast.Node) bool {
	info := f.pass.TypesInfo
	switch n := n.(type) {
	case *ast.CallExpr:
		return checklist.IsWait(info, n)
	case *ast.UnaryExpr:
		return n.Op == token.ARROW
	case *ast.SelectStmt:
		return true
	case *ast.RangeStmt:
		if t := info.TypeOf(n.X); t != nil {
			_, ok := t.Underlying().(*types.Chan)
			return ok
		}
	}
	return false
}
