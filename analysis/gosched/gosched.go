package gosched

import (
	_ "embed"
	"go/ast"
	"go/types"
	"regexp"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"

	"github.com/custody-go/custody/analysis/internal/checklist"
)

//go:embed doc.go
var doc string

// Analyzer reports runtime.Gosched in production code.
var Analyzer = &analysis.Analyzer{
	Name:     "gosched",
	Doc:      checklist.Doc(doc),
	URL:      "https://pkg.go.dev/github.com/custody-go/custody/analysis/gosched",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

func run(pass *analysis.Pass) (any, error) {
	r := checklist.NewReporter(pass, "gosched")
	checklist.Inspect(pass, checklist.ProductionCode, []ast.Node{(*ast.CallExpr)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		call := n.(*ast.CallExpr)
		if !checklist.IsFunc(checklist.Callee(pass.TypesInfo, call), "runtime", "Gosched") {
			return
		}
		if inLoop(stack) || underTestFlag(stack) || handsBack(pass.TypesInfo, stack) {
			return
		}
		d := analysis.Diagnostic{
			Pos:     call.Pos(),
			End:     call.End(),
			Message: "runtime.Gosched in production code: it yields but orders nothing, so code that relies on it has a race (keep it for tests that simulate preemption)",
		}
		if stmt, ok := stack[len(stack)-2].(*ast.ExprStmt); ok {
			edits := []analysis.TextEdit{checklist.DeleteLine(pass, file, stmt)}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok {
					if pkg, ok := pass.TypesInfo.Uses[id].(*types.PkgName); ok {
						edits = append(edits, checklist.RemoveImportIfUnused(pass, file, pkg, call)...)
					}
				}
			}
			d.SuggestedFixes = []analysis.SuggestedFix{{Message: "Delete the runtime.Gosched call", TextEdits: edits}}
		}
		r.Report(d)
	})
	return nil, nil
}

// inLoop reports whether the call is inside a loop of its function: a
// spin-wait or a poll that yields between attempts, where the yield is
// about throughput, not order.
func inLoop(stack []ast.Node) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		switch stack[i].(type) {
		case *ast.FuncDecl, *ast.FuncLit:
			return false
		case *ast.ForStmt, *ast.RangeStmt:
			return true
		}
	}
	return false
}

// testName matches the names of flags that turn on test behavior: testing,
// inTest, isTest, testing.Testing().
var testName = regexp.MustCompile(`(?i)test`)

// underTestFlag reports whether the call is inside an if whose condition
// names a test flag: a delay that only tests turn on.
func underTestFlag(stack []ast.Node) bool {
	for i := len(stack) - 2; i >= 0; i-- {
		switch n := stack[i].(type) {
		case *ast.FuncDecl, *ast.FuncLit:
			return false
		case *ast.IfStmt:
			if stack[i+1] != ast.Node(n.Body) {
				continue // in the else branch, or in the condition
			}
			found := false
			ast.Inspect(n.Cond, func(m ast.Node) bool {
				if id, ok := m.(*ast.Ident); ok && testName.MatchString(id.Name) {
					found = true
				}
				return !found
			})
			if found {
				return true
			}
		}
	}
	return false
}

// handsBack reports whether the call statement is followed by a return (a
// back-off step whose caller decides what runs next: rueidis's zero-delay
// retry), or sits between an Unlock and a Lock of the same mutex (it lets
// the goroutine contending for the lock in: fairness, not order).
func handsBack(info *types.Info, stack []ast.Node) bool {
	stmt, ok := stack[len(stack)-2].(*ast.ExprStmt)
	if !ok {
		return false
	}
	block, ok := stack[len(stack)-3].(*ast.BlockStmt)
	if !ok {
		return false
	}
	for i, s := range block.List {
		if s != ast.Stmt(stmt) {
			continue
		}
		if i+1 < len(block.List) {
			if _, ok := block.List[i+1].(*ast.ReturnStmt); ok {
				return true
			}
		}
		if i > 0 && i+1 < len(block.List) {
			before, after := lockCall(info, block.List[i-1]), lockCall(info, block.List[i+1])
			if before != "" && after != "" && strings.HasSuffix(before, ".Unlock") && after == strings.TrimSuffix(before, ".Unlock")+".Lock" {
				return true
			}
		}
	}
	return false
}

// lockCall returns "x.Lock" or "x.Unlock" (RLock, RUnlock as Lock, Unlock)
// for a statement that calls that method on x, and "" otherwise.
func lockCall(info *types.Info, s ast.Stmt) string {
	es, ok := s.(*ast.ExprStmt)
	if !ok {
		return ""
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok {
		return ""
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if _, isMethod := info.Selections[sel]; !isMethod {
		return ""
	}
	switch sel.Sel.Name {
	case "Unlock", "RUnlock":
		return types.ExprString(sel.X) + ".Unlock"
	case "Lock", "RLock":
		return types.ExprString(sel.X) + ".Lock"
	}
	return ""
}
