package selectdone

import (
	_ "embed"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"

	"github.com/custody-go/custody/analysis/internal/checklist"
)

//go:embed doc.go
var doc string

// Analyzer reports select statements that can wait forever.
var Analyzer = &analysis.Analyzer{
	Name:     "selectdone",
	Doc:      checklist.Doc(doc),
	URL:      "https://pkg.go.dev/github.com/custody-go/custody/analysis/selectdone",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

func run(pass *analysis.Pass) (any, error) {
	r := checklist.NewReporter(pass, "selectdone")
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.SelectStmt)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		sel := n.(*ast.SelectStmt)
		if len(sel.Body.List) == 0 {
			if pass.Pkg.Name() == "main" && checklist.FuncName(stack) == "main" {
				return // a main that serves until the process is killed
			}
			if afterPanic(sel, stack[len(stack)-2]) {
				return // the process is crashing: the goroutine stays for the dump
			}
			r.Report(analysis.Diagnostic{Pos: sel.Pos(), End: sel.Body.Lbrace + 1,
				Message: "select {} blocks forever: the goroutine can never be stopped (wait on a context or a done channel instead)"})
			return
		}
		for _, c := range sel.Body.List {
			if WayOut(pass.TypesInfo, c.(*ast.CommClause)) {
				return
			}
		}
		if receives(sel) {
			return // a receive is released when its channel is closed: the usual shutdown
		}
		if acquires(pass.TypesInfo, sel) {
			return // a semaphore: the holders of its tokens release them
		}
		r.Report(analysis.Diagnostic{Pos: sel.Pos(), End: sel.Body.Lbrace + 1,
			Message: "every case of this select sends, and none is a way out (default, ctx.Done()): once the receivers are gone nothing can release it, it blocks forever (add case <-ctx.Done() or a done channel)"})
	})
	return nil, nil
}

// doneName matches the names of channels that signal an end.
var doneName = regexp.MustCompile(`(?i)(done|quit|stop|clos|cancel|shutdown|exit|die|dying|abort|kill|finish|teardown|term)`)

// WayOut reports whether the select case c lets a goroutine stop waiting
// without any peer's help: a default, a Done() channel, a timer, a signal
// channel.
func WayOut(info *types.Info, c *ast.CommClause) bool {
	var ch ast.Expr
	switch comm := c.Comm.(type) {
	case nil:
		return true // default
	case *ast.ExprStmt:
		ch = recvOperand(comm.X)
	case *ast.AssignStmt:
		if len(comm.Rhs) == 1 {
			ch = recvOperand(comm.Rhs[0])
		}
	}
	if ch == nil {
		return false // a send
	}
	ch = checklist.Unparen(ch)
	if call, ok := ch.(*ast.CallExpr); ok {
		if fn := checklist.Callee(info, call); fn != nil && fn.Name() == "Done" {
			return true
		}
	}
	if t, ok := info.TypeOf(ch).Underlying().(*types.Chan); ok {
		elem := t.Elem()
		if s, ok := elem.Underlying().(*types.Struct); ok && s.NumFields() == 0 {
			return true
		}
		if checklist.IsNamed(elem, "time", "Time") {
			return true
		}
	}
	return doneName.MatchString(lastName(ch))
}

func recvOperand(e ast.Expr) ast.Expr {
	if u, ok := checklist.Unparen(e).(*ast.UnaryExpr); ok && u.Op == token.ARROW {
		return u.X
	}
	return nil
}

// lastName returns the name an expression ends in: x, s.x, f().x, s.x().
func lastName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.CallExpr:
		return lastName(checklist.Unparen(e.Fun))
	case *ast.IndexExpr:
		return lastName(checklist.Unparen(e.X))
	}
	return ""
}

// receives reports whether a case of the select receives.
func receives(sel *ast.SelectStmt) bool {
	for _, c := range sel.Body.List {
		switch comm := c.(*ast.CommClause).Comm.(type) {
		case *ast.ExprStmt:
			if recvOperand(comm.X) != nil {
				return true
			}
		case *ast.AssignStmt:
			if len(comm.Rhs) == 1 && recvOperand(comm.Rhs[0]) != nil {
				return true
			}
		}
	}
	return false
}

// afterPanic reports whether the statement before sel in its block (parent)
// is go panic(...): x/sync's singleflight re-panics in a new goroutine to
// crash the process, and keeps the current one in the crash dump.
func afterPanic(sel *ast.SelectStmt, parent ast.Node) bool {
	block, ok := parent.(*ast.BlockStmt)
	if !ok {
		return false
	}
	for i, s := range block.List {
		if s != ast.Stmt(sel) || i == 0 {
			continue
		}
		if g, ok := block.List[i-1].(*ast.GoStmt); ok {
			id, ok := checklist.Unparen(g.Call.Fun).(*ast.Ident)
			return ok && id.Name == "panic"
		}
	}
	return false
}

// acquires reports whether a case of the select sends struct{}{} on a
// channel of struct{}: a semaphore's acquire, which waits for a holder of
// a token to release it, not for a receiver that may be gone.
func acquires(info *types.Info, sel *ast.SelectStmt) bool {
	for _, c := range sel.Body.List {
		send, ok := c.(*ast.CommClause).Comm.(*ast.SendStmt)
		if !ok {
			continue
		}
		if t, ok := info.TypeOf(send.Chan).Underlying().(*types.Chan); ok {
			if s, ok := t.Elem().Underlying().(*types.Struct); ok && s.NumFields() == 0 {
				return true
			}
		}
	}
	return false
}
