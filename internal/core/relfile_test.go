package core

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRelFile(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	// A test binary's build info lists its dependencies from Go 1.27 on,
	// not before; without them, a dependency's -trimpath file falls back to
	// its directory and base name.
	dep := "yaml/yaml_default.go"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/stretchr/testify" {
				dep = "assert/yaml/yaml_default.go"
			}
		}
	}
	for _, tt := range []struct{ in, want string }{
		// on disk, below this module's go.mod
		{file, "internal/core/relfile_test.go"},
		// -trimpath form of the main module, deeper than the fallback's
		// directory and base name
		{"github.com/custody-go/custody/internal/stack/parse.go", "internal/stack/parse.go"},
		// -trimpath form of a dependency
		{"github.com/stretchr/testify@v1.12.1/assert/yaml/yaml_default.go", dep},
		// neither: directory and base name
		{"/nonexistent/dir/pkg/file.go", "pkg/file.go"},
	} {
		assert.Equal(t, tt.want, RelFile(tt.in), "RelFile(%q)", tt.in)
	}
}
