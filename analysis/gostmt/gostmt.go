package gostmt

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

// Analyzer reports go statements whose goroutine nothing can stop.
var Analyzer = &analysis.Analyzer{
	Name:     "gostmt",
	Doc:      checklist.Doc(doc),
	URL:      "https://pkg.go.dev/github.com/custody-go/custody/analysis/gostmt",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

// depth is how many calls deep the analyzer follows the same package's
// functions from a goroutine's body.
const depth = 2

func run(pass *analysis.Pass) (any, error) {
	r := checklist.NewReporter(pass, "gostmt")
	if pass.Pkg.Name() == "main" {
		return nil, nil // a program: its goroutines end with the process
	}
	decls := checklist.FuncDecls(pass)
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.GoStmt)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		g := n.(*ast.GoStmt)
		c := &checker{info: pass.TypesInfo, decls: decls, seen: map[ast.Node]bool{}}
		for _, arg := range g.Call.Args {
			if c.stoppable(arg) {
				return
			}
		}
		var body ast.Node
		switch fun := checklist.Unparen(g.Call.Fun).(type) {
		case *ast.FuncLit:
			body = fun.Body
		default:
			fn := checklist.Callee(pass.TypesInfo, g.Call)
			if fn == nil || decls[fn.Origin()] == nil || decls[fn.Origin()].Body == nil {
				return // a function value, or another package's: its body is not here
			}
			body = decls[fn.Origin()].Body
		}
		if c.listens(body, depth) {
			return
		}
		loop := c.endless(body, depth)
		if loop == nil {
			return // it ends by itself: its loops, if any, have a way out
		}
		r.Report(analysis.Diagnostic{Pos: g.Pos(), End: g.Call.Lparen,
			Message: fmt.Sprintf("goroutine loops forever (the for at line %d has no way out) and has no context and no done channel: nothing can stop it (give it a context.Context it watches, e.g. with safego.Go, or a channel it receives from)", r.Line(loop.Pos()))})
	})
	return nil, nil
}

type checker struct {
	info  *types.Info
	decls map[*types.Func]*ast.FuncDecl
	seen  map[ast.Node]bool
}

// stoppable reports whether e is a context or a channel.
func (c *checker) stoppable(e ast.Expr) bool {
	t := c.info.TypeOf(e)
	if t == nil {
		return false
	}
	if checklist.IsContext(t) {
		return true
	}
	_, ok := t.Underlying().(*types.Chan)
	return ok
}

// listens reports whether body refers to a context, receives from a
// channel, or calls a Done method; following the same package's functions
// it calls, d calls deep.
func (c *checker) listens(body ast.Node, d int) bool {
	if c.seen[body] {
		return false
	}
	c.seen[body] = true
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				found = true
			}
		case *ast.SelectStmt:
			found = true
		case *ast.RangeStmt:
			if t := c.info.TypeOf(n.X); t != nil {
				if _, ok := t.Underlying().(*types.Chan); ok {
					found = true
				}
			}
		case *ast.CallExpr:
			fn := checklist.Callee(c.info, n)
			if fn != nil && fn.Name() == "Done" {
				found = true
			} else if d > 1 && fn != nil && c.decls[fn.Origin()] != nil && c.decls[fn.Origin()].Body != nil {
				found = c.listens(c.decls[fn.Origin()].Body, d-1)
			}
			for _, arg := range n.Args {
				if c.stoppable(arg) {
					found = true
				}
			}
		case ast.Expr:
			if t := c.info.TypeOf(n); t != nil && checklist.IsContext(t) {
				found = true
			}
		}
		return !found
	})
	return found
}

// endless returns a for loop without a condition in body, or in the same
// package's functions body calls (d calls deep), that nothing leaves: no
// return, no break or goto out of it, no panic, os.Exit, log.Fatal or
// runtime.Goexit. nil if there is none.
func (c *checker) endless(body ast.Node, d int) *ast.ForStmt {
	var found *ast.ForStmt
	seen := map[ast.Node]bool{}
	var visit func(body ast.Node, d int)
	visit = func(body ast.Node, d int) {
		if seen[body] {
			return
		}
		seen[body] = true
		ast.Inspect(body, func(n ast.Node) bool {
			if found != nil {
				return false
			}
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ForStmt:
				if (n.Cond == nil || isTrue(n.Cond)) && !c.exits(n) {
					found = n
				}
			case *ast.CallExpr:
				if fn := checklist.Callee(c.info, n); d > 1 && fn != nil && c.decls[fn.Origin()] != nil && c.decls[fn.Origin()].Body != nil {
					visit(c.decls[fn.Origin()].Body, d-1)
				}
			}
			return found == nil
		})
	}
	visit(body, d)
	return found
}

func isTrue(e ast.Expr) bool {
	id, ok := checklist.Unparen(e).(*ast.Ident)
	return ok && id.Name == "true"
}

// exits reports whether something in loop leaves it: a return, a goto, a
// break that targets it, or a call that ends the goroutine or the process.
func (c *checker) exits(loop *ast.ForStmt) bool {
	out := false
	// depth counts the for, switch and select statements between loop and
	// the node: an unlabeled break inside them leaves them, not loop.
	var walk func(n ast.Node, depth int)
	walk = func(n ast.Node, depth int) {
		ast.Inspect(n, func(m ast.Node) bool {
			if out || m == nil {
				return false
			}
			switch m := m.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				out = true
			case *ast.BranchStmt:
				switch {
				case m.Tok == token.GOTO:
					out = true
				case m.Tok == token.BREAK && m.Label == nil && depth == 0:
					out = true
				case m.Tok == token.BREAK && m.Label != nil:
					out = true // a labeled break: assume it leaves
				}
			case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				if m != ast.Node(loop) {
					for _, child := range children(m) {
						walk(child, depth+1)
					}
					return false
				}
			case *ast.CallExpr:
				if id, ok := checklist.Unparen(m.Fun).(*ast.Ident); ok && id.Name == "panic" {
					out = true
				}
				if fn := checklist.Callee(c.info, m); fn != nil && fn.Pkg() != nil {
					switch fn.Pkg().Path() + "." + fn.Name() {
					case "os.Exit", "runtime.Goexit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf", "log.Panicln":
						out = true
					}
				}
			}
			return !out
		})
	}
	walk(loop.Body, 0)
	return out
}

func children(n ast.Node) []ast.Node {
	var out []ast.Node
	switch n := n.(type) {
	case *ast.ForStmt:
		out = append(out, n.Body)
	case *ast.RangeStmt:
		out = append(out, n.Body)
	case *ast.SwitchStmt:
		out = append(out, n.Body)
	case *ast.TypeSwitchStmt:
		out = append(out, n.Body)
	case *ast.SelectStmt:
		out = append(out, n.Body)
	}
	return out
}
