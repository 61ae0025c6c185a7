package custody_test

import (
	"strings"
	"testing"

	"github.com/custody-go/custody"
	"github.com/stretchr/testify/assert"
)

//go:noinline
func callerOfHelper() custody.Site { return helperSite() }

//go:noinline
func helperSite() custody.Site { return custody.Caller(1) }

func TestCallerSkip(t *testing.T) {
	s := callerOfHelper()
	assert.Equal(t, "github.com/custody-go/custody_test.callerOfHelper", s.Function())
}

func TestCallerSkipInlined(t *testing.T) {
	// Inlining must not shift what Caller(1) names.
	s := inlinedHelper()
	assert.Equal(t, "github.com/custody-go/custody_test.TestCallerSkipInlined", s.Function())
}

func inlinedHelper() custody.Site { return custody.Caller(1) }

func TestRelFile(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		// on disk, below this module's go.mod
		{custody.Caller(0).File(), "site_test.go"},
		// -trimpath form of the main module, deeper than the fallback's
		// directory and base name
		{"github.com/custody-go/custody/internal/stack/parse.go", "internal/stack/parse.go"},
		// -trimpath form of a dependency: a test binary's build info lists
		// no dependencies, so this is the fallback (see RelFile's doc)
		{"github.com/stretchr/testify@v1.12.1/assert/yaml/yaml_default.go", "yaml/yaml_default.go"},
		// neither: directory and base name
		{"/nonexistent/dir/pkg/file.go", "pkg/file.go"},
	} {
		assert.Equal(t, tt.want, custody.RelFile(tt.in), "RelFile(%q)", tt.in)
	}
}

func TestStackString(t *testing.T) {
	st := custody.Callers(0)
	s := st.String()
	assert.True(t, strings.HasPrefix(s, "github.com/custody-go/custody_test.TestStackString\n\tsite_test.go:"), s)
	assert.Contains(t, s, "testing.tRunner")
	assert.Empty(t, custody.Stack(nil).String())
}
