package custody_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/custody-go/custody"
)

func TestSiteString(t *testing.T) {
	var pc [1]uintptr
	runtime.Callers(1, pc[:])
	s := custody.Site(pc[0])
	assert.Equal(t, "github.com/custody-go/custody_test.TestSiteString", s.Frame().Function)
	assert.True(t, strings.HasPrefix(s.String(), "site_test.go:"), s.String())
	assert.Equal(t, "?", custody.Site(0).String())
}

func TestStackString(t *testing.T) {
	var pcs [64]uintptr
	st := custody.Stack(pcs[:runtime.Callers(1, pcs[:])])
	s := st.String()
	assert.True(t, strings.HasPrefix(s, "github.com/custody-go/custody_test.TestStackString\n\tsite_test.go:"), s)
	assert.Contains(t, s, "testing.tRunner")
	assert.Empty(t, custody.Stack(nil).String())
}
