package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

const rootModule = "github.com/custody-go/custody"

// A pkg is a package with benchmarks, and where its test binary is.
type pkg struct {
	path string // import path
	dir  string
	exe  string
}

// findRoot returns the directory of the root module, the first directory
// from dir upwards whose go.mod declares it.
func findRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && modulePath(data) == rootModule {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("benchmd: no go.mod of %s in %s or above", rootModule, dir)
		}
	}
}

func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// A tree is a module's packages to benchmark: the root module or the bench
// module, with patterns relative to its directory.
type tree struct {
	dir      string
	patterns []string
}

// splitPatterns sends patterns relative to the repository root to the
// module that holds them: ./bench and below to the bench module.
func splitPatterns(root string, patterns []string) []tree {
	rootTree := tree{dir: root}
	benchTree := tree{dir: filepath.Join(root, "bench")}
	for _, p := range patterns {
		clean := "./" + filepath.ToSlash(filepath.Clean(p))
		if clean == "./bench" || strings.HasPrefix(clean, "./bench/") {
			benchTree.patterns = append(benchTree.patterns, "."+strings.TrimPrefix(clean, "./bench"))
		} else {
			rootTree.patterns = append(rootTree.patterns, p)
		}
	}
	var out []tree
	for _, t := range []tree{benchTree, rootTree} {
		if len(t.patterns) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// goCmd runs the go command in dir and returns its standard output.
func goCmd(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("benchmd: go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return string(out), nil
}

// listBenchPackages lists the packages of t that have a Benchmark
// function in a test file, in the order tables show them.
func listBenchPackages(t tree) ([]pkg, error) {
	out, err := goCmd(t.dir, append([]string{"list", "-f",
		"{{.ImportPath}}\t{{.Dir}}\t{{join .TestGoFiles \" \"}} {{join .XTestGoFiles \" \"}}"}, t.patterns...)...)
	if err != nil {
		return nil, err
	}
	var pkgs []pkg
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) < 3 {
			continue
		}
		for _, file := range strings.Fields(f[2]) {
			data, err := os.ReadFile(filepath.Join(f[1], file))
			if err == nil && bytes.Contains(data, []byte("\nfunc Benchmark")) {
				pkgs = append(pkgs, pkg{path: f[0], dir: f[1]})
				break
			}
		}
	}
	slices.SortStableFunc(pkgs, func(a, b pkg) int { return pkgRank(a.path) - pkgRank(b.path) })
	return pkgs, nil
}

// pkgRank orders packages as the library is introduced: safego, chanown,
// safemap, oracle, then the others.
func pkgRank(path string) int {
	if i := slices.Index([]string{"safego", "chanown", "safemap", "oracle"}, lastElem(path)); i >= 0 {
		return i
	}
	return 4
}

// build compiles the test binary of each package into dir, once.
func build(t tree, pkgs []pkg, dir string) error {
	for i := range pkgs {
		pkgs[i].exe = filepath.Join(dir, strings.NewReplacer("/", "_", ".", "_").Replace(pkgs[i].path)+".test")
		if _, err := goCmd(t.dir, "test", "-c", "-o", pkgs[i].exe, pkgs[i].path); err != nil {
			return err
		}
	}
	return nil
}

// runBinary runs one package's benchmarks once and returns the output.
func runBinary(p pkg, args []string, procs int) ([]byte, error) {
	cmd := exec.Command(p.exe, args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", procs))
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := out
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		return nil, fmt.Errorf("benchmd: %s %s: %v\n%s", p.path, strings.Join(args, " "), err, tail)
	}
	return out, nil
}
