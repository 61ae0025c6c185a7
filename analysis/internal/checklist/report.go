package checklist

import (
	"go/ast"
	"go/token"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// Directive is the comment prefix that silences one diagnostic:
//
//	//custody:ignore RULE reason
//
// on the line of the diagnostic or on the line above it. RULE may be a
// comma-separated list of rule names. A directive without a reason
// silences nothing and is itself reported.
const Directive = "//custody:ignore"

// A Reporter reports one rule's diagnostics, except those a
// //custody:ignore directive with a reason silences.
type Reporter struct {
	pass *analysis.Pass
	rule string
	// silenced[file name][line] is set when a directive for rule with a
	// reason is on that line.
	silenced map[string]map[int]bool
}

// NewReporter returns the Reporter for rule in pass. It reports every
// //custody:ignore directive for rule that gives no reason.
func NewReporter(pass *analysis.Pass, rule string) *Reporter {
	r := &Reporter{pass: pass, rule: rule, silenced: map[string]map[int]bool{}}
	for _, f := range pass.Files {
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				rules, reason, ok := parseDirective(c.Text)
				if !ok || !contains(rules, rule) {
					continue
				}
				if reason == "" {
					pass.Report(analysis.Diagnostic{
						Pos:      c.Pos(),
						End:      c.End(),
						Category: rule,
						Message:  "custody:ignore " + rule + " needs a reason after the rule name; without one it silences nothing",
					})
					continue
				}
				p := pass.Fset.Position(c.Pos())
				lines := r.silenced[p.Filename]
				if lines == nil {
					lines = map[int]bool{}
					r.silenced[p.Filename] = lines
				}
				lines[p.Line] = true
			}
		}
	}
	return r
}

// parseDirective splits a //custody:ignore comment into its rule names and
// its reason. ok is false for any other comment.
func parseDirective(text string) (rules []string, reason string, ok bool) {
	rest, found := strings.CutPrefix(text, Directive)
	if !found || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
		return nil, "", false
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return nil, "", true
	}
	return strings.Split(fields[0], ","), strings.Join(fields[1:], " "), true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Silenced reports whether a directive with a reason silences the rule at
// pos: on pos's line or on the line above.
func (r *Reporter) Silenced(pos token.Pos) bool {
	p := r.pass.Fset.Position(pos)
	lines := r.silenced[p.Filename]
	return lines[p.Line] || lines[p.Line-1]
}

// Report reports d unless it is silenced.
func (r *Reporter) Report(d analysis.Diagnostic) {
	if r.Silenced(d.Pos) {
		return
	}
	if d.Category == "" {
		d.Category = r.rule
	}
	r.pass.Report(d)
}

// Reportf reports a diagnostic at node unless it is silenced.
func (r *Reporter) Reportf(node ast.Node, format string, args ...any) {
	r.Report(analysis.Diagnostic{Pos: node.Pos(), End: node.End(), Message: sprintf(format, args...)})
}

// Line returns the line of pos, for messages that point at another line.
func (r *Reporter) Line(pos token.Pos) int { return r.pass.Fset.Position(pos).Line }

// Doc returns an analyzer's doc from the source of its doc.go: the package
// comment after its "# Analyzer NAME" heading, without the "NAME: " that
// starts its first line.
func Doc(src string) string {
	var lines []string
	for _, line := range strings.Split(src, "\n") {
		if !strings.HasPrefix(line, "//") {
			if len(lines) > 0 {
				break
			}
			continue
		}
		lines = append(lines, strings.TrimPrefix(strings.TrimPrefix(line, "//"), " "))
	}
	// Drop "Package x defines..." up to and including the "# Analyzer" heading.
	for i, l := range lines {
		if strings.HasPrefix(l, "# Analyzer") {
			lines = lines[i+1:]
			break
		}
	}
	doc := strings.TrimSpace(strings.Join(lines, "\n"))
	// "gosched: report ..." -> "report ...": drivers print the name.
	if name, rest, ok := strings.Cut(doc, ": "); ok && !strings.ContainsAny(name, " \n") {
		doc = rest
	}
	return doc
}
