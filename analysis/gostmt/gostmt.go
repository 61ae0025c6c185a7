package gostmt

import (
	_ "embed"
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
		r.Report(analysis.Diagnostic{Pos: g.Pos(), End: g.Call.Lparen,
			Message: "goroutine has no context and no done channel: nothing can stop it (give it a context.Context it watches, e.g. with safego.Go, or a channel it receives from)"})
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
