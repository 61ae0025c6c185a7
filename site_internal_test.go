package custody

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSiteResolvesLazily(t *testing.T) {
	before := resolutions.Load()
	var pcs [8]uintptr
	runtime.Callers(1, pcs[:])
	s, st := Site(pcs[0]), Stack(pcs[:])
	_ = st
	assert.Equal(t, before, resolutions.Load(), "a site or stack is not resolved until read")
	assert.Equal(t, "github.com/custody-go/custody.TestSiteResolvesLazily", s.Frame().Function)
	assert.Equal(t, before+1, resolutions.Load(), "reading it resolves once")
}
