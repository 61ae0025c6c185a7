package custody

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSiteResolvesLazily(t *testing.T) {
	before := resolutions.Load()
	s := Caller(0)
	st := Callers(0)
	require.False(t, s.IsZero())
	require.NotEmpty(t, st)
	assert.Equal(t, before, resolutions.Load(), "capturing a site or stack must not resolve it")

	assert.Equal(t, "github.com/custody-go/custody.TestSiteResolvesLazily", s.Function())
	assert.Equal(t, before+1, resolutions.Load(), "reading a field resolves once")
}

func TestSiteString(t *testing.T) {
	s := Caller(0) // the line checked below
	line := s.Line()
	assert.Equal(t, "site_internal_test.go:"+strconv.Itoa(line), s.String())
	assert.True(t, strings.HasSuffix(s.File(), "/site_internal_test.go"), s.File())
	assert.Equal(t, "?", Site{}.String())
	assert.Equal(t, "?", SiteOf(0).String())
}
