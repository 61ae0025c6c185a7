package chanannot

import (
	_ "embed"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/astutil"

	"github.com/custody-go/custody/analysis/internal/checklist"
)

//go:embed doc.go
var doc string

// Analyzer checks the ownership annotations of channels.
var Analyzer = &analysis.Analyzer{
	Name:     "chanannot",
	Doc:      checklist.Doc(doc),
	URL:      "https://pkg.go.dev/github.com/custody-go/custody/analysis/chanannot",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

// An annotation is what a channel's comment says.
type annotation struct {
	buffered, owner, closer string
	hasBuffered             bool
	line                    int
}

var tag = regexp.MustCompile(`\[\s*(buffered|owned by|closed by)\s*:\s*([^\]]*)\]`)

func parse(text string) *annotation {
	// A comment may hold several: "// [owned by: x] // want ...". Leave
	// out an analysistest expectation.
	var keep []string
	for _, seg := range strings.Split(text, "//") {
		if !strings.HasPrefix(strings.TrimSpace(seg), "want ") {
			keep = append(keep, seg)
		}
	}
	ms := tag.FindAllStringSubmatch(strings.Join(keep, " "), -1)
	if len(ms) == 0 {
		return nil
	}
	a := &annotation{}
	for _, m := range ms {
		v := strings.TrimSpace(m[2])
		switch m[1] {
		case "buffered":
			a.buffered, a.hasBuffered = v, true
		case "owned by":
			a.owner = v
		case "closed by":
			a.closer = v
		}
	}
	return a
}

type checker struct {
	pass *analysis.Pass
	r    *checklist.Reporter
	// comments[file][line] is the text of the comments on that line.
	comments map[*token.File]map[int]string
	// annotated maps channel variables and fields to their annotations.
	annotated map[*types.Var]*annotation
	prod      map[*ast.File]bool
}

func run(pass *analysis.Pass) (any, error) {
	c := &checker{
		pass:      pass,
		r:         checklist.NewReporter(pass, "chanannot"),
		comments:  map[*token.File]map[int]string{},
		annotated: map[*types.Var]*annotation{},
		prod:      map[*ast.File]bool{},
	}
	for _, f := range checklist.Files(pass, checklist.ProductionCode) {
		c.prod[f] = true
	}
	for _, f := range pass.Files {
		tf := pass.Fset.File(f.Pos())
		lines := map[int]string{}
		for _, cg := range f.Comments {
			for _, cm := range cg.List {
				l := tf.Line(cm.Pos())
				lines[l] += cm.Text + "\n"
			}
		}
		c.comments[tf] = lines
	}
	c.declarations()
	c.closes()
	c.sendsAfterClose()
	c.closesUnderSenders()
	return nil, nil
}

func isChan(t types.Type) bool {
	if t == nil {
		return false
	}
	_, ok := t.Underlying().(*types.Chan)
	return ok
}

// closable reports whether t is a channel type its holder can close: not a
// receive-only view of a channel declared elsewhere (a ctx.Done()).
func closable(t types.Type) bool {
	c, ok := t.Underlying().(*types.Chan)
	return ok && c.Dir() != types.RecvOnly
}

// at returns the annotation on the line of pos or on the line above.
func (c *checker) at(pos token.Pos, above token.Pos) *annotation {
	tf := c.pass.Fset.File(pos)
	lines := c.comments[tf]
	if a := parse(lines[tf.Line(pos)]); a != nil {
		a.line = tf.Line(pos)
		return a
	}
	if a := parse(lines[tf.Line(above)-1]); a != nil {
		a.line = tf.Line(above) - 1
		return a
	}
	return nil
}

// declarations records every annotation and reports channels without one,
// annotations without an owner or a closer, and capacities that disagree.
func (c *checker) declarations() {
	info := c.pass.TypesInfo
	checklist.Inspect(c.pass, checklist.AllCode, []ast.Node{(*ast.StructType)(nil), (*ast.ValueSpec)(nil), (*ast.AssignStmt)(nil), (*ast.KeyValueExpr)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		prod := c.prod[file]
		switch n := n.(type) {
		case *ast.StructType:
			for _, f := range n.Fields.List {
				if !isChan(info.TypeOf(f.Type)) {
					continue
				}
				a := c.at(f.Pos(), f.Pos())
				for _, id := range f.Names {
					if v, ok := info.Defs[id].(*types.Var); ok && a != nil {
						c.annotated[v] = a
					}
				}
				if len(f.Names) > 0 && closable(info.TypeOf(f.Type)) {
					c.require(prod, f, f.Names[0].Name, a)
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				v, ok := info.Defs[id].(*types.Var)
				if !ok || !isChan(v.Type()) {
					continue
				}
				a := c.at(id.Pos(), n.Pos())
				if a != nil {
					c.annotated[v] = a
				}
				var mk *ast.CallExpr
				if i < len(n.Values) {
					mk = c.makeChan(n.Values[i])
				}
				// A local var ch chan T with no value is declared for later: its make is checked.
				if mk != nil || v.Parent() == c.pass.Pkg.Scope() && closable(v.Type()) {
					c.require(prod, id, id.Name, a)
				}
				if mk != nil {
					c.capacity(mk, id.Name, a)
				}
			}
		case *ast.AssignStmt:
			for i, rhs := range n.Rhs {
				mk := c.makeChan(rhs)
				if mk == nil || i >= len(n.Lhs) {
					continue
				}
				switch lhs := checklist.Unparen(n.Lhs[i]).(type) {
				case *ast.Ident:
					v, _ := info.ObjectOf(lhs).(*types.Var)
					if v == nil || lhs.Name == "_" {
						continue
					}
					a := c.at(mk.Pos(), n.Pos())
					if a == nil {
						a = c.annotated[v]
					} else if n.Tok == token.DEFINE || c.annotated[v] == nil {
						c.annotated[v] = a
					}
					c.require(prod, lhs, lhs.Name, a)
					c.capacity(mk, lhs.Name, a)
				case *ast.SelectorExpr:
					if sel, ok := info.Selections[lhs]; ok {
						if f, ok := sel.Obj().(*types.Var); ok {
							c.capacity(mk, lhs.Sel.Name, c.annotated[f.Origin()])
						}
					}
				}
			}
		case *ast.KeyValueExpr:
			mk := c.makeChan(n.Value)
			id, ok := n.Key.(*ast.Ident)
			if mk == nil || !ok {
				return
			}
			if f, ok := info.Uses[id].(*types.Var); ok && f.IsField() {
				c.capacity(mk, id.Name, c.annotated[f.Origin()])
			}
		}
	})
}

// makeChan returns e when it is a call make(chan T, ...).
func (c *checker) makeChan(e ast.Expr) *ast.CallExpr {
	call, ok := checklist.Unparen(e).(*ast.CallExpr)
	if !ok || len(call.Args) == 0 {
		return nil
	}
	id, ok := checklist.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return nil
	}
	if b, ok := c.pass.TypesInfo.Uses[id].(*types.Builtin); !ok || b.Name() != "make" || !isChan(c.pass.TypesInfo.TypeOf(call.Args[0])) {
		return nil
	}
	return call
}

// require reports a missing annotation, or one without an owner or a
// closer, in production code.
func (c *checker) require(prod bool, at ast.Node, name string, a *annotation) {
	if !prod {
		return
	}
	switch {
	case a == nil:
		c.r.Reportf(at, "channel %s has no annotation: say who owns and who closes it, // [buffered: N] [owned by: X] [closed by: Y]", name)
	case a.owner == "" || a.closer == "":
		var lack []string
		if a.owner == "" {
			lack = append(lack, "[owned by: X]")
		}
		if a.closer == "" {
			lack = append(lack, "[closed by: Y]")
		}
		c.r.Reportf(at, "the annotation of channel %s lacks %s", name, strings.Join(lack, " and "))
	}
}

// capacity reports a make whose capacity disagrees with the annotation.
func (c *checker) capacity(mk *ast.CallExpr, name string, a *annotation) {
	if a == nil {
		return
	}
	info := c.pass.TypesInfo
	var capExpr ast.Expr
	if len(mk.Args) > 1 {
		capExpr = mk.Args[1]
	}
	have, haveKnown := int64(0), true
	if capExpr != nil {
		haveKnown = false
		if tv, ok := info.Types[capExpr]; ok && tv.Value != nil {
			have, haveKnown = constant.Int64Val(constant.ToInt(tv.Value))
		}
	}
	if !a.hasBuffered {
		if haveKnown && have != 0 {
			c.r.Reportf(mk, "make gives channel %s a buffer of %d, but its annotation (line %d) has no [buffered: %d]", name, have, a.line, have)
		}
		return
	}
	want, err := strconv.ParseInt(a.buffered, 0, 64)
	switch {
	case err == nil && haveKnown && want != have:
		c.r.Reportf(mk, "make gives channel %s a buffer of %d, but its annotation (line %d) says [buffered: %d]", name, have, a.line, want)
	case err != nil && capExpr == nil:
		c.r.Reportf(mk, "make gives channel %s no buffer, but its annotation (line %d) says [buffered: %s]", name, a.line, a.buffered)
	case err != nil && capExpr != nil && !haveKnown && strings.ReplaceAll(types.ExprString(capExpr), " ", "") != strings.ReplaceAll(a.buffered, " ", ""):
		// Two expressions: equal only if they read the same; different
		// text may still be the same number, so say nothing.
	}
}

// never reports whether a closer says nobody closes the channel.
func never(closer string) bool {
	switch strings.ToLower(strings.TrimSpace(closer)) {
	case "never", "nobody", "none", "no one", "-":
		return true
	}
	return false
}

var nameSplit = regexp.MustCompile(`\s*(,|\bor\b|\|)\s*`)

// closerNames returns the function, method or type names a [closed by: Y]
// lists, if every one of them is declared in the package; nil otherwise
// (prose the analyzer cannot check).
func (c *checker) closerNames(closer string) []string {
	var names []string
	for _, part := range nameSplit.Split(closer, -1) {
		part = strings.TrimSpace(part)
		part = strings.TrimSuffix(part, "()")
		part = strings.NewReplacer("(", "", ")", "", "*", "").Replace(part)
		if part == "" {
			continue
		}
		if !c.declared(part) {
			return nil
		}
		names = append(names, part)
	}
	return names
}

// declared reports whether name ("f", "T" or "T.m") is declared in the
// package.
func (c *checker) declared(name string) bool {
	scope := c.pass.Pkg.Scope()
	typ, method, isMethod := strings.Cut(name, ".")
	obj := scope.Lookup(typ)
	if !isMethod {
		return obj != nil
	}
	if obj == nil {
		return false
	}
	n, ok := types.Unalias(obj.Type()).(*types.Named)
	if !ok {
		return false
	}
	for i := range n.NumMethods() { // generic types included
		if n.Method(i).Name() == method {
			return true
		}
	}
	return false
}

// closes reports close(ch) outside the closer ch's annotation names.
func (c *checker) closes() {
	info := c.pass.TypesInfo
	checklist.Inspect(c.pass, checklist.ProductionCode, []ast.Node{(*ast.CallExpr)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		call := n.(*ast.CallExpr)
		id, ok := checklist.Unparen(call.Fun).(*ast.Ident)
		if !ok || len(call.Args) != 1 {
			return
		}
		if b, ok := info.Uses[id].(*types.Builtin); !ok || b.Name() != "close" {
			return
		}
		v := chanVar(info, call.Args[0])
		a := c.annotated[v]
		if a == nil || a.closer == "" {
			return
		}
		fn := checklist.FuncName(stack)
		if never(a.closer) {
			c.r.Reportf(call, "close of channel %s, whose annotation (line %d) says [closed by: %s]", v.Name(), a.line, a.closer)
			return
		}
		names := c.closerNames(a.closer)
		if names == nil {
			return
		}
		typ, _, _ := strings.Cut(fn, ".")
		for _, want := range names {
			if want == fn || want == typ || !strings.Contains(fn, ".") && strings.HasSuffix(want, "."+fn) {
				return
			}
		}
		where := fn
		if where == "" {
			where = "package scope"
		}
		c.r.Reportf(call, "close of channel %s in %s, but its annotation (line %d) says [closed by: %s]: a close by anyone else can make the closer's close or send panic", v.Name(), where, a.line, a.closer)
	})
}

// chanVar returns the variable or field a channel expression names.
func chanVar(info *types.Info, e ast.Expr) *types.Var {
	switch x := checklist.Unparen(e).(type) {
	case *ast.Ident:
		v, _ := info.ObjectOf(x).(*types.Var)
		return v
	case *ast.SelectorExpr:
		if sel, ok := info.Selections[x]; ok {
			if v, ok := sel.Obj().(*types.Var); ok {
				return v.Origin() // a field of a generic type's instance
			}
		}
	}
	return nil
}

// sendsAfterClose reports a send on a channel after the same function
// closed it, in the same block.
func (c *checker) sendsAfterClose() {
	info := c.pass.TypesInfo
	checklist.Inspect(c.pass, checklist.ProductionCode, []ast.Node{(*ast.BlockStmt)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		block := n.(*ast.BlockStmt)
		for i, stmt := range block.List {
			es, ok := stmt.(*ast.ExprStmt)
			if !ok {
				continue
			}
			call, ok := es.X.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				continue
			}
			if id, ok := checklist.Unparen(call.Fun).(*ast.Ident); !ok {
				continue
			} else if b, ok := info.Uses[id].(*types.Builtin); !ok || b.Name() != "close" {
				continue
			}
			ch := types.ExprString(checklist.Unparen(call.Args[0]))
			root := rootVar(info, call.Args[0])
			if root == nil {
				continue
			}
		later:
			for _, next := range block.List[i+1:] {
				var send *ast.SendStmt
				reassigned := false
				ast.Inspect(next, func(n ast.Node) bool {
					if send != nil || reassigned {
						return false
					}
					switch n := n.(type) {
					case *ast.FuncLit:
						return false
					case *ast.AssignStmt:
						for _, lhs := range n.Lhs {
							if rootVar(info, lhs) == root {
								reassigned = true
							}
						}
					case *ast.SendStmt:
						if types.ExprString(checklist.Unparen(n.Chan)) == ch && rootVar(info, n.Chan) == root {
							send = n
						}
					}
					return true
				})
				switch {
				case reassigned:
					break later
				case send != nil:
					c.r.Reportf(send, "send on %s after this function closed it at line %d: the send panics", ch, c.r.Line(call.Pos()))
					break later
				}
			}
		}
	})
}

func rootVar(info *types.Info, e ast.Expr) *types.Var {
	for {
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
}

// closesUnderSenders reports a close(ch) in a function that started
// goroutines sending on ch and did not wait for them first.
func (c *checker) closesUnderSenders() {
	info := c.pass.TypesInfo
	checklist.Inspect(c.pass, checklist.ProductionCode, []ast.Node{(*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)}, func(file *ast.File, n ast.Node, stack []ast.Node) {
		var body *ast.BlockStmt
		switch f := n.(type) {
		case *ast.FuncDecl:
			body = f.Body
		case *ast.FuncLit:
			body = f.Body
		}
		if body == nil {
			return
		}
		// The goroutine starts of this function (not of its literals), with
		// whether each is inside a loop.
		type start struct {
			node   ast.Node
			bodies []ast.Node
			loop   bool
		}
		var starts []start
		var closes []*ast.CallExpr
		var walk func(n ast.Node, loop bool)
		walk = func(n ast.Node, loop bool) {
			ast.Inspect(n, func(m ast.Node) bool {
				switch m := m.(type) {
				case nil:
					return false
				case *ast.FuncLit:
					return false
				case *ast.DeferStmt:
					return false // a deferred close runs at return: not looked at
				case *ast.ForStmt, *ast.RangeStmt:
					if m != n {
						walk(m, true)
						return false
					}
				case *ast.GoStmt:
					starts = append(starts, start{m, lits(m.Call), loop})
					return false
				case *ast.CallExpr:
					callee := checklist.Callee(info, m)
					if checklist.IsFunc(callee, checklist.SafegoPath, "Go") ||
						checklist.IsMethod(callee, checklist.SafegoPath, "Group", "Go", "TryGo") ||
						checklist.IsMethod(callee, "golang.org/x/sync/errgroup", "Group", "Go", "TryGo") {
						starts = append(starts, start{m, lits(m), loop})
						return false
					}
					if id, ok := checklist.Unparen(m.Fun).(*ast.Ident); ok && len(m.Args) == 1 {
						if b, ok := info.Uses[id].(*types.Builtin); ok && b.Name() == "close" {
							closes = append(closes, m)
						}
					}
				}
				return true
			})
		}
		walk(body, false)
		for _, cl := range closes {
			ch := types.ExprString(checklist.Unparen(cl.Args[0]))
			root := rootVar(info, cl.Args[0])
			if root == nil || counted(info, file, cl) {
				continue
			}
			var senders []start
			for _, s := range starts {
				if s.node.End() <= cl.Pos() && !exclusive(file, s.node, cl) && sendsOn(info, s.bodies, ch, root) {
					senders = append(senders, s)
				}
			}
			if len(senders) == 0 {
				continue
			}
			one := len(senders) == 1 && !senders[0].loop
			if c.waitsBetween(body, senders[len(senders)-1].node.End(), cl.Pos(), ch, root, one) {
				continue
			}
			c.r.Reportf(cl, "close of %s while the goroutines started at line %d may still send on it: a send after the close panics (wait for the senders first, or leave the close to them)", ch, c.r.Line(senders[0].node.Pos()))
		}
	})
}

// lits returns the bodies of the function literals a call starts or is
// given.
func lits(call *ast.CallExpr) []ast.Node {
	var out []ast.Node
	if lit, ok := checklist.Unparen(call.Fun).(*ast.FuncLit); ok {
		out = append(out, lit.Body)
	}
	for _, a := range call.Args {
		if lit, ok := checklist.Unparen(a).(*ast.FuncLit); ok {
			out = append(out, lit.Body)
		}
	}
	return out
}

func sendsOn(info *types.Info, bodies []ast.Node, ch string, root *types.Var) bool {
	found := false
	for _, b := range bodies {
		ast.Inspect(b, func(n ast.Node) bool {
			if s, ok := n.(*ast.SendStmt); ok && types.ExprString(checklist.Unparen(s.Chan)) == ch && rootVar(info, s.Chan) == root {
				found = true
			}
			return !found
		})
	}
	return found
}

// waitsBetween reports whether the function waits for its goroutines
// between from and to: a Wait call, a range over ch, or (when one
// goroutine sends) a receive from ch.
func (c *checker) waitsBetween(body ast.Node, from, to token.Pos, ch string, root *types.Var, one bool) bool {
	info := c.pass.TypesInfo
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if found || n == nil || n.End() <= from || n.Pos() >= to {
			return false
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		if n.Pos() < from {
			return true
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			found = checklist.IsWait(info, n)
		case *ast.RangeStmt:
			found = types.ExprString(checklist.Unparen(n.X)) == ch && rootVar(info, n.X) == root
		case *ast.UnaryExpr:
			found = one && n.Op == token.ARROW && types.ExprString(checklist.Unparen(n.X)) == ch
		}
		return !found
	})
	return found
}

// exclusive reports whether a and b are in different branches of one if,
// switch or select statement: when one runs, the other does not.
func exclusive(file *ast.File, a, b ast.Node) bool {
	pa, _ := astutil.PathEnclosingInterval(file, a.Pos(), a.End())
	pb, _ := astutil.PathEnclosingInterval(file, b.Pos(), b.End())
	// Paths run from the node up to the file: walk them from the top.
	i, j := len(pa)-1, len(pb)-1
	for i > 0 && j > 0 && pa[i-1] == pb[j-1] {
		i, j = i-1, j-1
	}
	switch pa[i].(type) {
	case *ast.IfStmt:
		return pa[i-1] != pb[j-1]
	case *ast.BlockStmt:
		// The body of a switch or select: different clauses exclude each other.
		if i+1 < len(pa) {
			switch pa[i+1].(type) {
			case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				return true
			}
		}
	}
	return false
}

// counted reports whether the close cl runs only when an if's condition
// that updates or reads an atomic counter holds: the last one out closes
// (gocql's session init), after every sender counted itself out.
func counted(info *types.Info, file *ast.File, cl *ast.CallExpr) bool {
	path, _ := astutil.PathEnclosingInterval(file, cl.Pos(), cl.End())
	for i, n := range path {
		switch n := n.(type) {
		case *ast.FuncDecl, *ast.FuncLit:
			return false
		case *ast.IfStmt:
			if i == 0 || path[i-1] != ast.Node(n.Body) {
				continue
			}
			found := false
			ast.Inspect(n.Cond, func(m ast.Node) bool {
				if call, ok := m.(*ast.CallExpr); ok {
					if fn := checklist.Callee(info, call); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == "sync/atomic" {
						found = true
					}
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
