package core

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
)

// moduleRoots caches, per directory, the root of the module that holds it
// ("" when none is found).
var moduleRoots sync.Map // string -> string

// RelFile returns file relative to the root of its module: the nearest
// ancestor directory holding a go.mod for a file on disk, or the path after
// a known module path for a -trimpath build. Failing both, it returns the
// file's directory name and base name, such as "payment/handler.go".
//
// The known module paths are those of the running binary's build info,
// which lists no dependencies in a test binary before Go 1.27.
func RelFile(file string) string {
	file = filepath.ToSlash(file)
	dir := filepath.Dir(file)
	if filepath.IsAbs(dir) {
		if root := moduleRoot(dir); root != "" {
			return strings.TrimPrefix(file, root+"/")
		}
	} else if rel, ok := trimModulePath(file); ok {
		return rel
	}
	return filepath.ToSlash(filepath.Join(filepath.Base(dir), filepath.Base(file)))
}

func moduleRoot(dir string) string {
	if root, ok := moduleRoots.Load(dir); ok {
		return root.(string)
	}
	root := ""
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		root = dir
	} else if parent := filepath.Dir(dir); parent != dir {
		root = moduleRoot(parent)
	}
	moduleRoots.Store(dir, filepath.ToSlash(root))
	return root
}

// trimModulePath strips the longest module path of the running binary that
// prefixes file, as found in -trimpath builds ("example.com/mod@v1.2.3/x.go"
// or, for the main module, "example.com/mod/x.go").
func trimModulePath(file string) (string, bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	best := ""
	try := func(p string) {
		if p != "" && strings.HasPrefix(file, p+"/") && len(p) > len(best) {
			best = p
		}
	}
	try(info.Main.Path)
	for _, m := range info.Deps {
		try(m.Path)
		try(m.Path + "@" + m.Version)
	}
	if best == "" {
		return "", false
	}
	return file[len(best)+1:], true
}
