package safego

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFastSite: on amd64 the call site is read from the frame pointer; the
// check that enables it passed.
func TestFastSite(t *testing.T) {
	assert.Equal(t, runtime.GOARCH == "amd64", fastSite)
}
