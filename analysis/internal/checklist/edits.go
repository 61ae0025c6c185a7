package checklist

import (
	"go/ast"
	"go/token"
	"go/types"
	"strconv"

	"golang.org/x/tools/go/analysis"
)

// DeleteLine returns the edit that deletes node, with the whole of its line
// when nothing else is on that line.
func DeleteLine(pass *analysis.Pass, file *ast.File, node ast.Node) analysis.TextEdit {
	tf := pass.Fset.File(node.Pos())
	src, err := pass.ReadFile(tf.Name())
	if err != nil {
		return analysis.TextEdit{Pos: node.Pos(), End: node.End()}
	}
	start, end := tf.Offset(node.Pos()), tf.Offset(node.End())
	ls := start
	for ls > 0 && (src[ls-1] == ' ' || src[ls-1] == '\t') {
		ls--
	}
	le := end
	for le < len(src) && (src[le] == ' ' || src[le] == '\t') {
		le++
	}
	if (ls == 0 || src[ls-1] == '\n') && (le == len(src) || src[le] == '\n') {
		if le < len(src) {
			le++
		}
		return analysis.TextEdit{Pos: tf.Pos(ls), End: tf.Pos(le)}
	}
	return analysis.TextEdit{Pos: node.Pos(), End: node.End()}
}

// ImportName returns the name under which file imports path, and whether
// it imports it.
func ImportName(file *ast.File, path string) (string, bool) {
	for _, spec := range file.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil || p != path {
			continue
		}
		if spec.Name != nil {
			return spec.Name.Name, true
		}
		return defaultName(path), true
	}
	return "", false
}

func defaultName(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}

// AddImport returns the edit that adds an import of path to file, after its
// last import (or after its package clause), and the name to refer to it
// by. It adds nothing when file already imports path.
func AddImport(file *ast.File, path string) (string, []analysis.TextEdit) {
	if name, ok := ImportName(file, path); ok {
		return name, nil
	}
	name := defaultName(path)
	if len(file.Imports) > 0 {
		last := file.Imports[len(file.Imports)-1]
		for _, d := range file.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT && g.Lparen.IsValid() && g.Pos() <= last.Pos() && last.End() <= g.End() {
				return name, []analysis.TextEdit{{Pos: last.End(), End: last.End(), NewText: []byte("\n\t" + strconv.Quote(path))}}
			}
		}
		return name, []analysis.TextEdit{{Pos: last.End(), End: last.End(), NewText: []byte("\nimport " + strconv.Quote(path))}}
	}
	return name, []analysis.TextEdit{{Pos: file.Name.End(), End: file.Name.End(), NewText: []byte("\n\nimport " + strconv.Quote(path))}}
}

// RemoveImportIfUnused returns the edit that deletes file's import of the
// package pkgName names, when node is its only use in file.
func RemoveImportIfUnused(pass *analysis.Pass, file *ast.File, pkgName *types.PkgName, node ast.Node) []analysis.TextEdit {
	uses := 0
	ast.Inspect(file, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && pass.TypesInfo.Uses[id] == pkgName {
			if id.Pos() < node.Pos() || id.Pos() >= node.End() {
				uses++
			}
		}
		return true
	})
	if uses > 0 {
		return nil
	}
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		for _, s := range g.Specs {
			spec := s.(*ast.ImportSpec)
			if pass.TypesInfo.PkgNameOf(spec) != pkgName {
				continue
			}
			if !g.Lparen.IsValid() || len(g.Specs) == 1 {
				return []analysis.TextEdit{DeleteLine(pass, file, g)}
			}
			return []analysis.TextEdit{DeleteLine(pass, file, spec)}
		}
	}
	return nil
}

// FixImports returns the names under which file can refer to each of the
// paths in add, and the edits that import those file lacks. When unused is
// not nil and node holds its only use in file, the edits also delete that
// import (replacing it with a new one where both would touch one line).
func FixImports(pass *analysis.Pass, file *ast.File, add []string, unused *types.PkgName, node ast.Node) (map[string]string, []analysis.TextEdit) {
	names := map[string]string{}
	var missing []string
	for _, p := range add {
		if name, ok := ImportName(file, p); ok {
			names[p] = name
		} else {
			names[p] = defaultName(p)
			missing = append(missing, p)
		}
	}
	var remove []analysis.TextEdit
	if unused != nil {
		remove = RemoveImportIfUnused(pass, file, unused, node)
	}
	if len(remove) == 0 {
		var edits []analysis.TextEdit
		for _, p := range missing {
			_, e := AddImport(file, p)
			edits = append(edits, e...)
		}
		return names, edits
	}
	if len(missing) == 0 {
		return names, remove
	}
	// Put the new imports in place of the unused one.
	var spec *ast.ImportSpec
	for _, s := range file.Imports {
		if pass.TypesInfo.PkgNameOf(s) == unused {
			spec = s
		}
	}
	text := strconv.Quote(missing[0])
	sep := "\nimport "
	if len(file.Imports) > 1 || grouped(file, spec) {
		sep = "\n\t"
	}
	for _, p := range missing[1:] {
		text += sep + strconv.Quote(p)
	}
	return names, []analysis.TextEdit{{Pos: spec.Pos(), End: spec.End(), NewText: []byte(text)}}
}

func grouped(file *ast.File, spec *ast.ImportSpec) bool {
	for _, d := range file.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT && g.Pos() <= spec.Pos() && spec.End() <= g.End() {
			return g.Lparen.IsValid()
		}
	}
	return false
}
